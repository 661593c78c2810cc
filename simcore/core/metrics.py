"""Per-scenario metric bookkeeping: what the day loop keeps and what it reports.

:class:`Totals` are the running sums and extremes carried through the loop over days
(:func:`simcore.core.engine.simulate_lanes`), :func:`init_totals` their zeros,
:func:`accumulate` adds one day's results and flows, and :func:`finish` reduces the
totals with the first and last state to the per-scenario :class:`Metrics`. Kept apart
from the engine so the loop reads as the loop and the metric definitions read in one
place; :mod:`simcore.run.metrics` describes the same metrics to the shell (units, axes).
"""

from __future__ import annotations

from typing import NamedTuple

import jax.numpy as jnp

from simcore.core.model import Model
from simcore.core.step import Daily, State


class Totals(NamedTuple):
    """Running sums and extremes over the horizon for one scenario."""

    shortage_days: jnp.ndarray  # [P] int32, days with unmet > tolerance x demand
    episodes: jnp.ndarray  # [P] int32, episodes started
    unmet: jnp.ndarray  # [P] product units
    demand: jnp.ndarray  # [P] product units
    delivered: jnp.ndarray  # [P] product units
    inflow: jnp.ndarray  # [P] product units entering the country's stocks and users
    gov_release: jnp.ndarray  # [P] product units
    spare_used: jnp.ndarray  # [P] product units
    value_added_loss: jnp.ndarray  # [S] currency (IO unit), sum over days
    gross_output_loss: jnp.ndarray  # [S] currency (IO unit), sum over days
    price_change_sum: jnp.ndarray  # [P] sum of relative user price changes
    price_change_peak: jnp.ndarray  # [P]
    import_price_change_peak: jnp.ndarray  # [P]
    sector_price_change_sum: jnp.ndarray  # [S]
    index_change_sum: jnp.ndarray  # scalar
    index_change_peak: jnp.ndarray  # scalar
    first_time_to_survive: jnp.ndarray  # [P] nan until the first episode with a shortage
    worst_time_to_survive: jnp.ndarray  # [P] inf if none
    first_time_to_recover: jnp.ndarray  # [P] nan until the first episode ends
    worst_time_to_recover: jnp.ndarray  # [P] -inf if none


class Metrics(NamedTuple):
    """Per-scenario results. ``[P]`` per product, ``[S]`` per sector (see
    ``simcore.run.metrics.METRIC_INFO`` for units)."""

    shortage_days: jnp.ndarray  # [P] int32 days
    episodes: jnp.ndarray  # [P] int32
    unmet: jnp.ndarray  # [P] product units
    demand: jnp.ndarray  # [P] product units
    delivered: jnp.ndarray  # [P] product units
    inflow: jnp.ndarray  # [P] product units
    initial_stock: jnp.ndarray  # [P] private + government, product units
    final_stock: jnp.ndarray  # [P] private + government, product units
    final_gov_stock: jnp.ndarray  # [P] product units
    gov_release: jnp.ndarray  # [P] product units
    spare_used: jnp.ndarray  # [P] product units
    undelivered_value: jnp.ndarray  # [P] currency: baseline price x unmet
    value_added_loss: jnp.ndarray  # [S] currency (IO unit)
    gross_output_loss: jnp.ndarray  # [S] currency (IO unit)
    peak_price_change: jnp.ndarray  # [P] user price relative to baseline
    mean_price_change: jnp.ndarray  # [P]
    peak_import_price_change: jnp.ndarray  # [P]
    mean_sector_price_change: jnp.ndarray  # [S]
    mean_price_index_change: jnp.ndarray  # scalar
    peak_price_index_change: jnp.ndarray  # scalar
    time_to_survive: jnp.ndarray  # [P] first episode with a shortage: alarm to shortage (nan: none)
    worst_time_to_survive: jnp.ndarray  # [P] shortest over episodes (nan: none)
    time_to_recover: jnp.ndarray  # [P] first episode: alarm to recovery (nan: no alarm; censored)
    worst_time_to_recover: jnp.ndarray  # [P] longest over episodes (nan: no alarm; censored)
    recovered: jnp.ndarray  # [P] bool, False if an episode is still open at the horizon end


