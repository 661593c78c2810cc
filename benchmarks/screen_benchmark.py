"""The chokepoint screen (``simcore screen``): time of the screen and how it grows with the
number of units.

Usage::

    python benchmarks/screen_benchmark.py                          # configs/japan_screen.toml, 8/16/32/all units
    python benchmarks/screen_benchmark.py --units 4 8 --scenarios 20 --no-record   # a quick look

For each unit count ``n`` (the first ``n`` units of the model, products first) it runs
:func:`simcore.analysis.screen.screen_analysis` on the config's disruption family and
mixes, after a warm-up (one compile of the chunk shape, timed apart: the chunk shape is
the same for every ``n``, so later runs do not compile), and records the wall time, the
cases, the lane-days (cases x mixes x scenarios x days) per second and the fit of
``time = a + b x cases`` (the screen is linear in the cases: every case is one vmapped
lane block of the same compiled engine). Records machine, versions, date and sizes in
``results/benchmarks/screen-<backend>-<date>.json``. No timing is asserted in tests.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, machine_record, peak_host_mib, setup_devices, write_record  # noqa: E402


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "japan_screen.toml"))
    parser.add_argument("--units", type=int, nargs="+", default=[8, 16, 32, 0],
                        help="unit counts (0: every unit of the model; default 8 16 32 0)")
    parser.add_argument("--scenarios", type=int, default=None, help="common scenarios (default: the config's)")
    parser.add_argument("--policies", nargs="+", default=None, help="mixes (default: the config's)")
    parser.add_argument("--chunk-cases", type=int, default=None)
    parser.add_argument("--chunk-scenarios", type=int, default=None)
    parser.add_argument("--cpu-devices", default="all", help="CPU devices (default: one per core)")
    parser.add_argument("--no-record", action="store_true", help="print only, write no record")
    args = parser.parse_args(argv)
    setup_devices(args.cpu_devices)

    import numpy as np

    from simcore.analysis import screen as SC
    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config(args.config, "screen")
    overrides = {k: v for k, v in (("scenarios", args.scenarios), ("policies", args.policies),
                                   ("chunk_cases", args.chunk_cases), ("chunk_scenarios", args.chunk_scenarios))
                 if v is not None}
    base = SC.settings_from(sections.get("screen") or {}, overrides, config=config)
    every = SC.with_carriers(config, SC.select_units(SC.model_units(config.loaded), base), base.policies)
    load = _load()
    began = time.perf_counter()
    # the warm-up compiles the chunk shape every run uses: a full case block, a full scenario block
    cases_of = lambda units: len(SC.build_cases(config, units, base.disruptions)[0])  # noqa: E731
    first = next((k for k in range(1, len(every) + 1) if cases_of(every[:k]) >= base.chunk_cases), len(every))
    warm = SC.ScreenSettings(**{**base.__dict__, "units": tuple(u.name for u in every[:first]),
                                "scenarios": min(base.scenarios, base.chunk_scenarios)})
    SC.screen_analysis(config, warm)
    warmup = time.perf_counter() - began
    rows = []
    for n in args.units:
        chosen = every if n == 0 or n >= len(every) else every[:n]
        s = SC.ScreenSettings(**{**base.__dict__, "units": tuple(u.name for u in chosen)})
        t0 = time.perf_counter()
        ds = SC.screen_analysis(config, s)
        wall = time.perf_counter() - t0
        cases = int(ds.attrs["cases"])
        lane_days = cases * len(s.policies) * s.scenarios * config.horizon_days
        rows.append({"units": len(chosen), "cases": cases, "seconds": round(wall, 2),
                     "lane_days_per_s": round(lane_days / wall, 1), "seconds_per_case": round(wall / cases, 4)})
        print(f"{len(chosen):4d} units  {cases:5d} cases  {wall:8.1f} s  {lane_days / wall:12,.0f} lane-days/s",
              flush=True)
    fit = None
    if len(rows) >= 2:
        x = np.array([r["cases"] for r in rows], float)
        y = np.array([r["seconds"] for r in rows], float)
        b, a = np.polyfit(x, y, 1)
        fit = {"intercept_s": round(float(a), 2), "seconds_per_case": round(float(b), 4),
               "r2": round(float(1 - np.sum((y - (a + b * x)) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-12)), 4)}
        print(f"time = {a:.1f} s + {b:.3f} s x cases (R^2 {fit['r2']})")
    record = {"benchmark": "screen", **machine_record(), "config": str(Path(args.config).relative_to(ROOT))
              if Path(args.config).resolve().is_relative_to(ROOT) else args.config,
              "sizes": {"scenarios": base.scenarios, "horizon_days": config.horizon_days,
                        "policies": list(base.policies), "disruptions": [d.name for d in base.disruptions],
                        "chunk_cases": base.chunk_cases, "chunk_scenarios": base.chunk_scenarios,
                        "bootstrap": base.bootstrap, "units_in_model": len(every)},
              "seconds": {"warmup_compile_and_one_chunk": round(warmup, 1)}, "runs": rows, "linear_fit": fit,
              "peak_host_mib": round(peak_host_mib(), 1), "load_average_1_5_15": {"before": load, "after": _load()}}
    if not args.no_record:
        print(f"wrote {write_record(record, 'screen')}")
    return 0


def _load():
    import os

    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return None


if __name__ == "__main__":
    raise SystemExit(main())
