"""Choose lever levels under a yearly budget with optax, on the smoothed engine.

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
    steps = 60                     # optax (Adam) steps per budget
    learning_rate = 0.05           # in units of each lever's range
    temperature = 0.02             # of the smoothed engine (simcore.core.smooth)
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
a half-space. It is enforced by **projection**: after every Adam step the levels
(scaled to ``[0, 1]`` per lever) are projected in the Euclidean sense onto that set
(``clip(y - nu a, 0, 1)`` with the multiplier ``nu >= 0`` found by bisection), so every
iterate, the answer included, is within bounds and budget. Adam starts from the upper
bounds projected onto the budget set. The expected crisis premium
(spare premium on spare volume used) is a contingent cost: reported with the result
(out of sample), not budgeted. ``import_share`` levers (not affine in cost) cannot be
optimised.

**Gradients** come from :func:`simcore.core.engine.simulate_smooth` at ``temperature``
on the training scenarios (common random numbers: the same scenarios at every step).

**Evaluation.** The optax answer is evaluated on the *exact* engine on
``test_scenarios`` fresh scenarios (indices after the training ones). A search gets the
same number of exact evaluations (``steps``) on the training scenarios: ``random``
draws levels uniformly in the bounds and projects them onto the budget; ``grid`` takes
the points of a regular grid (``ceil(steps^(1/n))`` per lever) that fit the budget. Its
best point is evaluated on the same fresh scenarios, and the paired difference (common
random numbers) gives the standard error: the optax answer counts as *at least as good
within the Monte Carlo error* when ``optax - search <= 2 x SE``; the result says so or
says that it is not.

Run with ``simcore optimize CONFIG`` (``python -m simcore.analysis.optimize``); the
store (zarr) is read by ``simcore report``.
"""

from __future__ import annotations

import functools
import itertools
import math
import os
import sys
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import optax
import xarray as xr

from simcore.analysis import levers as lever_paths
from simcore.analysis.costs import CostAssumptions, mix_costs
from simcore.core.compile import engine_jit
from simcore.core.engine import simulate_batch, simulate_smooth
from simcore.core.model import Policy
from simcore.run import store
from simcore.schema.config import BASELINE_POLICY, RunConfig, parse_config, parse_toml_bytes, read_config_bytes
from simcore.schema.errors import InputError, OneLineArgumentParser, Problems, error_text

OPTIMIZE_KEYS = ("levers", "base", "budget", "budgets", "cvar_weight", "train_scenarios", "test_scenarios", "steps",
                 "learning_rate", "temperature", "search", "seed", "output", "sensitivity", "costs")
LEVER_KEYS = ("path", "range", "name")
# Levers whose standing cost is affine in the level (see the module doc).
OPTIMIZABLE = ("gov_stock_days", "private_extra_days", "spare_capacity", "share", "efficiency_cut")
SEARCHES = ("random", "grid")
CVAR_LEVEL = 0.95
SIGNIFICANCE = 2.0  # standard errors


@dataclass
class OptLever:
    lever: lever_paths.Lever
    name: str
    low: float
    high: float

    @property
    def path(self) -> str:
        return self.lever.path


@dataclass
class OptimizeSpec:
    """A validated ``[optimize]`` section."""

    levers: list[OptLever]
    budgets: list[float]
    base: str = BASELINE_POLICY
    cvar_weight: float = 0.0
    train_scenarios: int = 256
    test_scenarios: int = 1000
    steps: int = 60
    learning_rate: float = 0.05
    temperature: float = 0.02
    search: str = "random"
    seed: int = 0
    output: str | None = None
    sensitivity: bool = False
    costs: CostAssumptions = field(default_factory=CostAssumptions)


def _int(value, low, high) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _number(value, low=-math.inf, high=math.inf) -> bool:
    return (isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
            and low <= value <= high)


