"""The optimiser itself: projected gradient descent on the smoothed surrogate.

:func:`optimize` moves lever levels (scaled to ``[0, 1]`` per lever) down the gradient
of the surrogate of :mod:`simcore.analysis.objective`, keeps every iterate within bounds
and budget by projection (:func:`simcore.analysis.objective.project`), and picks the
iterate to return on the exact engine; :class:`OptResult` is what it returns, with its
verdict (moved, converged, flat at the start). Apart from the ``[optimize]`` command
(:mod:`simcore.analysis.optimize`: section, comparison search, out-of-sample
evaluation, store, CLI), which re-exports these names, so the loop can be read, tested
and benchmarked on its own.

**Gradients** come from the surrogate of :mod:`simcore.analysis.objective` (smoothed
value-added risk plus ``shortfall_weight`` x the expected value not delivered) on
:func:`simcore.core.engine.simulate_smooth` on the training scenarios (common random
numbers: the same scenarios at every step), at a temperature annealed from
``temperature_start`` to ``temperature``: wide relaxations first (gradients reach
thresholds the exact engine is flat around), then close to the exact engine.

**Which iterate.** ``exact_evaluations`` evenly spaced iterates (the start and the last
included) are run on the *exact* engine on the training scenarios and the best is
returned (ties: the earliest). The result says whether the optimiser **moved** (the
answer is not the start), whether the surrogate was **flat at the start** (zero
gradient: nothing to follow) and whether it **converged** (over the last quarter of the
steps the levels' net displacement is at most half their path: they circle a point
instead of travelling); the CLI prints a line when it did not move or did
not converge.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass

import jax
import jax.numpy as jnp
import numpy as np
import optax

from simcore.analysis.objective import Problem, _smooth_objective, exact_losses, lever_masks, project, risk


MOVE_TOLERANCE = 1e-3  # scaled units: below this the answer counts as the start
CONVERGENCE_RATIO = 0.5  # net drift / path length of the iterates over the last quarter of the steps


@dataclass
class OptResult:
    """One optimisation: the returned levels ``x`` (scaled) and ``values``, the start
    ``x0``, the surrogate per step (``history``; ``history_risk`` its value-added part,
    ``temperatures`` the schedule), the exact training risk of the checkpoints
    (``checkpoint_steps``, ``checkpoint_risk``; the returned levels are the best) and
    the verdict: ``moved`` (the answer is not the start), ``converged`` (over the
    last quarter of the steps the levels circle a point or sit still instead of
    travelling), ``flat_start`` (zero gradient at the start) and
    ``status`` (one line)."""

    x: np.ndarray
    values: np.ndarray
    history: np.ndarray
    seconds: float
    x0: np.ndarray = None
    history_risk: np.ndarray = None
    temperatures: np.ndarray = None
    checkpoint_steps: np.ndarray = None
    checkpoint_risk: np.ndarray = None
    moved: bool = True
    converged: bool = True
    flat_start: bool = False
    status: str = "moved and converged"
    chosen_step: int = -1  # the returned iterate (0: the start)

    @property
    def exact_evaluations(self) -> int:
        return 0 if self.checkpoint_steps is None else len(self.checkpoint_steps)


def temperature_schedule(steps: int, temperature: float, temperature_start: float | None = None) -> np.ndarray:
    """Per-step temperatures: geometric from ``temperature_start`` to ``temperature`` over
    the first three quarters of the steps, then held (the last quarter is one function,
    which the convergence test reads)."""
    if steps <= 0:
        return np.zeros(0)
    if temperature_start is None or temperature_start <= temperature:
        return np.full(steps, float(temperature))
    ramp = max(1, int(math.ceil(0.75 * steps)))
    out = np.full(steps, float(temperature))
    if ramp > 1:
        out[:ramp] = np.geomspace(temperature_start, temperature, ramp)
    return out


def checkpoint_steps(steps: int, exact_evaluations: int) -> np.ndarray:
    """Iterates (``0`` the start .. ``steps`` the last) run on the exact engine: evenly
    spaced, the last always included."""
    k = max(1, min(int(exact_evaluations), steps + 1))
    if k == 1:
        return np.array([steps])
    return np.unique(np.round(np.linspace(0, steps, k)).astype(int))


def optimize(problem: Problem, budget: float, *, steps: int = 60, learning_rate: float = 0.05,
             temperature: float = 0.02, train_scenarios: int = 256, x0=None, temperature_start: float | None = None,
             exact_evaluations: int | None = None, shortfall_weight: float = 1.0, method: str = "pgd") -> OptResult:
    """Projected gradient descent (``method="pgd"``, optax SGD on the gradient normalised
    by its largest component; or ``"adam"``) on the surrogate of
    :mod:`simcore.analysis.objective` at an annealed temperature, training scenarios
    ``0 .. train_scenarios - 1``, levels kept in bounds and budget by projection; then
    ``exact_evaluations`` evenly spaced iterates (start and last included) run on the
    *exact* engine on the same training scenarios, and the best is returned (ties: the
    earliest, so the start wins them). Never returns the start silently: the result
    says whether it moved and converged."""
    index = jnp.arange(0, train_scenarios, dtype=jnp.uint32)
    room = budget - problem.cost0
    span = jnp.asarray(problem.high - problem.low, jnp.float32)
    low = jnp.asarray(problem.low, jnp.float32)
    masks = {k: jnp.asarray(v) for k, v in lever_masks(problem.levers).items()}
    base = jax.tree_util.tree_map(lambda v: jnp.asarray(v, jnp.float32), problem.base)

    def value_and_grad(x, tau):
        return _smooth_objective(x, problem.model, base, masks, low, span, problem.events, problem.base_key, index,
                                 jnp.float32(tau), horizon=problem.horizon, cvar_weight=float(problem.cvar_weight),
                                 shortfall_weight=jnp.float32(shortfall_weight))
    # Start: the upper bounds projected onto the budget set (the budget spent, spread in
    # the Euclidean sense). Where the training scenarios leave the objective flat (no
    # loss left to remove) the answer then keeps the budget spent instead of stopping at
    # the first levels that clear the training losses.
    start = project(np.ones(len(problem.levers)) if x0 is None else np.asarray(x0, np.float64),
                    problem.cost_slope, room)
    temperatures = temperature_schedule(steps, temperature, temperature_start)
    scale = None
    # Cosine decay of the step (to 5 %): the projected iterates settle at the kinks.
    schedule = optax.cosine_decay_schedule(learning_rate, max(steps, 1), alpha=0.05)
    # "adam": per-lever step sizes; "pgd": projected gradient descent on the gradient
    # normalised by its largest component, which keeps the levers' relative marginal
    # values (the budget flows to the lever that avoids most loss per unit of range).
    opt = optax.adam(schedule) if method == "adam" else optax.sgd(schedule)
    x = start
    state = opt.init(jnp.asarray(x, jnp.float32))
    history, history_risk, iterates = [], [], [start]
    flat_start = False
    began = time.perf_counter()
    for k in range(steps):
        value, (target, _), grad = value_and_grad(jnp.asarray(x, jnp.float32), temperatures[k])
        value = float(value)
        grad = np.asarray(grad, np.float64)
        history.append(value)
        history_risk.append(float(target))
        if k == 0:
            flat_start = bool(np.all(grad == 0.0))
        if method != "adam":
            scale = max(float(np.max(np.abs(grad))), 1e-30)
        elif scale is None and value != 0.0:  # Adam is scale-free; this only keeps the numbers readable
            scale = abs(value)
        updates, state = opt.update(jnp.asarray(grad / (scale or 1.0), jnp.float32), state)
        x = project(x + np.asarray(updates, np.float64), problem.cost_slope, room)
        iterates.append(x)
    iterates = np.array(iterates)
    chosen = checkpoint_steps(steps, exact_evaluations if exact_evaluations is not None else steps + 1)
    train = exact_losses(problem, problem.values(iterates[chosen]), 0, train_scenarios)
    scores = np.asarray(risk(jnp.asarray(train["loss"]), problem.cvar_weight), np.float64)
    # Ties (a flat exact objective): the earliest iterate, the start first: no move
    # that the exact objective cannot tell apart from the start is made.
    best = int(np.flatnonzero(scores <= scores.min())[0])
    x = iterates[chosen[best]]
    moved = bool(np.max(np.abs(x - start)) > MOVE_TOLERANCE)
    history = np.asarray(history)
    # Converged: over the last quarter of the steps (at the final temperature) the
    # iterates no longer travel: their net displacement is at most half the length of
    # their path (they circle a point or sit still) or below the move tolerance. Scale
    # free, so the decaying step size alone does not make a travelling iterate "converged".
    quarter = max(1, steps // 4)
    if steps >= 4:
        last = iterates[-1 - quarter:]
        drift = float(np.linalg.norm(last[-1] - last[0]))
        path = float(np.sum(np.linalg.norm(np.diff(last, axis=0), axis=1)))
        ratio = drift / path if path > 0 else 0.0
        converged = bool(drift <= MOVE_TOLERANCE or ratio <= CONVERGENCE_RATIO)
    else:
        ratio, converged = math.inf, False
    if not moved and flat_start:
        status = ("did not move: the surrogate is flat at the start (zero gradient on the training scenarios); "
                  "the start is returned")
    elif not moved:
        status = "did not move: no iterate beat the start on the exact training objective; the start is returned"
    elif not converged:
        status = ("did not converge: " + (f"the levels still travelled in one direction over the last quarter of the "
                                          f"steps (net displacement {100 * ratio:.0f} % of their path)"
                                          if steps >= 4 else "fewer than 4 steps"))
    else:
        status = "moved and converged"
    return OptResult(x=x, values=problem.values(x), history=history, seconds=time.perf_counter() - began,
                     x0=start, history_risk=np.asarray(history_risk), temperatures=temperatures,
                     checkpoint_steps=chosen, checkpoint_risk=scores, moved=moved, converged=converged,
                     flat_start=flat_start, status=status, chosen_step=int(chosen[best]))
