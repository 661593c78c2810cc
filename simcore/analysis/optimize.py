"""Choose lever levels under a yearly budget with optax, on the smoothed engine.

This module is the search/compare driver (searches, out-of-sample comparison, store,
CLI); the problem and the objectives are in :mod:`simcore.analysis.objective`, the
optimiser's loop in :mod:`simcore.analysis.descent`, the ``[optimize]`` section's
checks in :mod:`simcore.analysis.optimize_section`; it re-exports those modules' public
names.

A run config gains an ``[optimize]`` section (see ``docs/analysis.md``)::

    [optimize]
    base = "terms"                 # policy whose other levers are kept (default: no-policy)
    levers = [                     # the decision variables, each with its bounds
      { path = "stockpile.gov_stock_days.gallium", range = [0, 180] },
      { path = "diversification.spare_capacity.gallium.EU", range = [0, 0.5] },
      { path = "recycling.share.gallium", range = [0, 0.3] },
      { path = "recycling.efficiency_cut.gallium", range = [0, 0.2] },
    ]
    budgets = [2e6, 5e6, 1e7]      # yearly standing cost limits (currency / year): the Pareto front
    cvar_weight = 0.0              # objective = E[loss] + cvar_weight x CVaR95[loss]
    train_scenarios = 256          # scenarios 0 .. 255: the gradient's common random numbers
    test_scenarios = 1000          # fresh scenarios after them: the out-of-sample evaluation
    steps = 60                     # gradient steps per budget (optax)
    exact_evaluations = 10         # iterates run on the exact engine (the best is returned); the search gets as many
    learning_rate = 0.05           # in units of each lever's range
    temperature_start = 0.2        # annealed (geometric, first 3/4 of the steps) down to ...
    temperature = 0.02             # ... this temperature of the smoothed engine (simcore.core.smooth)
    shortfall_weight = 1.0         # surrogate = risk + shortfall_weight x E[value not delivered] (gradients only)
    method = "pgd"                 # pgd (projected gradient, normalised by its largest component) | adam
    search = "random"              # random | grid: the comparison search, same number of exact evaluations
    output = "results/optimize.zarr"
    sensitivity = true             # also store the parameter sensitivities of the base policy

**Objective.** ``loss`` is the per-scenario value-added loss over the horizon (all
sectors, IO value unit; for product-only models the value not delivered), the risk
metric ``expected_value_added_loss`` of the sweeps; with ``cvar_weight > 0`` its CVaR95
(mean of the worst 5 % of the scenarios) is added.

**Budget.** The budget binds the *standing* yearly cost of the mix: fiscal (stock
capital and carrying) plus the normal-time price side effect (Leontief price model), as
computed by :func:`simcore.analysis.costs.mix_costs`. With the optimised levers (stock
days, private buffer days, contracted spare capacity, recycling share, efficiency cut)
it is affine in the lever levels, so its coefficients are read off ``mix_costs`` once
(one mix per lever) and the feasible set ``{bounds} ∩ {cost <= budget}`` is a box cut by
a half-space. It is enforced by **projection**: after every gradient step the levels
(scaled to ``[0, 1]`` per lever) are projected in the Euclidean sense onto that set
(``clip(y - nu a, 0, 1)`` with the multiplier ``nu >= 0`` found by bisection), so every
iterate, the answer included, is within bounds and budget. The optimiser starts from the upper
bounds projected onto the budget set. The expected crisis premium
(spare premium on spare volume used) is a contingent cost: reported with the result
(out of sample), not budgeted. ``import_share`` levers (not affine in cost) cannot be
optimised.

The optimiser's loop (gradients, annealing, which iterate is returned) is in
:mod:`simcore.analysis.descent`, whose public names this module re-exports.

**Evaluation.** The optimiser's answer is evaluated on the *exact* engine on
``test_scenarios`` fresh scenarios (indices after the training ones). A search gets the
same number of exact evaluations on the training scenarios: ``random`` draws levels
uniformly in the bounds and projects them onto the budget; ``grid`` takes a coarse
regular grid (``>= 2`` points per lever), projects the points over budget onto it and
keeps evenly spaced ones. Its best point is evaluated on the same fresh scenarios, and
the paired difference (common random numbers) gives the standard error: the optax
answer counts as *at least as good within the Monte Carlo error* when
``optax - search <= 2 x SE``; the result says so or says that it is not.
``benchmarks/optimizer_vs_search.py`` runs both searches against it.

Run with ``simcore optimize CONFIG`` (:func:`run_optimize_file`); the store (zarr) is
read by ``simcore report``.
"""

