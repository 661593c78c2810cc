"""The chokepoint screen (``simcore screen``): time of the screen and how it grows with the
number of units.

Usage::

    python benchmarks/screen_benchmark.py                          # configs/japan_screen.toml, 8/16/32/all units
    python benchmarks/screen_benchmark.py --units 4 8 --scenarios 20 --no-record   # a quick look
    python benchmarks/screen_benchmark.py --config configs/japan_universe_screen.toml \
        --units 8 16 32 64 0 --scenarios 500          # the universe's growth curve
    python benchmarks/screen_benchmark.py --config configs/japan_universe_screen.toml --units 0
                                                      # the full universe screen (10,000 scenarios)

For each unit count ``n`` (the first ``n`` units of the model, products first) it runs
:func:`simcore.analysis.screen.screen_analysis` on the config's disruption family and
mixes, after a warm-up that compiles every program the run uses (one chunk of each:
:func:`simcore.analysis.screen_run.run_cases` with ``programs_only``; each block of cases
runs on the sub-model of the rows it reaches, :mod:`simcore.core.submodel`, and the
programs differ by sub-model size and event slots; a subset of units may use programs the
whole screen does not, so each run warms up its own first), timed apart, and records the wall
time, the cases, the lane-days (cases x mixes x scenarios x days) per second, the host
time of the streaming reduction (``ScreenStream.add``) and the fit of ``time = a + b x
cases``. The projection scales the fit's slope to the config's own scenario count over
every unit. ``--no-submodels``: every case on the full model (the engine before the
sub-models, for a before/after on the same machine). Records machine, versions, date,
load averages before and after, and sizes in ``results/benchmarks/screen-<backend>-<date>.json``.
No timing is asserted in tests.
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
    parser.add_argument("--no-submodels", action="store_true", help="every case on the full model")
    parser.add_argument("--no-record", action="store_true", help="print only, write no record")
    args = parser.parse_args(argv)
    setup_devices(args.cpu_devices)

    import functools

    import jax
    import numpy as np

    from simcore.analysis import screen as SC
    from simcore.analysis import screen_run as SR
    from simcore.analysis.screen_disruptions import stack_cases
    from simcore.core.model import stack_policies
    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config(args.config, "screen")
    overrides = {k: v for k, v in (("scenarios", args.scenarios), ("policies", args.policies),
                                   ("chunk_cases", args.chunk_cases), ("chunk_scenarios", args.chunk_scenarios))
                 if v is not None}
    base = SC.settings_from(sections.get("screen") or {}, overrides, config=config)
    every = SC.with_carriers(config, SC.select_units(SC.model_units(config.loaded), base), base.policies)
    full_scenarios = SC.settings_from(sections.get("screen") or {}, {}, config=config).scenarios
    submodels = not args.no_submodels
    original = SR.run_cases
    SR.run_cases = functools.partial(original, submodels=submodels)  # screen_analysis looks it up per call
    host = {"seconds": 0.0}
    add = SR.ScreenStream.add

    def timed_add(self, *a):
        t = time.perf_counter()
        add(self, *a)
        host["seconds"] += time.perf_counter() - t

    SR.ScreenStream.add = timed_add
    load = _load()
    loaded = config.loaded
    n_occ = int(np.shape(config.events.occurrence_allowed)[1])
    named = {p.name: p.policy for p in config.policies}
    policies = stack_policies([named[n] for n in base.policies])

    def warm(units) -> int:
        """Compile (and run one chunk of) every program a screen of ``units`` uses: a
        subset's blocks may use programs the whole screen does not."""
        _, slots, _, patches = SC.build_cases(config, units, base.disruptions)
        cases = (stack_cases(slots, len(loaded.products), len(loaded.origins), n_occ),) + tuple(
            jax.numpy.asarray(x, jax.numpy.bool_ if k == 2 else jax.numpy.float32) for k, x in enumerate(patches))
        return original(loaded.model, policies, cases, jax.random.PRNGKey(config.seed), n_scenarios=base.scenarios,
                        start=base.start, horizon=config.horizon_days, chunk_cases=base.chunk_cases,
                        chunk_scenarios=base.chunk_scenarios, consume=None, submodels=submodels, programs_only=True)

    began = time.perf_counter()
    programs = warm(every)
    warmup = time.perf_counter() - began
    print(f"warm-up: {programs} programs, {warmup:.1f} s", flush=True)
    rows = []
    for n in args.units:
        chosen = every if n == 0 or n >= len(every) else every[:n]
        s = SC.ScreenSettings(**{**base.__dict__, "units": tuple(u.name for u in chosen)})
        t0 = time.perf_counter()
        warm(chosen)  # programs of this subset not compiled yet (one chunk each; not timed below)
        warm_n = time.perf_counter() - t0
        host["seconds"] = 0.0
        t0 = time.perf_counter()
        ds = SC.screen_analysis(config, s)
        wall = time.perf_counter() - t0
        cases_n = int(ds.attrs["cases"])
        lane_days = cases_n * len(s.policies) * s.scenarios * config.horizon_days
        rows.append({"units": len(chosen), "cases": cases_n, "seconds": round(wall, 2),
                     "lane_days_per_s": round(lane_days / wall, 1), "seconds_per_case": round(wall / cases_n, 4),
                     "host_reduce_seconds": round(host["seconds"], 2), "warmup_seconds": round(warm_n, 1)})
        print(f"{len(chosen):4d} units  {cases_n:5d} cases  {wall:8.1f} s  {lane_days / wall:12,.0f} lane-days/s  "
              f"(host reduce {host['seconds']:.1f} s)", flush=True)
    fit = None
    if len(rows) >= 2:
        x = np.array([r["cases"] for r in rows], float)
        y = np.array([r["seconds"] for r in rows], float)
        b, a = np.polyfit(x, y, 1)
        fit = {"intercept_s": round(float(a), 2), "seconds_per_case": round(float(b), 4),
               "r2": round(float(1 - np.sum((y - (a + b * x)) ** 2) / max(np.sum((y - y.mean()) ** 2), 1e-12)), 4)}
        print(f"time = {a:.1f} s + {b:.3f} s x cases (R^2 {fit['r2']})")
        all_cases = len(SC.build_cases(config, every, base.disruptions)[0])
        projected = a + b * all_cases * full_scenarios / base.scenarios
        fit["projection"] = {"units": len(every), "cases": all_cases, "scenarios": full_scenarios,
                             "seconds": round(float(projected), 0), "plus_warmup_compile_s": round(warmup, 1),
                             "rule": "intercept + slope x cases x (config scenarios / measured scenarios)"}
        whole = [r for r in rows if r["units"] == len(every)]
        if whole:  # the cases differ in cost (products over links): scale the whole screen's own time
            fit["projection"]["seconds_from_whole_run"] = round(whole[-1]["seconds"] * full_scenarios
                                                                / base.scenarios, 0)
        print(f"projected: {len(every)} units, {all_cases} cases x {full_scenarios} scenarios: {projected:,.0f} s "
              f"(+ {warmup:.0f} s warm-up)")
    record = {"benchmark": "screen", **machine_record(), "config": str(Path(args.config).resolve().relative_to(ROOT))
              if Path(args.config).resolve().is_relative_to(ROOT) else args.config,
              "sizes": {"scenarios": base.scenarios, "horizon_days": config.horizon_days,
                        "policies": list(base.policies), "disruptions": [d.name for d in base.disruptions],
                        "chunk_cases": base.chunk_cases, "chunk_scenarios": base.chunk_scenarios,
                        "bootstrap": base.bootstrap, "units_in_model": len(every), "submodels": submodels,
                        "programs": programs},
              "seconds": {"warmup_compile_and_one_chunk_per_program": round(warmup, 1)}, "runs": rows,
              "linear_fit": fit,
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
