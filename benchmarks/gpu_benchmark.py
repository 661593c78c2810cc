"""GPU benchmark: 1M scenarios x 365 days x 5 policy mixes at 50 sectors, sharded over
all local devices (target on one H100: under 20 s, compile apart).

Usage::

    python benchmarks/gpu_benchmark.py                                  # the full run, on a GPU
    python benchmarks/gpu_benchmark.py --scenarios 2000 --horizon 30    # a quick check on CPU
    python benchmarks/gpu_benchmark.py --chunk-size 500000              # fewer, larger chunks

The model is the synthetic one of ``benchmarks/synthetic.py`` (the same as the
sector-scaling benchmark at 50 sectors). The batch function is compiled ahead of time
(timed apart), then every chunk runs with only a checksum coming back to the host;
the next chunk is dispatched before the previous one is waited for. Prints the
compile time, the run time, scenario-days/s and the device's peak memory, and
records them with machine and versions in ``results/benchmarks/gpu-benchmark-*.json``.
If a chunk does not fit in device memory, lower ``--chunk-size``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import RESULTS, machine_record, setup_devices, time_engine, write_record  # noqa: E402

TARGET_SECONDS = 20.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenarios", type=int, default=1_000_000)
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--policies", type=int, default=5, help="policy mixes (1..5)")
    parser.add_argument("--sectors", type=int, default=50)
    parser.add_argument("--chunk-size", type=int, default=250_000, help="scenarios per chunk (all devices together)")
    parser.add_argument("--warmup", action="store_true", help="run one untimed chunk first")
    parser.add_argument("--cpu-devices", default="all", help="CPU devices when there is no GPU (int or 'all')")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=str(RESULTS))
    args = parser.parse_args(argv)

    setup_devices(args.cpu_devices)
    import jax

    from synthetic import build_synthetic

    record = {"benchmark": "gpu_benchmark", **machine_record()}
    devices = record["machine"]
    print(f"{devices['device_count']} x {devices['device']} ({devices['backend']}), jax {jax.__version__}", flush=True)
    model, policies, events = build_synthetic(args.sectors, n_policies=args.policies, seed=args.seed)
    chunk = min(args.chunk_size, args.scenarios)
    result = time_engine(model, policies, events, jax.random.PRNGKey(args.seed), horizon=args.horizon,
                         chunk_size=chunk, n_scenarios=args.scenarios, warmup=args.warmup,
                         log=lambda line: print(line, flush=True))
    result.update({"sectors": args.sectors, "requested_scenarios": args.scenarios,
                   "target_seconds": TARGET_SECONDS,
                   "full_size": (args.scenarios, args.horizon, args.policies, args.sectors) == (1_000_000, 365, 5, 50)})
    result["meets_target"] = bool(result["full_size"] and result["run_seconds"] < TARGET_SECONDS)
    record["run"] = result
    print(f"{result['scenarios']:,d} scenarios x {args.horizon} days x {result['policies']} mixes at {args.sectors} "
          f"sectors: run {result['run_seconds']:.2f} s (compile {result['compile_seconds']:.1f} s apart), "
          f"{result['scenario_days_per_second']:,.0f} scenario-days/s, "
          f"{result['policy_scenario_days_per_second']:,.0f} policy-scenario-days/s, "
          f"device peak {result['peak_device_mib'] or float('nan'):,.0f} MiB, host RSS {result['peak_host_rss_mib']:,.0f} MiB",
          flush=True)
    if result["full_size"]:
        print(f"target: under {TARGET_SECONDS:.0f} s -> {'met' if result['meets_target'] else 'NOT met'}")
    path = write_record(record, "gpu-benchmark", args.out)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