def parse_optimize(raw, config: RunConfig, source: str = "config") -> OptimizeSpec:
    """Validate an ``[optimize]`` table against the run ``config``; raises
    :class:`~simcore.schema.errors.InputError` naming every bad field."""
    problems = Problems(f"{source} [optimize]")
    loaded = config.loaded
    if not isinstance(raw, dict):
        problems.add("optimize", f"must be a table with {', '.join(OPTIMIZE_KEYS)}, got {raw!r}")
        problems.raise_if_any()
    for key in raw:
        if key not in OPTIMIZE_KEYS:
            problems.add(f"optimize.{key}", f"unknown field; allowed: {', '.join(OPTIMIZE_KEYS)}")
    names = [p.name for p in config.policies]
    base = raw.get("base", BASELINE_POLICY)
    if base not in names:
        problems.add("optimize.base", f"must be one of the config's policies: {', '.join(names)}; got {base!r}")
    budgets = []
    if ("budget" in raw) == ("budgets" in raw):
        problems.add("optimize.budget", "give exactly one of budget = B or budgets = [B1, B2, ...] (currency / year)")
    elif "budget" in raw:
        if not _number(raw["budget"], 0.0):
            problems.add("optimize.budget", f"must be a number >= 0 (currency / year), got {raw['budget']!r}")
        else:
            budgets = [float(raw["budget"])]
    else:
        value = raw["budgets"]
        if not isinstance(value, list) or not value or not all(_number(v, 0.0) for v in value):
            problems.add("optimize.budgets", f"must be a non-empty list of numbers >= 0 (currency / year), got "
                         f"{value!r}")
        elif len(set(value)) != len(value):
            problems.add("optimize.budgets", "budgets must be unique")
        else:
            budgets = sorted(float(v) for v in value)
    settings = {}
    for key, kind, low, high, default in (
            ("cvar_weight", float, 0.0, 1e6, 0.0), ("train_scenarios", int, 1, 10**6, 256),
            ("test_scenarios", int, 2, 10**7, 1000), ("steps", int, 1, 100_000, 60),
            ("learning_rate", float, 1e-6, 10.0, 0.05), ("temperature", float, 1e-6, 10.0, 0.02),
            ("seed", int, 0, 2**32 - 1, config.seed)):
        value = raw.get(key, default)
        ok = _int(value, low, high) if kind is int else _number(value, low, high)
        if key in raw and not ok:
            what = "an integer" if kind is int else "a number"
            problems.add(f"optimize.{key}", f"must be {what} in [{low:g}, {high:g}], got {value!r}")
            value = default
        settings[key] = value
    search = raw.get("search", "random")
    if search not in SEARCHES:
        problems.add("optimize.search", f"must be one of {', '.join(SEARCHES)}, got {search!r}")
    output = raw.get("output")
    if output is not None and (not isinstance(output, str) or not output.strip()):
        problems.add("optimize.output", f"must be a path (text), got {output!r}")
    sensitivity = raw.get("sensitivity", False)
    if not isinstance(sensitivity, bool):
        problems.add("optimize.sensitivity", f"must be true or false, got {sensitivity!r}")
    costs = CostAssumptions.from_dict(raw.get("costs"), "optimize.costs", problems)
    levers = _parse_levers(raw.get("levers"), loaded, problems)
    problems.raise_if_any()
    return OptimizeSpec(levers=levers, budgets=budgets, base=base, search=search, output=output,
                        sensitivity=sensitivity, costs=costs, **settings)


def _parse_levers(raw, loaded, problems: Problems) -> list[OptLever]:
    if not isinstance(raw, list) or not raw:
        problems.add("optimize.levers", "is required: a non-empty list of {path, range = [low, high]} tables")
        return []
    out: list[OptLever] = []
    for i, item in enumerate(raw):
        where = f"optimize.levers[{i}]"
        if not isinstance(item, dict):
            problems.add(where, f"must be a table {{path, range}}, got {item!r}")
            continue
        for key in item:
            if key not in LEVER_KEYS:
                problems.add(f"{where}.{key}", f"unknown field; allowed: {', '.join(LEVER_KEYS)}")
        lever, reason = lever_paths.resolve(item.get("path"), loaded)
        ok = True
        if lever is None:
            problems.add(f"{where}.path", reason if "path" in item else
                         "is required: a lever path like 'stockpile.gov_stock_days.gallium'")
            ok = False
        elif not lever.settable or lever.key not in OPTIMIZABLE:
            problems.add(f"{where}.path", f"{lever.path!r} cannot be optimised; allowed levers: "
                         "stockpile.gov_stock_days, stockpile.private_extra_days, "
                         "diversification.spare_capacity.P.O, recycling.share, recycling.efficiency_cut")
            ok = False
        name = item.get("name", item.get("path"))
        if not isinstance(name, str) or not name.strip():
            problems.add(f"{where}.name", f"must be a non-empty text, got {name!r}")
            ok = False
        bounds = item.get("range")
        if not (isinstance(bounds, list) and len(bounds) == 2 and all(_number(v) for v in bounds)
                and bounds[0] < bounds[1]):
            problems.add(f"{where}.range", f"is required: [low, high] with low < high, got {bounds!r}")
            ok = False
        elif lever is not None and lever.settable:
            for j, value in enumerate(bounds):
                reason = lever_paths.value_problem(lever, value, loaded)
                if reason:
                    problems.add(f"{where}.range[{j}]", f"{lever.path}: {reason}")
                    ok = False
        if ok:
            for k, other in enumerate(out):
                if other.lever.overlaps(lever):
                    problems.add(f"{where}.path", f"{lever.path!r} sets the same policy elements as "
                                 f"optimize.levers[{k}] ({other.path!r})")
                    ok = False
                elif other.name == name:
                    problems.add(f"{where}.name", f"{name!r} is also the name of optimize.levers[{k}]")
                    ok = False
        if ok:
            out.append(OptLever(lever, name, float(bounds[0]), float(bounds[1])))
    return out


