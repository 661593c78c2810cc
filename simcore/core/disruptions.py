"""Stochastic disruption generator: events per (origin, product set), each arriving
as a Poisson process of occurrences.

Events
    An *event* ``e`` is a threat from one origin to a set of products, e.g. "China
    restricts exports of gallium and germanium". ``product_weight[e, p]`` scales the
    event's severity per product (0 = product not hit). One draw of onset, duration and
    severity serves every product of an occurrence, so multi-product events from one
    origin are perfectly correlated.

Occurrences (Poisson arrivals)
    A *given* event (``hazard_per_year == 0``) happens exactly once, at ``onset_day``.
    A *hazard* event arrives as a Poisson process of rate ``h = hazard_per_year / 365``
    per day, truncated to its first ``max_occurrences`` arrivals. With inter-arrival
    times ``X_1, X_2, ... ~ Exp(1)`` (i.i.d., unit rate), occurrence ``k`` (0-based)
    starts on day::

        onset_k = floor((X_1 + ... + X_{k+1}) / h)

    i.e. the arrival times of a Poisson process of rate ``h`` in continuous time, each
    rounded down to the day it falls in (two arrivals may share a day). Because the
    horizon ``H`` is a whole number of days, ``onset_k < H`` exactly when the
    continuous arrival is before ``H``: the number of occurrences within the horizon is
    ``min(N, max_occurrences)`` with ``N ~ Poisson(h * H)``. At 0.5/year over 365 days:
    mean 0.5, P(N >= 2) = 1 - e^-0.5 (1 + 0.5) = 9.0 %. Onsets beyond the horizon stay
    finite (they are simply never reached); occurrences beyond ``max_occurrences`` (and
    occurrences ``k >= 1`` of a given event) have onset ``inf`` and duration and
    severity 0 ("never").

    Each occurrence draws its own duration (lognormal around ``duration_median_days``
    with ``duration_sigma``, rounded up to whole days, at least 1; fixed when sigma is 0)
    and severity (``Beta(severity_alpha, severity_beta)``, or the fixed ``severity``
    when alpha is 0), independently of the other occurrences and events.

Random numbers
    Scenario ``i`` is drawn from ``fold_in(base_key, i)`` alone, so results never depend
    on chunking or device count. Within a scenario, occurrence ``k`` of event ``e``
    draws from ``fold_in(fold_in(scenario_key, e), k)``: its draws do not depend on the
    number of events nor on ``max_occurrences`` (common random numbers across configs:
    raising the maximum adds occurrences and leaves the earlier ones unchanged).

This module only draws the futures (:class:`EventSet`, :func:`make_events`,
:func:`sample_batch`, :func:`draw_leakage`); what an occurrence withholds on each day
(tightening, licensing regimes, announcements, leakage) is :mod:`simcore.core.cuts`,
the module the day step reads.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

from simcore.core.host_arrays import float32, host_array, on_device, under_trace
from simcore.core.model import DAYS_PER_YEAR
from simcore.core.uncertainty import Distribution, draw_values, parameter_key

NEVER = jnp.inf  # onset of an occurrence that never happens
# fold_in data of the leakage draws under a scenario's parameter key (then the event)
LEAKAGE_STREAM = 0x7FFF_FFE1


class EventSet(NamedTuple):
    """``E`` threat definitions. Fields ``[E]`` unless stated."""

    origin_onehot: jnp.ndarray  # [E, O] 1.0 at the event's origin
    product_weight: jnp.ndarray  # [E, P] severity multiplier per product (0 = not hit)
    hazard_per_year: jnp.ndarray  # arrival rate, occurrences / year; 0 = one occurrence at onset_day
    onset_day: jnp.ndarray  # fixed onset day (used when hazard_per_year == 0)
    duration_median_days: jnp.ndarray
    duration_sigma: jnp.ndarray  # lognormal sigma; 0 = fixed duration
    severity: jnp.ndarray  # fixed severity in [0, 1] (used when severity_alpha == 0)
    severity_alpha: jnp.ndarray  # Beta(alpha, beta) severity; alpha == 0 = fixed
    severity_beta: jnp.ndarray
    tightening_days: jnp.ndarray  # days from onset to full severity; 0 = immediate
    announcement_lead_days: jnp.ndarray  # days between announcement and onset; 0 = unannounced
    # [E, K] bool, True for k < max_occurrences[e]; K = max over events (static, from the shape)
    occurrence_allowed: jnp.ndarray
    # Export-control regimes (docs/model.md, section 4); the defaults make a plain cut.
    country_weight: jnp.ndarray  # [E] 1.0: the cut hits the country's own imports from the origin
    # [E, P] share of the origin's cut that leaves the world market: the destinations'
    # share of its traded sales x what diversion to other buyers does not make up
    world_weight: jnp.ndarray
    licence_delay_days: jnp.ndarray  # [E] days after onset with nothing licensed (full stop)
    approval_easing: jnp.ndarray  # [E] share of the withheld volume licensed once eased
    easing_days: jnp.ndarray  # [E] days after the licence delay until the easing is complete
    # [E] share of the withheld volume reaching the market via third countries (its
    # central value); [E, B] once drawn per scenario (draw_leakage, lanes last)
    leakage_share: jnp.ndarray
    leakage_delay_days: jnp.ndarray  # [E] days the leaked volume takes (transshipment)
    # [E] the leakage share's distribution (simcore.core.uncertainty kinds): triangular
    # low, mode, high or uniform low, high; low == high: fixed at leakage_share
    leakage_kind: jnp.ndarray
    leakage_low: jnp.ndarray
    leakage_high: jnp.ndarray


class Scenario(NamedTuple):
    """One sampled future. Fields ``[E, K]`` (event, occurrence); ``[E]`` is accepted
    as ``K = 1``. ``onset_day`` is ``inf`` for occurrences that never happen (then
    duration and severity are 0); days are whole numbers, severity in ``[0, 1]``."""

    onset_day: jnp.ndarray  # day of onset (first day of the cut)
    duration_days: jnp.ndarray  # days the cut lasts, >= 1 for occurrences that happen
    severity: jnp.ndarray  # share of the origin's supply withheld at full tightening


def make_events(
    *,
    origin_onehot,
    product_weight,
    onset_day=0.0,
    hazard_per_year=0.0,
    duration_median_days=30.0,
    duration_sigma=0.0,
    severity=1.0,
    severity_alpha=0.0,
    severity_beta=0.0,
    tightening_days=0.0,
    max_occurrences=1,
    announcement_lead_days=0.0,
    country_weight=1.0,
    world_weight=1.0,
    licence_delay_days=0.0,
    approval_easing=0.0,
    easing_days=0.0,
    leakage_share=0.0,
    leakage_delay_days=0.0,
    leakage_kind=0,
    leakage_low=None,
    leakage_high=None,
) -> EventSet:
    """Build an :class:`EventSet`, broadcasting scalars to ``[E]``.

    ``max_occurrences`` (int >= 1, scalar or ``[E]``) must be concrete (NumPy or Python
    values): ``K = max(max_occurrences)`` fixes the static trailing shape of the
    scenarios. It only matters for hazard events; a given event has one occurrence.
    ``announcement_lead_days`` (days >= 0, scalar or ``[E]``) is the announcement lead.
    Regime fields (scalars or ``[E]``, see :class:`EventSet`): ``country_weight`` (1 the
    country is a destination of the control, 0 it is not), ``world_weight`` (scalar,
    ``[E]`` or ``[E, P]``: share of the origin's cut lost to the world market, i.e. the
    destinations' share of its traded sales after diversion to other buyers),
    ``licence_delay_days``, ``approval_easing`` and ``easing_days``, ``leakage_share``
    and ``leakage_delay_days``; ``leakage_kind`` / ``leakage_low`` / ``leakage_high``
    (default: fixed at ``leakage_share``, the mode of a triangular) for a leakage share
    drawn per scenario (:func:`draw_leakage`).
    Raises ``ValueError`` for a bad ``max_occurrences`` or ``announcement_lead_days``.
    """
    # float32 on the host where concrete: no one-op program per shape (simcore.core.host_arrays)
    onehot = float32(origin_onehot)
    n_events = onehot.shape[0]

    def vec(x):
        return float32(x, (n_events,))

    occurrences = np.broadcast_to(np.asarray(max_occurrences), (n_events,))
    if not (np.issubdtype(occurrences.dtype, np.integer) or np.all(np.mod(occurrences, 1) == 0)) or (
        n_events and occurrences.min() < 1
    ):
        raise ValueError(f"max_occurrences must be integers >= 1 (one per event), got {occurrences.tolist()}")
    occurrences = occurrences.astype(np.int64)
    n_occurrences = int(occurrences.max()) if n_events else 1
    allowed = np.arange(n_occurrences)[None, :] < occurrences[:, None]  # [E, K]

    n_products = np.shape(product_weight)[1]
    xp = jnp if under_trace(world_weight) else np
    world = xp.asarray(world_weight, dtype=xp.float32)
    world = world[:, None] if world.ndim == 1 else world  # [E] -> [E, 1]: the same for every product

    lead = np.broadcast_to(np.asarray(announcement_lead_days, dtype=np.float64), (n_events,))
    if not np.all(np.isfinite(lead) & (lead >= 0)):
        raise ValueError(f"announcement_lead_days must be finite and >= 0 (days), got {lead.tolist()}")

    return EventSet(
        origin_onehot=onehot,
        product_weight=float32(product_weight),
        hazard_per_year=vec(hazard_per_year),
        onset_day=vec(onset_day),
        duration_median_days=vec(duration_median_days),
        duration_sigma=vec(duration_sigma),
        severity=vec(severity),
        severity_alpha=vec(severity_alpha),
        severity_beta=vec(severity_beta),
        tightening_days=vec(tightening_days),
        announcement_lead_days=vec(lead),
        occurrence_allowed=on_device(allowed),
        country_weight=vec(country_weight),
        world_weight=float32(world, (n_events, n_products)),
        licence_delay_days=vec(licence_delay_days),
        approval_easing=vec(approval_easing),
        easing_days=vec(easing_days),
        leakage_share=vec(leakage_share),
        leakage_delay_days=vec(leakage_delay_days),
        leakage_kind=host_array(leakage_kind, np.int32, (n_events,)),
        leakage_low=vec(leakage_share if leakage_low is None else leakage_low),
        leakage_high=vec(leakage_share if leakage_high is None else leakage_high),
    )


def draw_leakage(events: EventSet, base_key: jax.Array, scenario_index: jnp.ndarray) -> EventSet:
    """``events`` with each event's leakage share drawn per scenario, ``[E, B]`` for the
    scenario indices ``[B]``: event ``e`` draws from ``fold_in(fold_in(parameter key,
    LEAKAGE_STREAM), e)`` (common random numbers: every policy sees the same draw;
    chunking does not matter) through the inverse CDF of its distribution, as an
    uncertain model entry does (:func:`simcore.core.uncertainty.draw_values`). A fixed
    share draws itself exactly (width 0)."""
    n_events = events.leakage_share.shape[0]
    dist = Distribution(index=jnp.arange(n_events), stream=jnp.arange(n_events, dtype=jnp.uint32),
                        kind=events.leakage_kind, a=events.leakage_low, b=events.leakage_share,
                        c=events.leakage_high, floor=jnp.zeros(n_events), ceiling=jnp.ones(n_events))

    def one(index):
        return draw_values(dist, jax.random.fold_in(parameter_key(base_key, index), LEAKAGE_STREAM))

    drawn = jax.vmap(one, out_axes=1)(scenario_index)  # [E, B]
    fixed = (events.leakage_high <= events.leakage_low)[:, None]
    return events._replace(leakage_share=jnp.where(fixed, events.leakage_share[:, None], drawn))


def n_occurrences(events: EventSet) -> int:
    """``K``, the static number of occurrence slots per event."""
    return events.occurrence_allowed.shape[1]


def sample_scenario(key: jax.Array, events: EventSet) -> Scenario:
    """Draw onset, duration and severity of every occurrence ``[E, K]`` for one scenario.

    See the module docstring: onsets are the floored arrival days of a Poisson process
    (possibly beyond the horizon, i.e. not reached); durations are whole days, at least
    one; occurrences that never happen have onset ``inf``, duration and severity 0.
    """
    n_events, n_slots = events.occurrence_allowed.shape

    def occurrence_keys(event, occurrence):
        # one key per (event, occurrence): draws independent of E and K
        return jax.random.split(jax.random.fold_in(jax.random.fold_in(key, event), occurrence), 3)

    grid = jax.vmap(jax.vmap(occurrence_keys, in_axes=(None, 0)), in_axes=(0, None))
    keys = grid(jnp.arange(n_events), jnp.arange(n_slots))  # [E, K, 3] keys
    per_key = lambda draw: jax.vmap(jax.vmap(draw))  # noqa: E731  a scalar draw over [E, K] keys
    inter_arrival = per_key(jax.random.exponential)(keys[:, :, 0])  # [E, K]
    normal = per_key(jax.random.normal)(keys[:, :, 1])

    def beta_draws(_):
        is_random = events.severity_alpha > 0
        alpha = jnp.where(is_random, events.severity_alpha, 1.0)[:, None]
        beta = jnp.where(is_random, events.severity_beta, 1.0)[:, None]
        shape = (n_events, n_slots)
        return jax.vmap(jax.vmap(jax.random.beta))(keys[:, :, 2], jnp.broadcast_to(alpha, shape),
                                                   jnp.broadcast_to(beta, shape))

    # Beta draws (a rejection loop) are the sampler's main cost: skip them when every
    # severity is fixed. The predicate depends on the events only, so under vmap over
    # scenarios it stays a real branch.
    random_severity = jax.lax.cond(jnp.any(events.severity_alpha > 0), beta_draws,
                                   lambda _: jnp.zeros((n_events, n_slots)), None)

    hazard = events.hazard_per_year[:, None]
    daily_hazard = jnp.where(hazard > 0, hazard / DAYS_PER_YEAR, 1.0)
    arrival_onset = jnp.floor(jnp.cumsum(inter_arrival, axis=1) / daily_hazard)
    given_onset = jnp.where(jnp.arange(n_slots)[None, :] == 0, events.onset_day[:, None], NEVER)
    happens = events.occurrence_allowed & ((hazard > 0) | (jnp.arange(n_slots)[None, :] == 0))
    onset = jnp.where(happens, jnp.where(hazard > 0, arrival_onset, given_onset), NEVER)

    duration = jnp.ceil(events.duration_median_days[:, None] * jnp.exp(events.duration_sigma[:, None] * normal))
    duration = jnp.where(happens, jnp.maximum(duration, 1.0), 0.0)

    severity = jnp.where(events.severity_alpha[:, None] > 0, random_severity, events.severity[:, None])
    severity = jnp.where(happens, jnp.clip(severity, 0.0, 1.0), 0.0)
    return Scenario(onset_day=onset, duration_days=duration, severity=severity)


def sample_batch(events: EventSet, base_key: jax.Array, scenario_index: jnp.ndarray) -> Scenario:
    """Scenarios ``[N, E, K]`` for indices ``[N]``: scenario ``i`` from ``fold_in(base_key, i)``
    alone, so a scenario's draws do not depend on the other indices of the batch."""
    return jax.vmap(lambda i: sample_scenario(jax.random.fold_in(base_key, i), events))(scenario_index)


def no_disruption(events: EventSet) -> Scenario:
    """A scenario ``[E, K]`` in which no occurrence ever starts (the normal-times reference)."""
    shape = events.occurrence_allowed.shape
    return Scenario(onset_day=jnp.full(shape, NEVER), duration_days=jnp.zeros(shape), severity=jnp.zeros(shape))
