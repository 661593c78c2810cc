"""Sector-scaling benchmark: scenario-days per second and peak memory at 5, 50, 200 sectors,
with BoARIO (the ARIO reference implementation) side by side in the same run.

Usage::

    python benchmarks/sector_scaling.py                         # 5, 50, 200 sectors, ~2-3 min
    python benchmarks/sector_scaling.py --chunk-sizes 5:4000,50:2000,200:1000 --min-seconds 20 --warmup
    python benchmarks/sector_scaling.py --sectors 5 50 --min-seconds 2 --no-boario
    SIMCORE_CPU_DEVICES=1 python benchmarks/sector_scaling.py   # one device only

Each sector count runs in its own subprocess (so peak RSS is that model's alone) on the
synthetic model of ``benchmarks/synthetic.py``: random sparse technical coefficients,
critical upstream links, 8 products with exposure and essentiality, 3 events, 5 policy
mixes, sharded over all local devices (``--cpu-devices``, default every core). Each
child compiles (timed apart), optionally runs one untimed chunk (``--warmup``), then
chunks until ``--min-seconds`` have passed (at least one). Recorded per sector count: scenario-days/s (each
scenario under every mix), policy-scenario-days/s (one trajectory each), µs per
policy-scenario-day, compile time, peak host RSS, device peak (GPU) and XLA's
temporary-buffer plan per device.

The BoARIO peer (``benchmarks/boario_peer.py``) runs in its own virtual environment
``.venv-boario`` (see ``benchmarks/peers/README.md``) on the same input-output table,
one scenario, NumPy; where that environment is missing the record says "skipped".

Ratios, all from this one run: cost per policy-scenario-day at the largest vs the
smallest sector count (target at 200 vs 5: <= 30), and simcore's policy-scenario-days
per second over BoARIO's days per second at each sector count (target at 200: >= 20).
A BoARIO day and a simcore policy-scenario-day are both one simulated day of one
economy trajectory. The record goes to ``results/benchmarks/sector-scaling-*.json``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, RESULTS, last_json_line, machine_record, setup_devices, time_engine, write_record  # noqa: E402

BOARIO_PYTHON = ROOT / ".venv-boario" / "bin" / "python"
DEFAULT_CHUNKS = {5: 1000, 50: 500, 200: 200}


def _chunk_for(n_sectors: int, spec: dict[int, int]) -> int:
    if n_sectors in spec:
        return spec[n_sectors]
    # Unlisted counts: the chunk of the nearest listed sector count.
    return spec[min(spec, key=lambda s: abs(s - n_sectors))]


def run_child(args) -> dict:
    """One sector count, in this process (the parent starts one process per count)."""
    setup_devices(args.cpu_devices)
    import jax

    from synthetic import N_ORIGINS, N_PRODUCTS, build_synthetic

    model, policies, events = build_synthetic(args.one, n_policies=args.policies, seed=args.seed)
    result = time_engine(model, policies, events, jax.random.PRNGKey(args.seed), horizon=args.horizon,
                         chunk_size=args.chunk_size, min_seconds=args.min_seconds, max_chunks=args.max_chunks,
                         warmup=args.warmup)
    return {"sectors": args.one, "products": N_PRODUCTS, "origins": N_ORIGINS,
            "events": int(events.onset_day.shape[0]), **result}


def run_boario(n_sectors: int, horizon: int, seed: int, timeout: float) -> dict:
    """The BoARIO peer at one sector count, in its own environment; "skipped" without it."""
    if not BOARIO_PYTHON.exists():
        return {"status": "skipped", "reason": f"{BOARIO_PYTHON.relative_to(ROOT)} not found: "
                                               "create it as benchmarks/peers/README.md says"}
    command = [str(BOARIO_PYTHON), str(Path(__file__).with_name("boario_peer.py")),
               "--sectors", str(n_sectors), "--horizon", str(horizon), "--seed", str(seed), "--json"]
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, cwd=ROOT)
    except subprocess.TimeoutExpired:
        return {"status": "failed", "reason": f"timed out after {timeout:.0f} s"}
    if done.returncode != 0:
        return {"status": "failed", "reason": done.stderr.strip()[-1500:]}
    return {"status": "ok", **last_json_line(done.stdout)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sectors", type=int, nargs="+", default=[5, 50, 200])
    parser.add_argument("--chunk-sizes", default=",".join(f"{s}:{c}" for s, c in DEFAULT_CHUNKS.items()),
                        help="scenarios per chunk per sector count, e.g. '5:2000,50:1000,200:400'")
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--policies", type=int, default=5, help="policy mixes (1..5)")
    parser.add_argument("--min-seconds", type=float, default=5.0, help="timed run per sector count")
    parser.add_argument("--warmup", action=argparse.BooleanOptionalAction, default=False,
                        help="run one untimed chunk after compiling (default: no, to stay short)")
    parser.add_argument("--max-chunks", type=int, default=50)
    parser.add_argument("--cpu-devices", default="all", help="CPU devices (int or 'all'); ignored on GPU")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--boario", action=argparse.BooleanOptionalAction, default=True,
                        help="run the BoARIO peer (default: yes, when .venv-boario exists)")
    parser.add_argument("--boario-horizon", type=int, default=60,
                        help="days of the BoARIO run (its cost per day is what is compared)")
    parser.add_argument("--out", default=str(RESULTS))
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)  # child mode: one sector count
    parser.add_argument("--chunk-size", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)

    if args.one is not None:
        print(json.dumps(run_child(args)), flush=True)
        return 0

    chunks = {int(s): int(c) for s, c in (item.split(":") for item in args.chunk_sizes.split(","))}
    runs = []
    for n_sectors in args.sectors:
        command = [sys.executable, __file__, "--one", str(n_sectors), "--chunk-size", str(_chunk_for(n_sectors, chunks)),
                   "--horizon", str(args.horizon), "--policies", str(args.policies), "--min-seconds",
                   str(args.min_seconds), "--max-chunks", str(args.max_chunks), "--cpu-devices", str(args.cpu_devices),
                   "--seed", str(args.seed), "--warmup" if args.warmup else "--no-warmup"]
        done = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        if done.returncode != 0:
            print(done.stderr[-3000:], file=sys.stderr)
            return 1
        simcore = last_json_line(done.stdout)
        print(f"simcore {n_sectors:>4d} sectors: {simcore['scenario_days_per_second']:>12,.0f} scenario-days/s "
              f"({simcore['policies']} mixes), {simcore['microseconds_per_policy_scenario_day']:8.3f} "
              f"µs/policy-scenario-day, compile {simcore['compile_seconds']:.1f} s, "
              f"peak RSS {simcore['peak_host_rss_mib']:.0f} MiB, devices {simcore['devices']}", flush=True)
        run = {"sectors": n_sectors, "simcore": simcore}
        if args.boario:
            peer = run_boario(n_sectors, args.boario_horizon, args.seed, timeout=600)
            run["boario"] = peer
            if peer["status"] == "ok":
                run["simcore_over_boario"] = simcore["policy_scenario_days_per_second"] / peer["scenario_days_per_second"]
                print(f"boario  {n_sectors:>4d} sectors: {peer['scenario_days_per_second']:>12,.1f} scenario-days/s "
                      f"-> simcore / boario = {run['simcore_over_boario']:,.1f}x (per trajectory-day)", flush=True)
            else:
                print(f"boario  {n_sectors:>4d} sectors: {peer['status']} ({peer['reason'][:200]})", flush=True)
        else:
            run["boario"] = {"status": "skipped", "reason": "--no-boario"}
        runs.append(run)

    record = {"benchmark": "sector_scaling", **machine_record(), "cpu_devices_requested": args.cpu_devices,
              "settings": {key: getattr(args, key) for key in ("horizon", "policies", "min_seconds", "max_chunks",
                                                                "seed", "boario_horizon", "warmup")},
              "runs": runs, "ratios": {}, "targets": {"largest_vs_smallest_cost_at_most": 30.0,
                                                      "simcore_over_boario_at_200_at_least": 20.0}}
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
