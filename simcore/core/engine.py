"""The day-step engine: one scenario, one day, a pure function.

:func:`step` advances the state of one scenario by one day; :func:`simulate_scenario`
owns the loop (``lax.scan`` over days) and returns per-scenario metrics, plus daily
trajectories when asked; :func:`simulate_batch` ``vmap``-s that over policies and
scenario indices. The shell ``jit``-s the batch function once (see
``simcore.run.runner``).

Order of one day for product ``p`` (quantities in product units per day):

1. demand ``D`` = baseline demand x (1 - efficiency cut); recycled supply ``r D``;
   primary requirement ``Q = D - r D``.
2. primary supply lost: ``Q`` x (import shares x share withheld at origin, seen
   ``lead_time_days`` late because goods already shipped keep arriving) + domestic
   share x shortfall of its critical inputs (yesterday's fill of those products).
3. supply alarm: the first day the origins (not yet the port) fall short starts the
   crisis clock for qualification lags and release delays.
4. contracted spare capacity (after its lag, ramping) covers the loss first, then
   helps restock; restocking otherwise uses the suppliers' headroom.
5. government release: once the decision delay has passed, while the remaining
   shortfall exceeds the trigger or users would otherwise go short, up to the release
   rate, the stock and the shortfall.
6. the private inventory takes everything in, demand is served from it, the rest is
   unmet; scarce deliveries go to sectors proportionally or by priority.
7. refill of the government stock once supply is normal and private stocks are back.
8. sector output is capped by critical product inputs (less the substitutable share)
   and by critical upstream sectors; prices follow the scarcity curve and pass
   through the Leontief price model.

With no disruption and no policy every quantity stays exactly at its baseline.
"""

from __future__ import annotations

import functools
from typing import NamedTuple

import jax
import jax.numpy as jnp

from simcore.core.disruptions import EventSet, Scenario, availability, sample_batch
from simcore.core.model import DAYS_PER_YEAR, Model, Policy

_TINY = 1e-12
_NOT_YET = jnp.inf  # day sentinel for "has not happened"


class State(NamedTuple):
    """Dynamic state of one scenario. Fields ``[P]`` unless stated."""

    day: jnp.ndarray  # scalar int32
    private_stock: jnp.ndarray  # product units
    gov_stock: jnp.ndarray  # product units
    scarcity_multiple: jnp.ndarray  # scarcity part of price / baseline price (>= 1)
    alarm_day: jnp.ndarray  # first day origins fell short, inf if none yet
    fill: jnp.ndarray  # yesterday's delivered / demand (feeds domestic production)


class Totals(NamedTuple):
    """Running sums and extremes over the horizon for one scenario."""

    shortage_days: jnp.ndarray  # [P] int32, days with unmet > tolerance x demand
    unmet: jnp.ndarray  # [P] product units
    demand: jnp.ndarray  # [P] product units
    delivered: jnp.ndarray  # [P] product units
    inflow: jnp.ndarray  # [P] product units entering the country's stocks and users
    gov_release: jnp.ndarray  # [P] product units
    spare_used: jnp.ndarray  # [P] product units
    lost_output: jnp.ndarray  # [S] currency (IO unit), sum over days
    price_change_sum: jnp.ndarray  # [P] sum of relative price changes
    price_change_peak: jnp.ndarray  # [P]
    sector_price_change_sum: jnp.ndarray  # [S]
    index_change_sum: jnp.ndarray  # scalar
    index_change_peak: jnp.ndarray  # scalar
    first_shortage_day: jnp.ndarray  # [P] inf if none
    last_unrecovered_day: jnp.ndarray  # [P] -1 if always normal


class Daily(NamedTuple):
    """Trajectories kept when ``save_daily=True``; each field gets a leading ``day`` axis."""

    private_stock: jnp.ndarray  # [P]
    gov_stock: jnp.ndarray  # [P]
    delivered: jnp.ndarray  # [P]
    unmet: jnp.ndarray  # [P]
    price_change: jnp.ndarray  # [P]
    sector_output_share: jnp.ndarray  # [S] output / baseline output
    sector_price_change: jnp.ndarray  # [S]
    price_index_change: jnp.ndarray  # scalar


