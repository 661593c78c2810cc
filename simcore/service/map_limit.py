"""The kernel's limit on a process's memory mappings, which a long-lived service can reach.

XLA:CPU maps each kernel of a loaded program into memory on its own (code, constants,
data), and JAX keeps every program a process compiled: the service's default warm-up
(12 shapes of the 4 registered models at 365 days) took 25,325 mappings, about 2,100 per
shape, and a test worker that compiled its half of the test suite held 62,594
(docs/running.md, "The CI segmentation fault"). Past Linux's limit
(``vm.max_map_count``, 65,530 by default) a mapping fails inside XLA and the process
dies of a segmentation fault or an abort. The service keeps every shape it warmed or was
asked for, so start-up warns when the limit is below :data:`RECOMMENDED_MAP_COUNT`.
"""

from __future__ import annotations

from pathlib import Path

MAP_COUNT_FILE = Path("/proc/sys/vm/max_map_count")
# Assumption: 4x Linux's default, room for about 120 shapes at the 2,100 mappings per
# shape measured on the default warm-up (2026-12-07); larger models and horizons take more.
RECOMMENDED_MAP_COUNT = 262_144


def max_map_count(path: Path = MAP_COUNT_FILE) -> int | None:
    """The kernel's limit on memory mappings per process, or None where it cannot be
    read (not Linux, no /proc)."""
    try:
        return int(path.read_text().strip())
    except (OSError, ValueError):
        return None


def map_limit_warning(limit: int | None, recommended: int = RECOMMENDED_MAP_COUNT) -> str | None:
    """One line for the service's log when ``limit`` is known and below ``recommended``."""
    if limit is None or limit >= recommended:
        return None
    return (f"vm.max_map_count is {limit:,}: a long-lived service that compiles many shapes can reach it "
            f"and crash inside XLA (each loaded program maps every kernel on its own); raise it, e.g. "
            f"`sysctl -w vm.max_map_count={recommended}` (docs/service.md)")
