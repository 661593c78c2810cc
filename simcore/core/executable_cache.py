"""Compiled engine programs kept on disk under a key made *before* tracing.

Why
    JAX's persistent compilation cache (:mod:`simcore.core.compile_cache`) keys a program
    by its lowered module, so a warm process still traces and lowers every program
    before it can look one up: 2-3 s for a ``simcore run`` of the quickstart, and the
    output-shape trace of the store's layout on top (issue 19 item 1: a second run
    should start computing within a second). This cache keys a program by what
    determines it without tracing it:

    * the program's name and its static values (horizon, ``save_daily``, the mesh, ...);
    * the structure of its arguments (the pytree definition, which holds the static
      structure of the model: which parts exist) and each leaf's shape, dtype, weak
      type and sharding (devices and partitioning);
    * the environment: simcore's own source code (a digest of every ``.py`` file of the
      package, so an edited engine never meets an old program), the JAX and jaxlib
      versions, the backend and its devices, ``XLA_FLAGS`` and the JAX settings that
      change programs (64-bit mode, PRNG, matmul precision, NaN checks); the caller's
      XLA options come with its static values (:class:`simcore.core.compile.EngineFunction`).

    On a hit the executable is read back and called: no tracing, lowering or
    compiling, the same executable XLA built, so results are the same bits. On a miss
    the program is lowered and compiled as ``jax.jit`` would (through JAX's own cache),
    then written here for the next process.

Where
    In the compilation cache's folder (``$SIMCORE_CACHE_DIR``, ...), as files named
    ``simcore-exec-<program>-<key>-cache``, so the cache's size bound prunes them with
    JAX's entries. Off whenever the compilation cache is off (``--no-cache``,
    ``SIMCORE_NO_CACHE=1``) and under ``jax.disable_jit()``.

On by default wherever the compilation cache is on; ``SIMCORE_EXECUTABLE_CACHE=0``
(or ``false``, ``no``, ``off``) keeps JAX's cache alone (the output shapes are kept
regardless). It was off by default for most of 2026-12-07: with it on in every
test process one pytest-xdist worker crashed once, a segmentation fault inside JAX's own
serialisation of a freshly compiled program. The cause was found later: that worker had
run out of memory mappings (``vm.max_map_count``; ``docs/running.md``, "The CI
segmentation fault"), which any compile meets there, with or without this cache. The
loaded executables are held like JAX's own compiled programs: up to
:data:`_MEMORY_SIZE` in a process, the least recently used dropped beyond that, and
:func:`clear_loaded` drops them all (the service's mapping guard does, with JAX's).

Never fatal: a program that cannot be serialised (closed-over constants), a file that
cannot be written, or a file that does not load (corrupt, another jaxlib) falls back
to the ordinary ``jit`` path; an unreadable file is removed. Like JAX's own cache the
files are executables: keep the folder your own (it is, by default, under your home).
"""

from __future__ import annotations

import atexit
import hashlib
import io
import os
import pickle
import threading
import weakref
from collections import OrderedDict
from pathlib import Path

import jax
import jaxlib
import numpy as np

from simcore.core import compile_cache

FILE_PREFIX = "simcore-exec-"
ENABLE_ENV = "SIMCORE_EXECUTABLE_CACHE"
_SUFFIX = "-cache"  # the compilation cache's entry suffix: pruned with JAX's entries
# JAX settings that change the program XLA builds (read from jax.config)
_JAX_SETTINGS = ("jax_enable_x64", "jax_default_matmul_precision", "jax_default_prng_impl",
                 "jax_threefry_partitionable", "jax_numpy_rank_promotion", "jax_numpy_dtype_promotion",
                 "jax_debug_nans", "jax_debug_infs", "jax_enable_checks")
_MEMORY_SIZE = 64  # programs kept loaded in one process
# An executable JAX read back from its own persistent cache cannot be serialised again
# (jaxlib 0.10 on CPU: the copy fails at its first run in another process, "NOT_FOUND:
# Function ... not found"), so a program this cache writes is compiled afresh: an XLA
# option of *another* backend (read by no compiler here, so the code is the same) with a
# random value gives the compile a key of its own in JAX's cache, never found there.
# (JAX leaves the dump options out of its key, and a fixed value would be found the second
# time.) The entry JAX writes under that key is never read; the size bound removes it.
_FRESH_OPTION = {"cpu": "xla_gpu_force_compilation_parallelism"}
_FRESH_OPTION_ELSEWHERE = "xla_cpu_parallel_codegen_split_count"


