"""Reading a config file: once, bounded, and the folder its relative paths start from.

A config may come from a regular file, a pipe (``simcore run <(cat run.toml)``), a FIFO
or a device, so it is read exactly once (a pipe cannot be read again) and never
without bound: at most :data:`MAX_CONFIG_BYTES` (``/dev/zero`` must not be read for
ever), and a pipe or FIFO that gives nothing for :data:`CONFIG_READ_TIMEOUT_S` seconds
is refused. Every problem is raised as an :class:`~simcore.schema.errors.InputError`
naming it. Used by :func:`simcore.schema.config.load_config` and
:func:`simcore.schema.analysis_config.read_analysis_config`.
"""

from __future__ import annotations

import os
import select
import stat
import time
import tomllib
from pathlib import Path

from simcore.schema.errors import Problems

MAX_CONFIG_BYTES = 1 << 20  # 1 MiB: a config is a few KB; /dev/zero must not be read for ever
CONFIG_READ_TIMEOUT_S = 10.0  # a pipe or FIFO that gives no data (and no end) for this long is refused


def relative_base(path: Path) -> Path:
    """The folder relative paths in the config start from: the file's own folder, or the
    current folder for an anonymous pipe (``/dev/fd/63``: its real path is no file)."""
    try:
        if not Path(os.path.realpath(path)).exists():
            return Path(".")
    except OSError:
        pass
    return path.parent


def read_config_bytes(path: Path, problems: Problems, limit: int | None = None,
                      timeout_s: float | None = None) -> bytes:
    """The bytes of the config file ``path``, read once and at most ``limit`` of them.

    A regular file is read directly. Anything else (a pipe, a FIFO, ``/dev/stdin``, a
    device) is opened without blocking and read until its end, refused once it gives
    more than ``limit`` bytes (``/dev/zero``) or nothing new for ``timeout_s`` seconds
    (a FIFO no one writes to); defaults :data:`MAX_CONFIG_BYTES` and
    :data:`CONFIG_READ_TIMEOUT_S`. Raises :class:`InputError` naming the problem."""
    limit = MAX_CONFIG_BYTES if limit is None else limit
    timeout_s = CONFIG_READ_TIMEOUT_S if timeout_s is None else timeout_s
    try:
        info = os.stat(path)
    except FileNotFoundError:
        problems.add("path", "file not found")
    except OSError as exc:
        problems.add("path", f"cannot be read ({exc.strerror or exc})")
    else:
        if stat.S_ISDIR(info.st_mode):
            problems.add("path", "is a directory, expected a TOML file")
        elif stat.S_ISREG(info.st_mode) and info.st_size > limit:
            problems.add("path", f"is {info.st_size:,d} bytes, more than a config may be ({limit // 2**20} MiB)")
        else:
            try:
                data = _bounded_read(path, limit, timeout_s, regular=stat.S_ISREG(info.st_mode))
            except PermissionError:
                problems.add("path", "cannot be read (permission denied)")
            except TimeoutError:
                problems.add("path", f"gave no data and no end for {timeout_s:g} s (a pipe or FIFO with no "
                             "writer?)")
            except OSError as exc:
                problems.add("path", f"cannot be read ({exc.strerror or exc})")
            else:
                if len(data) > limit:
                    problems.add("path", f"gives more than {limit // 2**20} MiB, more than a config may be")
                else:
                    return data
    problems.raise_if_any()
    raise AssertionError("unreachable")


def _bounded_read(path: Path, limit: int, timeout_s: float, *, regular: bool) -> bytes:
    """At most ``limit + 1`` bytes of ``path`` (one more tells "too large")."""
    if regular:
        with open(path, "rb") as handle:
            return handle.read(limit + 1)
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a FIFO's open would wait for a writer
    try:
        parts, size = [], 0
        deadline = time.monotonic() + timeout_s
        while size <= limit:
            ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise TimeoutError(path)
            try:
                part = os.read(fd, min(65536, limit + 1 - size))
            except BlockingIOError:
                continue
            if not part:
                break
            parts.append(part)
            size += len(part)
            deadline = time.monotonic() + timeout_s
        return b"".join(parts)
    finally:
        os.close(fd)


def parse_toml_bytes(data: bytes, problems: Problems) -> dict:
    """Parse a config's bytes as TOML; not UTF-8, bad syntax or nesting too deep for the
    parser raise :class:`InputError` at once (nothing else can be checked)."""
    try:
        return tomllib.loads(data.decode("utf-8"))
    except UnicodeDecodeError as exc:
        problems.add("path", f"not a UTF-8 text file (byte {exc.start}: {exc.reason})")
    except tomllib.TOMLDecodeError as exc:
        problems.add("syntax", f"not valid TOML: {exc}")
    except RecursionError:  # tomllib recurses per level of arrays and inline tables
        problems.add("syntax", "arrays or inline tables nested too deeply (hundreds of levels); a config needs "
                     "a few")
    problems.raise_if_any()
    raise AssertionError("unreachable")