from __future__ import annotations

import itertools
import math
import sys
import warnings
from pathlib import Path

import jax.numpy as jnp
import numpy as np
import xarray as xr

from simcore.analysis import levers as lever_paths
from simcore.analysis.costs import CostAssumptions, mix_costs  # noqa: F401  (CostAssumptions: re-exported)
from simcore.analysis.descent import (  # noqa: F401  (re-exported: the optimiser's public names)
    CONVERGENCE_RATIO, MOVE_TOLERANCE, OptResult, checkpoint_steps, optimize, temperature_schedule)
from simcore.analysis.objective import (  # noqa: F401  (re-exported: the public names of this module)
    CVAR_LEVEL, OptLever, Problem, _smooth_objective, exact_losses, lever_masks, make_problem, policy_from_values,
    project, risk, standing_costs)
from simcore.analysis.optimize_section import (  # noqa: F401  (re-exported: the names of before)
    OPTIMIZABLE, OptimizeSpec, load_optimize_config, parse_optimize)
from simcore.run import store
from simcore.schema.analysis_spec import OPTIMIZE_METHODS as METHODS  # noqa: F401  (the names of before)
from simcore.schema.analysis_spec import SEARCHES  # noqa: F401
from simcore.schema.config import RunConfig
from simcore.schema.errors import InputError

SIGNIFICANCE = 2.0  # standard errors


# ----------------------------------------------------------------------------- the comparison search


def search_points(problem: Problem, budget: float, n_points: int, kind: str = "random", seed: int = 0) -> np.ndarray:
    """``[K, n]`` scaled candidate levels of the comparison search, all within budget.
    ``random``: uniform in the box, projected onto the budget; ``grid``: the points of a
    coarse regular grid (``>= 2`` per lever), those over budget projected onto it,
    duplicates dropped, ``n_points`` evenly spaced among them (lexicographic order)."""
    n = len(problem.levers)
    room = budget - problem.cost0
    if kind == "grid":
        per = max(2, int(math.floor(n_points ** (1.0 / n) + 1e-9)))
        grid = np.array(list(itertools.product(*([np.linspace(0, 1, per)] * n))))
        points = np.array([project(p, problem.cost_slope, room) for p in grid]).reshape(-1, n)
        points = np.unique(np.round(points, 12), axis=0)
        if len(points) > n_points:
            points = points[np.unique(np.round(np.linspace(0, len(points) - 1, n_points)).astype(int))]
        return points
    rng = np.random.default_rng(seed)
    return np.array([project(rng.random(n), problem.cost_slope, room) for _ in range(n_points)])


def _se(values) -> float:
    values = np.asarray(values, np.float64)
    return float(np.std(values, ddof=1) / math.sqrt(len(values))) if len(values) > 1 else 0.0


