"""Throughput benchmark: scenario-days per second of the built-in model.

Usage::

    python benchmarks/throughput.py                      # 10k and 100k scenarios x 365 days
    python benchmarks/throughput.py --scenarios 1000 --chunk-size 1000

For every scenario count it compiles the batch function ahead of time (timed apart),
then times all chunks, and reports scenario-days per second, the compile time, and
peak memory (host RSS; device peak where the
backend reports it). Results go to ``results/benchmarks/`` as JSON with the machine,
the backend and the versions. No timing is ever asserted in tests.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import sys
import time
from pathlib import Path

import jax
import jax.numpy as jnp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from simcore.schema.config import load_config  # noqa: E402
from simcore.core.engine import simulate_batch  # noqa: E402
from simcore.run.runner import Simulation  # noqa: E402


def _peak_host_mib() -> float:
    # ru_maxrss is KiB on Linux.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _peak_device_mib() -> float | None:
    try:
        stats = jax.devices()[0].memory_stats()
    except Exception:
        return None
    if not stats or "peak_bytes_in_use" not in stats:
        return None
    return stats["peak_bytes_in_use"] / 2**20


def run_one(sim: Simulation, n_scenarios: int, chunk_size: int) -> dict:
    """Compile once (timed apart), then time ``n_scenarios`` scenarios in chunks.

    Metrics stay on the device except a checksum, so the timing is the engine's.
    """
    chunk_size = min(chunk_size, n_scenarios)
    n_chunks = -(-n_scenarios // chunk_size)
    index = jnp.arange(chunk_size, dtype=jnp.uint32)
    jax.clear_caches()  # so every scenario count reports a real compile time
    started = time.perf_counter()
    compiled = simulate_batch.lower(sim.loaded.model, sim.policies, sim.events, sim.base_key, index,
                                    horizon=sim.horizon_days).compile()
    compile_seconds = time.perf_counter() - started
    checksum = 0.0
    started = time.perf_counter()
    for c in range(n_chunks):
        index = jnp.arange(c * chunk_size, (c + 1) * chunk_size, dtype=jnp.uint32)
        metrics, _ = compiled(sim.loaded.model, sim.policies, sim.events, sim.base_key, index)
        checksum += float(jnp.sum(metrics.shortage_days))  # blocks until the chunk is done
    run_seconds = time.perf_counter() - started
    simulated = n_chunks * chunk_size
    n_policies = len(sim.policy_names)
    return {
        "scenarios": simulated,
        "chunk_size": chunk_size,
        "chunks": n_chunks,
        "horizon_days": sim.horizon_days,
        "policies": n_policies,
        "compile_seconds": compile_seconds,
        "run_seconds": run_seconds,
        "scenario_days_per_second": simulated * sim.horizon_days / run_seconds,
        "policy_scenario_days_per_second": n_policies * simulated * sim.horizon_days / run_seconds,
        "peak_host_rss_mib": _peak_host_mib(),
        "peak_device_mib": _peak_device_mib(),
        "checksum_shortage_days": checksum,
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "quickstart.toml"))
    parser.add_argument("--scenarios", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--chunk-size", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--out", default=str(ROOT / "results" / "benchmarks"))
    args = parser.parse_args(argv)

    config = load_config(args.config)
    config.horizon_days = args.horizon
    sim = Simulation.from_config(config)
    device = jax.devices()[0]
    record = {
        "benchmark": "throughput",
        "config": os.path.relpath(args.config, ROOT),
        "model": sim.loaded.name,
        "products": len(sim.loaded.products),
        "origins": len(sim.loaded.origins),
        "sectors": len(sim.loaded.sectors),
        "events": len(sim.event_names),
        "machine": {
            "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(),
            "cpu_count": os.cpu_count(),
            "backend": jax.default_backend(),
            "device": str(device.device_kind),
        },
        "versions": {"python": platform.python_version(), "jax": jax.__version__,
                     "jaxlib": getattr(jax.lib, "__version__", None) or jax.__version__,
                     "simcore": _simcore_version()},
        "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "runs": [],
    }
    for n in args.scenarios:
        result = run_one(sim, n, args.chunk_size)
        record["runs"].append(result)
        print(f"{n:>9,d} scenarios x {sim.horizon_days} days x {result['policies']} policies: "
              f"{result['scenario_days_per_second']:,.0f} scenario-days/s, each under every policy mix "
              f"({result['policy_scenario_days_per_second']:,.0f} policy-scenario-days/s), "
              f"compile {result['compile_seconds']:.1f} s, run {result['run_seconds']:.1f} s, "
              f"peak RSS {result['peak_host_rss_mib']:.0f} MiB", flush=True)
    out_dir = Path(args.out)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = f"throughput-{jax.default_backend()}-{time.strftime('%Y%m%d-%H%M%S')}.json"
    (out_dir / name).write_text(json.dumps(record, indent=2))
    print(f"written to {out_dir / name}")
    return 0


def _simcore_version() -> str:
    try:
        from importlib.metadata import version
        return version("simcore")
    except Exception:
        return "unknown"


if __name__ == "__main__":
    sys.exit(main())