# ----------------------------------------------------------------------------- the problem


@dataclass
class Problem:
    """What the optimiser needs: the model, events, base policy, levers and the affine
    standing cost ``cost(x) = cost0 + a . x`` of the levels scaled to ``x in [0, 1]^n``."""

    model: object
    events: object
    base: Policy
    levers: list[OptLever]
    low: np.ndarray
    high: np.ndarray
    cost0: float
    cost_slope: np.ndarray  # [n] currency / year per unit of x
    horizon: int
    seed: int
    cvar_weight: float = 0.0
    currency: str = "currency"
    assumptions: CostAssumptions = field(default_factory=CostAssumptions)
    loaded: object = None

    @property
    def base_key(self):
        return jax.random.PRNGKey(self.seed)

    def values(self, x) -> np.ndarray:
        """Lever levels ``[..., n]`` from scaled ``x``."""
        return self.low + (self.high - self.low) * np.asarray(x, np.float64)

    def scaled(self, values) -> np.ndarray:
        return (np.asarray(values, np.float64) - self.low) / (self.high - self.low)

    def standing_cost(self, x) -> np.ndarray:
        return self.cost0 + np.asarray(x, np.float64) @ self.cost_slope


def standing_costs(loaded, base: Policy, levers: list[OptLever], values: np.ndarray,
                   assumptions: CostAssumptions = CostAssumptions()) -> np.ndarray:
    """Standing yearly cost (fiscal + normal-time price side effect) ``[M]`` of the mixes
    ``values`` ``[M, n]`` (:func:`simcore.analysis.costs.mix_costs`)."""
    fields = lever_paths.mixes_from_values(base, [lv.lever for lv in levers], values)
    costs = mix_costs(loaded, fields, [f"m{i}" for i in range(len(values))], assumptions=assumptions)
    return np.asarray(costs["fiscal"].values + costs["price_side_effect"].values, np.float64)


def make_problem(loaded, events, base: Policy, levers: list[OptLever], *, horizon: int, seed: int,
                 cvar_weight: float = 0.0, assumptions: CostAssumptions = CostAssumptions()) -> Problem:
    """Build a :class:`Problem`: reads the affine cost off ``mix_costs`` (one mix per lever)."""
    low = np.array([lv.low for lv in levers])
    high = np.array([lv.high for lv in levers])
    n = len(levers)
    corners = np.vstack([low, low + np.eye(n) * (high - low)])
    costs = standing_costs(loaded, base, levers, corners, assumptions)
    return Problem(model=loaded.model, events=events, base=base, levers=levers, low=low, high=high,
                   cost0=float(costs[0]),
                   cost_slope=costs[1:] - costs[0], horizon=horizon, seed=seed, cvar_weight=cvar_weight,
                   currency=loaded.currency, assumptions=assumptions, loaded=loaded)


def project(y: np.ndarray, slope: np.ndarray, room: float, iterations: int = 60) -> np.ndarray:
    """Euclidean projection of ``y`` onto ``{x in [0, 1]^n : slope . x <= room}`` (slope >= 0):
    ``clip(y - nu slope, 0, 1)`` with ``nu >= 0`` by bisection."""
    y = np.asarray(y, np.float64)
    x = np.clip(y, 0.0, 1.0)
    if slope @ x <= room:
        return x
    if room <= 0:
        return np.where(slope > 0, 0.0, x)
    low, high = 0.0, 1.0
    while slope @ np.clip(y - high * slope, 0.0, 1.0) > room:
        high *= 2.0
    for _ in range(iterations):
        mid = 0.5 * (low + high)
        if slope @ np.clip(y - mid * slope, 0.0, 1.0) > room:
            low = mid
        else:
            high = mid
    return np.clip(y - high * slope, 0.0, 1.0)


