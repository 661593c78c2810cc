"""End-to-end ``simcore run`` at two git revisions, side by side in one run.

Usage::

    python benchmarks/compare_runs.py --base 99987c0 --config configs/japan_outlook.toml --scenarios 10000
    python benchmarks/compare_runs.py --base cee593a^ --config configs/quickstart.toml --scenarios 2000 --warm-current

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


def _run(tree: Path, config: str, scenarios: int, store: Path, cache: Path | None = None) -> dict:
    """One ``simcore run`` of ``tree``'s package: cold (no compilation cache) or, with
    ``cache``, with the compilation cache in that folder (warm once a run filled it)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("JAX_PERSISTENT_CACHE", "JAX_COMPILATION_CACHE"))}
    env.update(PYTHONPATH=str(tree), JAX_PLATFORMS="cpu")
    if cache is None:
        env["SIMCORE_NO_CACHE"] = "1"
    else:
        env.pop("SIMCORE_NO_CACHE", None)
        env["SIMCORE_CACHE_DIR"] = str(cache)
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
    parser.add_argument("--warm-current", action="store_true",
                        help="also time the current tree with a warm compilation cache (a second run of the same "
                             "config: what an analyst's next run waits for), in each round right after its cold run")
    args = parser.parse_args(argv)

    def measure(tree, label, scratch):
        out = _run(tree, args.config, args.scenarios, scratch / f"{label}.zarr")
        if args.warm_current and label.startswith("current"):
            cache = scratch / "warm-cache"
            if not cache.exists():  # filled once, unmeasured
                _run(tree, args.config, args.scenarios, scratch / "warm-up.zarr", cache)
            warm = _run(tree, args.config, args.scenarios, scratch / f"{label}-warm.zarr", cache)
            out.update(warm_wall_s=warm["wall_s"], warm_cpu_s=warm["cpu_s"])
        return out

    def describe(i, base, current):
        warm = (f"; current warm {current['warm_wall_s']:.1f} s ({current['warm_cpu_s']:.1f} CPU s)"
                if "warm_wall_s" in current else "")
        return (f"round {i + 1}: base {base['wall_s']:.1f} s ({base['cpu_s']:.1f} CPU s) / current "
                f"{current['wall_s']:.1f} s ({current['cpu_s']:.1f} CPU s){warm}")

    rounds = alternate_rounds(args.base, args.rounds, measure, describe)

    def best(which, key):
        return min(r[which][key] for r in rounds)

    ratio = best("current", "wall_s") / best("base", "wall_s")
    ratio_cpu = best("current", "cpu_s") / best("base", "cpu_s")
    print(f"best: base {best('base', 'wall_s'):.1f} s, current {best('current', 'wall_s'):.1f} s; "
          f"current / base time = {ratio:.2f} (CPU seconds: {ratio_cpu:.2f})")
    warm = {}
    if args.warm_current:
        warm_ratio = best("current", "warm_wall_s") / best("base", "wall_s")
        print(f"current with a warm cache: best {best('current', 'warm_wall_s'):.1f} s; current warm / base cold "
              f"time = {warm_ratio:.2f} (base is {1 / warm_ratio:.2f}x as long)")
        warm = dict(best_current_warm_s=best("current", "warm_wall_s"), ratio_current_warm_over_base_time=warm_ratio,
                    ratio_current_warm_over_base_cpu=best("current", "warm_cpu_s") / best("base", "cpu_s"))
    record = dict(benchmark="compare_runs", base=args.base, config=args.config, scenarios=args.scenarios,
                  rounds=rounds, best_base_s=best("base", "wall_s"), best_current_s=best("current", "wall_s"),
                  ratio_current_over_base_time=ratio, ratio_current_over_base_cpu=ratio_cpu, **warm,
                  compile="included, cold (SIMCORE_NO_CACHE=1)" + ("; warm_*: the current tree's compilation cache "
                                                                   "filled by one earlier run" if warm else ""),
                  **machine_record())
    print(f"recorded in {write_record(record, 'compare-runs')}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
