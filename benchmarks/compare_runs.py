"""End-to-end ``simcore run`` at two git revisions, side by side in one run.

Usage::

    python benchmarks/compare_runs.py --base 99987c0 --config configs/japan_outlook.toml --scenarios 10000

What an analyst waits for: each revision's own ``simcore run CONFIG --scenarios N``
(its config, model and default devices) in a subprocess with that revision's package on
``PYTHONPATH``, from a cold start (no persistent compilation cache: ``SIMCORE_NO_CACHE=1``),
so every program it needs is compiled, the scenarios run, the statistics are reduced and
the store is written. Rounds alternate base and current so that the machine's load hits
both alike. Reports wall seconds and the subprocess's CPU seconds (user + system, steadier
on a shared machine), the best round of each, their ratios, and records them with the
machine and versions in ``results/benchmarks/``. :mod:`compare_revisions` times the
engine alone (compile apart); this is the whole run (issue 16's speed bound is on "the
Japan outlook (10,000 scenarios x 3 years)").
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import alternate_rounds, machine_record, write_record  # noqa: E402


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(tree: Path, config: str, scenarios: int, store: Path) -> dict:
    env = dict(os.environ, PYTHONPATH=str(tree), SIMCORE_NO_CACHE="1", JAX_PLATFORMS="cpu")
    # the console script's own entry point (simcore.cli:main in both revisions)
    command = [sys.executable, "-c", "import sys; from simcore.cli import main; sys.exit(main())", "run", config, "--scenarios", str(scenarios), "--output", str(store),
               "--quiet"]
    cpu0, t0 = _children_cpu(), time.perf_counter()
    subprocess.run(command, cwd=tree, env=env, check=True, capture_output=True, text=True)
    return {"wall_s": time.perf_counter() - t0, "cpu_s": _children_cpu() - cpu0}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", required=True, help="git revision to compare with")
    parser.add_argument("--config", default="configs/japan_outlook.toml",
                        help="run config, relative to each revision's tree (default: the Japan outlook)")
    parser.add_argument("--scenarios", type=int, default=10000)
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args(argv)
    rounds = alternate_rounds(
        args.base, args.rounds,
        lambda tree, label, scratch: _run(tree, args.config, args.scenarios, scratch / f"{label}.zarr"),
        lambda i, base, current: (f"round {i + 1}: base {base['wall_s']:.1f} s ({base['cpu_s']:.1f} CPU s) / current "
                                  f"{current['wall_s']:.1f} s ({current['cpu_s']:.1f} CPU s)"))

    def best(which, key):
        return min(r[which][key] for r in rounds)

    ratio = best("current", "wall_s") / best("base", "wall_s")
    ratio_cpu = best("current", "cpu_s") / best("base", "cpu_s")
    print(f"best: base {best('base', 'wall_s'):.1f} s, current {best('current', 'wall_s'):.1f} s; "
          f"current / base time = {ratio:.2f} (CPU seconds: {ratio_cpu:.2f})")
    record = dict(benchmark="compare_runs", base=args.base, config=args.config, scenarios=args.scenarios,
                  rounds=rounds, best_base_s=best("base", "wall_s"), best_current_s=best("current", "wall_s"),
                  ratio_current_over_base_time=ratio, ratio_current_over_base_cpu=ratio_cpu,
                  compile="included, cold (SIMCORE_NO_CACHE=1)", **machine_record())
    print(f"recorded in {write_record(record, 'compare-runs')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
