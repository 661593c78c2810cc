"""Drop the service's compiled programs before the process nears the mapping limit.

A long-lived service compiles a program per request shape (model, horizon, mixes,
signals, chunk size) and JAX keeps every one: each holds about 2,100 memory mappings
(XLA:CPU maps every kernel on its own; :mod:`simcore.service.map_limit`), and past the
kernel's ``vm.max_map_count`` XLA crashes the process. :class:`ProgramGuard` counts the
process's mappings after each assessment, job and warm-up shape; past
:data:`GUARD_SHARE` of the limit it drops every compiled program
(``jax.clear_caches()``). The next request of a dropped shape loads its program again
from the persistent compilation cache (tracing and lowering, seconds; not compiling, tens
of seconds), so the service slows down for a moment instead of dying.

A request computing while the programs are dropped keeps the program it runs (JAX holds
it until the call returns); only the caches forget it. The guard drops simcore's loaded
whole executables too (:mod:`simcore.core.executable_cache`, on by default): a dropped
shape then comes back from its file, without even tracing.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable
from pathlib import Path

MAPS_FILE = Path("/proc/self/maps")
# Assumption: half the limit. At Linux's default (65,530) that is about 15 shapes of
# 2,100 mappings above the 721 of a fresh process, more than the default warm-up's 12
# (so it does not drop what it just warmed), and leaves the other half for the shapes
# that assessment threads and job workers (settings.assessment_concurrency,
# settings.job_workers) may be compiling at the same time.
GUARD_SHARE = 0.5


def mapping_count(path: Path = MAPS_FILE) -> int | None:
    """The number of memory mappings of this process (lines of ``/proc/self/maps``), or
    None where it cannot be read (not Linux)."""
    try:
        with open(path, "rb") as maps:
            return sum(1 for _ in maps)
    except OSError:
        return None


def clear_programs() -> None:
    """Drop every program JAX compiled and every whole executable simcore loaded in this
    process (they stay in the persistent cache), and collect those nothing else holds."""
    import jax

    from simcore.run import clear_loaded  # simcore.core.executable_cache's

    jax.clear_caches()
    clear_loaded()
    gc.collect()


class ProgramGuard:
    """``check()`` drops the compiled programs (``clear``) once the mapping count
    (``count()``) passes ``share`` of ``limit`` (None: the limit is unknown and the
    guard does nothing). Thread-safe: concurrent checks clear once."""

    def __init__(self, limit: int | None, share: float = GUARD_SHARE, *,
                 count: Callable[[], int | None] = mapping_count, clear: Callable[[], None] = clear_programs,
                 log: Callable[[str], None] = lambda message: None):
        self.limit, self.share = limit, float(share)
        self._count, self._clear, self._log = count, clear, log
        self._lock = threading.Lock()
        self.clears = 0

    @property
    def threshold(self) -> int | None:
        """The mapping count at which the programs are dropped."""
        return None if self.limit is None else int(self.share * self.limit)

    def _over(self) -> int | None:
        count = self._count()
        return count if count is not None and count >= self.threshold else None

    def check(self) -> bool:
        """Drop the programs if the process is past the threshold; True if it did."""
        if self.limit is None or self._over() is None:
            return False
        with self._lock:
            before = self._over()  # another thread may have dropped them meanwhile
            if before is None:
                return False
            self._clear()
            self.clears += 1
            after = self._count()
        now = "?" if after is None else f"{after:,}"
        self._log(f"{before:,} memory mappings, vm.max_map_count {self.limit:,}: dropped the compiled programs "
                  f"({now} mappings now); their shapes load again from the compilation cache on their next "
                  f"request")
        return True
