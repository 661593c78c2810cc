"""GPU benchmark: 1M scenarios x 365 days x 5 policy mixes at 50 sectors, sharded over
all local devices (target on one H100: under 20 s, compile apart).

Usage::

    python benchmarks/gpu_benchmark.py                                  # the full run, on a GPU
    python benchmarks/gpu_benchmark.py --scenarios 2000 --horizon 30    # a quick check on CPU
    python benchmarks/gpu_benchmark.py --chunk-size 500000              # fewer, larger chunks

The model is the synthetic one of ``benchmarks/synthetic.py`` (the same as the
sector-scaling benchmark at 50 sectors). The batch function is compiled ahead of time
(timed apart), then every chunk runs with only a checksum coming back to the host;
the next chunk is dispatched before the previous one is waited for. That is the
**engine-only** figure.

Then the same chunks run again with the same program for each **end-to-end** route
(``--routes``, default both), what a run does with a chunk once the engine has it:

* ``host``: copy every per-scenario metric back to the host, then reduce the chunk's
  statistics in NumPy (``simcore.run.stats.reduce_chunk``: histograms, exact sums,
  sketches, paired differences), the path a run takes today;
* ``device``: reduce the chunk where the engine left it
  (``simcore.run.stats.device_finish.DeviceChunk``, bit-identical to the host's) and
  copy back only the reduced state.

Each prints its wall time (the next chunk computing while the previous is consumed,
as in a run), its ratio to the engine alone and, for ``host``, the seconds spent
copying back and reducing. Prints the compile time, the device's peak memory, and
records everything with machine and versions in
``results/benchmarks/gpu-benchmark-*.json``. If a chunk does not fit in device
memory, lower ``--chunk-size``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

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
    parser.add_argument("--routes", default="host,device",
                        help="end-to-end routes after the engine-only pass: host, device, both (comma) or none")
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
    names = [name.strip() for name in args.routes.split(",") if name.strip() and name.strip() != "none"]
    unknown = sorted(set(names) - set(ROUTES))
    if unknown:
        parser.error(f"--routes: unknown {', '.join(unknown)}; allowed: {', '.join(ROUTES)} or none")
    storable = np.asarray(model.storable) > 0.5
    result = time_engine(model, policies, events, jax.random.PRNGKey(args.seed), horizon=args.horizon,
                         chunk_size=chunk, n_scenarios=args.scenarios, warmup=args.warmup,
                         log=lambda line: print(line, flush=True),
                         routes={name: ROUTES[name](storable, args.horizon) for name in names})
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
    for name, route in result["routes"].items():
        parts = ", ".join(f"{k.removesuffix('_seconds')} {v:.2f} s" for k, v in route.items()
                          if k.endswith("_seconds") and k != "run_seconds")
        print(f"end to end, {name} statistics: {route['run_seconds']:.2f} s "
              f"({route['over_engine_only']:.2f}x the engine alone){'; ' + parts if parts else ''}", flush=True)
    result["meets_target_end_to_end"] = {name: bool(result["full_size"] and route["run_seconds"] < TARGET_SECONDS)
                                         for name, route in result["routes"].items()}
    if result["full_size"]:
        print(f"target: under {TARGET_SECONDS:.0f} s -> engine alone {'met' if result['meets_target'] else 'NOT met'}"
              + "".join(f", {name} end to end {'met' if met else 'NOT met'}"
                        for name, met in result["meets_target_end_to_end"].items()))
    path = write_record(record, "gpu-benchmark", args.out)
    print(f"written to {path}")
    return 0


class HostStatistics:
    """The ``host`` route: copy the chunk's metrics back, then reduce them in NumPy
    (what ``simcore.run.chunks.reduce_chunk_arrays`` does in a run); ``timings`` keeps the
    seconds of each part."""

    def __init__(self, storable, horizon: int):
        self.storable, self.timings = storable, {}

    def __call__(self, metrics: dict) -> dict:
        import time

        from simcore.run.paired import SUMMARY_INFO
        from simcore.run.stats import reduce_chunk

        started = time.perf_counter()
        fetched = {name: np.asarray(value) for name, value in metrics.items()}  # waits for the engine too
        copied = time.perf_counter()
        reduced = reduce_chunk(fetched, SUMMARY_INFO, self.storable).to_arrays()
        done = time.perf_counter()
        self.timings["copy_back_and_wait"] = self.timings.get("copy_back_and_wait", 0.0) + copied - started
        self.timings["host_statistics"] = self.timings.get("host_statistics", 0.0) + done - copied
        return reduced


class DeviceStatistics:
    """The ``device`` route: reduce the chunk on its devices, copy back the reduced state
    only (``DeviceChunk``, bit-identical to :class:`HostStatistics`)."""

    def __init__(self, storable, horizon: int):
        from simcore.run.stats.device_finish import day_bins_for

        self.storable, self.day_bins = storable, day_bins_for(horizon)

    def __call__(self, metrics: dict) -> dict:
        from simcore.run.paired import SUMMARY_INFO
        from simcore.run.stats.device_finish import DeviceChunk

        return DeviceChunk(metrics, SUMMARY_INFO, self.storable, day_bins=self.day_bins,
                           finite_names=tuple(metrics)).result().to_arrays()


ROUTES = {"host": HostStatistics, "device": DeviceStatistics}


if __name__ == "__main__":
    sys.exit(main())