def compare(problem: Problem, budget: float, result: OptResult, *, n_search: int, search="random",
            train_scenarios: int = 256, test_scenarios: int = 1000, seed: int = 0) -> dict:
    """Each search in ``search`` (a kind or a list of kinds; the first is the primary one)
    with ``n_search`` exact evaluations on the training scenarios; then the optimiser's
    answer, each search's best, the optimiser's start and the lower bounds on the same *fresh* scenarios (after
    the training ones; common random numbers): means, standard errors and the paired
    differences. The primary search's numbers keep their flat keys (``search_*``); every
    search is under ``searches[kind]``."""
    kinds = [search] if isinstance(search, str) else list(search)
    picks, train_scores = [], []
    for kind in kinds:
        points = search_points(problem, budget, n_search, kind, seed)
        train = exact_losses(problem, problem.values(points), 0, train_scenarios)
        scores = np.asarray(risk(jnp.asarray(train["loss"]), problem.cvar_weight), np.float64)
        best = int(np.argmin(scores))
        picks.append(points[best])
        train_scores.append((float(scores[best]), len(points)))
    start = result.x0 if result.x0 is not None else result.x
    both = np.vstack([result.values] + [problem.values(p) for p in picks] + [problem.values(start), problem.low])
    test = exact_losses(problem, both, train_scenarios, test_scenarios)
    loss = test["loss"]
    test_risk = lambda v: float(risk(jnp.asarray(v), problem.cvar_weight))  # noqa: E731
    out = {
        "optax_test_risk": test_risk(loss[0]),
        "lower_bounds_test_risk": test_risk(loss[-1]),
        "optax_test_mean_loss": float(loss[0].mean()), "optax_test_se": _se(loss[0]),
        "optax_test_losses": np.asarray(loss[0], np.float64),  # [n] per fresh scenario (the Pareto probability)
        "optax_test_shortage_days": float(test["shortage_days"][0].mean()),
        "lower_bounds_test_mean_loss": float(loss[-1].mean()),
        "improvement_on_lower_bounds": float((loss[-1] - loss[0]).mean()),
        "improvement_on_lower_bounds_se": _se(loss[-1] - loss[0]),
        "start_test_mean_loss": float(loss[-2].mean()), "start_test_se": _se(loss[-2]),
        "improvement_on_start": float((loss[-2] - loss[0]).mean()), "improvement_on_start_se": _se(loss[-2] - loss[0]),
        "searches": {},
    }
    for j, kind in enumerate(kinds):
        diff = loss[0] - loss[1 + j]
        row = {
            "x": picks[j], "train_risk": train_scores[j][0], "evaluations": train_scores[j][1],
            "test_risk": test_risk(loss[1 + j]), "test_mean_loss": float(loss[1 + j].mean()),
            "test_se": _se(loss[1 + j]), "difference_mean_loss": float(diff.mean()), "difference_se": _se(diff),
            "test_shortage_days": float(test["shortage_days"][1 + j].mean()),
            "spare_used_test": test["spare_used"][1 + j],
        }
        # With a CVaR term the paired standard error is that of the mean part (a lower bound).
        row["optax_at_least_as_good"] = bool(out["optax_test_risk"] - row["test_risk"]
                                             <= SIGNIFICANCE * row["difference_se"])
        row["optax_better"] = bool(out["optax_test_risk"] - row["test_risk"] < -SIGNIFICANCE * row["difference_se"])
        out["searches"][kind] = row
    first = out["searches"][kinds[0]]
    out.update({
        "search_x": first["x"], "search_train_risk": first["train_risk"],
        "search_test_risk": first["test_risk"], "search_test_mean_loss": first["test_mean_loss"],
        "search_test_se": first["test_se"], "difference_mean_loss": first["difference_mean_loss"],
        "difference_se": first["difference_se"], "search_test_shortage_days": first["test_shortage_days"],
        "spare_used_test": np.vstack([test["spare_used"][0], first["spare_used_test"]]),
        "optax_at_least_as_good": first["optax_at_least_as_good"],
    })
    return out


# ----------------------------------------------------------------------------- runs and stores


def optimize_for(problem: Problem, budget: float, spec: OptimizeSpec, x0=None) -> OptResult:
    """:func:`optimize` with the settings of an ``[optimize]`` section."""
    return optimize(problem, budget, steps=spec.steps, learning_rate=spec.learning_rate,
                    temperature=spec.temperature, temperature_start=spec.temperature_start,
                    exact_evaluations=spec.exact_evaluations, shortfall_weight=spec.shortfall_weight,
                    method=spec.method, train_scenarios=spec.train_scenarios, x0=x0)


