"""Warm EWS assessment latency at two git revisions, side by side in one run.

Usage::

    python benchmarks/compare_ews_revisions.py --base 99987c0                 # Japan, 10,000 x 365
    python benchmarks/compare_ews_revisions.py --base 99987c0 --scenarios 2000 --repeats 3

Runs each revision's own ``benchmarks/ews_latency.py`` (its service, its Japan model)
in a subprocess with that revision's package on ``PYTHONPATH`` and no persistent
compilation cache (both compile from scratch; compile is reported apart as the warm-up),
alternating base and current for ``--rounds`` rounds so that the machine's load hits
both alike. Records each round's p50 warm latency and server compute time, the best of
each revision and their ratio, with the machine and versions, in ``results/benchmarks/``.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import ROOT, alternate_rounds, machine_record, write_record  # noqa: E402


def _latency(tree: Path, args, out: Path) -> dict:
    out.mkdir(parents=True, exist_ok=True)
    # both compile from scratch: no persistent compilation cache (the engine enables one by default)
    env = dict(os.environ, PYTHONPATH=str(tree), JAX_PLATFORMS="cpu", SIMCORE_NO_CACHE="1")
    subprocess.run([sys.executable, str(tree / "benchmarks" / "ews_latency.py"), "--model", args.model,
                    "--scenarios", str(args.scenarios), "--horizon", str(args.horizon), "--repeats",
                    str(args.repeats), "--cache-dir", "", "--out", str(out)],
                   cwd=tree, env=env, check=True, capture_output=True, text=True)
    record = json.loads(sorted(out.glob("ews-latency-*.json"))[-1].read_text())
    return {"warm_up_s": record["warm_up_seconds"], "p50_s": record["latency_seconds"]["p50"],
            "compute_p50_s": record["compute_seconds"]["p50"], "all_s": record["latency_seconds"]["all"]}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--model", default="japan_critical_minerals")
    parser.add_argument("--scenarios", type=int, default=10_000)
    parser.add_argument("--horizon", type=int, default=365)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    rounds = alternate_rounds(
        args.base, args.rounds, lambda tree, label, scratch: _latency(tree, args, scratch / label),
        lambda i, base, current: (f"round {i + 1}: p50 base {base['p50_s']:.2f} s / current {current['p50_s']:.2f} s "
                                  f"(compute {base['compute_p50_s']:.2f} / {current['compute_p50_s']:.2f} s)"))
    best_base = min(r["base"]["p50_s"] for r in rounds)
    best_current = min(r["current"]["p50_s"] for r in rounds)
    record = {"benchmark": "compare_ews_revisions", "base": args.base, "model": args.model,
              "scenarios": args.scenarios, "horizon": args.horizon, "repeats": args.repeats, "rounds": rounds,
              "best_p50_base_s": best_base, "best_p50_current_s": best_current,
              "ratio_current_over_base_time": best_current / best_base, **machine_record()}
    path = write_record(record, "compare-ews-revisions", str(ROOT / "results" / "benchmarks"))
    print(f"best p50: base {best_base:.2f} s, current {best_current:.2f} s; current / base time = "
          f"{best_current / best_base:.2f}\nrecorded in {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
