"""The day step: one day of one scenario, a pure function.

:func:`step` advances the state of a scenario by one day. It is written for one
scenario, with every array carrying a trailing lane axis: the scenarios computed
together (:mod:`simcore.core.lanes`). :mod:`simcore.core.engine` owns the loop over
days and the entry points.

Order of one day for product ``p`` (quantities in product units per day; the
equations and their references are in ``docs/model.md``):

1. demand ``D`` = baseline demand x (1 - efficiency cut) x the use of yesterday's
   sector output (idle users stop drawing); recycled supply ``r D``; primary
   requirement ``Q = D - r D``. Recycling and efficiency are in place from day 0
   unless the policy starts them at the alarm.
2. primary supply lost: ``Q`` x (import shares x share withheld at origin, seen
   ``transit_days`` late per origin because goods already shipped keep arriving) +
   domestic share x shortfall of its critical inputs (yesterday's fill).
3. episode clock: the first day an origin falls short (or a cut is announced) starts
   an episode; it ends when supply, deliveries and stocks are normal again, and the
   next cut starts a new one. Qualification lags, release delays and emergency
   measures count from the episode's alarm.
4. contracted spare capacity (after its lag plus the origin's transit, ramping)
   covers the loss, then helps restock; restocking otherwise uses the suppliers'
   headroom, also arriving a transit after the alarm. During an announcement the
   importers' target rises by their storage room (buying ahead).
5. government release once the decision delay has passed, while the remaining
   shortfall exceeds the trigger or users would otherwise go short.
6. the private inventory takes everything in, demand is served from it, the rest is
   unmet; scarce deliveries go to sectors proportionally or by priority.
7. refill of the government stock once supply is normal and private stocks are back.
8. sectors (:mod:`simcore.core.sectors`): the exposed share of each sector's output is capped by its product
   inputs (critical: Leontief, important: half, non-critical: none; less the
   substitutable share) and by every critical upstream sector (one pass over the
   transitive closure); losses in value added and gross output.
9. prices: the world market (:mod:`simcore.core.market`: world stocks, demand and
   supply response, one clearing price) sets the world price from the share of its
   supply withheld (after diversion and leakage); the domestic term follows the
   country's own availability over the cover horizon (stocks by what can flow, goods in
   transit, world-market purchases) against its need; users pay world price x domestic
   term x policy markups; sector prices pass through the Leontief price model. Lost
   imports are partly replaced on the world market (step 2) as far as it delivers.

With no disruption every quantity stays exactly at its baseline.

:func:`simcore.core.engine.simulate_smooth` runs the same day step with its kinks and thresholds relaxed at
a temperature (:mod:`simcore.core.smooth`, ``docs/model.md`` section 6) for gradients
with respect to levers and model parameters; at temperature 0.0 (the default of
:func:`step`) the exact program is traced unchanged.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from simcore.core import smooth as S
from simcore.core.cuts import (
    Occurrences,
    availability_lanes,
    in_announcement_lanes,
    link_availability_lanes,
    todays_cuts,
)
from simcore.core.disruptions import EventSet
from simcore.core.lanes import matvec
from simcore.core.market import MarketState, init_market, market_step
from simcore.core.model import DAYS_PER_YEAR, Model, Policy
from simcore.core.sectors import sector_losses, sectors
from simcore.core.uncertainty import apply_hidden_cut, apply_hidden_factor

_TINY = 1e-12
_NORMAL = 1e-6  # relative gap below which a price or a supply counts as normal (exact baseline)
_NOT_YET = jnp.inf  # day sentinel for "has not happened"
_COUNT_WIDTH = 10.0  # smoothed engine: band of the relaxed shortage count, x temperature x daily demand


class State(NamedTuple):
    """Dynamic state of one scenario. Fields ``[P]`` unless stated (each with the
    trailing lane axis, :mod:`simcore.core.lanes`)."""

    day: jnp.ndarray  # scalar int32, the same in every lane
    private_stock: jnp.ndarray  # product units
    gov_stock: jnp.ndarray  # product units
    import_multiple: jnp.ndarray  # import (world) price / baseline price (>= 1)
    alarm_day: jnp.ndarray  # alarm day of the current episode, inf between episodes
    first_alarm_day: jnp.ndarray  # alarm day of the first episode, inf before (qualification runs once)
    last_cut_day: jnp.ndarray  # last day an origin fell short, -inf if never (cuts still in transit)
    episode_short: jnp.ndarray  # bool: the current episode has had a shortage
    market_fill: jnp.ndarray  # yesterday's share of world demand the world market delivered
    fill: jnp.ndarray  # yesterday's delivered / demand (feeds domestic production)
    use_factor: jnp.ndarray  # yesterday's use of the product by its users (1 = all working)
    market: MarketState  # the world market of every product (simcore.core.market)


class Daily(NamedTuple):
    """Trajectories kept when ``save_daily=True``; each field gets a ``day`` axis (lanes:
    ``[day, ..., B]``; the results ``[..., scenario, day, ...]``)."""

    private_stock: jnp.ndarray  # [P]
    gov_stock: jnp.ndarray  # [P]
    delivered: jnp.ndarray  # [P]
    unmet: jnp.ndarray  # [P]
    price_change: jnp.ndarray  # [P] user price relative to baseline, minus 1
    import_price_change: jnp.ndarray  # [P] import (world) price relative to baseline, minus 1
    scarcity_premium: jnp.ndarray  # [P] domestic scarcity multiple, minus 1
    world_stock_days: jnp.ndarray  # [P] world stocks outside the controlling origin, days of market demand
    world_fill: jnp.ndarray  # [P] share of world demand the world market delivers
    sector_output_share: jnp.ndarray  # [S] output / baseline output
    sector_price_change: jnp.ndarray  # [S]
    price_index_change: jnp.ndarray  # scalar


def _ramp(days_since_start: jnp.ndarray, ramp_days: jnp.ndarray) -> jnp.ndarray:
    """Share in effect ``days_since_start`` days after a start (day 0 -> 1/ramp_days)."""
    linear = jnp.clip((days_since_start + 1.0) / jnp.maximum(ramp_days, 1.0), 0.0, 1.0)
    return jnp.where(days_since_start < 0, 0.0, jnp.where(ramp_days > 0, linear, 1.0))


def private_target(model: Model, policy: Policy) -> jnp.ndarray:
    """Private inventory target ``[P]`` in product units (zero for services)."""
    return model.demand_per_day * (model.inventory_days + policy.private_extra_days) * model.storable


def normal_cover(model: Model) -> jnp.ndarray:
    """Stock ``[P]`` the market holds in normal times (the model's inventory target,
    without policy buffers): the reference of the domestic scarcity curve."""
    return model.demand_per_day * model.inventory_days * model.storable


def init_state(model: Model, policy: Policy, n_lanes: int | None = None) -> State:
    """Everything at baseline: stocks at their targets, prices at baseline. With
    ``n_lanes`` (lane-layout inputs) every field is broadcast to ``[P, n_lanes]``."""
    shape = model.demand_per_day.shape
    if n_lanes is not None:
        shape = shape[:-1] + (n_lanes,)

    def full(x):
        return jnp.broadcast_to(x, shape)

    ones = jnp.ones(shape, dtype=model.demand_per_day.dtype)
    return State(
        day=jnp.asarray(0, dtype=jnp.int32),
        private_stock=full(private_target(model, policy)),
        gov_stock=full(model.demand_per_day * policy.gov_stock_days * model.storable),
        import_multiple=ones,
        alarm_day=jnp.full_like(ones, _NOT_YET),
        first_alarm_day=jnp.full_like(ones, _NOT_YET),
        last_cut_day=jnp.full_like(ones, -jnp.inf),
        episode_short=jnp.zeros(ones.shape, dtype=bool),
        market_fill=ones,
        fill=ones,
        use_factor=ones,
        market=init_market(model, shape),
    )


def _lever_level(policy_start_at_alarm: jnp.ndarray, since_alarm: jnp.ndarray, ramp_days: jnp.ndarray):
    """Share of a recycling/reduce lever in effect: full from day 0 when in place, else
    ramping from the episode's alarm (0 between episodes)."""
    return jnp.where(policy_start_at_alarm > 0, _ramp(since_alarm, ramp_days), 1.0)