def run_optimize(config: RunConfig, spec: OptimizeSpec, log=print) -> xr.Dataset:
    """Optimise for every budget (each from the upper bounds projected onto its budget),
    compare with the search, evaluate out of sample; returns the result dataset
    ``(budget, lever)``."""
    base = next(p.policy for p in config.policies if p.name == spec.base)
    problem = make_problem(config.loaded, config.events, base, spec.levers, horizon=config.horizon_days,
                           seed=config.seed, cvar_weight=spec.cvar_weight, assumptions=spec.costs)
    rows, histories = [], []
    for budget in spec.budgets:
        if budget < problem.cost0 - 1e-9:
            raise InputError("optimize", [("optimize.budgets", f"budget {budget:g} is below the cost of the levers' "
                                                                f"lower bounds ({problem.cost0:g} {problem.currency} "
                                                                "/ year)")])
        result = optimize_for(problem, budget, spec)
        cmp = compare(problem, budget, result, n_search=result.exact_evaluations, search=spec.search,
                      train_scenarios=spec.train_scenarios, test_scenarios=spec.test_scenarios, seed=spec.seed)
        rows.append((budget, result, cmp))
        histories.append(result.history)
        log(f"  budget {budget:.4g}: optax {cmp['optax_test_mean_loss']:.4g} +- {cmp['optax_test_se']:.2g}, "
            f"{spec.search} search {cmp['search_test_mean_loss']:.4g} +- {cmp['search_test_se']:.2g} "
            f"(difference {cmp['difference_mean_loss']:.3g} +- {cmp['difference_se']:.2g}; "
            f"{result.exact_evaluations} exact evaluations each): "
            + ("optax at least as good" if cmp["optax_at_least_as_good"] else "optax NOT as good as the search")
            + f" [{result.seconds:.0f} s]")
        if result.status != "moved and converged":
            log("    optimiser " + result.status.replace("did not move", "DID NOT MOVE", 1)
                .replace("did not converge", "DID NOT CONVERGE", 1))
    ds = _dataset(config, spec, problem, rows, histories)
    log(pareto_line(ds))
    return ds


def pareto_line(ds: xr.Dataset) -> str:
    """One line: per budget, whether its optimum is on the cost-risk front over budgets and
    the probability of being on it under scenario resampling."""
    unit = ds["budget"].attrs.get("units", "")
    cells = [f"{float(b):.4g}: {'on' if bool(on) else 'off'} (P {float(p):.2f})"
             for b, on, p in zip(ds["budget"].values, ds["optax_pareto"].values, ds["optax_p_pareto"].values)]
    return f"  Pareto front over budgets [{unit}] (paired bootstrap of the test scenarios): " + "; ".join(cells)


def _budget_front(problem: Problem, levels: np.ndarray, crisis: np.ndarray, losses: list) -> tuple:
    """The Pareto front over budgets of the optimised levels ``[B, L]``: ``(on_front [B],
    probability [B])`` in (standing cost + expected crisis premium ``crisis`` ``[B]``,
    currency / year; expected value-added loss over the fresh test scenarios, ``losses``
    ``B x [n]`` on the same scenarios), the probability by a paired bootstrap of those
    scenarios (:func:`simcore.analysis.pareto.front_probability_bootstrap`; the crisis
    premium at its mean, the standing cost exact)."""
    from simcore.analysis.costs import pareto_front
    from simcore.analysis.pareto import front_probability_bootstrap

    if not losses:
        return np.zeros(0, bool), np.zeros(0)
    cost = np.asarray(problem.standing_cost(problem.scaled(levels)), np.float64) + np.asarray(crisis, np.float64)
    per_scenario = np.vstack(losses)  # [B, n]
    return pareto_front(cost, per_scenario.mean(axis=1)), front_probability_bootstrap(cost, per_scenario)


