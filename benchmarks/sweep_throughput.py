"""Sweep throughput: mixes x scenarios x days per second of a streamed policy sweep.

Usage::

    python benchmarks/sweep_throughput.py                                   # configs/sweep_stockpile.toml
    python benchmarks/sweep_throughput.py --scenarios 200 --policy-chunk 32
    python benchmarks/sweep_throughput.py --config my_sweep.toml --scenarios 10000 --chunk-size 2000
    python benchmarks/sweep_throughput.py --config configs/sweep_japan.toml --stem sweep-japan   # the Japan record

Runs the sweep of the config as :mod:`simcore.analysis.sweep` does (policy chunks x
scenario chunks, every block reduced to streaming statistics at once, nothing per
scenario kept) twice: a warm-up of one block (compilation) and the timed run. Reports
mix-scenario-days per second (the engine, the reduction and the merge together) and
mix-scenarios per second (lever settings x scenarios: the sweep's own unit, for the
config's horizon), the compile time (the warm-up block, stated apart: the timed run
excludes it; with ``SIMCORE_NO_CACHE=1`` it compiles from scratch, else it may read the
persistent compile cache, and the record says which) and the peak host memory, and writes a JSON record to
``results/benchmarks/<stem>-<backend>-<date>.json`` (stem ``sweep`` by default). The
timed run is the sweep's mixes without the no-policy reference that ``simcore sweep``
adds. No timing is asserted in tests.
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
    parser.add_argument("--config", default=str(ROOT / "configs" / "sweep_stockpile.toml"))
    parser.add_argument("--scenarios", type=int, default=None, help="default: the sweep's scenarios")
    parser.add_argument("--chunk-size", type=int, default=None, help="scenario chunk (default: the sweep's)")
    parser.add_argument("--policy-chunk", type=int, default=None, help="mixes per block (default: the sweep's)")
    parser.add_argument("--cpu-devices", default=None)
    parser.add_argument("--no-record", action="store_true")
    parser.add_argument("--stem", default="sweep", help="record name: <stem>-<backend>-<date>.json")
    args = parser.parse_args(argv)
    setup_devices(args.cpu_devices)

    import numpy as np

    from simcore.analysis import levers as lever_paths
    from simcore.analysis.evaluate import evaluate_mixes
    from simcore.analysis.sweep import design_values, load_sweep_config
    from simcore.core.compile_cache import cache_dir, cache_disabled
    from simcore.run.runner import Simulation

    config, spec, _ = load_sweep_config(args.config)
    n_scenarios = args.scenarios or spec.scenarios
    chunk = min(args.chunk_size or spec.chunk_size, n_scenarios)
    policy_chunk = args.policy_chunk or spec.policy_chunk
    base = next(p.policy for p in config.policies if p.name == spec.base)
    values = design_values(spec)
    fields = lever_paths.mixes_from_values(base, [lever.lever for lever in spec.levers], values)
    policies = lever_paths.stacked(fields)
    names = [f"mix {i}" for i in range(values.shape[0])]
    sim = Simulation.from_config(config)

    began = time.perf_counter()  # warm-up: one block, compiles the engine for this block shape
    evaluate_mixes(sim, lever_paths.stacked(fields, np.arange(min(policy_chunk, len(names)))),
                   names[:policy_chunk], chunk, chunk_size=chunk, policy_chunk=policy_chunk)
    compile_seconds = time.perf_counter() - began
    summary = evaluate_mixes(sim, policies, names, n_scenarios, chunk_size=chunk, policy_chunk=policy_chunk)
    seconds = summary.attrs["seconds"]
    work = len(names) * n_scenarios * sim.horizon_days
    record = {
        "benchmark": "sweep_throughput", "config": str(args.config), "mixes": len(names),
        "levers": [lever.name for lever in spec.levers], "design": spec.design,
        "scenarios": n_scenarios, "horizon_days": sim.horizon_days, "scenario_chunk": chunk,
        "policy_chunk": policy_chunk, "seconds": seconds, "warmup_seconds_incl_compile": compile_seconds,
        "mix_scenario_days": work, "mix_scenario_days_per_second": work / seconds,
        "mix_scenarios_per_second": len(names) * n_scenarios / seconds,
        "peak_host_mib": peak_host_mib(), **machine_record(),
        "compile_cache": "off (SIMCORE_NO_CACHE)" if cache_disabled() else f"on ({cache_dir()}): the warm-up may "
                         "read the compiled engine back instead of compiling it",
    }
    print(f"{len(names)} mixes x {n_scenarios} scenarios x {sim.horizon_days} days in {seconds:.1f} s: "
          f"{work / seconds:,.0f} mix-scenario-days/s, {len(names) * n_scenarios / seconds:,.1f} "
          f"mix-scenarios/s (warm-up incl. compile {compile_seconds:.1f} s, "
          f"peak RSS {record['peak_host_mib']:.0f} MiB)")
    if not args.no_record:
        print(f"wrote {write_record(record, args.stem)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
