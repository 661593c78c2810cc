"""Sector-scaling benchmark: cost per trajectory-day and peak memory at 5 to 200 sectors,
with BoARIO (the ARIO reference implementation) side by side in the same run, measured
fairly (issue 19, item 5).

Usage::

    python benchmarks/sector_scaling.py                         # 5, 20, 50, 100, 200 sectors, ~5 min
    python benchmarks/sector_scaling.py --sectors 5 50 --scenarios 200 --no-boario
    SIMCORE_CPU_DEVICES=1 python benchmarks/sector_scaling.py   # one device only

Each sector count runs in its own subprocess (so peak RSS is that model's alone) on the
synthetic model of ``benchmarks/synthetic.py``: random sparse technical coefficients,
critical upstream links, 8 products with exposure and essentiality, 3 events, 5 policy
mixes, sharded over all local devices (``--cpu-devices``, default every core). **Every
sector count runs the same work:** ``--scenarios`` scenarios in chunks of
``--chunk-size`` (equal everywhere), after compiling (timed apart) and one untimed
chunk, cold (no persistent compilation cache). Recorded per sector count: scenario-days/s (each scenario under every mix),
policy-scenario-days/s (one trajectory each), µs per policy-scenario-day, the same per
CPU second (per core), compile time, peak host RSS, device peak (GPU) and XLA's
temporary-buffer plan per device.

The BoARIO peer (``benchmarks/boario_peer.py``) runs in its own virtual environment
``.venv-boario`` (see ``benchmarks/peers/README.md``) on the same input-output table,
one scenario, NumPy, twice per sector count: with **one BLAS thread** (its fair per-core
figure: OpenBLAS otherwise starts a thread per core it detects) and with every core's
worth of threads; its **best** is the faster. Where the environment is missing the
record says "skipped".

Ratios, all from this one run (a BoARIO day and a simcore policy-scenario-day are each
one simulated day of one economy trajectory):

- ``per_core``: simcore's trajectory-days per CPU second over BoARIO's with one BLAS
  thread (target at 200 sectors: >= 300), compile excluded;
- ``wall_best``: simcore on every device over BoARIO at its best thread count, wall
  clock, compile excluded;
- ``break_even_trajectory_days``: compile included, the trajectory-days after which
  simcore (compile + run) has cost less wall time than BoARIO (one BLAS thread);
- the cost per policy-scenario-day at the largest vs the smallest sector count
  (target at 200 vs 5: <= 30).

The record goes to ``results/benchmarks/sector-scaling-*.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, RESULTS, last_json_line, machine_record, setup_devices, time_engine, write_record  # noqa: E402

BOARIO_PYTHON = ROOT / ".venv-boario" / "bin" / "python"


def run_child(args) -> dict:
    """One sector count, in this process (the parent starts one process per count)."""
    setup_devices(args.cpu_devices)
    import jax

    from synthetic import N_ORIGINS, N_PRODUCTS, build_synthetic

    model, policies, events = build_synthetic(args.one, n_policies=args.policies, seed=args.seed)
    result = time_engine(model, policies, events, jax.random.PRNGKey(args.seed), horizon=args.horizon,
                         chunk_size=args.chunk_size, n_scenarios=args.scenarios, warmup=True)
    return {"sectors": args.one, "products": N_PRODUCTS, "origins": N_ORIGINS,
            "events": int(events.onset_day.shape[0]), **result}


def run_boario(n_sectors: int, horizon: int, seed: int, timeout: float, blas_threads: int) -> dict:
    """The BoARIO peer at one sector count with ``blas_threads`` BLAS threads, in its own
    environment; "skipped" without it."""
    if not BOARIO_PYTHON.exists():
        return {"status": "skipped", "reason": f"{BOARIO_PYTHON.relative_to(ROOT)} not found: "
                                               "create it as benchmarks/peers/README.md says"}
    command = [str(BOARIO_PYTHON), str(Path(__file__).with_name("boario_peer.py")),
               "--sectors", str(n_sectors), "--horizon", str(horizon), "--seed", str(seed), "--json",
               "--blas-threads", str(blas_threads)]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"status": "failed", "reason": done.stderr.strip()[-1500:]}
    return {"status": "ok", **last_json_line(done.stdout)}


def _boario_pair(n_sectors: int, args) -> dict:
    """BoARIO with one BLAS thread and with one per core; ``best`` the faster (wall)."""
    if not args.boario:
        return {"status": "skipped", "reason": "--no-boario"}
    one = run_boario(n_sectors, args.boario_horizon, args.seed, timeout=600, blas_threads=1)
    if one["status"] != "ok":
        return one
    cores = os.cpu_count() or 1
    many = run_boario(n_sectors, args.boario_horizon, args.seed, timeout=600, blas_threads=cores) if cores > 1 else one
    best = max((one, many), key=lambda r: r.get("scenario_days_per_second", 0.0) if r["status"] == "ok" else 0.0)
    return {"status": "ok", "one_thread": one, "all_cores": many, "best": best}


def _ratios(simcore: dict, peer: dict) -> dict:
    """simcore against BoARIO per trajectory-day: per core, wall at best, break-even."""
    traj_days = simcore["policies"] * simcore["scenarios"] * simcore["horizon_days"]
    simcore_per_cpu_s = traj_days / simcore["cpu_seconds"]
    one, best = peer["one_thread"], peer["best"]
    simcore_s_per_day = simcore["run_seconds"] / traj_days
    boario_s_per_day = 1.0 / one["scenario_days_per_second"]
    gap = boario_s_per_day - simcore_s_per_day
    return {
        "per_core": simcore_per_cpu_s / one["scenario_days_per_cpu_second"],
        "wall_best": simcore["policy_scenario_days_per_second"] / best["scenario_days_per_second"],
        "boario_best_blas_threads": best.get("blas_threads"),
        "break_even_trajectory_days": simcore["compile_seconds"] / gap if gap > 0 else None,
        "including_compile_this_run": (traj_days * boario_s_per_day)
                                      / (simcore["compile_seconds"] + simcore["run_seconds"]),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, nargs="+", default=[5, 20, 50, 100, 200])
    parser.add_argument("--scenarios", type=int, default=1000, help="scenarios at EVERY sector count")
    parser.add_argument("--chunk-size", type=int, default=250, help="scenarios per chunk at every sector count")
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--policies", type=int, default=5, help="policy mixes (1..5)")
    parser.add_argument("--cpu-devices", default="all", help="CPU devices (int or 'all'); ignored on GPU")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--boario", action=argparse.BooleanOptionalAction, default=True,
                        help="run the BoARIO peer (default: yes, when .venv-boario exists)")
    parser.add_argument("--boario-horizon", type=int, default=60,
                        help="days of the BoARIO run (its cost per day is what is compared)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode: one sector count
    args = parser.parse_args(argv)

    if args.one is not None:
        print(json.dumps(run_child(args)), flush=True)
        return 0

    runs = []
    for n_sectors in args.sectors:
        command = [sys.executable, __file__, "--one", str(n_sectors), "--chunk-size", str(args.chunk_size),
                   "--scenarios", str(args.scenarios), "--horizon", str(args.horizon), "--policies",
                   str(args.policies), "--cpu-devices", str(args.cpu_devices), "--seed", str(args.seed)]
        # cold: no persistent compilation cache, so the compile time is what a first run pays
        env = dict(os.environ, SIMCORE_NO_CACHE="1")
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT, env=env)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        simcore = last_json_line(done.stdout)
        print(f"simcore {n_sectors:>4d} sectors: {simcore['policy_scenario_days_per_second']:>12,.0f} trajectory-days/s "
              f"({simcore['scenarios']} scenarios x {simcore['policies']} mixes), "
              f"{simcore['microseconds_per_policy_scenario_day']:8.3f} µs each, cores busy "
              f"{simcore['cores_busy']:.2f}, compile {simcore['compile_seconds']:.1f} s, "
              f"peak RSS {simcore['peak_host_rss_mib']:.0f} MiB, devices {simcore['devices']}", flush=True)
        run = {"sectors": n_sectors, "simcore": simcore, "boario": _boario_pair(n_sectors, args)}
        peer = run["boario"]
        if peer["status"] == "ok":
            run["simcore_over_boario"] = _ratios(simcore, peer)
            r = run["simcore_over_boario"]
            even = r["break_even_trajectory_days"]
            print(f"boario  {n_sectors:>4d} sectors: {peer['one_thread']['microseconds_per_scenario_day']:>10,.0f} "
                  f"µs/day (1 BLAS thread), {peer['all_cores']['microseconds_per_scenario_day']:,.0f} µs/day "
                  f"({peer['all_cores'].get('blas_threads')} threads) -> simcore/boario per core "
                  f"{r['per_core']:,.0f}x, wall at best {r['wall_best']:,.0f}x, compile paid back after "
                  f"{'never' if even is None else f'{even:,.0f} trajectory-days ({even / 365:.1f} years)'}", flush=True)
        else:
            print(f"boario  {n_sectors:>4d} sectors: {peer['status']} ({peer['reason'][:200]})", flush=True)
        runs.append(run)

    record = {"benchmark": "sector_scaling", **machine_record(), "cpu_devices_requested": args.cpu_devices,
              "settings": {key: getattr(args, key) for key in ("scenarios", "chunk_size", "horizon", "policies",
                                                                "seed", "boario_horizon")},
              "runs": runs, "ratios": {}, "targets": {"largest_vs_smallest_cost_at_most": 30.0,
                                                      "simcore_over_boario_per_core_at_200_at_least": 300.0}}
    # Device info of the children (the parent never started JAX's devices).
    record["machine"]["device_count"] = runs[0]["simcore"]["devices"] if runs else None
    if len(runs) >= 2:
        small, large = runs[0], runs[-1]
        ratio = (large["simcore"]["microseconds_per_policy_scenario_day"]
                 / small["simcore"]["microseconds_per_policy_scenario_day"])
        record["ratios"][f"cost_{large['sectors']}_vs_{small['sectors']}_sectors"] = ratio
        print(f"cost per policy-scenario-day, {large['sectors']} vs {small['sectors']} sectors: {ratio:.1f}x "
              f"(target <= 30x at 200 vs 5)")
    for run in runs:
        if "simcore_over_boario" in run:
            record["ratios"][f"simcore_over_boario_{run['sectors']}_sectors"] = run["simcore_over_boario"]
    path = write_record(record, "sector-scaling", args.out)
    print(f"written to {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