def _dataset(config, spec, problem: Problem, rows, histories) -> xr.Dataset:
    loaded = config.loaded
    io_unit = loaded.io_value_unit
    unit = f"{loaded.currency} / year"
    budgets = [r[0] for r in rows]
    opt_values = np.array([r[1].values for r in rows])
    search_values = np.array([problem.values(r[2]["search_x"]) for r in rows])
    spare = np.array([r[2]["spare_used_test"] for r in rows])  # [B, 2, P]
    crisis = []
    for b, (_, result, cmp) in enumerate(rows):
        fields = lever_paths.mixes_from_values(problem.base, [lv.lever for lv in problem.levers],
                                               np.vstack([result.values, problem.values(cmp["search_x"])]))
        costs = mix_costs(loaded, fields, ["optax", "search"], spare_used_mean=spare[b],
                          horizon_days=config.horizon_days, assumptions=spec.costs)
        crisis.append(costs["crisis_premium"].values)
    crisis = np.array(crisis)
    front, p_front = _budget_front(problem, opt_values, crisis[:, 0], [r[2]["optax_test_losses"] for r in rows])
    steps = max(len(h) for h in histories)
    history = np.full((len(budgets), steps), np.nan)
    for b, h in enumerate(histories):
        history[b, :len(h)] = h

    def col(key):
        return np.array([r[2][key] for r in rows], np.float64)

    names = [lv.name for lv in problem.levers]
    ds = xr.Dataset(
        {
            "optax_levels": (("budget", "lever"), opt_values, {"description": "optimised lever levels"}),
            "search_levels": (("budget", "lever"), search_values, {"description": "best levels of the search"}),
            "optax_standing_cost": ("budget", problem.standing_cost(problem.scaled(opt_values)),
                                    {"units": unit, "description": "fiscal + normal-time price side effect"}),
            "search_standing_cost": ("budget", problem.standing_cost(problem.scaled(search_values)),
                                     {"units": unit, "description": "fiscal + normal-time price side effect"}),
            "optax_crisis_premium": ("budget", crisis[:, 0],
                                     {"units": unit, "description": "expected, test scenarios"}),
            "search_crisis_premium": ("budget", crisis[:, 1],
                                      {"units": unit, "description": "expected, test scenarios"}),
            "optax_test_risk": ("budget", col("optax_test_risk"), {"units": io_unit}),
            "search_test_risk": ("budget", col("search_test_risk"), {"units": io_unit}),
            "optax_test_mean_loss": ("budget", col("optax_test_mean_loss"),
                                     {"units": io_unit, "description": "expected value-added loss, exact engine, "
                                                                       "fresh scenarios"}),
            "optax_test_se": ("budget", col("optax_test_se"), {"units": io_unit, "description": "standard error"}),
            "search_test_mean_loss": ("budget", col("search_test_mean_loss"), {"units": io_unit}),
            "search_test_se": ("budget", col("search_test_se"), {"units": io_unit}),
            "difference_mean_loss": ("budget", col("difference_mean_loss"),
                                     {"units": io_unit, "description": "optax - search, paired"}),
            "difference_se": ("budget", col("difference_se"), {"units": io_unit}),
            "optax_test_shortage_days": ("budget", col("optax_test_shortage_days"), {"units": "days"}),
            "optax_pareto": ("budget", front, {"description": "the budget's optimum is not dominated by another "
                                               "budget's in (standing cost + crisis premium, expected value-added "
                                               "loss on the fresh scenarios)"}),
            "optax_p_pareto": ("budget", p_front, {"units": "1", "description": "probability that the budget's "
                                                   "optimum is on that front under a paired bootstrap of the fresh "
                                                   "scenarios (simcore.analysis.pareto; the crisis premium taken "
                                                   "at its mean)"}),
            "search_test_shortage_days": ("budget", col("search_test_shortage_days"), {"units": "days"}),
            "lower_bounds_test_risk": ("budget", col("lower_bounds_test_risk"),
                                       {"units": io_unit, "description": "every lever at its lower bound"}),
            "optax_at_least_as_good": ("budget", np.array([r[2]["optax_at_least_as_good"] for r in rows]),
                                       {"description": f"optax - search <= {SIGNIFICANCE:g} standard errors "
                                                       "of the paired difference"}),
            "optax_moved": ("budget", np.array([r[1].moved for r in rows]),
                            {"description": "the returned levels are not the start"}),
            "optax_converged": ("budget", np.array([r[1].converged for r in rows]),
                                {"description": "over the last quarter of the steps the levels' net displacement "
                                                f"is at most {CONVERGENCE_RATIO:g} of their path length"}),
            "optax_flat_start": ("budget", np.array([r[1].flat_start for r in rows]),
                                 {"description": "zero gradient of the surrogate at the start"}),
            "optax_status": ("budget", np.array([r[1].status for r in rows], dtype=object).astype(str)),
            "optax_start_test_mean_loss": ("budget", col("start_test_mean_loss"),
                                           {"units": io_unit, "description": "the optimiser's start, exact engine, "
                                                                             "fresh scenarios"}),
            "optax_improvement_on_start": ("budget", col("improvement_on_start"),
                                           {"units": io_unit, "description": "start - optax, paired"}),
            "optax_improvement_on_start_se": ("budget", col("improvement_on_start_se"), {"units": io_unit}),
            "optax_start_levels": (("budget", "lever"), problem.values(np.array([r[1].x0 for r in rows])),
                                   {"description": "the start: the upper bounds projected onto the budget"}),
            "history": (("budget", "step"), history, {"units": io_unit, "description": "surrogate training objective "
                                                                              "(smoothed engine)"}),
        },
        coords={"budget": ("budget", np.asarray(budgets, np.float64), {"units": unit}), "lever": names,
                "lever_path": ("lever", [lv.path for lv in problem.levers]),
                "lever_low": ("lever", problem.low), "lever_high": ("lever", problem.high),
                "step": np.arange(steps)},
    )
    ds.attrs.update({
        "kind": "optimize", "model": loaded.name, "config": str(config.path or ""), "seed": int(config.seed),
        "n_scenarios": int(spec.test_scenarios), "train_scenarios": int(spec.train_scenarios),
        "test_scenarios": int(spec.test_scenarios), "test_scenario_start": int(spec.train_scenarios),
        "horizon_days": int(config.horizon_days), "steps": int(spec.steps), "search": spec.search,
        "search_evaluations": int(rows[0][1].exact_evaluations) if rows else int(spec.exact_evaluations),
        "exact_evaluations": int(rows[0][1].exact_evaluations) if rows else int(spec.exact_evaluations),
        "temperature": float(spec.temperature), "temperature_start": float(spec.temperature_start),
        "shortfall_weight": float(spec.shortfall_weight), "method": spec.method,
        "learning_rate": float(spec.learning_rate), "cvar_weight": float(spec.cvar_weight), "base": spec.base,
        "currency": loaded.currency, "io_value_unit": io_unit, "budget_kind": "standing cost (projection)",
        "discount_rate": spec.costs.discount_rate, "stock_life_years": spec.costs.stock_life_years,
        "stock_residual_share": spec.costs.stock_residual_share,
    })
    return ds


