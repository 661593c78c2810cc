"""The optimisation problem: levers, the affine standing cost, the projection onto the
budget set, and the objectives (smoothed surrogate for gradients, exact for evaluation).

:mod:`simcore.analysis.optimize` is the search/compare driver on top of this module
(and re-exports every public name defined here).

**Objectives.** The target is the *exact* risk of the per-scenario value-added loss
(:func:`risk`: mean, plus ``cvar_weight`` x CVaR95), from :func:`exact_losses` on the
exact engine. It is flat in a lever wherever the training scenarios' losses do not
depend on it: the lever's product never runs short, or every day it runs short another
product caps the same sectors (a minimum over critical inputs), or the exact engine's
episode clock holds the outcome still. Gradients come from the *surrogate*
(:func:`_smooth_objective`) on the smoothed engine (:mod:`simcore.core.smooth`) at a
temperature the optimiser anneals:

    surrogate(x) = risk(value-added loss) + shortfall_weight x E[value not delivered]

The second term (the expected shortfall volume, valued at baseline prices, summed
over products) has a gradient wherever any product of a lever goes short, also where
another product caps the sectors, so a lever whose own shortage is real but masked
still gets a direction; with Adam's per-coordinate scaling a small but consistent
gradient moves its lever. It is used for the direction only: which iterate is returned
is decided on the exact target (see :func:`simcore.analysis.optimize.optimize`).
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, field

import jax
import jax.numpy as jnp
import numpy as np

from simcore.analysis import levers as lever_paths
from simcore.analysis.costs import CostAssumptions, mix_costs
from simcore.core.compile import engine_jit
from simcore.core.engine import simulate
from simcore.core.model import Policy

CVAR_LEVEL = 0.95


@dataclass
class OptLever:
    """A decision variable: a lever path (:mod:`simcore.analysis.levers`), its name and bounds."""

    lever: lever_paths.Lever
    name: str
    low: float
    high: float

    @property
    def path(self) -> str:
        return self.lever.path


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


@functools.partial(engine_jit, static_argnames=("horizon", "cvar_weight"), program="smooth_objective")
def _smooth_objective(x, model, base, masks, low, span, events, base_key, index, temperature, horizon,
                      cvar_weight, shortfall_weight=0.0):
    """The surrogate at scaled levels ``x`` and its gradient (compiled once per shape;
    ``temperature`` and ``shortfall_weight`` are traced): ``(value, (risk, shortfall),
    grad)`` with ``value = risk + shortfall_weight x shortfall``, ``risk`` the smoothed
    risk of the value-added loss and ``shortfall`` the expected value not delivered."""

    def objective(x):
        metrics, _ = simulate(model, policy_from_values(base, masks, low + span * x), events, horizon=horizon,
                              base_key=base_key, scenario_index=index, temperature=temperature)
        target = risk(jnp.sum(metrics.value_added_loss[0], axis=-1), cvar_weight)
        shortfall = jnp.mean(jnp.sum(metrics.undelivered_value[0], axis=-1))
        return target + shortfall_weight * shortfall, (target, shortfall)

    (value, parts), grad = jax.value_and_grad(objective, has_aux=True)(x)
    return value, parts, grad


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
        metrics, _ = simulate(problem.model, lever_paths.stacked(fields, rows), problem.events,
                              horizon=problem.horizon, base_key=problem.base_key, scenario_index=index)
        count = min(size, m - first)
        out["loss"].append(np.asarray(metrics.value_added_loss, np.float64).sum(-1)[:count])
        out["shortage_days"].append(np.asarray(metrics.shortage_days, np.float64).sum(-1)[:count])
        out["spare_used"].append(np.asarray(metrics.spare_used, np.float64).mean(1)[:count])
    return {k: np.concatenate(v) for k, v in out.items()}
