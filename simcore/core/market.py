"""The world market of each product: one clearing price with storage, demand response
and supply response (``docs/model.md``, section 5).

The market is the traded world market in which the country buys: the supply that
reaches it (each origin's ``world_share`` of it, a controlling origin's exports among
them) and the demand of every importer on it. Quantities are in units of the market's
normal daily demand (normal supply = normal demand = 1 per day), so the market needs no
tonnage; stocks are in days of that demand. Every field is ``[P]`` with the trailing
lane axis (:mod:`simcore.core.lanes`).

One day, for one product:

1. **Supply** ``S = 1 - gap + online``: ``gap`` the share of the market's supply that
   events withhold (after diversion and leakage, :func:`simcore.core.cuts.world_cut_lanes`),
   ``online`` the response of producers outside the controlling origin (below).
2. **Demand** ``D(m) = m^-e_s x L``, ``e_s`` the short-run price elasticity of world
   demand (``world_price_elasticity``) and ``L = m_slow^-(e_l - e_s)`` the long-run part
   (thrifting, substitution) on the slowly adjusting price ``m_slow`` (exponential
   smoothing of ``ln m`` with time constant ``world_demand_adjust_days``).
3. **Storage** (competitive storage, Working's supply-of-storage curve): holders outside
   the controlling origin keep stock ``W`` at price ``m_store = (W / W*)^(-1/eta)``,
   ``eta`` = ``world_storage_elasticity``, ``W* = W0 + precaution x known gap``
   (``world_stock_days`` ``W0``; an announced or active cut raises the stock holders
   want by ``world_precaution_days`` per unit of gap, which lifts the price at an
   announcement without any physical loss). Stocks are drawn as the price rises, so
   the price climbs as stocks fall instead of jumping.
4. **Clearing**: ``m = max(min(m_store, m_none), m_flow)`` (within ``[1/cap, cap]``)
   where ``m_flow`` is the price at which demand equals what exists today (``W + S``:
   ``D(m_flow) = W + S``; it binds only once the stocks are gone) and ``m_none`` the
   price a market without stocks would pay for the larger of today's and the known gap
   (stocks only ever smooth the price: holders sell before it passes that). ``price_cap`` is a numerical guard: at the cap demand can
   exceed what exists, and the market delivers ``fill = min(1, (W + S) / D(m))``.
   Then ``W' = W + S - D(m) x fill``. With ``W0 = 0`` (no stocks declared) the market
   is flow-clearing every day: ``m = (S / L)^(-1/e_s)``, the static curve of earlier
   releases.
5. **Supply response**: producers outside the origin want to add
   ``clip(m^e_p - 1, 0, idle)`` (``world_supply_response`` idle capacity as a share of
   the market, ``world_supply_elasticity`` ``e_p``) and get there through two
   first-order stages of ``world_supply_response_days / 2`` each (decision and
   construction, then ramp-up): an S-shaped, lagged response that also winds down
   once the price is back.

In normal times every term is exactly at its baseline (``m = 1``, ``W = W0``,
``D = S = 1``): quantities are written as deviations so that nothing drifts.
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from simcore.core import smooth as S
from simcore.core.model import Model

_TINY = 1e-12


class MarketState(NamedTuple):
    """The world market of every product, ``[P]`` (lanes last)."""

    stock: jnp.ndarray  # world stocks outside the controlling origin, days of market demand
    log_slow_price: jnp.ndarray  # ln of the slowly adjusting price (long-run demand response)
    building: jnp.ndarray  # supply response decided / under construction, share of market demand
    online: jnp.ndarray  # supply response producing, share of market demand


class MarketDay(NamedTuple):
    """What the world market did today, ``[P]``."""

    multiple: jnp.ndarray  # world price / baseline
    fill: jnp.ndarray  # share of today's demand (at that price) the market delivers
    demand: jnp.ndarray  # world demand at that price, share of normal demand
    supply: jnp.ndarray  # supply reaching the market, share of normal demand


def init_market(model: Model, shape) -> MarketState:
    """The market at rest: stocks at their normal level, no response under way."""
    zeros = jnp.zeros(shape, dtype=model.demand_per_day.dtype)
    return MarketState(stock=jnp.broadcast_to(model.world_stock_days, shape) + zeros,
                       log_slow_price=zeros, building=zeros, online=zeros)


def market_step(model: Model, state: MarketState, gap: jnp.ndarray, known_gap: jnp.ndarray,
                extra_demand: jnp.ndarray, temperature=0.0) -> tuple[MarketState, MarketDay]:
    """One day of every product's world market.

    ``gap`` ``[P]``: share of the market's normal supply withheld today; ``known_gap``:
    the gap known to the market (announced cuts at full severity); ``extra_demand``:
    the country's buying above its normal need, share of market demand. Returns the new
    state and the day's price, fill, demand and supply."""
    cap = model.price_cap
    e_short = jnp.maximum(model.world_price_elasticity, 1e-3)
    e_long = jnp.maximum(model.world_demand_elasticity_long, e_short)
    log_long_run = -(e_long - e_short) * state.log_slow_price  # ln L: 0 in normal times
    supply_change = state.online - gap  # S - 1
    available = state.stock + 1.0 + supply_change  # W + S

    # the storage price: stocks against what holders want (precaution raises the wish)
    has_stocks = model.world_stock_days > 0
    wanted = model.world_stock_days + model.world_precaution_days * known_gap
    ratio = jnp.where(has_stocks, jnp.maximum(state.stock, _TINY) / jnp.maximum(wanted, _TINY), 1.0)
    log_store = jnp.where(ratio == 1.0, 0.0, -jnp.log(jnp.maximum(ratio, _TINY)) / model.world_storage_elasticity)
    # the flow-clearing price: demand equal to what exists today (binds without stocks)
    flow_base = jnp.where(has_stocks, available, 1.0 + supply_change - extra_demand)
    log_flow = (log_long_run - jnp.log(jnp.maximum(flow_base, _TINY))) / e_short  # exactly 0 in normal times
    # stocks only ever smooth: holders sell before the price passes what a market without
    # stocks would pay for the larger of today's and the known gap
    stockless_base = 1.0 - jnp.maximum(gap, known_gap) + state.online - extra_demand
    log_stockless = (log_long_run - jnp.log(jnp.maximum(stockless_base, _TINY))) / e_short
    log_price = jnp.maximum(jnp.minimum(log_store, log_stockless), log_flow)
    # below the baseline too: stocks rebuilt above their normal level (a long-run demand
    # response still under way) depress the price, which brings them back
    log_price = jnp.clip(log_price, -jnp.log(cap), jnp.log(cap))
    multiple = jnp.exp(log_price)  # exp(0) = 1 exactly

    demand_factor = jnp.exp(log_long_run - e_short * log_price)  # D(m) = m^-e_s L: exactly 1 in normal times
    wanted_today = demand_factor + extra_demand  # D(m) plus the country's extra buying
    fill = jnp.where(available >= wanted_today, 1.0, jnp.maximum(available, 0.0) / jnp.maximum(wanted_today, _TINY))
    consumed_change = (demand_factor - 1.0 + extra_demand) * fill - (1.0 - fill)  # D x fill - 1
    stock = jnp.where(has_stocks, S.relu(state.stock + supply_change - consumed_change, temperature, 1.0),
                      state.stock)

    # long-run demand: ln m_slow follows ln m with time constant world_demand_adjust_days
    adjust = 1.0 / jnp.maximum(model.world_demand_adjust_days, 1.0)
    log_slow = state.log_slow_price + (log_price - state.log_slow_price) * adjust
    # supply response: two first-order stages towards min(idle, m^e_p - 1)
    # (no cutback below the normal output: idle capacity is extra, brought on by a high price)
    target = jnp.clip(jnp.expm1(model.world_supply_elasticity * log_price), 0.0, model.world_supply_response)
    stage = 2.0 / jnp.maximum(model.world_supply_response_days, 2.0)
    building = state.building + (target - state.building) * stage
    online = state.online + (state.building - state.online) * stage
    new = MarketState(stock=stock, log_slow_price=log_slow, building=building, online=online)
    return new, MarketDay(multiple=multiple, fill=fill, demand=demand_factor, supply=1.0 + supply_change)
