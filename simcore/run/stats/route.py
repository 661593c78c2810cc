"""Where a run reduces its chunks' statistics: on the device or on the host.

Both routes give the same numbers bit for bit (``tests/test_stats_device.py``): the
host route copies every per-scenario metric back and reduces it in NumPy
(:func:`simcore.run.stats.reduce_chunk`); the device route reduces the engine's arrays
where they lie (:mod:`simcore.run.stats.device_reduce`) and copies back only the
reduced state, whose size does not grow with the chunk. Which is faster depends on the
backend: on CPU the "device" is the host's own cores and NumPy's reduction is the
cheaper one (median 3.6 % of a quickstart chunk against 9.2 %,
``results/benchmarks/stats-share-cpu-20261207-235813.json``); on an accelerator the
copy back of every metric is what the device route saves.

``SIMCORE_DEVICE_STATISTICS``: ``auto`` (default: the device route on any backend but
CPU), ``device`` or ``host``. Another value prints one warning line (once per process
and value: a run asks for every chunk, a Dask worker for every task) and means ``auto``:
the results are the same either way, only the time differs.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping

DEVICE_STATISTICS_ENV = "SIMCORE_DEVICE_STATISTICS"
ROUTES = ("auto", "device", "host")
_warned: set[str] = set()  # bad values already warned about in this process


def statistics_on_device(environ: Mapping[str, str] | None = None, backend: str | None = None) -> bool:
    """True when a run's chunks are reduced on the device (see the module doc).
    ``backend``: JAX's default backend name (``"cpu"``, ``"gpu"``, ``"tpu"``; default:
    ``jax.default_backend()``, asked only under ``auto``)."""
    environ = os.environ if environ is None else environ
    choice = environ.get(DEVICE_STATISTICS_ENV, "auto").strip().lower() or "auto"
    if choice not in ROUTES:
        if choice not in _warned:
            _warned.add(choice)
            print(f"simcore: warning: {DEVICE_STATISTICS_ENV} must be one of {', '.join(ROUTES)}, "
                  f"got {choice!r}: using auto", file=sys.stderr)
        choice = "auto"
    if choice != "auto":
        return choice == "device"
    if backend is None:
        import jax

        backend = jax.default_backend()
    return backend != "cpu"