def fresh_compile_options() -> dict:
    """Compiler options that change no code on this backend but miss JAX's cache."""
    import secrets

    name = _FRESH_OPTION.get(jax.default_backend(), _FRESH_OPTION_ELSEWHERE)
    return {name: 2 + secrets.randbelow(1 << 30)}

_lock = threading.Lock()
_loaded: OrderedDict[str, object] = OrderedDict()  # key -> jax.stages.Compiled
_loading: dict[str, threading.Event] = {}  # key -> set once a preload of it is over (preload)
_background: "weakref.WeakSet[threading.Thread]" = weakref.WeakSet()  # in_background's threads, until they end
_environment: str | None = None
_exit_handler_registered = False


_OFF_VALUES = ("0", "false", "no", "off")


def enabled(environ=None) -> bool:
    """Whether whole executables are kept: yes unless ``SIMCORE_EXECUTABLE_CACHE`` is
    ``0``, ``false``, ``no`` or ``off`` (any case); and only where the compilation cache
    is on (:func:`executable`). The output shapes are kept whenever that cache is on."""
    environ = os.environ if environ is None else environ
    return environ.get(ENABLE_ENV, "").strip().lower() not in _OFF_VALUES


class _Uncacheable(Exception):
    """An argument this cache cannot describe without tracing (the ordinary path runs)."""


