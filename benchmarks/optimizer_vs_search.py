"""The optimiser against random search and a coarse grid at equal numbers of exact
evaluations, on the Japan model (issue 20 item 3), with paired standard errors.

    .venv/bin/python benchmarks/optimizer_vs_search.py                 # configs/optimize_japan.toml
    .venv/bin/python benchmarks/optimizer_vs_search.py --test 400 --steps 12   # a quick look

Per budget of the config's ``[optimize]`` section (or ``--budgets``):

* the optimiser (:func:`simcore.analysis.optimize.optimize`): projected gradient
  descent (or Adam, ``--method``) on the surrogate of
  :mod:`simcore.analysis.objective` at an annealed temperature on the
  training scenarios ``0 .. train - 1``, then ``evals`` of its iterates run on the exact
  engine on those scenarios, the best returned;
* a random search and a coarse grid, each with the same ``evals`` exact evaluations
  on the same training scenarios, their best point kept;
* all three (and the optimiser's start and the lower bounds) run on the exact engine on
  ``test`` FRESH scenarios (indices ``train .. train + test - 1``: out of sample, common
  random numbers), giving each one's expected value-added loss ± standard error and the
  paired difference optimiser − search ± its standard error.

The optimiser *beats* a search when the difference is below −2 SE, *matches* it when
within ±2 SE and *loses* otherwise. The record (machine, versions, date, sizes, per
budget) goes to ``results/benchmarks/optimizer-japan-<backend>-<date>.json`` and a
markdown table is printed. Gradient steps cost more than exact evaluations: the wall
seconds of the optimiser and of the searches are recorded too.

The default sizes (those of configs/optimize_japan.toml: 7 levers, 3 budgets, 128
training scenarios, 1,000 test scenarios, 30 steps, 12 exact evaluations, 1-year
horizon) took about 3 minutes on 2 CPU cores with the compiled engines in the compile
cache (``simcore.core.compile_cache``; record optimizer-japan-cpu-20261206-091312.json:
181 s); compiling the exact and the smoothed engine on the Japan model from scratch adds
about 2.5 minutes.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import common  # noqa: E402  (sets sys.path for simcore)

SEARCHES = ("random", "grid")


def verdict(diff: float, se: float, k: float = 2.0) -> str:
    if diff < -k * se:
        return "beats"
    if diff <= k * se:
        return "matches"
    return "loses"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--config", default=str(common.ROOT / "configs" / "optimize_japan.toml"))
    parser.add_argument("--budgets", type=float, nargs="*", default=None)
    parser.add_argument("--train", type=int, default=None, help="training scenarios (default: the config's)")
    parser.add_argument("--test", type=int, default=None, help="fresh test scenarios (default: the config's)")
    parser.add_argument("--steps", type=int, default=None, help="Adam steps (default: the config's)")
    parser.add_argument("--evals", type=int, default=None, help="exact evaluations each (default: the config's)")
    parser.add_argument("--method", choices=("pgd", "adam"), default=None, help="default: the config's")
    parser.add_argument("--out", default=str(common.RESULTS))
    parser.add_argument("--stem", default="optimizer-japan")
    args = parser.parse_args(argv)
    common.setup_devices(1)  # one device: the optimiser's loop and the searches run the same way

    import numpy as np

    from simcore.analysis import optimize as O

    began = time.perf_counter()
    config, spec, _ = O.load_optimize_config(args.config)
    for key, value in (("train_scenarios", args.train), ("test_scenarios", args.test), ("steps", args.steps),
                       ("exact_evaluations", args.evals), ("method", args.method)):
        if value is not None:
            setattr(spec, key, value)
    budgets = args.budgets or spec.budgets
    base = next(p.policy for p in config.policies if p.name == spec.base)
    problem = O.make_problem(config.loaded, config.events, base, spec.levers, horizon=config.horizon_days,
                             seed=config.seed, cvar_weight=spec.cvar_weight, assumptions=spec.costs)
    rows = []
    for budget in budgets:
        t0 = time.perf_counter()
        result = O.optimize_for(problem, budget, spec)
        t1 = time.perf_counter()
        cmp = O.compare(problem, budget, result, n_search=result.exact_evaluations, search=list(SEARCHES),
                        train_scenarios=spec.train_scenarios, test_scenarios=spec.test_scenarios, seed=spec.seed)
        t2 = time.perf_counter()
        row = {
            "budget": budget,
            "optimizer": {
                "levels": dict(zip([lv.name for lv in problem.levers], map(float, result.values))),
                "start_levels": dict(zip([lv.name for lv in problem.levers], map(float, problem.values(result.x0)))),
                "standing_cost": float(problem.standing_cost(result.x)),
                "test_mean_loss": cmp["optax_test_mean_loss"], "test_se": cmp["optax_test_se"],
                "exact_evaluations": result.exact_evaluations, "steps": len(result.history),
                "moved": result.moved, "converged": result.converged, "flat_start": result.flat_start,
                "status": result.status, "chosen_step": result.chosen_step,
                "checkpoint_steps": result.checkpoint_steps.tolist(),
                "checkpoint_train_risk": result.checkpoint_risk.tolist(),
                "surrogate_history": result.history.tolist(),
                "temperatures": result.temperatures.tolist(),
                "seconds_wall": t1 - t0,
            },
            "start": {"test_mean_loss": cmp["start_test_mean_loss"], "test_se": cmp["start_test_se"],
                      "improvement": cmp["improvement_on_start"], "improvement_se": cmp["improvement_on_start_se"]},
            "lower_bounds": {"test_mean_loss": cmp["lower_bounds_test_mean_loss"]},
            "searches_seconds_wall": t2 - t1,
        }
        for kind in SEARCHES:
            s = cmp["searches"][kind]
            row[kind] = {
                "levels": dict(zip([lv.name for lv in problem.levers], map(float, problem.values(s["x"])))),
                "standing_cost": float(problem.standing_cost(s["x"])),
                "exact_evaluations": int(s["evaluations"]), "train_risk": s["train_risk"],
                "test_mean_loss": s["test_mean_loss"], "test_se": s["test_se"],
                "difference": s["difference_mean_loss"], "difference_se": s["difference_se"],
                "verdict": verdict(s["difference_mean_loss"], s["difference_se"]),
            }
        rows.append(row)
        print(f"budget {budget:g}: optimiser {row['optimizer']['test_mean_loss']:.5g} ± "
              f"{row['optimizer']['test_se']:.2g} ({result.status}); "
              + "; ".join(f"{k} {row[k]['test_mean_loss']:.5g} ± {row[k]['test_se']:.2g} "
                          f"(diff {row[k]['difference']:+.3g} ± {row[k]['difference_se']:.2g}: {row[k]['verdict']})"
                          for k in SEARCHES)
              + f" [{t1 - t0:.0f} s + {t2 - t1:.0f} s]", flush=True)
    unit = config.loaded.io_value_unit
    record = common.machine_record()
    record.update({
        "benchmark": "optimizer_vs_search",
        "config": str(Path(args.config).resolve().relative_to(common.ROOT)) if Path(args.config).resolve()
        .is_relative_to(common.ROOT) else args.config,
        "model": config.loaded.name, "currency": config.loaded.currency, "loss_unit": unit,
        "cost_unit": f"{config.loaded.currency} / year",
        "objective": "expected value-added loss over the horizon, exact engine, fresh scenarios"
                     + (f" (+ {spec.cvar_weight} x CVaR95)" if spec.cvar_weight else ""),
        "sizes": {"levers": len(problem.levers), "budgets": len(budgets), "train_scenarios": spec.train_scenarios,
                  "test_scenarios": spec.test_scenarios, "test_scenario_start": spec.train_scenarios,
                  "horizon_days": config.horizon_days, "steps": spec.steps,
                  "exact_evaluations": spec.exact_evaluations},
        "settings": {"learning_rate": spec.learning_rate, "temperature_start": spec.temperature_start,
                     "temperature": spec.temperature, "shortfall_weight": spec.shortfall_weight, "seed": spec.seed,
                     "method": spec.method},
        "levers": [{"name": lv.name, "path": lv.path, "range": [lv.low, lv.high]} for lv in problem.levers],
        "cost_slope_per_range": problem.cost_slope.tolist(),
        "rows": rows,
        "beats_or_matches_both_at_every_budget": all(row[k]["verdict"] != "loses" for row in rows for k in SEARCHES),
        "seconds_total": time.perf_counter() - began,
        "peak_host_mib": common.peak_host_mib(),
    })
    path = common.write_record(record, args.stem, args.out)
    print()
    print(table(record))
    print(f"\nwrote {path} ({record['seconds_total']:.0f} s)")
    return 0


def table(record: dict) -> str:
    """The markdown table of a record (docs/analysis.md)."""
    unit = record["loss_unit"]
    lines = [f"| budget [{record['cost_unit']}] | optimiser [{unit}] | random search | coarse grid | "
             "optimiser − random | optimiser − grid | optimiser status |",
             "|---:|---:|---:|---:|---:|---:|---|"]
    for row in record["rows"]:
        o = row["optimizer"]
        cells = [f"{row['budget']:g}", f"{o['test_mean_loss']:.4g} ± {o['test_se']:.2g}"]
        cells += [f"{row[k]['test_mean_loss']:.4g} ± {row[k]['test_se']:.2g}" for k in SEARCHES]
        cells += [f"{row[k]['difference']:+.3g} ± {row[k]['difference_se']:.2g} ({row[k]['verdict']})"
                  for k in SEARCHES]
        cells.append(o["status"])
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