def normal_time_markup(model: Model, policy: Policy, since_alarm: jnp.ndarray | None = None) -> jnp.ndarray:
    """Price markup ``[P]`` (fraction of baseline price) that the policy costs.

    Private buffer carrying cost, premium on supplier shares moved away from the
    baseline, reservation fee of spare capacity, recycling premium and efficiency
    cost (for levers in place; emergency levers cost only once started). Government
    stock carrying cost is fiscal and not in prices. ``since_alarm`` ``[P]`` defaults
    to "no episode" (normal times).
    """
    if since_alarm is None:
        since_alarm = jnp.full_like(model.demand_per_day, -jnp.inf)
    shifted = 0.5 * jnp.sum(jnp.abs(policy.import_share - model.import_share), axis=1)
    recycled = policy.recycling_share * _lever_level(policy.recycling_start_at_alarm, since_alarm,
                                                     policy.recycling_ramp_days)
    cut = policy.efficiency_cut * _lever_level(policy.recycling_start_at_alarm, since_alarm,
                                               policy.efficiency_ramp_days)
    return (
        policy.stock_carrying_cost * policy.private_extra_days / DAYS_PER_YEAR
        + policy.diversification_premium * shifted
        + policy.spare_reservation_fee * jnp.sum(policy.spare_capacity, axis=1)
        + policy.recycling_premium * recycled
        + policy.efficiency_cost * cut
    )


