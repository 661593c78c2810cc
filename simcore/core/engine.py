"""The engine: the loop over days and the entry points.

:func:`simcore.core.step.step` advances one day; :func:`simulate_lanes` owns the loop
(``lax.scan`` over days) for a block of scenarios carried as lanes
(:mod:`simcore.core.lanes`) and reduces each to per-scenario metrics, plus daily
trajectories when asked. :func:`simulate` is the one entry point: it draws the scenarios
of a chunk (or takes explicit ones), runs them for every policy (``vmap`` over policies),
exact or smoothed for gradients (``temperature``), and is ``jit``-ed once per shape;
:func:`simulate_scenario` is one scenario of one policy, unjitted, for tests and
notebooks. :func:`simulate_batch`, :func:`simulate_smooth` and :func:`simulate_given`
are aliases of :func:`simulate` kept for one release.

Results have leading axes ``[policy, scenario]``; daily trajectories
``[policy, scenario, day, ...]``. What the loop sums each day and how the sums become
per-scenario metrics lives in :mod:`simcore.core.metrics` (``Metrics``, ``Totals`` and
``init_totals`` are re-exported here).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from simcore.core import smooth as S
from simcore.core.compile import engine_jit
from simcore.core.cuts import Occurrences, occurrences_from_batch
from simcore.core.disruptions import (
    EventSet,
    Scenario,
    draw_leakage,
    no_disruption,
    sample_batch,
)
from simcore.core.lanes import lanes_first, model_lanes, policy_lanes
from simcore.core.metrics import (  # noqa: F401  (re-exported: the metrics' public names)
    Metrics,
    Totals,
    accumulate,
    finish,
    init_totals,
)
from simcore.core.model import Model, Policy
from simcore.core.step import (  # noqa: F401  (re-exported: the day step's public names)
    Daily,
    State,
    init_state,
    normal_time_markup,
    private_target,
    step,
)
from simcore.core.uncertainty import drawn_fields, parameter_key


def simulate_lanes(
    model: Model,
    policy: Policy,
    events: EventSet,
    occ: Occurrences,
    horizon: int,
    save_daily: bool = False,
    temperature=0.0,
    daily_lanes: int | None = None,
) -> tuple[Metrics, Daily | None]:
    """Run ``B`` scenarios (lanes, :mod:`simcore.core.lanes`) over ``horizon`` days
    (``lax.scan``) and reduce each to metrics ``[..., B]``.

    ``model`` and ``policy`` are in the lane layout, ``occ`` holds the occurrences
    ``[E, K, B]``. ``horizon``, ``save_daily`` and ``daily_lanes`` are static. With
    ``save_daily`` the daily trajectories come back ``[horizon, ..., B]``, or only those
    of the first ``daily_lanes`` lanes ``[horizon, ..., daily_lanes]`` (a run's kept
    scenarios riding along in its chunk program: the other lanes' days are never
    stored); otherwise ``None`` and only the running totals live in memory.
    ``temperature``: see :func:`simcore.core.step.step` (0.0, the default, is the exact
    engine; otherwise ``shortage_days`` is a float count).
    """
    carry, day = day_loop(model, policy, events, occ, temperature)

    def body(carry, _):
        carry, daily = day(carry)
        return carry, (kept_lanes(daily, daily_lanes) if save_daily else None)

    (final, totals), daily = jax.lax.scan(body, carry, None, length=horizon)
    return finish(model, carry[0], final, totals, horizon), daily


def kept_lanes(daily: Daily, daily_lanes: int | None) -> Daily:
    """The first ``daily_lanes`` lanes of one day's trajectories ``[..., B]`` (all of
    them where ``daily_lanes`` is None)."""
    if daily_lanes is None:
        return daily
    return jax.tree_util.tree_map(lambda x: x[..., :daily_lanes], daily)


def day_loop(model: Model, policy: Policy, events: EventSet, occ: Occurrences, temperature=0.0):
    """``(carry, day)``: the day loop's first carry ``(initial state, zero totals)`` and
    ``day(carry) -> (carry, daily)``, one day of every lane with its totals accumulated.
    :func:`simulate_lanes` scans it over the horizon; other loops over the same day (the
    fan histograms of :mod:`simcore.run.fans`) reuse it, so there is one day loop.
    ``finish(model, carry[0], final, totals, horizon)`` turns the last carry into metrics."""
    initial = init_state(model, policy, occ.onset_day.shape[-1])

    def day(carry):
        state, totals = carry
        new_state, daily, flows = step(model, policy, events, occ, state, temperature)
        return (new_state, accumulate(totals, daily, flows)), daily

    totals0 = init_totals(initial, model.final_demand.shape[0], smooth=not S.is_exact(temperature))
    return (initial, totals0), day


def _scenario_major(metrics: Metrics, daily: Daily | None) -> tuple[Metrics, Daily | None]:
    """Lane results as scenario-major arrays: metrics ``[B, ...]``, daily ``[B, day, ...]``."""
    metrics = jax.tree_util.tree_map(lanes_first, metrics)
    if daily is not None:
        daily = jax.tree_util.tree_map(lanes_first, daily)
    return metrics, daily


def simulate_scenario(
    model: Model,
    policy: Policy,
    events: EventSet,
    scenario: Scenario,
    horizon: int,
    save_daily: bool = False,
    temperature=0.0,
) -> tuple[Metrics, Daily | None]:
    """Run one scenario (fields ``[E, K]`` or ``[E]``) of one policy over ``horizon``
    days: metrics ``[P]``, ``[S]`` or scalars, daily trajectories ``[horizon, ...]``.
    The model runs at its central values (uncertainty is not drawn here)."""
    occ = Occurrences(*(jnp.asarray(x, jnp.float32).reshape(x.shape[0], -1)[..., None] for x in scenario))
    metrics, daily = simulate_lanes(model_lanes(model), policy_lanes(policy), events, occ, horizon, save_daily,
                                    temperature)
    one = functools.partial(jnp.squeeze, axis=-1)
    return jax.tree_util.tree_map(one, metrics), (None if daily is None else jax.tree_util.tree_map(one, daily))


@functools.partial(engine_jit, static_argnames=("horizon", "save_daily", "daily_lanes"),
                   program="simcore.core.engine.simulate")
def simulate(
    model: Model,
    policies: Policy,
    events: EventSet,
    *,
    horizon: int,
    base_key: jax.Array | None = None,
    scenario_index: jnp.ndarray | None = None,
    scenarios: Scenario | None = None,
    save_daily: bool = False,
    temperature=None,
    central: jnp.ndarray | None = None,
    daily_lanes: int | None = None,
) -> tuple[Metrics, Daily | None]:
    """The engine's one entry point: metrics ``[policy, scenario, ...]`` (and with
    ``save_daily`` daily trajectories ``[policy, scenario, day, ...]``) for stacked
    ``policies`` over ``horizon`` days. ``jit``-ed once per shape; ``horizon`` and
    ``save_daily`` are static.

    Which scenarios (give one of the two):

    * ``base_key`` and ``scenario_index`` ``[N]``: scenario ``i`` is drawn from
      ``fold_in(base_key, i)``, so every policy sees the same futures (common random
      numbers) and a chunk's results do not depend on which other indices are in it. A
      model with uncertain parameters (``model.uncertainty``) draws scenario ``i``'s
      parameters from ``parameter_key(base_key, i)`` (its events are unchanged) and runs
      every policy on that one drawn model; a model without them compiles exactly the
      path it always had.
    * ``scenarios`` (fields ``[E, K, N]`` or ``[E, N]``): explicit scenarios (tests,
      normal times). Uncertain parameters are not drawn: the model runs at its central
      values. To run explicit scenarios with drawn parameters, draw the model first
      (:func:`simcore.core.uncertainty.draw_model`).

    ``central`` ``[N]`` bool (with ``scenario_index``): lanes that run *normal times*
    instead of their drawn scenario: no occurrence of any event and the model's central
    numbers (what ``scenarios=no_disruption(events)`` runs), so one program gives the
    kept scenarios' trajectories and normal times together (issue 19 item 2). The central
    numbers are selected, not recomputed: such a lane gives the explicit path's bits.

    ``daily_lanes`` (static, with ``save_daily``): keep the days of the first
    ``daily_lanes`` scenarios only, ``[policy, daily_lanes, day, ...]``; a run's chunk
    program carries its kept scenarios so (:mod:`simcore.run.riders`).

    ``temperature``: None, the exact engine; a number > 0 (dimensionless, widths in
    units of daily demand), the smoothed engine of :mod:`simcore.core.smooth`,
    differentiable in ``model`` and ``policies``, the temperature traced (annealing does
    not recompile), ``shortage_days`` a float (relaxed count); it converges to the exact
    engine as ``temperature -> 0`` (``tests/test_optimize.py``).
    """
    smooth = 0.0 if temperature is None else jnp.asarray(temperature, jnp.float32)
    if scenarios is not None:
        if base_key is not None or scenario_index is not None or central is not None:
            raise ValueError("simulate: give either scenarios or base_key and scenario_index (and central), not both")
        model = model._replace(uncertainty=None)
        occ = occurrences_from_batch(jax.tree_util.tree_map(
            lambda x: jnp.asarray(x, jnp.float32).reshape(x.shape[0], x.shape[1], -1), scenarios))
        return _over_policies(model, model_lanes(model), policies, events, occ, horizon, save_daily, smooth,
                              daily_lanes)
    if base_key is None or scenario_index is None:
        raise ValueError("simulate: give either scenarios or base_key and scenario_index")
    occ, events, lane_model = batch_lanes(model, events, base_key, scenario_index, central)
    return _over_policies(model, lane_model, policies, events, occ, horizon, save_daily, smooth, daily_lanes)


# Kept for one release: thin aliases of simulate (the service, the runner and many tests
# call them by these names).
def simulate_batch(model, policies, events, base_key, scenario_index, horizon: int, save_daily: bool = False):
    """:func:`simulate` with drawn scenarios, the exact engine (an alias kept for one release)."""
    return simulate(model, policies, events, horizon=horizon, base_key=base_key, scenario_index=scenario_index,
                    save_daily=save_daily)


def simulate_smooth(model, policies, events, base_key, scenario_index, horizon: int, temperature,
                    save_daily: bool = False):
    """:func:`simulate` with drawn scenarios at ``temperature`` (an alias kept for one release)."""
    return simulate(model, policies, events, horizon=horizon, base_key=base_key, scenario_index=scenario_index,
                    save_daily=save_daily, temperature=temperature)


def simulate_given(model, policies, events, scenarios, horizon: int, save_daily: bool = False):
    """:func:`simulate` with explicit ``scenarios``, the exact engine (an alias kept for one release)."""
    return simulate(model, policies, events, horizon=horizon, scenarios=scenarios, save_daily=save_daily)


def batch_lanes(model: Model, events: EventSet, base_key, scenario_index, central=None):
    """``(occ, events, lane_model)`` of the scenarios ``scenario_index`` ``[B]``: their event
    occurrences, the events with their leakage drawn, and the model in the lane layout
    with each scenario's drawn parameters (what every policy of the batch runs on).
    ``central`` ``[B]`` bool: those lanes get no occurrence and the central numbers
    (normal times; :func:`simulate`)."""
    sampled = sample_batch(events, base_key, scenario_index)
    central_leakage = events.leakage_share  # [E]: the explicit path's (undrawn) shares
    if central is not None:
        central = jnp.asarray(central, bool)
        sampled = Scenario(*(jnp.where(central[:, None, None], quiet[None], x)
                             for quiet, x in zip(no_disruption(events), sampled)))
    occ = occurrences_from_batch(sampled)
    events = draw_leakage(events, base_key, scenario_index)  # [E, B]: drawn per scenario, like the parameters
    if central is not None:
        events = events._replace(leakage_share=jnp.where(central[None, :], central_leakage[:, None],
                                                         events.leakage_share))
    drawn = {}
    if model.uncertainty is not None:  # static (pytree structure)
        # Every policy sees the same drawn numbers: one draw per scenario, outside the
        # policy vmap.
        drawn = jax.vmap(lambda i: drawn_fields(model, parameter_key(base_key, i)))(scenario_index)
        if central is not None:
            drawn = {name: jnp.where(central.reshape((-1,) + (1,) * (value.ndim - 1)),
                                     jnp.asarray(_central_value(model, name), value.dtype)[None], value)
                     for name, value in drawn.items()}
    return occ, events, model_lanes(model, drawn)


def _central_value(model: Model, name: str) -> jnp.ndarray:
    """The central value of a drawn field (:func:`simcore.core.uncertainty.drawn_fields`):
    the model's own field, the hidden links' shares, or a price scale of 1 (exact: the
    explicit path multiplies by nothing, a lane of ones changes no bit)."""
    if name == "hidden_share":
        return model.hidden.share
    if name == "price_scale":
        return jnp.ones_like(model.price)
    return getattr(model, name)


def _over_policies(model, lane_model, policies, events, occ, horizon, save_daily, temperature, daily_lanes=None):
    """Every policy (``vmap``) over the lanes of ``occ``: results ``[policy, scenario, ...]``."""

    def one(policy):
        lanes = drawn_policy_lanes(model, lane_model, policy_lanes(policy))
        return _scenario_major(*simulate_lanes(lane_model, lanes, events, occ, horizon, save_daily, temperature,
                                               daily_lanes))

    return jax.vmap(one)(policies)


def drawn_policies(model: Model, drawn: Model, policies: Policy) -> Policy:
    """``policies`` for a scenario's ``drawn`` model: the import-share rows a policy left
    at the model's (central) values follow the drawn rows; rows a policy sets itself
    (diversification) stay its decision. Shapes: ``policies`` ``[..., P, O]``, models
    ``[P, O]``."""
    if model.uncertainty is None or "import_share" not in model.uncertainty.draws:
        return policies
    unchanged = jnp.all(policies.import_share == model.import_share, axis=-1, keepdims=True)  # [..., P, 1]
    return policies._replace(import_share=jnp.where(unchanged, drawn.import_share, policies.import_share))


def drawn_policy_lanes(model: Model, lane_model: Model, policy: Policy) -> Policy:
    """:func:`drawn_policies` in the lane layout: one ``policy`` ``[P, O, 1]`` against
    the drawn rows ``[P, O, B]`` of ``lane_model``."""
    if model.uncertainty is None or "import_share" not in model.uncertainty.draws:
        return policy
    unchanged = jnp.all(policy.import_share[..., 0] == model.import_share, axis=-1)[:, None, None]  # [P, 1, 1]
    return policy._replace(import_share=jnp.where(unchanged, lane_model.import_share, policy.import_share))


def policy_markups(model: Model, policies: Policy) -> jax.Array:
    """Normal-time markup ``[M, P]`` (fraction of the baseline price,
    :func:`normal_time_markup`) of ``M`` stacked mixes at the model's central import
    shares. One compiled program, kept on disk like the engine's
    (:mod:`simcore.core.executable_cache`): op by op, outside ``jit``, it ran about
    fifteen one-op programs, each traced and looked up in every run."""
    return _policy_markups(model._replace(uncertainty=None), policies)


@functools.partial(engine_jit, program="simcore.core.engine.policy_markups")
def _policy_markups(model: Model, policies: Policy) -> jax.Array:
    return jax.vmap(lambda policy: normal_time_markup(model, policy))(policies)