def write_optimize_store(ds: xr.Dataset, path, config_text: str = "", sensitivity: xr.Dataset | None = None) -> Path:
    """Write the result (root) and the sensitivities (group ``sensitivity``) to a zarr store."""
    import zarr

    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    store.check_writable(path)  # never replace a folder simcore did not write
    store.delete_store(partial, sibling=True)
    root = ds.copy()
    root.attrs = {k: v for k, v in ds.attrs.items() if isinstance(v, (str, int, float, bool))}
    root.attrs.update({"config_text": config_text, "status": "complete", store.STORE_MARKER: "optimize",
                       store.STORE_FORMAT_ATTR: store.STORE_FORMAT})  # opens as one tree (store.open_tree)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Zarr V3.*|.*Consolidated metadata.*|.*does not have a Zarr.*")
        root.to_zarr(partial, mode="w", consolidated=False)
        if sensitivity is not None:
            sens = sensitivity.copy()
            sens.attrs = {k: v for k, v in sensitivity.attrs.items() if isinstance(v, (str, int, float, bool))}
            sens.to_zarr(partial, group="sensitivity", mode="a", consolidated=False)
        zarr.consolidate_metadata(str(partial))
    store.replace_store(partial, path)
    return path


def run_optimize_file(path, *, output=None, log=print) -> tuple[xr.Dataset, Path]:
    config, spec, text = load_optimize_config(path)
    target = store.local_output(output if output is not None
                                else spec.output or Path("results") / f"{Path(path).stem}.zarr", "optimize")
    store.check_writable(target)  # refuse a folder simcore did not write before computing
    log(f"optimize: {len(spec.levers)} levers x {len(spec.budgets)} budgets on {config.loaded.name}; "
        f"{spec.steps} {spec.method} steps on {spec.train_scenarios} training scenarios (temperature "
        f"{spec.temperature_start} -> {spec.temperature}), {spec.exact_evaluations} exact evaluations for the "
        f"optimiser's iterates and for the {spec.search} search, {spec.test_scenarios} fresh test scenarios")
    ds = run_optimize(config, spec, log=log)
    sensitivity = None
    if spec.sensitivity:
        from simcore.analysis.sensitivity import config_sensitivities

        log(f"  sensitivities of policy {spec.base!r} ({spec.train_scenarios} scenarios)")
        sensitivity = config_sensitivities(config, spec.base, n_scenarios=spec.train_scenarios,
                                           temperature=spec.temperature)
    write_optimize_store(ds, target, text, sensitivity)
    log(f"wrote {target}; report: simcore report {target}")
    return ds, target


if __name__ == "__main__":  # the command is simcore optimize (one parser: simcore.cli)
    sys.exit("run this as: simcore optimize CONFIG (simcore optimize --help)")