def _with_hidden_cut(model: Model, at_origin: jnp.ndarray) -> jnp.ndarray:
    """Cut or announced cut at origin ``[P, O]`` including hidden dependence: a supply
    that depends (share ``h``) on a cut upstream supply loses ``h x`` that cut on top of
    its own (combined multiplicatively; exact when nothing upstream is cut)."""
    hidden = model.hidden
    upstream = at_origin[hidden.on_product, hidden.on_origin]  # [L]
    return apply_hidden_cut(hidden, at_origin, upstream)


def _times_hidden_arriving(model: Model, events: EventSet, occ: Occurrences, day, goods: jnp.ndarray,
                           transit=True) -> jnp.ndarray:
    """``goods`` ``[P, O]`` times the availability factor of hidden dependence for goods
    arriving today: the upstream supply of link ``l`` as it was when the dependent goods
    left, ``transit_days`` of the dependent supply ago (``transit=False``: goods leaving
    today)."""
    hidden = model.hidden
    lag = model.transit_days[hidden.product, hidden.origin]  # [L]
    left_on = day - lag if transit else day + 0.0 * lag
    kept = link_availability_lanes(events, occ, left_on, hidden.on_product, hidden.on_origin)
    return apply_hidden_factor(hidden, goods, kept)


def step(
    model: Model, policy: Policy, events: EventSet, occ: Occurrences, state: State, temperature=0.0
) -> tuple[State, Daily, dict]:
    """Advance one scenario by one day. Returns the new state, the day's trajectory
    record and the flows needed by the totals.

    Every input is in the lane layout (:mod:`simcore.core.lanes`): ``occ`` holds the
    occurrences ``[E, K, B]`` of ``B`` scenarios, ``state`` fields are ``[P, B]``, model
    and policy fields carry a trailing lane axis of length 1 or ``B``.

    ``temperature`` 0.0 (a Python float) is the exact engine; above 0 the stock and flow
    kinks and the thresholds that decide shortage days, release and refill are relaxed
    (:mod:`simcore.core.smooth`, widths ``temperature x`` daily demand) so that expected
    metrics have useful gradients. Then ``flows["shortage"]`` is a float in [0, 1].
    """
    exact = S.is_exact(temperature)
    day = state.day.astype(jnp.float32)
    base_demand = model.demand_per_day
    tol = model.shortage_tolerance * base_demand

    # 3 (first): the episode clock starts when an origin (or domestic inputs) fall short
    # or a cut is announced; levers below count from it.
    cuts = todays_cuts(events, occ, day)  # every cut of today, each event evaluated once
    at_origin = cuts.country_known  # [P, O] cut or announced at origin
    if model.hidden is not None:  # static: a model without hidden suppliers compiles without this
        at_origin = _with_hidden_cut(model, at_origin)
    input_fill = jnp.min(jnp.where(model.recipe_inputs > 0, state.fill[None, :], 1.0), axis=1)
    domestic_loss = model.domestic_share * (1.0 - input_fill)
    origin_loss = jnp.sum(policy.import_share * at_origin, axis=1) + domestic_loss
    # The alarm of a product goes up with its own cut or with the alarm of any critical
    # input in its recipe chain (closure: same day through every tier): the government
    # watching NdPr oxide watches magnets too, so the clocks that run from the alarm
    # (decision delay, qualification, ramps) do not depend on how well a lever shields
    # the inputs.
    cut_today = origin_loss > _NORMAL
    # "any input in the chain watched" as a count: one small matrix product, where a boolean
    # any over [P, P, B] was a tenth of the day on CPU (counts of 0/1 are exact).
    watched = (jnp.isfinite(state.alarm_day) | cut_today).astype(jnp.float32)  # [P, B]
    upstream_alarm = matvec(model.recipe_closure, watched) > 0.5
    starts = jnp.isinf(state.alarm_day) & (cut_today | upstream_alarm)
    alarm_day = jnp.where(starts, day, state.alarm_day)
    since_alarm = day - alarm_day  # -inf between episodes

    # 1. demand, recycling, primary requirement
    cut = policy.efficiency_cut * _lever_level(policy.recycling_start_at_alarm, since_alarm,
                                               policy.efficiency_ramp_days)
    demand = base_demand * (1.0 - cut) * state.use_factor
    recycled_share = policy.recycling_share * _lever_level(policy.recycling_start_at_alarm, since_alarm,
                                                           policy.recycling_ramp_days)
    primary = demand * (1.0 - recycled_share)

    # 2. primary supply lost (written as losses so that normal times are exact); goods
    # shipped before a cut keep arriving for the origin's transit time.
    arriving = availability_lanes(events, occ, day - model.transit_days)  # [P, O]
    if model.hidden is not None:
        arriving = _times_hidden_arriving(model, events, occ, day, arriving)
    import_loss = jnp.sum(policy.import_share * (1.0 - arriving), axis=1)
    # The world market replaces part of the lost imports (other suppliers, traders'
    # stocks), ramping in from the alarm over market_sourcing_days, as far as the market
    # delivers (yesterday's world fill: today's purchases were placed then).
    sourcing = model.market_sourcing_share * _ramp(since_alarm, model.market_sourcing_days) * state.market_fill
    replaced = import_loss * sourcing
    primary_loss = primary * (import_loss - replaced + domestic_loss)

    # 4. spare capacity and restocking: volumes ordered at the alarm arrive one transit later
    since_ready = since_alarm[:, None] - model.transit_days  # [P, O]
    # A supplier qualifies and ramps up once, from the first alarm (it stays qualified and
    # the contracted capacity stays ready); each episode's volume travels its transit.
    first_alarm_day = jnp.minimum(state.first_alarm_day, alarm_day)
    since_qualifying = (day - first_alarm_day)[:, None] - model.transit_days - policy.qualification_lag_days[:, None]
    spare_ramp = _ramp(since_qualifying, policy.spare_ramp_days[:, None]) * (since_ready >= 0).astype(jnp.float32)
    spare_capacity = base_demand * jnp.sum(policy.spare_capacity * arriving * spare_ramp, axis=1)
    spare_flow = S.smooth_min(spare_capacity, primary_loss, temperature, base_demand)
    shortfall = primary_loss - spare_flow
    rush = in_announcement_lanes(events, occ, day) * model.storage_room_days * base_demand * model.storable
    target = private_target(model, policy)
    private_gap = S.relu(target + rush - state.private_stock, temperature, base_demand)
    # Between episodes orders are in the pipeline already (steady state); in an episode
    # extra volume from origin o arrives once its transit after the alarm has passed.
    delivered_from = jnp.where(jnp.isinf(since_alarm)[:, None], 1.0, (since_ready >= 0).astype(jnp.float32))
    supplier_availability = (jnp.sum(policy.import_share * arriving * delivered_from, axis=1)
                             + model.domestic_share * input_fill)
    headroom = model.restock_headroom * base_demand * supplier_availability
    restock = S.smooth_min(private_gap, headroom + spare_capacity - spare_flow, temperature, base_demand)
    spare_used = spare_flow + S.relu(restock - headroom, temperature, base_demand)

    # 5. government release, once the decision delay has passed, while the shortfall
    # exceeds the trigger, and in any case (last resort) before users would go short:
    # a government never sits on stock while demand goes unmet, so a lever that shrinks
    # the shortfall below the trigger cannot cause a shortage.
    arrivals = demand - shortfall + restock  # recycled + domestic + imports + spare + restock
    # Last resort: release at once when the release-rate cap cannot cover the shortfall
    # (every day of waiting would only bring users' shortage forward, since the capped
    # release could never catch up), otherwise as soon as the private stock left after
    # today's flows would not cover today's demand.
    cap_below_shortfall = S.greater(shortfall, policy.release_rate * base_demand, temperature, base_demand)
    would_go_short = S.either(S.greater(demand, state.private_stock + arrivals, temperature, base_demand),
                              cap_below_shortfall)
    decided = since_alarm >= policy.release_delay_days  # the decision clock (whole days) stays exact
    triggered = S.both(
        S.greater(shortfall, 0.0, temperature, base_demand),
        S.either(S.greater(shortfall, policy.release_trigger_shortfall * base_demand, temperature, base_demand),
                 would_go_short),
        decided,
    )
    release = S.select(
        triggered,
        S.smooth_min(S.smooth_min(policy.release_rate * base_demand, state.gov_stock, temperature, base_demand),
                     shortfall, temperature, base_demand),
    )

    # 6. private inventory, deliveries, unmet demand
    # Written as a net change so that a stock in balance stays exactly constant.
    stock_after = state.private_stock + (arrivals + release - demand)
    private_stock = S.relu(stock_after, temperature, base_demand)
    # relu(x) - relu(-x) = x holds for the relaxation too: the balance stays exact.
    unmet = S.relu(-stock_after, temperature, base_demand)
    delivered = demand - unmet
    # The episode bookkeeping keeps the exact test; the count of shortage days is relaxed.
    shortage = unmet > tol
    # The band of the relaxed count is wider than the flows' (_COUNT_WIDTH): the unmet
    # demand of a first short day is a sizeable share of demand, and a band that never
    # holds it would give the count a zero gradient.
    shortage_count = shortage if exact else S.greater(unmet, tol, temperature, _COUNT_WIDTH * base_demand)
    # Written from the loss (1 - unmet / demand, not delivered / demand) so that a day
    # without unmet demand has fill exactly 1 (CPU fused multiply-add rounding).
    fill = jnp.where(demand > 0, 1.0 - unmet / jnp.maximum(demand, _TINY), 1.0)

    # 7. refill the government stock from suppliers' headroom once the crisis is over
    gov_target = base_demand * policy.gov_stock_days * model.storable
    normal_again = S.both(S.at_most(shortfall, tol, temperature, base_demand),
                          S.at_most(target - private_stock, tol, temperature, base_demand))
    refill_room = S.relu(headroom - restock, temperature, base_demand)
    refill = S.select(
        normal_again,
        S.smooth_min(S.smooth_min(policy.refill_rate * base_demand,
                                  S.relu(gov_target - state.gov_stock, temperature, base_demand),
                                  temperature, base_demand),
                     refill_room, temperature, base_demand),
    )
    gov_stock = state.gov_stock - release + refill

    # 8. sectors: exposed output, critical upstream links, value added
    sector_output_share, use_factor = sectors(model, sector_losses(model, delivered, demand, fill))
    lost_share = 1.0 - sector_output_share

    def product_only(_):  # the value of the demand not served, on the one pseudo-sector
        undelivered_value = jnp.sum(model.price * unmet, axis=0)  # currency / day
        return (jnp.broadcast_to(undelivered_value, lost_share.shape),) * 2

    def with_sectors(_):
        return model.value_added / DAYS_PER_YEAR * lost_share, model.gross_output / DAYS_PER_YEAR * lost_share

    value_added_loss, gross_output_loss = jax.lax.cond(model.product_only > 0, product_only, with_sectors, None)

    # 9a. the world market (simcore.core.market): one clearing price with world stocks,
    # demand and supply response; the gap is the share of the market's supply withheld
    # (diverted and leaked volumes excluded), the country's extra buying weighted by its
    # share of world demand.
    world_cut, known_cut = cuts.world_cut, cuts.world_known
    if model.hidden is not None:  # supplies that depend on a cut one lose their share too
        world_cut, known_cut = _with_hidden_cut(model, world_cut), _with_hidden_cut(model, known_cut)
    world_gap = jnp.sum(model.world_share * world_cut, axis=1)
    known_gap = jnp.sum(model.world_share * known_cut, axis=1)
    extra_buying = model.world_demand_weight * restock / jnp.maximum(base_demand, _TINY)
    market, world = market_step(model, state.market, world_gap, known_gap, extra_buying, temperature)
    # Without world stocks the price is the day's flow-clearing price, relaxing after the
    # cut with its half-life (earlier releases); with stocks the storage curve is the path.
    decay = jnp.exp(-jnp.log(2.0) / jnp.maximum(model.price_relax_half_life_days, 1e-3))
    relaxed = world.multiple + (state.import_multiple - world.multiple) * decay
    flow_multiple = jnp.where(world.multiple >= state.import_multiple, world.multiple, relaxed)
    import_multiple = jnp.where(model.world_stock_days > 0, world.multiple, flow_multiple)

    # 9b. the domestic term: the country's own physical position after what the world
    # market supplies (never the world gap again). Availability over the cover horizon:
    # private stock, government stock at its release rate once decided, goods in transit
    # (each origin's flow at today's arrival rate for its transit time, then at the rate
    # shipped today) and the other flows; against demand over the horizon. Stocks being
    # rebuilt are not scarcity (their buying is priced on the world market above).
    horizon = model.cover_horizon_days
    gov_flowable = jnp.where(decided, jnp.minimum(gov_stock, policy.release_rate * base_demand * horizon), 0.0)
    shipped = cuts.country_shipped  # [P, O] leaving the origins today
    if model.hidden is not None:
        shipped = _times_hidden_arriving(model, events, occ, day, shipped, transit=False)
    in_transit = jnp.minimum(model.transit_days, horizon[:, None])
    import_days = jnp.sum(policy.import_share * (in_transit * arriving + (horizon[:, None] - in_transit) * shipped),
                          axis=1)  # [P] import-days of the normal flow over the horizon
    import_total = jnp.sum(policy.import_share, axis=1)
    other_flow = demand - shortfall - primary * (import_total - import_loss + replaced)  # recycled, domestic, spare
    lost_days = horizon * import_total - import_days  # import-days lost over the horizon
    available = (private_stock + gov_flowable + primary * (import_days + sourcing * lost_days)
                 + horizon * other_flow)
    need = horizon * demand
    cover_ratio = jnp.where(need > 0, available / jnp.maximum(need, _TINY), 1.0)
    scarcity = jnp.where(cover_ratio >= 1.0 - _NORMAL, 1.0,
                         jnp.clip(jnp.maximum(cover_ratio, _NORMAL) ** (-1.0 / model.price_elasticity), 1.0,
                                  model.price_cap))

    spare_markup = policy.spare_premium * spare_flow / jnp.maximum(demand, _TINY)
    markup = normal_time_markup(model, policy, since_alarm)
    # The cap bounds what users pay for the good itself; policy markups come on top.
    market_multiple = jnp.minimum(import_multiple * scarcity, jnp.maximum(model.price_cap, import_multiple))
    price_multiple = (1.0 + markup) * market_multiple * (1.0 + spare_markup)
    price_change = price_multiple - 1.0
    scaled_change = price_change if model.price_scale is None else price_change * model.price_scale
    sector_price_change = matvec(model.price_operator, scaled_change)
    index_change = jnp.sum(model.index_weights * sector_price_change, axis=0)

    # 3 (end): the episode ends on the first day everything is normal again and no cut
    # goods are still in transit.
    last_cut_day = jnp.where(cut_today, day, state.last_cut_day)
    longest_transit = jnp.max(jnp.where(policy.import_share > 0, model.transit_days, 0.0), axis=1)
    in_transit = day - last_cut_day < longest_transit
    unrecovered = (shortage | (shortfall > tol) | (target - private_stock > tol) | cut_today | in_transit
                   | upstream_alarm)
    in_episode = jnp.isfinite(alarm_day)
    first_short = in_episode & shortage & ~state.episode_short
    ends = in_episode & ~unrecovered
    new_state = State(
        day=state.day + 1,
        private_stock=private_stock,
        gov_stock=gov_stock,
        import_multiple=import_multiple,
        alarm_day=jnp.where(ends, _NOT_YET, alarm_day),
        first_alarm_day=first_alarm_day,
        last_cut_day=last_cut_day,
        episode_short=jnp.where(ends, False, state.episode_short | (in_episode & shortage)),
        market_fill=world.fill,
        fill=fill,
        use_factor=use_factor,
        market=market,
    )
    daily = Daily(
        private_stock=private_stock,
        gov_stock=gov_stock,
        delivered=delivered,
        unmet=unmet,
        price_change=price_change,
        import_price_change=import_multiple - 1.0,
        scarcity_premium=scarcity - 1.0,
        world_stock_days=market.stock,
        world_fill=world.fill,
        sector_output_share=sector_output_share,
        sector_price_change=sector_price_change,
        price_index_change=index_change,
    )
    flows = dict(
        shortage=shortage_count,
        starts=starts,
        first_short=first_short,
        time_to_survive=day - alarm_day,
        ends=ends,
        time_to_recover=day - alarm_day,
        demand=demand,
        inflow=arrivals + refill,
        release=release,
        spare_used=spare_used,
        value_added_loss=value_added_loss,
        gross_output_loss=gross_output_loss,
    )
    return new_state, daily, flows