class Metrics(NamedTuple):
    """Per-scenario results. ``[P]`` per product, ``[S]`` per sector."""

    shortage_days: jnp.ndarray  # [P] int32 days
    unmet: jnp.ndarray  # [P] product units
    demand: jnp.ndarray  # [P] product units
    delivered: jnp.ndarray  # [P] product units
    inflow: jnp.ndarray  # [P] product units
    initial_stock: jnp.ndarray  # [P] private + government, product units
    final_stock: jnp.ndarray  # [P] private + government, product units
    final_gov_stock: jnp.ndarray  # [P] product units
    gov_release: jnp.ndarray  # [P] product units
    spare_used: jnp.ndarray  # [P] product units
    lost_output: jnp.ndarray  # [S] currency (IO unit)
    peak_price_change: jnp.ndarray  # [P] relative to baseline price
    mean_price_change: jnp.ndarray  # [P]
    mean_sector_price_change: jnp.ndarray  # [S]
    mean_price_index_change: jnp.ndarray  # scalar
    peak_price_index_change: jnp.ndarray  # scalar
    time_to_survive: jnp.ndarray  # [P] days from first alarm to first shortage (nan: none)
    time_to_recover: jnp.ndarray  # [P] days from first alarm to full recovery (nan: no alarm)
    recovered: jnp.ndarray  # [P] bool, False if still not recovered at the horizon end


def _ramp(days_since_start: jnp.ndarray, ramp_days: jnp.ndarray) -> jnp.ndarray:
    """Share in effect ``days_since_start`` days after a start (day 0 -> 1/ramp_days)."""
    linear = jnp.clip((days_since_start + 1.0) / jnp.maximum(ramp_days, 1.0), 0.0, 1.0)
    return jnp.where(days_since_start < 0, 0.0, jnp.where(ramp_days > 0, linear, 1.0))


def private_target(model: Model, policy: Policy) -> jnp.ndarray:
    """Private inventory target ``[P]`` in product units (zero for services)."""
    return model.demand_per_day * (model.inventory_days + policy.private_extra_days) * model.storable


def init_state(model: Model, policy: Policy) -> State:
    """Everything at baseline: stocks at their targets, prices at baseline."""
    ones = jnp.ones_like(model.demand_per_day)
    return State(
        day=jnp.asarray(0, dtype=jnp.int32),
        private_stock=private_target(model, policy),
        gov_stock=model.demand_per_day * policy.gov_stock_days * model.storable,
        scarcity_multiple=ones,
        alarm_day=jnp.full_like(ones, _NOT_YET),
        fill=ones,
    )


def init_totals(model: Model) -> Totals:
    zeros_p = jnp.zeros_like(model.demand_per_day)
    zeros_s = jnp.zeros_like(model.final_demand)
    return Totals(
        shortage_days=jnp.zeros(zeros_p.shape, dtype=jnp.int32),
        unmet=zeros_p,
        demand=zeros_p,
        delivered=zeros_p,
        inflow=zeros_p,
        gov_release=zeros_p,
        spare_used=zeros_p,
        lost_output=zeros_s,
        price_change_sum=zeros_p,
        price_change_peak=zeros_p,
        sector_price_change_sum=zeros_s,
        index_change_sum=jnp.zeros(()),
        index_change_peak=jnp.zeros(()),
        first_shortage_day=jnp.full_like(zeros_p, _NOT_YET),
        last_unrecovered_day=jnp.full_like(zeros_p, -1.0),
    )


def normal_time_markup(model: Model, policy: Policy, day: jnp.ndarray) -> jnp.ndarray:
    """Price markup ``[P]`` (fraction of baseline price) that the policy costs in normal times.

    Private buffer carrying cost, premium on supplier shares moved away from the
    baseline, reservation fee of spare capacity, recycling premium and efficiency
    cost. Government stock carrying cost is fiscal and not in prices.
    """
    shifted = 0.5 * jnp.sum(jnp.abs(policy.import_share - model.import_share), axis=1)
    recycled = policy.recycling_share * _ramp(day, policy.recycling_ramp_days)
    cut = policy.efficiency_cut * _ramp(day, policy.efficiency_ramp_days)
    return (
        policy.stock_carrying_cost * policy.private_extra_days / DAYS_PER_YEAR
        + policy.diversification_premium * shifted
        + policy.spare_reservation_fee * jnp.sum(policy.spare_capacity, axis=1)
        + policy.recycling_premium * recycled
        + policy.efficiency_cost * cut
    )


