"""One persistent JAX compilation cache for every entry point, under one directory rule.

Why
    Compiling is most of a short run's wall time (issue 19: 76-87 % of a shipped run):
    each ``simcore run`` compiled the same programs again. JAX can keep compiled
    executables on disk (its persistent compilation cache) and read them back in the
    next process; the key covers the program, its shapes, the XLA compiler options (the
    engine's :data:`~simcore.core.compile.ENGINE_COMPILER_OPTIONS` included), the
    devices and the JAX version, so a cached program is the one XLA would compile again
    and results stay bit-identical. The CLI, the Python API (lazily, at the engine's
    first compile: :class:`~simcore.core.compile.EngineFunction`), the service and the
    tests all go through :func:`enable_compilation_cache`, so they share one directory
    rule and one set of settings.

Where
    ``$SIMCORE_CACHE_DIR``, else ``$XDG_CACHE_HOME/simcore``, else ``~/.cache/simcore``
    (:func:`cache_dir`). ``SIMCORE_NO_CACHE=1`` (or ``simcore run --no-cache``) runs
    without it. A directory set already in JAX (``JAX_COMPILATION_CACHE_DIR`` or
    ``jax.config.update("jax_compilation_cache_dir", ...)``) is kept as it is.

Size
    ``SIMCORE_CACHE_MAX_GB`` (default 2): when a process enables the cache, the least
    recently used entries are removed until the folder is under the bound (JAX's own
    bound needs the ``filelock`` package, which simcore does not depend on). One run may
    grow it past the bound until the next start.

Never fatal: a directory that cannot be created or written, or a bad setting, prints
one warning line on stderr (once per process) and the run goes on without the cache.
The first decision in a process wins: JAX reads its cache directory once.
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path

CACHE_DIR_ENV = "SIMCORE_CACHE_DIR"
NO_CACHE_ENV = "SIMCORE_NO_CACHE"
MAX_SIZE_ENV = "SIMCORE_CACHE_MAX_GB"
DEFAULT_MAX_GB = 2.0
# Cache every program: a warm run should compile nothing. JAX's default (1 s) left the
# engine's smaller programs out (0.1-0.9 s each), and 0.05 s still left the ~50 one-op
# programs of building a model and its summary (10-40 ms each, 1.3-1.5 s of a warm
# quickstart run against about 0.2 s read back).
MIN_COMPILE_SECONDS = 0.0
_ENTRY_SUFFIX = "-cache"  # JAX's file name suffix of a cached executable

_lock = threading.Lock()
_decided = False
_directory: Path | None = None


def cache_dir(environ: Mapping[str, str] | None = None) -> Path:
    """The cache directory the rule gives (see the module doc); nothing is created."""
    environ = os.environ if environ is None else environ
    given = environ.get(CACHE_DIR_ENV, "").strip()
    if given:
        return Path(given).expanduser()
    xdg = environ.get("XDG_CACHE_HOME", "").strip()
    if xdg:
        return Path(xdg).expanduser() / "simcore"
    home = environ.get("HOME", "").strip()
    return (Path(home) if home else Path.home()) / ".cache" / "simcore"


def cache_disabled(environ: Mapping[str, str] | None = None) -> bool:
    """Whether ``SIMCORE_NO_CACHE`` asks to run without the cache (1, true, yes, on)."""
    environ = os.environ if environ is None else environ
    return environ.get(NO_CACHE_ENV, "").strip().lower() in ("1", "true", "yes", "on")


def max_cache_bytes(environ: Mapping[str, str] | None = None) -> int:
    """The size bound in bytes from ``SIMCORE_CACHE_MAX_GB``; ``ValueError`` (one line)
    for anything but a positive number."""
    environ = os.environ if environ is None else environ
    raw = environ.get(MAX_SIZE_ENV, "").strip()
    if not raw:
        return int(DEFAULT_MAX_GB * 1e9)
    try:
        value = float(raw)
    except ValueError:
        value = float("nan")
    if not value > 0 or value == float("inf"):
        raise ValueError(f"{MAX_SIZE_ENV} must be a positive number of GB, got {raw!r}")
    return int(value * 1e9)


def enable_compilation_cache(directory: str | os.PathLike | None = None, *, enabled: bool = True,
                             environ: Mapping[str, str] | None = None) -> Path | None:
    """Turn JAX's persistent compilation cache on for this process (once; later calls
    return the first decision) and return its directory, or None when it stays off.

    ``directory`` overrides the rule (the service's ``compilation_cache_dir``);
    ``enabled=False`` (``--no-cache``) or ``SIMCORE_NO_CACHE=1`` decides "off", which the
    engine's lazy call then keeps. Call it before the first compile you want cached."""
    global _decided, _directory
    with _lock:
        if _decided:
            return _directory
        _decided = True
        environ = os.environ if environ is None else environ
        if not enabled or cache_disabled(environ):
            return None
        import jax

        already = jax.config.jax_compilation_cache_dir
        if already:  # set by the user or JAX_COMPILATION_CACHE_DIR: theirs, with their settings
            _directory = Path(already)
            return _directory
        try:
            bound = max_cache_bytes(environ)
        except ValueError as exc:
            _warn(f"{exc}")
            return None
        path = Path(directory).expanduser() if directory is not None else cache_dir(environ)
        problem = _writable(path)
        if problem:
            _warn(f"cannot use {path} ({problem}); set {CACHE_DIR_ENV} to a writable folder, "
                  f"or {NO_CACHE_ENV}=1")
            return None
        prune(path, bound)
        jax.config.update("jax_compilation_cache_dir", str(path))
        jax.config.update("jax_persistent_cache_min_compile_time_secs", MIN_COMPILE_SECONDS)
        _directory = path
        return _directory


def ensure_compilation_cache() -> None:
    """The lazy call of the Python API (the engine's first top-level compile): enable the
    cache by the rule unless this process decided already. Cheap after the first call."""
    if not _decided:
        enable_compilation_cache()


def active_directory() -> Path | None:
    """The folder this process caches programs in, or None (off, or not decided yet)."""
    return _directory if _decided else None


def prune(path: Path, max_bytes: int) -> int:
    """Remove the least recently used cache entries (by access or write time, the later)
    until the folder's entries take at most ``max_bytes``; returns the bytes removed.
    Entries vanishing meanwhile (another process pruning) are skipped."""
    entries = []
    try:
        with os.scandir(path) as found:
            for entry in found:
                if not entry.name.endswith(_ENTRY_SUFFIX):
                    continue
                try:
                    info = entry.stat()
                except OSError:
                    continue
                entries.append((max(info.st_atime, info.st_mtime), info.st_size, entry.path))
    except OSError:
        return 0
    total = sum(size for _, size, _ in entries)
    removed = 0
    for _, size, name in sorted(entries):
        if total - removed <= max_bytes:
            break
        try:
            os.unlink(name)
        except OSError:
            continue
        removed += size
    return removed


def _writable(path: Path) -> str | None:
    """None when ``path`` exists (or can be made) and takes a file; else the reason."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile(dir=path, prefix=".probe-"):
            pass
    except OSError as exc:
        return exc.strerror or str(exc)
    return None


def _warn(message: str) -> None:
    print(f"simcore: warning: compilation cache off: {message}", file=sys.stderr)