def init_totals(initial: State, n_sectors: int, smooth: bool = False) -> Totals:
    """Zero totals shaped like the ``initial`` state's ``[P, B]`` (sectors ``[S, B]``);
    ``smooth``: shortage days are a relaxed (float) count."""
    zeros_p = jnp.zeros_like(initial.private_stock)
    zeros_s = jnp.zeros((n_sectors,) + zeros_p.shape[1:], zeros_p.dtype)
    return Totals(
        shortage_days=jnp.zeros(zeros_p.shape, dtype=jnp.float32 if smooth else jnp.int32),
        episodes=jnp.zeros(zeros_p.shape, dtype=jnp.int32),
        unmet=zeros_p,
        demand=zeros_p,
        delivered=zeros_p,
        inflow=zeros_p,
        gov_release=zeros_p,
        spare_used=zeros_p,
        value_added_loss=zeros_s,
        gross_output_loss=zeros_s,
        price_change_sum=zeros_p,
        price_change_peak=zeros_p,
        import_price_change_peak=zeros_p,
        sector_price_change_sum=zeros_s,
        index_change_sum=jnp.zeros(zeros_p.shape[1:]),
        index_change_peak=jnp.zeros(zeros_p.shape[1:]),
        first_time_to_survive=jnp.full_like(zeros_p, jnp.nan),
        worst_time_to_survive=jnp.full_like(zeros_p, jnp.inf),
        first_time_to_recover=jnp.full_like(zeros_p, jnp.nan),
        worst_time_to_recover=jnp.full_like(zeros_p, -jnp.inf),
    )


def _first_and_worst(first, worst, happened, value, better):
    """Record ``value`` where ``happened``: the first one seen and the worst so far."""
    first = jnp.where(happened & jnp.isnan(first), value, first)
    worst = jnp.where(happened, better(worst, value), worst)
    return first, worst


def accumulate(totals: Totals, daily: Daily, flows: dict) -> Totals:
    """``totals`` after one more day: its ``daily`` results and ``flows`` (from
    :func:`simcore.core.step.step`)."""
    first_tts, worst_tts = _first_and_worst(totals.first_time_to_survive, totals.worst_time_to_survive,
                                            flows["first_short"], flows["time_to_survive"], jnp.minimum)
    first_ttr, worst_ttr = _first_and_worst(totals.first_time_to_recover, totals.worst_time_to_recover,
                                            flows["ends"], flows["time_to_recover"], jnp.maximum)
    return Totals(
        shortage_days=totals.shortage_days + flows["shortage"].astype(totals.shortage_days.dtype),
        episodes=totals.episodes + flows["starts"].astype(jnp.int32),
        unmet=totals.unmet + daily.unmet,
        demand=totals.demand + flows["demand"],
        delivered=totals.delivered + daily.delivered,
        inflow=totals.inflow + flows["inflow"],
        gov_release=totals.gov_release + flows["release"],
        spare_used=totals.spare_used + flows["spare_used"],
        value_added_loss=totals.value_added_loss + flows["value_added_loss"],
        gross_output_loss=totals.gross_output_loss + flows["gross_output_loss"],
        price_change_sum=totals.price_change_sum + daily.price_change,
        price_change_peak=jnp.maximum(totals.price_change_peak, daily.price_change),
        import_price_change_peak=jnp.maximum(totals.import_price_change_peak, daily.import_price_change),
        sector_price_change_sum=totals.sector_price_change_sum + daily.sector_price_change,
        index_change_sum=totals.index_change_sum + daily.price_index_change,
        index_change_peak=jnp.maximum(totals.index_change_peak, daily.price_index_change),
        first_time_to_survive=first_tts,
        worst_time_to_survive=worst_tts,
        first_time_to_recover=first_ttr,
        worst_time_to_recover=worst_ttr,
    )


def finish(model: Model, initial: State, final: State, totals: Totals, horizon: int) -> Metrics:
    """The per-scenario metrics from the ``totals`` over ``horizon`` days and the
    ``initial`` and ``final`` states."""
    # An episode still open at the end is censored at the horizon.
    open_episode = jnp.isfinite(final.alarm_day)
    censored = horizon - final.alarm_day
    first_ttr, worst_ttr = _first_and_worst(totals.first_time_to_recover, totals.worst_time_to_recover,
                                            open_episode, censored, jnp.maximum)
    return Metrics(
        shortage_days=totals.shortage_days,
        episodes=totals.episodes,
        unmet=totals.unmet,
        demand=totals.demand,
        delivered=totals.delivered,
        inflow=totals.inflow,
        initial_stock=initial.private_stock + initial.gov_stock,
        final_stock=final.private_stock + final.gov_stock,
        final_gov_stock=final.gov_stock,
        gov_release=totals.gov_release,
        spare_used=totals.spare_used,
        undelivered_value=model.price * totals.unmet,
        value_added_loss=totals.value_added_loss,
        gross_output_loss=totals.gross_output_loss,
        peak_price_change=totals.price_change_peak,
        mean_price_change=totals.price_change_sum / horizon,
        peak_import_price_change=totals.import_price_change_peak,
        mean_sector_price_change=totals.sector_price_change_sum / horizon,
        mean_price_index_change=totals.index_change_sum / horizon,
        peak_price_index_change=totals.index_change_peak,
        time_to_survive=totals.first_time_to_survive,
        worst_time_to_survive=jnp.where(jnp.isinf(totals.worst_time_to_survive), jnp.nan,
                                        totals.worst_time_to_survive),
        time_to_recover=first_ttr,
        worst_time_to_recover=jnp.where(jnp.isinf(worst_ttr), jnp.nan, worst_ttr),
        recovered=~open_episode,
    )