def _sector_fill(model: Model, delivered: jnp.ndarray, demand: jnp.ndarray, fill: jnp.ndarray) -> jnp.ndarray:
    """Share of each sector's need of each product it receives, ``[P, S]``.

    Proportional rationing gives every user the same fill; priority rationing serves
    sectors in rank order, users outside the table (households, exports) last.
    """
    need = demand[:, None] * model.use_share  # [P, S]
    served_before = need @ model.priority_before  # [P, S] need of higher-priority sectors
    priority_fill = jnp.clip((delivered[:, None] - served_before) / jnp.maximum(need, _TINY), 0.0, 1.0)
    priority_fill = jnp.where(need > 0, priority_fill, 1.0)
    proportional_fill = jnp.broadcast_to(fill[:, None], need.shape)
    return jnp.where(model.use_priority > 0, priority_fill, proportional_fill)


def _sector_capacity(model: Model, sector_fill: jnp.ndarray) -> jnp.ndarray:
    """Output of each sector as a share of baseline ``[S]``.

    A sector receiving share ``f`` of product ``p`` whose use is substitutable at share
    ``sigma`` can keep ``min(1, f / (1 - sigma))`` of its output (Leontief in the
    non-substitutable part). A sector cannot exceed the output share of any critical
    upstream sector; iterating S times propagates this through any chain.
    """
    binding = 1.0 - model.substitutable_share
    uses = (model.use_share > 0) & (binding > 0)
    limit = jnp.where(uses, jnp.minimum(1.0, sector_fill / jnp.maximum(binding, _TINY)), 1.0)
    product_capacity = jnp.min(limit, axis=0)  # [S]

    def propagate(_, capacity):
        upstream = jnp.where(model.critical_upstream > 0, capacity[:, None], 1.0)  # [j, s]
        return jnp.minimum(product_capacity, jnp.min(upstream, axis=0))

    n_sectors = model.final_demand.shape[0]
    return jax.lax.fori_loop(0, n_sectors, propagate, product_capacity)