def lever_masks(levers: list[OptLever]) -> dict[str, np.ndarray]:
    """``{Policy field: [n, *shape] float}``: the elements lever ``j`` sets (disjoint)."""
    out = {}
    for j, lv in enumerate(levers):
        (name, mask), = lv.lever.masks.items()
        if name not in out:
            out[name] = np.zeros((len(levers),) + mask.shape, np.float32)
        out[name][j] = mask
    return out


def policy_from_values(base: Policy, masks: dict, values) -> Policy:
    """The base policy with the levers at ``values`` ``[n]`` (traceable), leading axis 1."""
    fields = base._asdict()
    for name, mask in masks.items():
        mask = jnp.asarray(mask)
        covered = jnp.sum(mask, axis=0)
        fields[name] = fields[name] * (1.0 - covered) + jnp.tensordot(values, mask, axes=1)
    return Policy(**{k: jnp.asarray(v, jnp.float32)[None] for k, v in fields.items()})


@functools.partial(engine_jit, static_argnames=("horizon", "cvar_weight"))
def _smooth_objective(x, model, base, masks, low, span, events, base_key, index, temperature, horizon,
                      cvar_weight):
    """Smoothed risk at scaled levels ``x`` and its gradient (compiled once per shape)."""

    def objective(x):
        metrics, _ = simulate_smooth(model, policy_from_values(base, masks, low + span * x), events, base_key, index,
                                     horizon=horizon, temperature=temperature)
        return risk(jnp.sum(metrics.value_added_loss[0], axis=-1), cvar_weight)

    return jax.value_and_grad(objective)(x)


def risk(losses, cvar_weight: float):
    """``E[L] + cvar_weight x CVaR95[L]`` over the last axis (the scenarios)."""
    mean = jnp.mean(losses, axis=-1)
    if not cvar_weight:
        return mean
    n = losses.shape[-1]
    k = max(1, int(math.ceil((1.0 - CVAR_LEVEL) * n)))
    worst = jnp.sort(losses, axis=-1)[..., n - k:]
    return mean + cvar_weight * jnp.mean(worst, axis=-1)


def exact_losses(problem: Problem, values: np.ndarray, start: int, n_scenarios: int, chunk: int = 8) -> dict:
    """Exact engine, mixes ``values`` ``[M, n]`` on scenarios ``start ..``: per-scenario
    value-added loss ``[M, N]``, shortage days ``[M, N]`` and mean spare used ``[M, P]``."""
    values = np.atleast_2d(np.asarray(values, np.float64))
    fields = lever_paths.mixes_from_values(problem.base, [lv.lever for lv in problem.levers], values)
    index = jnp.arange(start, start + n_scenarios, dtype=jnp.uint32)
    out = {"loss": [], "shortage_days": [], "spare_used": []}
    m = values.shape[0]
    size = chunk  # every call pads to one compiled shape
    for first in range(0, m, size):
        rows = np.minimum(np.arange(first, first + size), m - 1)  # pad: one compiled shape
        metrics, _ = simulate_batch(problem.model, lever_paths.stacked(fields, rows), problem.events,
                                    problem.base_key, index, horizon=problem.horizon)
        count = min(size, m - first)
        out["loss"].append(np.asarray(metrics.value_added_loss, np.float64).sum(-1)[:count])
        out["shortage_days"].append(np.asarray(metrics.shortage_days, np.float64).sum(-1)[:count])
        out["spare_used"].append(np.asarray(metrics.spare_used, np.float64).mean(1)[:count])
    return {k: np.concatenate(v) for k, v in out.items()}


@dataclass
class OptResult:
    """One optimisation: levels ``x`` (scaled) and ``values``; the smoothed objective per step."""

    x: np.ndarray
    values: np.ndarray
    history: np.ndarray
    seconds: float


