"""Throughput of the engine at two git revisions, side by side in one run.

Usage::

    python benchmarks/compare_revisions.py --base ca16e24            # base vs the working tree
    python benchmarks/compare_revisions.py --base ca16e24 --rounds 3 --scenarios 4000 --horizon 365
    python benchmarks/compare_revisions.py --base ecdee52 --config configs/japan_outlook.toml

Each revision's own config (default ``configs/quickstart.toml``: its built-in model and
policy mixes) runs in a subprocess with that revision's package on ``PYTHONPATH``, one
device; rounds alternate base and current so that the machine's load hits both alike.
Reports scenario-days per second (each scenario-day under all the config's policy
mixes) by wall time and by the process's CPU time (steadier on a shared machine), the
best round of each, and their ratios, and records them with the machine and versions in
``results/benchmarks/``. Used to measure what a change of the engine costs or gains.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import alternate_rounds, last_json_line, machine_record, write_record  # noqa: E402

# Runs inside the subprocess: compile once, then time ``chunks`` chunks.
_TIMER = r"""
import json, sys, time
import jax, jax.numpy as jnp
from simcore import load_config, Simulation
from simcore.core import simulate_batch
scenarios, horizon, config_path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
config = load_config(config_path)
sim = Simulation.from_config(config)
def run(first):
    index = jnp.arange(first, first + scenarios, dtype=jnp.uint32)
    metrics, _ = simulate_batch(sim.loaded.model, sim.policies, sim.events, sim.base_key, index, horizon=horizon)
    jax.block_until_ready(metrics)
t0 = time.perf_counter(); run(0); compile_s = time.perf_counter() - t0
t0, c0 = time.perf_counter(), time.process_time(); run(scenarios)
run_s, cpu_s = time.perf_counter() - t0, time.process_time() - c0
print(json.dumps({"compile_s": compile_s, "run_s": run_s, "cpu_s": cpu_s, "policies": len(sim.policy_names),
                  "scenario_days_per_s": scenarios * horizon / run_s,
                  "scenario_days_per_cpu_s": scenarios * horizon / cpu_s}))
"""


def _time(tree: Path, scenarios: int, horizon: int, config: str) -> dict:
    # both compile from scratch: no persistent compilation cache (the engine enables one by default)
    env = dict(os.environ, PYTHONPATH=str(tree), SIMCORE_CPU_DEVICES="1", JAX_PLATFORMS="cpu", SIMCORE_NO_CACHE="1")
    out = subprocess.run([sys.executable, "-c", _TIMER, str(scenarios), str(horizon), config], cwd=tree, env=env,
                         capture_output=True, text=True, check=True)
    return last_json_line(out.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with (e.g. the last landed commit)")
    parser.add_argument("--scenarios", type=int, default=2000, help="scenarios per timed chunk")
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--config", default="configs/quickstart.toml",
                        help="run config, relative to each revision's tree (default: the quickstart)")
    args = parser.parse_args(argv)
    rounds = alternate_rounds(
        args.base, args.rounds, lambda tree, label, scratch: _time(tree, args.scenarios, args.horizon, args.config),
        lambda i, base, current: (f"round {i + 1}: base {base['scenario_days_per_s']:,.0f} / current "
                                  f"{current['scenario_days_per_s']:,.0f} scenario-days/s (per CPU second: "
                                  f"{base['scenario_days_per_cpu_s']:,.0f} / {current['scenario_days_per_cpu_s']:,.0f})"))

    def best(which, key):
        return max(r[which][key] for r in rounds)

    best_base, best_current = best("base", "scenario_days_per_s"), best("current", "scenario_days_per_s")
    ratio = best_current / best_base
    ratio_cpu = best("current", "scenario_days_per_cpu_s") / best("base", "scenario_days_per_cpu_s")
    print(f"best: base {best_base:,.0f}, current {best_current:,.0f} scenario-days/s; current / base = {ratio:.2f} "
          f"(per CPU second: {ratio_cpu:.2f})")
    record = dict(benchmark="compare_revisions", base=args.base, config=args.config, scenarios=args.scenarios,
                  horizon=args.horizon, rounds=rounds, best_base=best_base, best_current=best_current,
                  ratio_current_over_base=ratio, ratio_current_over_base_cpu=ratio_cpu, **machine_record())
    print(f"recorded in {write_record(record, 'compare-revisions')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