def step(
    model: Model, policy: Policy, events: EventSet, scenario: Scenario, state: State
) -> tuple[State, Daily, dict]:
    """Advance one scenario by one day. Returns the new state, the day's trajectory
    record and the flows needed by the totals."""
    day = state.day.astype(jnp.float32)
    base_demand = model.demand_per_day
    tol = model.shortage_tolerance * base_demand

    # 1. demand, recycling, primary requirement
    cut = policy.efficiency_cut * _ramp(day, policy.efficiency_ramp_days)
    demand = base_demand * (1.0 - cut)
    recycled_share = policy.recycling_share * _ramp(day, policy.recycling_ramp_days)
    primary = demand * (1.0 - recycled_share)

    # 2. primary supply lost (written as losses so that normal times are exact)
    arriving = availability(events, scenario, day - model.lead_time_days).T  # [P, O]
    at_origin = availability(events, scenario, day).T  # [P, O]
    input_fill = jnp.min(jnp.where(model.recipe_inputs > 0, state.fill[None, :], 1.0), axis=1)
    domestic_loss = model.domestic_share * (1.0 - input_fill)
    import_loss = jnp.sum(policy.import_share * (1.0 - arriving), axis=1)
    primary_loss = primary * (import_loss + domestic_loss)

    # 3. the crisis clock starts when origins (or domestic inputs) first fall short
    origin_loss = jnp.sum(policy.import_share * (1.0 - at_origin), axis=1) + domestic_loss
    alarm_day = jnp.where(jnp.isinf(state.alarm_day) & (origin_loss > 1e-6), day, state.alarm_day)
    since_alarm = day - alarm_day  # -inf before any alarm

    # 4. spare capacity and restocking
    spare_ramp = _ramp(since_alarm - policy.qualification_lag_days, policy.spare_ramp_days)
    spare_capacity = base_demand * jnp.sum(policy.spare_capacity * arriving, axis=1) * spare_ramp
    spare_flow = jnp.minimum(spare_capacity, primary_loss)
    shortfall = primary_loss - spare_flow
    target = private_target(model, policy)
    private_gap = jnp.maximum(target - state.private_stock, 0.0)
    supplier_availability = jnp.sum(policy.import_share * arriving, axis=1) + model.domestic_share * input_fill
    headroom = model.restock_headroom * base_demand * supplier_availability
    restock = jnp.minimum(private_gap, headroom + spare_capacity - spare_flow)
    spare_used = spare_flow + jnp.maximum(restock - headroom, 0.0)

    # 5. government release, once the decision delay has passed, while the shortfall
    # exceeds the trigger, and in any case (last resort) before users would go short:
    # a government never sits on stock while demand goes unmet, so a lever that shrinks
    # the shortfall below the trigger cannot cause a shortage.
    arrivals = demand - shortfall + restock  # recycled + domestic + imports + spare + restock
    would_go_short = state.private_stock + arrivals < demand
    triggered = (
        (shortfall > 0)
        & ((shortfall > policy.release_trigger_shortfall * base_demand) | would_go_short)
        & (since_alarm >= policy.release_delay_days)
    )
    release = jnp.where(
        triggered, jnp.minimum(jnp.minimum(policy.release_rate * base_demand, state.gov_stock), shortfall), 0.0
    )

    # 6. private inventory, deliveries, unmet demand
    # Written as a net change so that a stock in balance stays exactly constant.
    stock_after = state.private_stock + (arrivals + release - demand)
    private_stock = jnp.maximum(stock_after, 0.0)
    unmet = jnp.maximum(-stock_after, 0.0)
    delivered = demand - unmet
    shortage = unmet > tol
    # Written from the loss (1 - unmet / demand, not delivered / demand) so that a day
    # without unmet demand has fill exactly 1: XLA on CPU contracts a * b + c into FMA
    # per fusion, so ``demand`` recomputed in two fusions (e.g. under an efficiency-cut
    # ramp) can differ by one ulp and delivered / demand gave 0.99999994 in normal times.
    fill = jnp.where(demand > 0, 1.0 - unmet / jnp.maximum(demand, _TINY), 1.0)

    # 7. refill the government stock from suppliers' headroom once the crisis is over
    gov_target = base_demand * policy.gov_stock_days * model.storable
    normal_again = (shortfall <= tol) & (target - private_stock <= tol)
    refill_room = jnp.maximum(headroom - restock, 0.0)
    refill = jnp.where(
        normal_again,
        jnp.minimum(jnp.minimum(policy.refill_rate * base_demand, jnp.maximum(gov_target - state.gov_stock, 0.0)), refill_room),
        0.0,
    )
    gov_stock = state.gov_stock - release + refill

    # 8. sectors and prices
    sector_output_share = _sector_capacity(model, _sector_fill(model, delivered, demand, fill))
    supply_ratio = (demand - shortfall + release) / jnp.maximum(demand, _TINY)
    supply_ratio = jnp.where(supply_ratio > 1.0 - 1e-6, 1.0, jnp.maximum(supply_ratio, 1e-6))
    target_multiple = jnp.clip(supply_ratio ** (-1.0 / model.price_elasticity), 1.0, model.price_cap)
    decay = jnp.exp(-jnp.log(2.0) / jnp.maximum(model.price_relax_half_life_days, 1e-3))
    relaxed = target_multiple + (state.scarcity_multiple - target_multiple) * decay
    scarcity_multiple = jnp.where(target_multiple >= state.scarcity_multiple, target_multiple, relaxed)
    spare_markup = policy.spare_premium * spare_flow / jnp.maximum(demand, _TINY)
    price_multiple = (1.0 + normal_time_markup(model, policy, day)) * scarcity_multiple * (1.0 + spare_markup)
    price_change = price_multiple - 1.0
    sector_price_change = model.price_operator @ price_change
    index_change = jnp.dot(model.index_weights, sector_price_change)

    unrecovered = shortage | (shortfall > tol) | (target - private_stock > tol)
    new_state = State(
        day=state.day + 1,
        private_stock=private_stock,
        gov_stock=gov_stock,
        scarcity_multiple=scarcity_multiple,
        alarm_day=alarm_day,
        fill=fill,
    )
    daily = Daily(
        private_stock=private_stock,
        gov_stock=gov_stock,
        delivered=delivered,
        unmet=unmet,
        price_change=price_change,
        sector_output_share=sector_output_share,
        sector_price_change=sector_price_change,
        price_index_change=index_change,
    )
    flows = dict(
        day=day,
        shortage=shortage,
        unrecovered=unrecovered,
        demand=demand,
        inflow=arrivals + refill,
        release=release,
        spare_used=spare_used,
        lost_output=model.gross_output / DAYS_PER_YEAR * (1.0 - sector_output_share),
    )
    return new_state, daily, flows


def _accumulate(totals: Totals, daily: Daily, flows: dict) -> Totals:
    day = flows["day"]
    shortage = flows["shortage"]
    return Totals(
        shortage_days=totals.shortage_days + shortage.astype(jnp.int32),
        unmet=totals.unmet + daily.unmet,
        demand=totals.demand + flows["demand"],
        delivered=totals.delivered + daily.delivered,
        inflow=totals.inflow + flows["inflow"],
        gov_release=totals.gov_release + flows["release"],
        spare_used=totals.spare_used + flows["spare_used"],
        lost_output=totals.lost_output + flows["lost_output"],
        price_change_sum=totals.price_change_sum + daily.price_change,
        price_change_peak=jnp.maximum(totals.price_change_peak, daily.price_change),
        sector_price_change_sum=totals.sector_price_change_sum + daily.sector_price_change,
        index_change_sum=totals.index_change_sum + daily.price_index_change,
        index_change_peak=jnp.maximum(totals.index_change_peak, daily.price_index_change),
        first_shortage_day=jnp.where(
            shortage & jnp.isinf(totals.first_shortage_day), day, totals.first_shortage_day
        ),
        last_unrecovered_day=jnp.where(flows["unrecovered"], day, totals.last_unrecovered_day),
    )