def optimize(problem: Problem, budget: float, *, steps: int = 60, learning_rate: float = 0.05,
             temperature: float = 0.02, train_scenarios: int = 256, x0=None) -> OptResult:
    """Projected Adam (optax) on the smoothed engine's objective, training scenarios
    ``0 .. train_scenarios - 1``, levels kept in bounds and budget by projection."""
    index = jnp.arange(0, train_scenarios, dtype=jnp.uint32)
    room = budget - problem.cost0
    span = jnp.asarray(problem.high - problem.low, jnp.float32)
    low = jnp.asarray(problem.low, jnp.float32)
    masks = {k: jnp.asarray(v) for k, v in lever_masks(problem.levers).items()}
    base = jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float32), problem.base)

    def value_and_grad(x):
        return _smooth_objective(x, problem.model, base, masks, low, span, problem.events, problem.base_key, index,
                                 jnp.float32(temperature), horizon=problem.horizon,
                                 cvar_weight=float(problem.cvar_weight))
    # Start: the upper bounds projected onto the budget set (the budget spent, spread in
    # the Euclidean sense). Where the training scenarios leave the objective flat (no
    # loss left to remove) the answer then keeps the budget spent instead of stopping at
    # the first levels that clear the training losses.
    x = project(np.ones(len(problem.levers)) if x0 is None else np.asarray(x0, np.float64),
                problem.cost_slope, room)
    scale = None
    # Cosine decay of the step (to 5 %): the projected iterates settle at the kinks.
    opt = optax.adam(optax.cosine_decay_schedule(learning_rate, max(steps, 1), alpha=0.05))
    state = opt.init(jnp.asarray(x, jnp.float32))
    history = []
    began = time.perf_counter()
    for _ in range(steps):
        value, grad = value_and_grad(jnp.asarray(x, jnp.float32))
        value = float(value)
        history.append(value)
        if scale is None:  # Adam is scale-free; this only keeps the numbers readable
            scale = max(abs(value), 1e-30)
        updates, state = opt.update(grad / scale, state)
        x = project(x + np.asarray(updates, np.float64), problem.cost_slope, room)
    return OptResult(x=x, values=problem.values(x), history=np.asarray(history), seconds=time.perf_counter() - began)


def search_points(problem: Problem, budget: float, n_points: int, kind: str = "random", seed: int = 0) -> np.ndarray:
    """``[K, n]`` scaled candidate levels of the comparison search, all within budget."""
    n = len(problem.levers)
    room = budget - problem.cost0
    if kind == "grid":
        per = max(2, int(math.floor(n_points ** (1.0 / n) + 1e-9)))
        while per > 2 and per ** n > n_points:
            per -= 1
        grid = np.array(list(itertools.product(*([np.linspace(0, 1, per)] * n))))
        feasible = grid[grid @ problem.cost_slope <= room + 1e-9]
        if len(feasible) < n_points:  # fill up with the grid's points projected onto the budget
            rest = grid[grid @ problem.cost_slope > room + 1e-9]
            extra = np.array([project(p, problem.cost_slope, room) for p in rest]).reshape(-1, n)
            feasible = np.unique(np.vstack([feasible, extra]), axis=0)
        return feasible[:n_points]
    rng = np.random.default_rng(seed)
    return np.array([project(rng.random(n), problem.cost_slope, room) for _ in range(n_points)])


def compare(problem: Problem, budget: float, result: OptResult, *, n_search: int, search: str = "random",
            train_scenarios: int = 256, test_scenarios: int = 1000, seed: int = 0) -> dict:
    """Search with ``n_search`` exact evaluations on the training scenarios, then the optax
    answer and the search's best on fresh scenarios (after the training ones)."""
    points = search_points(problem, budget, n_search, search, seed)
    train = exact_losses(problem, problem.values(points), 0, train_scenarios)
    scores = np.asarray(risk(jnp.asarray(train["loss"]), problem.cvar_weight), np.float64)
    best = int(np.argmin(scores))
    both = np.vstack([result.values, problem.values(points[best]), problem.low])
    test = exact_losses(problem, both, train_scenarios, test_scenarios)
    loss = test["loss"]
    n = loss.shape[1]
    diff = loss[0] - loss[1]
    se = lambda v: float(np.std(v, ddof=1) / math.sqrt(n))  # noqa: E731
    out = {
        "search_x": points[best],
        "search_train_risk": float(scores[best]),
        "optax_test_risk": float(risk(jnp.asarray(loss[0]), problem.cvar_weight)),
        "search_test_risk": float(risk(jnp.asarray(loss[1]), problem.cvar_weight)),
        "lower_bounds_test_risk": float(risk(jnp.asarray(loss[2]), problem.cvar_weight)),
        "optax_test_mean_loss": float(loss[0].mean()), "optax_test_se": se(loss[0]),
        "search_test_mean_loss": float(loss[1].mean()), "search_test_se": se(loss[1]),
        "difference_mean_loss": float(diff.mean()), "difference_se": se(diff),
        "optax_test_shortage_days": float(test["shortage_days"][0].mean()),
        "search_test_shortage_days": float(test["shortage_days"][1].mean()),
        "spare_used_test": test["spare_used"][:2],
    }
    # With a CVaR term the paired standard error is that of the mean part (a lower bound).
    out["optax_at_least_as_good"] = bool(out["optax_test_risk"] - out["search_test_risk"]
                                         <= SIGNIFICANCE * out["difference_se"])
    return out


