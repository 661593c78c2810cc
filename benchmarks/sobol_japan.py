"""Sobol design on the Japan model: design points x scenarios x days per second.

Usage::

    python benchmarks/sobol_japan.py                       # configs/sobol_japan.toml: 100 x (18 + 2) points x 200 x 365
    python benchmarks/sobol_japan.py --points 8 --no-record  # a quick look

Runs :func:`simcore.analysis.sobol.sobol_analysis` (Saltelli design over the model's
uncertain numbers, every design point on the same scenarios, chunked lanes of design
points x scenarios over all local devices), after a warm-up of one chunk (compilation,
timed apart). Records machine, versions, date, sizes, wall time, throughput
(scenario-days per second), peak host memory and the top-10 table per metric in
``results/benchmarks/sobol-<backend>-<date>.json``; writes the indices into
``results/sobol_japan.zarr`` (not tracked) for ``simcore report``. Issue 20 item 10's
target: at least 2,000 design points x 200 scenarios x 365 days within an hour on the
2-core machine. No timing is asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_record, peak_host_mib, setup_devices, write_record  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "sobol_japan.toml"))
    parser.add_argument("--points", type=int, default=None, help="base points N (default: the config's)")
    parser.add_argument("--scenarios", type=int, default=None)
    parser.add_argument("--chunk-points", type=int, default=None)
    parser.add_argument("--chunk-scenarios", type=int, default=None)
    parser.add_argument("--group-by", default=None)
    parser.add_argument("--cpu-devices", default="all", help="CPU devices (default: one per core)")
    parser.add_argument("--store", default=str(ROOT / "results" / "sobol_japan.zarr"))
    parser.add_argument("--no-record", action="store_true")
    args = parser.parse_args(argv)
    setup_devices(args.cpu_devices)

    import jax

    from simcore.analysis import sobol as S

    config, section = S.load_sobol_config(args.config)
    settings = S.settings_from(section)
    for key in ("points", "scenarios", "chunk_points", "chunk_scenarios", "group_by"):
        if getattr(args, key) is not None:
            setattr(settings, key, getattr(args, key))
    params = S.parameters(config.loaded, settings.group_by)
    design_points = settings.points * (len(params.groups) + 2)
    print(f"design: {settings.points} x ({len(params.groups)} + 2) = {design_points} points x {settings.scenarios} "
          f"scenarios x {config.horizon_days} days on {len(jax.local_devices())} device(s)", flush=True)

    # warm-up: one chunk's shape (compilation), timed apart
    warm_rows = min(settings.chunk_points, 2 * (len(params.groups) + 2))
    started = time.perf_counter()
    a, b = S.saltelli_design(2, len(params.names))
    rows = S.design_rows(a, b, params.group_columns)[:warm_rows]
    S.evaluate_design(config.loaded.model, _policies(config, settings), config.events,
                      jax.random.PRNGKey(config.seed), params.columns, rows, n_scenarios=settings.chunk_scenarios,
                      horizon=config.horizon_days, chunk_points=settings.chunk_points,
                      chunk_scenarios=settings.chunk_scenarios)
    warmup_s = time.perf_counter() - started
    print(f"warm-up (compile + one chunk): {warmup_s:.1f} s", flush=True)

    last = [time.perf_counter()]

    def progress(done, total):
        now = time.perf_counter()
        if now - last[0] > 60 or done == total:
            print(f"  chunk {done}/{total} ({now - started_run:.0f} s)", flush=True)
            last[0] = now

    load_before = os.getloadavg()
    started_run = time.perf_counter()
    ds = S.sobol_analysis(config, settings, progress=progress)
    total_s = time.perf_counter() - started_run
    table = S.format_sobol(ds, top=10)
    print(table)
    wall = float(ds.attrs["evaluation_wall_s"])
    scenario_days = design_points * settings.scenarios * config.horizon_days * len(settings.policies)
    top = {}
    for policy in ds["policy"].values:
        for metric in ds["metric"].values:
            row = ds.sel(policy=policy, metric=metric)
            top[f"{policy}/{metric}"] = [
                {"group": str(ds["group"].values[g]),
                 **{k: round(float(row[k].values[g]), 4) for k in ("ST", "ST_low", "ST_high", "S1", "S1_low",
                                                                   "S1_high")}}
                for g in S.ranked(ds, policy, metric)[:10]]
    record = {
        "benchmark": "sobol_japan",
        **machine_record(),
        "config": str(Path(args.config).resolve().relative_to(ROOT)) if Path(args.config).resolve().is_relative_to(
            ROOT) else args.config,
        "sizes": {"base_points": settings.points, "groups": len(params.groups), "group_by": settings.group_by,
                  "parameters": len(params.names), "design_points": design_points,
                  "scenarios": settings.scenarios, "horizon_days": config.horizon_days,
                  "policies": list(settings.policies), "metrics": list(ds["metric"].values),
                  "chunk_points": settings.chunk_points, "chunk_scenarios": settings.chunk_scenarios,
                  "lanes_per_chunk": settings.chunk_points * settings.chunk_scenarios,
                  "bootstrap": settings.bootstrap, "confidence": settings.confidence,
                  "sampling": settings.sampling},
        "seconds": {"warmup_compile_and_one_chunk": round(warmup_s, 1), "evaluation": round(wall, 1),
                    "total_with_bootstrap": round(total_s, 1)},
        "throughput": {"design_points_per_s": round(design_points / wall, 3),
                       "scenario_years_per_s": round(design_points * settings.scenarios / wall, 1),
                       "scenario_days_per_s": round(scenario_days / wall, 0)},
        "target": {"design_points": 2000, "scenarios": 200, "horizon_days": 365, "within_s": 3600,
                   "met": bool(design_points >= 2000 and settings.scenarios >= 200 and config.horizon_days >= 365
                               and total_s <= 3600)},
        "peak_host_mib": round(peak_host_mib(), 1),
        # the 2 cores are shared: a load average above 2 means others ran alongside
        "load_average_1_5_15": {"before": [round(x, 2) for x in load_before],
                                "after": [round(x, 2) for x in os.getloadavg()]},
        "top10": top,
        "table": table,
    }
    print(f"evaluation {wall:.1f} s, total {total_s:.1f} s, {design_points * settings.scenarios / wall:.1f} "
          f"scenario-years/s, peak host memory {record['peak_host_mib']} MiB")
    if args.store:
        S.sobol_to_store(ds, args.store)
        print(f"wrote group 'sobol' into {args.store}")
    if not args.no_record:
        print(f"wrote {write_record(record, 'sobol')}")
    return 0


def _policies(config, settings):
    from simcore.core.model import stack_policies

    named = {p.name: p.policy for p in config.policies}
    return stack_policies([named[n] for n in settings.policies])


if __name__ == "__main__":
    sys.exit(main())
