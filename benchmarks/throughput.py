"""Throughput benchmark of a config (default: the quickstart): scenario-days per second,
one device against all devices, and the peak memory of a streaming-summary run.

Usage::

    python benchmarks/throughput.py                                  # 10k and 100k scenarios x 365 days
    python benchmarks/throughput.py --scenarios 1000 --chunk-size 1000
    python benchmarks/throughput.py --compare-devices                # 1 device vs every CPU core, one run
    python benchmarks/throughput.py --compare-devices --scenarios 20000 --chunk-size 5000
    python benchmarks/throughput.py --summary-memory --scenarios 1000000 --horizon 30

Default mode: for every scenario count the sharded batch function (all local devices;
``--cpu-devices``, default every core) is compiled ahead of time (timed apart), then all
chunks are timed with only a checksum coming back to the host, so the time is the
engine's. Reports scenario-days/s, compile time and peak memory (host RSS; device peak
where the backend reports it).

``--compare-devices``: the same measurement in subprocesses, with 1 CPU device pinned to
one core, with 1 CPU device, and with one per core (``os.cpu_count()``), and their ratios
(target on 2 cores: >= 1.6x).

``--summary-memory``: a streaming-summary run as the CLI does it (``iter_chunks`` ->
``simcore.run.stats.reduce_chunk`` -> ``merge`` -> ``finalize``, nothing per scenario
kept), with the resident memory and the reduce + merge time after every chunk and the
peak, to show that memory does not grow with the scenario count (target: 10M quickstart
scenarios under 2 GB).

Every result goes to ``results/benchmarks/`` as JSON with the machine, the backend and
the versions. No timing is ever asserted in tests.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import (  # noqa: E402
    ROOT, RESULTS, last_json_line, machine_record, peak_host_mib, setup_devices, time_engine, write_record,
)


def _current_rss_mib() -> float:
    """Resident memory now (MiB), from /proc where there is one, else the peak."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except (OSError, ValueError, IndexError):
        return peak_host_mib()


def _load(args):
    from simcore.run.runner import Simulation
    from simcore.schema.config import load_config

    config = load_config(args.config)
    config.horizon_days = args.horizon
    return Simulation.from_config(config)


def _model_record(args, sim) -> dict:
    return {"config": os.path.relpath(args.config, ROOT), "model": sim.loaded.name,
            "products": len(sim.loaded.products), "origins": len(sim.loaded.origins),
            "sectors": len(sim.loaded.sectors), "events": len(sim.event_names)}


def measure(args) -> dict:
    """Throughput of every scenario count in ``args.scenarios``, in this process."""
    import jax

    sim = _load(args)
    record = {"benchmark": "throughput", **_model_record(args, sim), **machine_record(), "runs": []}
    for n in args.scenarios:
        jax.clear_caches()  # so every scenario count reports a real compile time
        result = time_engine(sim.loaded.model, sim.policies, sim.events, sim.base_key, horizon=sim.horizon_days,
                             chunk_size=min(args.chunk_size, n), n_scenarios=n, warmup=False)
        record["runs"].append(result)
        print(f"{result['scenarios']:>9,d} scenarios x {sim.horizon_days} days x {result['policies']} policies "
              f"on {result['devices']} device(s): {result['scenario_days_per_second']:,.0f} scenario-days/s, "
              f"each under every policy mix ({result['policy_scenario_days_per_second']:,.0f} policy-scenario-days/s), "
              f"compile {result['compile_seconds']:.1f} s, run {result['run_seconds']:.1f} s, "
              f"peak RSS {result['peak_host_rss_mib']:.0f} MiB", file=sys.stderr, flush=True)
    return record


def _pin_to_one_core():  # runs in the child before exec: the process may use core 0 only
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})


def compare_devices(args) -> dict:
    """1 CPU device against one per core, each in its own subprocess, one scenario count;
    and 1 device pinned to one core (XLA's CPU code may spread one device's work over
    several threads, so "1 device" alone does not say what one core does)."""
    n_all = os.cpu_count() or 1
    results = {}
    runs = [("one_device", 1, None), ("all_devices", n_all, None)]
    if hasattr(os, "sched_setaffinity"):
        runs.insert(0, ("one_core", 1, _pin_to_one_core))
    for label, count, pin in runs:
        command = [sys.executable, __file__, "--config", args.config, "--scenarios", str(args.scenarios[0]),
                   "--chunk-size", str(args.chunk_size), "--horizon", str(args.horizon), "--cpu-devices", str(count),
                   "--child"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, preexec_fn=pin)
        if done.returncode != 0:
            raise SystemExit(done.stderr[-3000:])
        child = last_json_line(done.stdout)
        results[label] = child["runs"][0]
        results[label]["machine"] = child["machine"]
        print(f"{label:>12}: {child['machine']['device_count']} device(s), "
              f"{results[label]['scenario_days_per_second']:,.0f} scenario-days/s "
              f"(compile {results[label]['compile_seconds']:.1f} s, run {results[label]['run_seconds']:.1f} s, "
              f"{results[label]['cores_busy']:.2f} cores busy on average)", flush=True)
    ratio = results["all_devices"]["scenario_days_per_second"] / results["one_device"]["scenario_days_per_second"]
    print(f"all {results['all_devices']['devices']} devices vs 1: {ratio:.2f}x (target on 2 cores: >= 1.6x)")
    ratio_core = None
    if "one_core" in results:
        ratio_core = results["all_devices"]["scenario_days_per_second"] / results["one_core"]["scenario_days_per_second"]
        print(f"all {results['all_devices']['devices']} devices vs 1 device on one core: {ratio_core:.2f}x")
    # On a shared machine the wall-clock ratio is capped by the cores the run got; the
    # work per CPU-second shows whether splitting scenarios costs anything.
    per_cpu = [results[k].get("scenario_days_per_cpu_second") for k in ("all_devices", "one_device")]
    efficiency = per_cpu[0] / per_cpu[1] if all(per_cpu) else None
    if efficiency is not None:
        print(f"scenario-days per CPU-second, all devices vs 1: {efficiency:.2f} "
              f"(1.0 = no cost of splitting; the wall-clock ratio needs that many free cores)")
    sim_info = {key: child[key] for key in ("config", "model", "products", "origins", "sectors", "events")}
    return {"benchmark": "throughput-devices", **sim_info, **machine_record(), **results,
            "ratio_all_vs_one": ratio, "ratio_all_vs_one_core": ratio_core,
            "per_cpu_second_ratio_all_vs_one": efficiency, "target_ratio_on_2_cores": 1.6}