# ----------------------------------------------------------------------------- runs and stores


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
        result = optimize(problem, budget, steps=spec.steps, learning_rate=spec.learning_rate,
                          temperature=spec.temperature, train_scenarios=spec.train_scenarios)
        cmp = compare(problem, budget, result, n_search=spec.steps, search=spec.search,
                      train_scenarios=spec.train_scenarios, test_scenarios=spec.test_scenarios, seed=spec.seed)
        rows.append((budget, result, cmp))
        histories.append(result.history)
        log(f"  budget {budget:.4g}: optax {cmp['optax_test_mean_loss']:.4g} +- {cmp['optax_test_se']:.2g}, "
            f"{spec.search} search {cmp['search_test_mean_loss']:.4g} +- {cmp['search_test_se']:.2g} "
            f"(difference {cmp['difference_mean_loss']:.3g} +- {cmp['difference_se']:.2g}): "
            + ("optax at least as good" if cmp["optax_at_least_as_good"] else "optax NOT as good as the search")
            + f" [{result.seconds:.0f} s]")
    return _dataset(config, spec, problem, rows, histories)


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
            "search_test_shortage_days": ("budget", col("search_test_shortage_days"), {"units": "days"}),
            "lower_bounds_test_risk": ("budget", col("lower_bounds_test_risk"),
                                       {"units": io_unit, "description": "every lever at its lower bound"}),
            "optax_at_least_as_good": ("budget", np.array([r[2]["optax_at_least_as_good"] for r in rows]),
                                       {"description": f"optax - search <= {SIGNIFICANCE:g} standard errors "
                                                       "of the paired difference"}),
            "history": (("budget", "step"), history, {"units": io_unit, "description": "smoothed training objective"}),
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
        "search_evaluations": int(spec.steps), "temperature": float(spec.temperature),
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
    root.attrs.update({"config_text": config_text, "status": "complete", store.STORE_MARKER: "optimize"})
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


def load_optimize_config(path) -> tuple[RunConfig, OptimizeSpec, str]:
    """Read a config with an ``[optimize]`` section: ``(run config, spec, file text)``."""
    path = Path(path)
    problems = Problems(f"config {path}")
    data = read_config_bytes(path, problems)  # read once, bounded: a pipe works, /dev/zero does not hang
    raw = parse_toml_bytes(data, problems)
    section = raw.pop("optimize", None)
    for key in ("sweep", "attribution"):
        raw.pop(key, None)
    config = parse_config(raw, base_dir=path.parent, problems=problems)
    config.path = str(path)
    if section is None:
        raise InputError(f"config {path}", [("optimize", "is required: an [optimize] table with levers = [...] "
                                                          "and budget or budgets")])
    return config, parse_optimize(section, config, f"config {path}"), data.decode("utf-8")


def run_optimize_file(path, *, output=None, log=print) -> tuple[xr.Dataset, Path]:
    config, spec, text = load_optimize_config(path)
    target = store.local_output(output if output is not None
                                else spec.output or Path("results") / f"{Path(path).stem}.zarr", "optimize")
    store.check_writable(target)  # refuse a folder simcore did not write before computing
    log(f"optimize: {len(spec.levers)} levers x {len(spec.budgets)} budgets on {config.loaded.name}; "
        f"{spec.steps} Adam steps on {spec.train_scenarios} training scenarios (temperature {spec.temperature}), "
        f"{spec.search} search with {spec.steps} exact evaluations, {spec.test_scenarios} fresh test scenarios")
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


def main(argv=None) -> int:
    parser = OneLineArgumentParser(prog="simcore optimize", description=__doc__.split("\n")[0])
    parser.add_argument("config")
    parser.add_argument("--output", default=None)
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    try:
        run_optimize_file(args.config, output=args.output, log=(lambda *a: None) if args.quiet else print)
    except (InputError, store.OutputError) as exc:
        print(error_text(exc), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