def source_digest(package_dir: Path | None = None) -> str:
    """sha256 of simcore's source: every ``.py`` file under the package, by relative path
    and content (a few ms). Any edit of the code gives other keys."""
    root = Path(package_dir) if package_dir is not None else Path(__file__).resolve().parents[1]
    digest = hashlib.sha256()
    for path in sorted(root.rglob("*.py")):
        digest.update(str(path.relative_to(root)).encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
        digest.update(b"\0")
    return digest.hexdigest()


def environment_digest() -> str:
    """sha256 of what outside a call decides its program and cannot change within a
    process (see the module doc; the JAX settings are read per call); computed once."""
    global _environment
    if _environment is None:
        devices = jax.devices()
        parts = [source_digest(), jax.__version__, getattr(jaxlib, "__version__", "?"), jax.default_backend(),
                 getattr(devices[0].client, "platform_version", "?"),
                 repr(sorted({d.device_kind for d in devices})), os.environ.get("XLA_FLAGS", "")]
        _environment = hashlib.sha256("\n".join(parts).encode()).hexdigest()
    return _environment


def _settings() -> str:
    """The JAX settings that change programs, as this thread sees them now (some, as
    64-bit mode, can be set for a block of code: read at every call, not once)."""
    return ";".join(f"{name}={getattr(jax.config, name, None)!r}" for name in _JAX_SETTINGS)


def _sharding_signature(sharding) -> str:
    """Devices and partitioning of a sharding, device ids included (a mesh's repr alone
    does not name its devices)."""
    from jax.sharding import NamedSharding

    if isinstance(sharding, NamedSharding):
        mesh = sharding.mesh
        ids = tuple(int(d.id) for d in np.asarray(mesh.devices).flat)
        return f"named{tuple(mesh.axis_names)}{np.asarray(mesh.devices).shape}{ids}{sharding.spec}" \
               f"{sharding.memory_kind}"
    ids = sorted(int(d.id) for d in sharding.device_set)
    return f"{type(sharding).__name__}{ids}{getattr(sharding, 'memory_kind', None)}"


def _leaf_signature(leaf) -> str:
    if isinstance(leaf, jax.core.Tracer):
        raise _Uncacheable("a traced argument")
    if isinstance(leaf, jax.Array):
        return f"A{leaf.shape}{leaf.dtype}{int(leaf.aval.weak_type)}{_sharding_signature(leaf.sharding)}"
    if isinstance(leaf, (np.ndarray, np.generic)):
        return f"N{np.shape(leaf)}{np.asarray(leaf).dtype}"
    if isinstance(leaf, (bool, int, float, complex)):  # weak-typed scalars: only the type matters
        return f"P{type(leaf).__name__}"
    raise _Uncacheable(f"an argument of type {type(leaf).__name__}")


def program_key(name: str, static, args: tuple, kwargs: dict) -> str:
    """The key of program ``name`` with ``static`` values (anything with a faithful
    ``repr``) called on the dynamic ``args`` and ``kwargs``. Raises :class:`_Uncacheable`
    for arguments it cannot describe."""
    leaves, tree = jax.tree_util.tree_flatten((args, kwargs))
    text = "\n".join([environment_digest(), _settings(), name, repr(static), str(tree),
                      *map(_leaf_signature, leaves)])
    return hashlib.sha256(text.encode()).hexdigest()[:40]


def _file(directory: Path, name: str, key: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "_." else "_" for c in name)[:60]
    return directory / f"{FILE_PREFIX}{safe}-{key}{_SUFFIX}"


def executable(name: str, static, lower, args: tuple, kwargs: dict):
    """The compiled program ``name`` for the dynamic ``args`` and ``kwargs`` (``static``:
    the values that decide it besides them): loaded in this process, read from the disk
    cache, or ``lower()`` (a thunk returning the ``jax.stages.Lowered``) compiled and
    written there. Call it with ``args`` and ``kwargs``. None when the cache is off or
    the arguments cannot be keyed (then the caller runs its ``jit`` as usual)."""
    directory, key = _where(name, static, args, kwargs)
    if key is None:
        return None
    found = _find(key)
    if found is not None:
        return found
    path = _file(directory, name, key)
    compiled = _read(path)
    if compiled is None:
        compiled = lower().compile(fresh_compile_options())
        _write(path, compiled)
    _keep(key, compiled)
    return compiled


def preload(name: str, static, args: tuple, kwargs: dict) -> bool:
    """Read program ``name`` for these arguments (as :func:`executable` keys them) back
    from the disk into this process, without calling, tracing or compiling anything;
    True when it is loaded now. Meant for a background thread: reading an executable
    back takes 0.4-0.6 s for a chunk program on the 2-core machine and releases the
    GIL, so the caller's host work goes on meanwhile; a call of the program that comes
    while it loads waits for it instead of reading the file a second time. A miss (no
    file, the cache off, arguments that cannot be keyed) leaves everything to that call."""
    directory, key = _where(name, static, args, kwargs)
    if key is None:
        return False
    with _lock:
        if key in _loaded:
            return True
        if key in _loading:  # another preload reads it
            return False
        _register_exit_handler()  # before reading: an exit meanwhile waits for this preload
        done = _loading[key] = threading.Event()
    try:
        compiled = _read(_file(directory, name, key))
        if compiled is not None:
            _keep(key, compiled)
        return compiled is not None
    finally:
        with _lock:
            _loading.pop(key, None)
        done.set()


def _where(name: str, static, args: tuple, kwargs: dict) -> tuple[Path | None, str | None]:
    """``(folder, key)`` of program ``name`` for these arguments; the key None when whole
    executables are not kept (the cache off, ``jax.disable_jit``) or the arguments cannot
    be keyed."""
    directory = compile_cache.active_directory()
    if directory is None or jax.config.jax_disable_jit or not enabled():
        return directory, None
    try:
        return directory, program_key(name, static, args, kwargs)
    except _Uncacheable:
        return directory, None


def _find(key: str):
    """The loaded program ``key`` (waiting for a preload of it under way), or None."""
    with _lock:
        found, loading = _loaded.get(key), _loading.get(key)
        if found is not None:
            _loaded.move_to_end(key)
            return found
    if loading is None:
        return None
    loading.wait()
    with _lock:
        return _loaded.get(key)


def _keep(key: str, compiled) -> None:
    """Hold ``compiled`` loaded under ``key`` (the least recently used dropped beyond
    :data:`_MEMORY_SIZE`)."""
    with _lock:
        _register_exit_handler()
        _loaded[key] = compiled
        while len(_loaded) > _MEMORY_SIZE:  # the least recently used: freed once no call holds it
            _loaded.popitem(last=False)


def _read(path: Path):
    """The executable in ``path``, or None (absent; unreadable: removed)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        from jax.experimental import serialize_executable

        payload, in_tree, out_tree, device_ids = pickle.loads(data)
        by_id = {int(d.id): d for d in jax.devices()}
        compiled = serialize_executable.deserialize_and_load(
            payload, in_tree, out_tree, execution_devices=[by_id[i] for i in device_ids])
    except Exception:  # corrupt, truncated, another jaxlib's: compile again
        try:
            path.unlink()
        except OSError:
            pass
        return None
    try:
        os.utime(path)  # recently used: the size bound removes the oldest first
    except OSError:
        pass
    return compiled


def _write(path: Path, compiled) -> None:
    """Write ``compiled`` to ``path`` atomically; silently nothing when it cannot be
    serialised or written (the run goes on; the next process compiles again)."""
    try:
        from jax.experimental import serialize_executable

        payload, in_tree, out_tree = serialize_executable.serialize(compiled)
        device_ids = [int(d.id) for d in compiled._executable.xla_executable.local_devices()]
        with io.BytesIO() as buffer:
            pickle.dump((payload, in_tree, out_tree, device_ids), buffer, protocol=pickle.HIGHEST_PROTOCOL)
            data = buffer.getvalue()
    except Exception:
        return
    _atomic_write(path, data)


def _atomic_write(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` whole or not at all: first to a ``.partial`` file of
    this process beside it, then renamed over ``path``, so a reader (another process)
    never sees half a file. Silently nothing when it cannot be written (the partial
    file is removed)."""
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        partial.write_bytes(data)
        os.replace(partial, path)
    except Exception:
        try:
            partial.unlink(missing_ok=True)
        except OSError:
            pass


def output_shapes(name: str, static, fun, args: tuple, kwargs: dict | None = None):
    """``jax.eval_shape(fun, *args, **kwargs)`` (shapes and dtypes of ``fun``'s outputs,
    nothing compiled or run), kept on disk under the same kind of key, so a warm process
    does not trace ``fun`` for its shapes. Returns the pytree of
    ``jax.ShapeDtypeStruct``."""
    kwargs = kwargs or {}
    directory = compile_cache.active_directory()
    key = None
    if directory is not None:
        try:
            key = program_key(f"shapes:{name}", static, args, kwargs)
        except _Uncacheable:
            key = None
    path = None if key is None else _file(directory, f"shapes-{name}", key)
    if path is not None:
        try:
            tree, leaves = pickle.loads(path.read_bytes())
            return jax.tree_util.tree_unflatten(tree, [jax.ShapeDtypeStruct(s, np.dtype(d)) for s, d in leaves])
        except Exception:
            pass
    shapes = jax.eval_shape(fun, *args, **kwargs)
    if path is not None:
        leaves, tree = jax.tree_util.tree_flatten(shapes)
        try:
            data = pickle.dumps((tree, [(tuple(x.shape), np.dtype(x.dtype).str) for x in leaves]))
        except Exception:  # a tree that does not pickle: traced again next time
            return shapes
        _atomic_write(path, data)
    return shapes


def clear_loaded() -> None:
    """Drop the programs loaded in this process (the files stay): each is freed once no
    call in flight holds it, and loaded again from its file when next asked for (the
    service's mapping guard; tests, to act as a new process)."""
    with _lock:
        _loaded.clear()


def _register_exit_handler() -> None:
    """Release the loaded executables before the interpreter tears JAX's backends down:
    left to the module's final cleanup, an executable can outlive its client, and
    destroying it then aborts the process ("terminate called ...", exit 134). Registered
    with the first program held or preloaded, after JAX's own exit handlers (LIFO: ours
    run first). Called with ``_lock`` held."""
    global _exit_handler_registered
    if not _exit_handler_registered:
        atexit.register(_release)
        _exit_handler_registered = True


def in_background(work, name: str = "simcore-preload") -> threading.Thread:
    """Run ``work()`` (a :func:`preload` and what it needs first: device copies of its
    arguments, ...) in a daemon thread that the exit handler waits for, so that the
    process never exits while that thread still uses JAX (a program loaded after the
    handler ran would outlive JAX's backends). An exception in ``work`` is dropped: a
    preload only gives the call a head start. Returns the started thread."""
    def run():
        try:
            work()
        except Exception:  # the call loads or compiles its program as ever
            pass

    thread = threading.Thread(target=run, name=name, daemon=True)
    with _lock:
        _register_exit_handler()
        _background.add(thread)
    thread.start()
    return thread


def _release() -> None:
    """At exit, before JAX's backends go: release every executable this module holds,
    after the preloads under way and the threads of :func:`in_background` (a program
    loaded later would outlive the backends)."""
    with _lock:
        loading, threads = list(_loading.values()), list(_background)
    for thread in threads:
        thread.join(timeout=60)
    for done in loading:
        done.wait(timeout=60)
    with _lock:
        _background.clear()
        _loaded.clear()