def summary_memory(args) -> dict:
    """Peak RSS of a streaming-summary run (per-chunk reduction, nothing per scenario kept)."""
    from simcore.run.runner import iter_chunks

    try:
        from simcore.run import stats
    except ImportError as error:
        raise SystemExit(f"--summary-memory needs simcore.run.stats (reduce_chunk / merge / finalize): {error}")
    sim = _load(args)
    n = args.scenarios[0]
    storable = np.asarray(sim.loaded.model.storable) > 0 if hasattr(sim.loaded.model, "storable") else None
    rss_after_chunk = []
    reduce_seconds_per_chunk = []  # reduce_chunk + merge of each chunk (the engine runs the next one meanwhile)
    merged = None
    started = time.perf_counter()
    rss_start = _current_rss_mib()
    for first, metrics, _ in iter_chunks(sim, n, args.chunk_size):
        reduce_started = time.perf_counter()
        part = stats.reduce_chunk(metrics, storable=storable)
        merged = part if merged is None else stats.merge(merged, part)
        reduce_seconds_per_chunk.append(round(time.perf_counter() - reduce_started, 4))
        del metrics, part
        rss_after_chunk.append(round(_current_rss_mib(), 1))
        done = min(first + args.chunk_size, n)
        print(f"  {done:>11,d} / {n:,d} scenarios, RSS {rss_after_chunk[-1]:,.0f} MiB "
              f"({time.perf_counter() - started:.1f} s)", file=sys.stderr, flush=True)
    coords = {"policy": sim.policy_names, "product": sim.loaded.products, "sector": sim.loaded.sectors}
    finalize_started = time.perf_counter()
    summary = stats.finalize(merged, coords)
    finalize_seconds = time.perf_counter() - finalize_started
    seconds = time.perf_counter() - started
    reduce_seconds = sum(reduce_seconds_per_chunk)
    peak = peak_host_mib()
    print(f"{n:,d} scenarios x {sim.horizon_days} days, streaming summary: peak RSS {peak:,.0f} MiB "
          f"(RSS {rss_start:,.0f} MiB before the run, {rss_after_chunk[0]:,.0f} after the first chunk, "
          f"{rss_after_chunk[-1]:,.0f} after the last), {seconds:.1f} s of which reduce+merge {reduce_seconds:.1f} s "
          f"({reduce_seconds / len(reduce_seconds_per_chunk):.2f} s per chunk of {args.chunk_size:,d}) "
          f"and finalize {finalize_seconds:.1f} s, {len(summary.data_vars)} summary variables, merged statistics "
          f"{merged.nbytes / 2**20:.1f} MiB (target: 10M quickstart scenarios under 2048 MiB)", flush=True)
    return {"benchmark": "throughput-summary-memory", **_model_record(args, sim), **machine_record(),
            "scenarios": n, "chunk_size": args.chunk_size, "horizon_days": sim.horizon_days,
            "policies": len(sim.policy_names), "seconds": seconds, "reduce_merge_seconds": reduce_seconds,
            "reduce_merge_seconds_per_chunk": reduce_seconds_per_chunk, "finalize_seconds": finalize_seconds,
            "merged_stats_bytes": merged.nbytes, "scenario_days_per_second": n * sim.horizon_days / seconds,
            "peak_host_rss_mib": peak, "rss_before_run_mib": rss_start, "rss_after_each_chunk_mib": rss_after_chunk,
            "target_peak_mib_at_10M": 2048}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "quickstart.toml"))
    parser.add_argument("--scenarios", type=int, nargs="+", default=None,
                        help="scenario counts (default: 10000 100000; 4000 with --compare-devices; "
                             "100000 with --summary-memory)")
    parser.add_argument("--chunk-size", type=int, default=None,
                        help="scenarios per chunk (default 10000; 2000 with --compare-devices)")
    parser.add_argument("--horizon", type=int, default=None, help="days (default 365; 30 with --summary-memory)")
    parser.add_argument("--cpu-devices", default="all", help="CPU devices (int or 'all'); ignored on GPU")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--compare-devices", action="store_true", help="1 CPU device vs one per core")
    mode.add_argument("--summary-memory", action="store_true", help="peak RSS of a streaming-summary run")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)  # print the record as JSON
    args = parser.parse_args(argv)
    args.scenarios = args.scenarios or ([4000] if args.compare_devices else [100_000] if args.summary_memory
                                        else [10_000, 100_000])
    args.chunk_size = args.chunk_size or (2000 if args.compare_devices else 10_000)
    args.horizon = args.horizon or (30 if args.summary_memory else 365)

    if args.compare_devices:
        record, stem = compare_devices(args), "throughput-devices"
    else:
        setup_devices(args.cpu_devices)
        if args.summary_memory:
            record, stem = summary_memory(args), "summary-memory"
        else:
            record, stem = measure(args), "throughput"
    if args.child:
        import json
        print(json.dumps(record), flush=True)
        return 0
    path = write_record(record, stem, args.out)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
