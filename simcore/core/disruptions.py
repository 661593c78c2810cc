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

Supply cut
    Severity tightens linearly over ``tightening_days`` after onset (licence delays, a
    quota that bites progressively): on day ``t`` of an occurrence (``t = 0`` at onset)
    the cut is ``severity * product_weight * min(1, (t + 1) / tightening_days)``, for
    ``duration`` days ``onset <= day < onset + duration``.

    Overlapping cuts combine multiplicatively: each restriction withholds its share of
    what the others leave, so the kept share of origin ``o``'s supply of product ``p``
    is ``prod over (e, k) hitting o of (1 - cut_ek[p])``. This holds both for
    different events and for a new occurrence of an event that starts while an earlier
    one is still active (two overlapping 50 % cuts keep 25 %). The kept share is exactly
    1.0 on days when nothing is active.

Announcements
    An occurrence may be announced ``announcement_lead_days`` before its onset. During
    the announcement window ``onset - lead <= day < onset`` nothing is cut yet, but the
    market knows what is coming: :func:`announced_cut` counts the occurrence at its full
    (fully tightened) severity there, and from the onset to the end of an announced
    occurrence it keeps counting the full severity (the announced cut does not dip
    while the physical cut tightens). Unannounced occurrences (lead 0) count as their
    physical cut, as in :func:`availability`. :func:`in_announcement` flags the
    products with an occurrence in its announcement window (the pre-announcement
    buying rush).
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp
import numpy as np

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
    onehot = jnp.asarray(origin_onehot, dtype=jnp.float32)
    n_events = onehot.shape[0]

    def vec(x):
        return jnp.broadcast_to(jnp.asarray(x, dtype=jnp.float32), (n_events,))

    occurrences = np.broadcast_to(np.asarray(max_occurrences), (n_events,))
    if not (np.issubdtype(occurrences.dtype, np.integer) or np.all(np.mod(occurrences, 1) == 0)) or (
        n_events and occurrences.min() < 1
    ):
        raise ValueError(f"max_occurrences must be integers >= 1 (one per event), got {occurrences.tolist()}")
    occurrences = occurrences.astype(np.int64)
    n_occurrences = int(occurrences.max()) if n_events else 1
    allowed = np.arange(n_occurrences)[None, :] < occurrences[:, None]  # [E, K]

    n_products = np.shape(product_weight)[1]
    world = jnp.asarray(world_weight, dtype=jnp.float32)
    world = world[:, None] if world.ndim == 1 else world  # [E] -> [E, 1]: the same for every product

    lead = np.broadcast_to(np.asarray(announcement_lead_days, dtype=np.float64), (n_events,))
    if not np.all(np.isfinite(lead) & (lead >= 0)):
        raise ValueError(f"announcement_lead_days must be finite and >= 0 (days), got {lead.tolist()}")

    return EventSet(
        origin_onehot=onehot,
        product_weight=jnp.asarray(product_weight, dtype=jnp.float32),
        hazard_per_year=vec(hazard_per_year),
        onset_day=vec(onset_day),
        duration_median_days=vec(duration_median_days),
        duration_sigma=vec(duration_sigma),
        severity=vec(severity),
        severity_alpha=vec(severity_alpha),
        severity_beta=vec(severity_beta),
        tightening_days=vec(tightening_days),
        announcement_lead_days=vec(lead),
        occurrence_allowed=jnp.asarray(allowed),
        country_weight=vec(country_weight),
        world_weight=jnp.broadcast_to(world, (n_events, n_products)),
        licence_delay_days=vec(licence_delay_days),
        approval_easing=vec(approval_easing),
        easing_days=vec(easing_days),
        leakage_share=vec(leakage_share),
        leakage_delay_days=vec(leakage_delay_days),
        leakage_kind=jnp.broadcast_to(jnp.asarray(leakage_kind, dtype=jnp.int32), (n_events,)),
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


# --------------------------------------------------------------------------- cuts by day
#
# The engine carries the scenarios of a chunk as a trailing *lane* axis ``B`` (see
# :mod:`simcore.core.lanes`): the functions ``*_lanes`` below take occurrences
# ``[E, K, B]`` and return ``[..., B]``; the per-scenario functions after them
# (:func:`availability`, :func:`announced_cut`, :func:`in_announcement`) are the same
# computation for one lane.


class Occurrences(NamedTuple):
    """Onset, duration and severity of every occurrence, ``[E, K, B]`` (lanes last)."""

    onset_day: jnp.ndarray
    duration_days: jnp.ndarray
    severity: jnp.ndarray


def occurrences_from_batch(scenarios: Scenario) -> Occurrences:
    """Occurrences ``[E, K, N]`` of scenarios ``[N, E, K]`` (the sampler's layout)."""
    return Occurrences(*(jnp.moveaxis(jnp.asarray(x, dtype=jnp.float32), 0, -1) for x in scenarios))


def _one_lane(scenario: Scenario) -> Occurrences:
    """Occurrences ``[E, K, 1]`` of one scenario ``[E, K]`` (``[E]`` is ``K = 1``)."""
    fields = tuple(jnp.asarray(x, dtype=jnp.float32) for x in scenario)
    return Occurrences(*((x[:, None] if x.ndim == 1 else x)[..., None] for x in fields))


def _level(events: EventSet, since_onset, duration, announced: bool) -> jnp.ndarray:
    """Share of full severity in effect ``since_onset`` days after an onset ``[E, K, X, B]``
    (``duration`` ``[E, K, 1, B]``): linear tightening over ``tightening_days``; with
    ``announced``, full severity from ``lead`` days before the onset to the end of an
    announced occurrence."""
    active = (since_onset >= 0) & (since_onset < duration)
    tighten = events.tightening_days[:, None, None, None]
    ramp = jnp.where(tighten > 0, jnp.clip((since_onset + 1.0) / jnp.maximum(tighten, 1.0), 0.0, 1.0), 1.0)
    level = jnp.where(active, ramp, 0.0)
    if announced:
        lead = events.announcement_lead_days[:, None, None, None]
        known = (lead > 0) & (since_onset >= -lead) & (since_onset < duration)
        level = jnp.where(known, 1.0, level)
    return level


def _regime_severity(events: EventSet, severity, since_onset) -> jnp.ndarray:
    """Share withheld ``[E, K, X, B]`` under a licensing regime: everything for the first
    ``licence_delay_days`` after onset (no licence granted yet; an occurrence that
    happens at all), then the drawn severity, of which ``approval_easing`` is licensed
    after all, linearly over ``easing_days`` (approval shares that rise over time)."""
    delay = events.licence_delay_days[:, None, None, None]
    easing = events.approval_easing[:, None, None, None]
    days = events.easing_days[:, None, None, None]
    after_delay = since_onset - delay
    eased = jnp.where(days > 0, jnp.clip((after_delay + 1.0) / jnp.maximum(days, 1.0), 0.0, 1.0), 1.0)
    eased = jnp.where(after_delay >= 0, eased, 0.0)
    regime = jnp.where((since_onset < delay) & (severity > 0), 1.0, severity * (1.0 - easing * eased))
    return jnp.where((delay > 0) | (easing > 0), regime, severity)  # a plain cut stays exactly as drawn


def _event_cuts(events: EventSet, occ: Occurrences, day_per_event, weight, announced: bool) -> jnp.ndarray:
    """Cut ``[E, X, B]`` of each event on the day it sees, ``day_per_event`` ``[E, X, B|1]``
    (``X`` products, or links), with product weights ``weight`` ``[E, X]``: each
    occurrence's ``severity x level x weight`` in ``[0, 1]``, occurrences of one event
    combined multiplicatively."""
    since_onset = day_per_event[:, None] - occ.onset_day[:, :, None, :]  # [E, K, X, B]
    level = _level(events, since_onset, occ.duration_days[:, :, None, :], announced)
    severity = _regime_severity(events, occ.severity[:, :, None, :], since_onset)
    cut = jnp.clip(severity * level * weight[:, None, :, None], 0.0, 1.0)
    if cut.shape[1] == 1:
        return cut[:, 0]  # no round trip through 1 - (1 - c): exact for K = 1
    return 1.0 - jnp.prod(1.0 - cut, axis=1)


def _origin_of_event(events: EventSet) -> jnp.ndarray:
    return jnp.argmax(events.origin_onehot, axis=1)  # [E]


def _supply_cut_lanes(events: EventSet, occ: Occurrences, day, announced: bool, destination=None) -> jnp.ndarray:
    """Kept share ``[P, O, B]`` of each origin's supply of each product on ``day``: a
    scalar, or ``[P, O|1, B|1]`` (one day per product and origin, e.g. ``today -
    transit_days``). Events combine multiplicatively; exactly 1.0 where nothing is cut.
    ``destination`` ``[E]``: how much of each event's cut applies (the country's
    ``country_weight``); None: all of it."""
    event_cut = _per_event_cuts(events, occ, day, announced)
    if destination is not None:
        event_cut = event_cut * destination[:, None, None]
    return _kept(events, event_cut)


def _kept(events: EventSet, event_cut: jnp.ndarray) -> jnp.ndarray:
    """Kept share ``[P, O, B]`` from per-event cuts ``[E, P, B]``: events combine multiplicatively."""
    kept = 1.0 - events.origin_onehot[:, None, :, None] * event_cut[:, :, None, :]  # [E, P, O, B]
    return jnp.prod(kept, axis=0)


def _per_event_cuts(events: EventSet, occ: Occurrences, day, announced: bool) -> jnp.ndarray:
    """Cut ``[E, P, B]`` of each event on ``day`` (a scalar or ``[P, O|1, B|1]``, each
    event seeing its origin's column)."""
    n_events, n_products = events.product_weight.shape
    day = jnp.asarray(day, dtype=jnp.float32)
    if day.ndim == 0:
        # one day for every product: the events' levels and regimes are computed once per
        # occurrence ([E, K, 1, B]) and only the product weights spread them over products
        day_per_event = day.reshape(1, 1, 1)
    else:  # each event sees its origin's column (a gather: exact, no matmul rounding)
        full = jnp.broadcast_to(day, (n_products, events.origin_onehot.shape[1], day.shape[-1]))
        day_per_event = jnp.swapaxes(full[:, _origin_of_event(events), :], 0, 1)  # [E, P, B|1]
    return _event_cuts(events, occ, day_per_event, events.product_weight, announced)  # [E, P, B]


def availability_lanes(events: EventSet, occ: Occurrences, day) -> jnp.ndarray:
    """Share ``[P, O, B]`` of each origin's normal supply **to the country** of each
    product available on ``day`` (a scalar or ``[P, O|1, B|1]``); see :func:`availability`.
    A control aimed at other destinations only (``country_weight`` 0) leaves it whole."""
    return _supply_cut_lanes(events, occ, day, announced=False, destination=events.country_weight)


def announced_cut_lanes(events: EventSet, occ: Occurrences, day) -> jnp.ndarray:
    """Share ``[P, O, B]`` of the country's supply cut or announced to be cut on ``day``;
    see :func:`announced_cut`."""
    return 1.0 - _supply_cut_lanes(events, occ, day, announced=True, destination=events.country_weight)


def world_cut_lanes(events: EventSet, occ: Occurrences, day) -> jnp.ndarray:
    """Share ``[P, O, B]`` of each origin's supply **to the world market** withheld on
    ``day`` (a scalar): each event's cut x ``world_weight`` (what diversion to other
    destinations does not make up), less the ``leakage_share`` of its cut of
    ``leakage_delay_days`` ago that reaches the market through third countries (after a
    cut ends, what is still under way keeps arriving: a negative cut)."""
    return todays_cuts(events, occ, day).world_cut


class TodaysCuts(NamedTuple):
    """The cuts of one day ``[P, O, B]`` that the day step needs, from one evaluation of
    each event's cut (:func:`todays_cuts`)."""

    country_known: jnp.ndarray  # the country's supply cut or announced (announced_cut_lanes)
    country_shipped: jnp.ndarray  # the country's supply leaving the origins today (availability_lanes)
    world_cut: jnp.ndarray  # the world market's supply withheld (world_cut_lanes)
    world_known: jnp.ndarray  # the world market's supply known to be withheld (world_known_cut_lanes)


def todays_cuts(events: EventSet, occ: Occurrences, day) -> TodaysCuts:
    """:func:`announced_cut_lanes`, :func:`availability_lanes`, :func:`world_cut_lanes` and
    :func:`world_known_cut_lanes` on one day (a scalar), sharing the events' cuts: the
    announced and the physical cut are evaluated once each, the leaked volume of
    ``leakage_delay_days`` ago only when some event leaks (a real branch: the events are
    the same in every lane)."""
    n_products = events.product_weight.shape[1]
    day = jnp.asarray(day, dtype=jnp.float32)
    known = _per_event_cuts(events, occ, day, announced=True)  # [E, P, B]
    physical = _per_event_cuts(events, occ, day, announced=False)

    def leaked(_):
        leak_day = (day - events.leakage_delay_days)[:, None, None]  # [E, 1, 1]: every product alike
        return jnp.broadcast_to(_event_cuts(events, occ, leak_day, events.product_weight, announced=False),
                                physical.shape)

    lagged = jax.lax.cond(jnp.any(events.leakage_share > 0), leaked, lambda _: jnp.zeros_like(physical), None)
    leak = events.leakage_share  # [E] or, drawn per scenario, [E, B]
    leak = leak[:, None, :] if leak.ndim == 2 else leak[:, None, None]
    country = events.country_weight[:, None, None]
    world = events.world_weight[:, :, None]
    return TodaysCuts(
        country_known=1.0 - _kept(events, known * country),
        country_shipped=_kept(events, physical * country),
        world_cut=1.0 - _kept(events, world * (physical - leak * lagged)),
        world_known=1.0 - _kept(events, known * world),
    )


def world_known_cut_lanes(events: EventSet, occ: Occurrences, day) -> jnp.ndarray:
    """Share ``[P, O, B]`` of the world market's supply known to be withheld on ``day``
    (announced cuts at full severity x ``world_weight``): what stock holders prepare for."""
    return todays_cuts(events, occ, day).world_known


def link_availability_lanes(events: EventSet, occ: Occurrences, day, product, origin) -> jnp.ndarray:
    """Share ``[L, B]`` available of ``L`` single supplies (``product[l]`` from
    ``origin[l]``, int ``[L]``) on their own days ``day`` ``[L, B|1]``: the entries
    ``availability(day[l])[origin[l], product[l]]`` without computing the rest."""
    weight = events.product_weight[:, product]  # [E, L]
    event_cut = _event_cuts(events, occ, jnp.asarray(day, jnp.float32)[None], weight, announced=False)  # [E, L, B]
    # the upstream supply goes to a third country's producer: what diversion does not
    # make up of a control reaches it (all of a control aimed at every destination)
    event_cut = event_cut * events.world_weight[:, product][:, :, None]
    kept = 1.0 - events.origin_onehot[:, origin][:, :, None] * event_cut  # [E, L, B]
    return jnp.prod(kept, axis=0)


def in_announcement_lanes(events: EventSet, occ: Occurrences, day) -> jnp.ndarray:
    """``[P, B]`` 1.0 where an occurrence that hits the product is in its announcement
    window on ``day`` (a scalar or ``[P, 1, 1]``); see :func:`in_announcement`."""
    n_products = events.product_weight.shape[1]
    day = jnp.asarray(day, dtype=jnp.float32)
    if day.ndim == 0:  # one day for every product: which events are in their window, then their products
        until = occ.onset_day - day  # [E, K, B]
        window = (until > 0) & (until <= events.announcement_lead_days[:, None, None]) & (occ.severity > 0)
        hits = events.product_weight > 0  # [E, P]
        return jnp.any(jnp.any(window, axis=1)[:, None, :] & hits[:, :, None], axis=0).astype(jnp.float32)
    day = jnp.broadcast_to(day.reshape(-1), (n_products,))
    until_onset = occ.onset_day[:, :, None, :] - day[None, None, :, None]  # [E, K, P, B]
    lead = events.announcement_lead_days[:, None, None, None]
    window = (until_onset > 0) & (until_onset <= lead)
    hits = (occ.severity[:, :, None, :] * events.product_weight[:, None, :, None]) > 0
    return jnp.any(window & hits, axis=(0, 1)).astype(jnp.float32)


def _lane_day(day) -> jnp.ndarray:
    """A per-scenario day (scalar, ``[P]`` or ``[O, P]``) in the lane layout."""
    day = jnp.asarray(day, dtype=jnp.float32)
    if day.ndim == 0:
        return day
    if day.ndim == 1:
        return day[:, None, None]
    return jnp.swapaxes(day, 0, 1)[..., None]


def availability(events: EventSet, scenario: Scenario, day) -> jnp.ndarray:
    """Share of each origin's normal supply of each product available on ``day``.

    ``day`` (days, may be fractional or negative: days before 0 are normal times) is a
    scalar, ``[P]`` (one day per product) or ``[O, P]`` (one per product and origin,
    e.g. ``today - transit_days.T``). ``scenario`` fields are ``[E, K]`` or ``[E]``.
    Returns ``[O, P]`` in ``[0, 1]``, exactly 1.0 where no occurrence is active.
    Cost ``O(E K P + E O P)`` per call.
    """
    return jnp.swapaxes(availability_lanes(events, _one_lane(scenario), _lane_day(day))[..., 0], 0, 1)


def announced_cut(events: EventSet, scenario: Scenario, day) -> jnp.ndarray:
    """Share ``[O, P]`` of each origin's supply of each product that is cut or announced
    to be cut on ``day`` (same ``day`` shapes as :func:`availability`).

    An announced occurrence (``announcement_lead_days > 0``) counts at its full drawn
    severity x product weight from ``onset - lead`` to its end; an unannounced one as
    its physical cut (``1 - availability`` for a single occurrence). Combined
    multiplicatively like :func:`availability`; exactly 0.0 in normal times. Drives the
    world price, which moves when the cut at origin is known.
    """
    return jnp.swapaxes(announced_cut_lanes(events, _one_lane(scenario), _lane_day(day))[..., 0], 0, 1)


def in_announcement(events: EventSet, scenario: Scenario, day) -> jnp.ndarray:
    """``[P]`` float 1.0 where some occurrence that hits product ``p`` (drawn severity x
    weight > 0) is in its announcement window ``onset - lead <= day < onset``, else 0.0.
    ``day`` is a scalar or ``[P]``. Drives the pre-announcement buying rush."""
    return in_announcement_lanes(events, _one_lane(scenario), day)[..., 0]
