"""BoARIO peer: days per second of the ARIO reference implementation on the synthetic
input-output tables of ``benchmarks/synthetic.py`` (one scenario, NumPy/pandas).

Runs in BoARIO's own virtual environment (no JAX, no simcore)::

    python3 -m venv .venv-boario && .venv-boario/bin/pip install boario pymrio progressbar2
    .venv-boario/bin/python benchmarks/boario_peer.py --sectors 5 50 200 --horizon 120 --blas-threads 1

``benchmarks/sector_scaling.py`` calls it once per sector count in the same run as
simcore. The scenario: one region, the sector count's technical coefficients and final
demand as a ``pymrio.IOSystem``; BoARIO's ``ARIOPsiModel`` with default parameters; one
productive-capital shock (5 % of the gross output of the first tenth of the sectors) on
day 5, recovering linearly over 60 days. Timed: ``Simulation.loop()`` only (the model
and event construction are reported apart). With ``--json`` one JSON object per sector
count is printed.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from synthetic import synthetic_io  # noqa: E402  (NumPy only)


def run_once(n_sectors: int, horizon: int, seed: int) -> dict:
    import numpy as np
    import pandas as pd
    import pymrio
    from boario.event import from_series
    from boario.extended_models import ARIOPsiModel
    from boario.simulation import Simulation

    started = time.perf_counter()
    io = synthetic_io(n_sectors, seed)
    a_matrix, gross, final = io["technical_coefficients"], io["gross_output"], io["final_demand"]
    index = pd.MultiIndex.from_product([["reg1"], [f"s{i}" for i in range(n_sectors)]], names=["region", "sector"])
    flows = pd.DataFrame(a_matrix * gross[None, :], index=index, columns=index)  # Z[i, j] = A[i, j] x[j]
    demand = pd.DataFrame(final[:, None], index=index,
                          columns=pd.MultiIndex.from_product([["reg1"], ["final demand"]], names=["region", "category"]))
    mrio = pymrio.IOSystem(Z=flows, Y=demand)
    mrio.calc_all()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "No capital to VA dictionary given, considering 4/1 ratio"
        model = ARIOPsiModel(mrio)
        simulation = Simulation(model, n_temporal_units_to_sim=horizon)
        hit = max(1, n_sectors // 10)
        impact = pd.Series(0.0, index=index)
        impact.iloc[:hit] = 0.05 * gross[:hit]
        simulation.add_event(from_series(impact, event_type="recovery", occurrence=5, duration=1, recovery_tau=60,
                                         event_monetary_factor=model.monetary_factor))
    setup_seconds = time.perf_counter() - started
    started, cpu_started = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        simulation.loop()
    run_seconds = time.perf_counter() - started
    cpu_seconds = time.process_time() - cpu_started
    total = simulation.production_realised.to_numpy().sum(axis=1)  # [day], realised production
    return {
        "sectors": n_sectors,
        "horizon_days": horizon,
        "scenarios": 1,
        "setup_seconds": setup_seconds,
        "run_seconds": run_seconds,
        "scenario_days_per_second": horizon / run_seconds,
        "microseconds_per_scenario_day": 1e6 * run_seconds / horizon,
        # per core: days per CPU second of the process (all its BLAS threads together)
        "cpu_seconds": cpu_seconds,
        "scenario_days_per_cpu_second": horizon / cpu_seconds if cpu_seconds > 0 else None,
        "blas_threads": _blas_threads(),
        "peak_host_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0,
        # sanity check that the shock bites: lowest daily production over the first day's
        "min_production_vs_day0": float(np.nanmin(total) / total[0]) if total.size and total[0] else None,
        "versions": _versions(),
    }


def _blas_threads() -> int | None:
    """Threads of NumPy's BLAS as running (threadpoolctl), None if it cannot tell."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return None
    counts = [pool.get("num_threads") for pool in threadpool_info() if pool.get("user_api") == "blas"]
    return max(counts) if counts else None


def _versions() -> dict:
    from importlib.metadata import PackageNotFoundError, version

    out = {"python": platform.python_version()}
    for package in ("boario", "pymrio", "numpy", "pandas", "threadpoolctl"):
        try:
            out[package] = version(package)
        except PackageNotFoundError:
            out[package] = None
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, nargs="+", default=[5, 50, 200])
    parser.add_argument("--horizon", type=int, default=120)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true", help="print one JSON object per sector count")
    parser.add_argument("--blas-threads", type=int, default=None,
                        help="limit NumPy's BLAS to this many threads (threadpoolctl; default: its own choice, "
                             "which on OpenBLAS is one per core the library sees, possibly more than the machine has)")
    args = parser.parse_args(argv)
    limit = None
    if args.blas_threads is not None:
        from threadpoolctl import threadpool_limits

        limit = threadpool_limits(limits=args.blas_threads, user_api="blas")
    for n_sectors in args.sectors:
        result = run_once(n_sectors, args.horizon, args.seed)
        if args.json:
            print(json.dumps(result), flush=True)
        else:
            print(f"BoARIO {result['versions']['boario']}, {n_sectors:>4d} sectors: "
                  f"{result['scenario_days_per_second']:,.1f} scenario-days/s "
                  f"({result['microseconds_per_scenario_day']:,.0f} µs/day), setup {result['setup_seconds']:.1f} s, "
                  f"peak RSS {result['peak_host_rss_mib']:.0f} MiB, BLAS threads {result['blas_threads']}", flush=True)
    del limit
    return 0


if __name__ == "__main__":
    sys.exit(main())
