"""Supply cuts by day: what the sampled occurrences of :mod:`simcore.core.disruptions`
withhold on a given day, the numbers the day step reads.

Kept apart from the generator so that the day step (:mod:`simcore.core.step`) imports
what a scenario cuts and nothing of how scenarios are drawn. The engine carries the scenarios
of a chunk as a trailing *lane* axis ``B`` (see :mod:`simcore.core.lanes`): the
functions ``*_lanes`` take occurrences ``[E, K, B]`` and return ``[..., B]``;
:func:`todays_cuts` evaluates the day step's cuts of one day at once; the per-scenario
functions (:func:`availability`, :func:`announced_cut`, :func:`in_announcement`) are
the same computation for one lane, for a :class:`~simcore.core.disruptions.Scenario`
``[E, K]``.

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

from simcore.core.disruptions import EventSet, Scenario


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