def _finish(model: Model, initial: State, final: State, totals: Totals, horizon: int) -> Metrics:
    alarm = final.alarm_day
    had_alarm = jnp.isfinite(alarm)
    had_shortage = jnp.isfinite(totals.first_shortage_day)
    recovered = totals.last_unrecovered_day < horizon - 1
    return Metrics(
        shortage_days=totals.shortage_days,
        unmet=totals.unmet,
        demand=totals.demand,
        delivered=totals.delivered,
        inflow=totals.inflow,
        initial_stock=initial.private_stock + initial.gov_stock,
        final_stock=final.private_stock + final.gov_stock,
        final_gov_stock=final.gov_stock,
        gov_release=totals.gov_release,
        spare_used=totals.spare_used,
        lost_output=totals.lost_output,
        peak_price_change=totals.price_change_peak,
        mean_price_change=totals.price_change_sum / horizon,
        mean_sector_price_change=totals.sector_price_change_sum / horizon,
        mean_price_index_change=totals.index_change_sum / horizon,
        peak_price_index_change=totals.index_change_peak,
        time_to_survive=jnp.where(had_shortage & had_alarm, totals.first_shortage_day - alarm, jnp.nan),
        time_to_recover=jnp.where(
            had_alarm, jnp.maximum(totals.last_unrecovered_day + 1.0 - alarm, 0.0), jnp.nan
        ),
        recovered=recovered,
    )


def simulate_scenario(
    model: Model,
    policy: Policy,
    events: EventSet,
    scenario: Scenario,
    horizon: int,
    save_daily: bool = False,
) -> tuple[Metrics, Daily | None]:
    """Run one scenario over ``horizon`` days (``lax.scan``) and reduce to metrics.

    ``horizon`` and ``save_daily`` are static. With ``save_daily`` the daily
    trajectories come back with a leading ``[horizon]`` axis; otherwise ``None`` and
    only the running totals live in memory.
    """
    initial = init_state(model, policy)

    def body(carry, _):
        state, totals = carry
        new_state, daily, flows = step(model, policy, events, scenario, state)
        return (new_state, _accumulate(totals, daily, flows)), (daily if save_daily else None)

    (final, totals), daily = jax.lax.scan(body, (initial, init_totals(model)), None, length=horizon)
    return _finish(model, initial, final, totals, horizon), daily


@functools.partial(jax.jit, static_argnames=("horizon", "save_daily"))
def simulate_batch(
    model: Model,
    policies: Policy,
    events: EventSet,
    base_key: jax.Array,
    scenario_index: jnp.ndarray,
    horizon: int,
    save_daily: bool = False,
) -> tuple[Metrics, Daily | None]:
    """Metrics ``[policy, scenario, ...]`` for stacked ``policies`` and scenario indices.

    Scenario ``i`` is drawn from ``fold_in(base_key, i)``, so every policy sees the same
    futures (common random numbers) and a chunk's results do not depend on which other
    indices are in it.
    """
    scenarios = sample_batch(events, base_key, scenario_index)

    def one(policy, scenario):
        return simulate_scenario(model, policy, events, scenario, horizon, save_daily)

    over_scenarios = jax.vmap(one, in_axes=(None, 0))
    return jax.vmap(over_scenarios, in_axes=(0, None))(policies, scenarios)


@functools.partial(jax.jit, static_argnames=("horizon", "save_daily"))
def simulate_given(
    model: Model,
    policies: Policy,
    events: EventSet,
    scenarios: Scenario,
    horizon: int,
    save_daily: bool = False,
) -> tuple[Metrics, Daily | None]:
    """Like :func:`simulate_batch` for explicit scenarios ``[N]`` (tests, normal times)."""

    def one(policy, scenario):
        return simulate_scenario(model, policy, events, scenario, horizon, save_daily)

    return jax.vmap(jax.vmap(one, in_axes=(None, 0)), in_axes=(0, None))(policies, scenarios)
