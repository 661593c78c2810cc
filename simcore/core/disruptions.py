"""Stochastic disruption generator: events per (origin, product set).

An *event* ``e`` is a threat from one origin to a set of products, e.g. "China
restricts exports of gallium and germanium". Its onset is either fixed (the
deterministic "given event" mode: ``hazard_per_year == 0``) or drawn from a constant
hazard rate over the horizon; its duration is lognormal around a median (fixed when
``duration_sigma == 0``); its severity (share of that origin's supply withheld) is
Beta-distributed or fixed. Severity tightens linearly over ``tightening_days`` after
onset (licence delays, a quota that bites progressively). One draw of onset,
duration and severity serves every product of the event, so multi-product events
from one origin are perfectly correlated; ``product_weight`` scales the severity per
product. Several events combine multiplicatively on availability.

Scenario ``i`` is sampled from ``fold_in(base_key, i)`` alone, so results never
depend on chunking or device count.
"""

from __future__ import annotations

from typing import NamedTuple

import jax
import jax.numpy as jnp

from simcore.core.model import DAYS_PER_YEAR

NEVER = jnp.inf  # onset of an event that does not happen within the horizon


class EventSet(NamedTuple):
    """``E`` threat definitions. Fields ``[E]`` unless stated."""

    origin_onehot: jnp.ndarray  # [E, O] 1.0 at the event's origin
    product_weight: jnp.ndarray  # [E, P] severity multiplier per product (0 = not hit)
    hazard_per_year: jnp.ndarray  # onset rate, events / year; 0 = fixed onset
    onset_day: jnp.ndarray  # fixed onset day (used when hazard_per_year == 0)
    duration_median_days: jnp.ndarray
    duration_sigma: jnp.ndarray  # lognormal sigma; 0 = fixed duration
    severity: jnp.ndarray  # fixed severity in [0, 1] (used when severity_alpha == 0)
    severity_alpha: jnp.ndarray  # Beta(alpha, beta) severity; alpha == 0 = fixed
    severity_beta: jnp.ndarray
    tightening_days: jnp.ndarray  # days from onset to full severity; 0 = immediate


class Scenario(NamedTuple):
    """One sampled future. Fields ``[E]``; onset is ``inf`` for events that never start."""

    onset_day: jnp.ndarray
    duration_days: jnp.ndarray
    severity: jnp.ndarray


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
) -> EventSet:
    """Build an :class:`EventSet`, broadcasting scalars to ``[E]``."""
    onehot = jnp.asarray(origin_onehot, dtype=jnp.float32)
    n_events = onehot.shape[0]

    def vec(x):
        return jnp.broadcast_to(jnp.asarray(x, dtype=jnp.float32), (n_events,))

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
    )


def sample_scenario(key: jax.Array, events: EventSet) -> Scenario:
    """Draw onset, duration and severity of every event for one scenario.

    Onset with a hazard is ``floor(Exp(rate))`` in days (possibly beyond the
    horizon, i.e. the event does not happen); duration is rounded up to whole days,
    at least one.
    """
    key_onset, key_duration, key_severity = jax.random.split(key, 3)
    n_events = events.hazard_per_year.shape[0]
    daily_hazard = events.hazard_per_year / DAYS_PER_YEAR
    exponential = jax.random.exponential(key_onset, (n_events,))
    random_onset = jnp.floor(exponential / jnp.where(daily_hazard > 0, daily_hazard, 1.0))
    onset = jnp.where(events.hazard_per_year > 0, random_onset, events.onset_day)

    normal = jax.random.normal(key_duration, (n_events,))
    duration = jnp.ceil(events.duration_median_days * jnp.exp(events.duration_sigma * normal))
    duration = jnp.maximum(duration, 1.0)

    is_random_severity = events.severity_alpha > 0
    alpha = jnp.where(is_random_severity, events.severity_alpha, 1.0)
    beta = jnp.where(is_random_severity, events.severity_beta, 1.0)
    random_severity = jax.random.beta(key_severity, alpha, beta, (n_events,))
    severity = jnp.where(is_random_severity, random_severity, events.severity)
    return Scenario(onset_day=onset, duration_days=duration, severity=jnp.clip(severity, 0.0, 1.0))


def sample_batch(events: EventSet, base_key: jax.Array, scenario_index: jnp.ndarray) -> Scenario:
    """Scenarios ``[N]`` for indices ``[N]``: scenario ``i`` from ``fold_in(base_key, i)``."""
    return jax.vmap(lambda i: sample_scenario(jax.random.fold_in(base_key, i), events))(scenario_index)


def no_disruption(events: EventSet) -> Scenario:
    """A scenario in which no event ever starts (the normal-times reference)."""
    n_events = events.hazard_per_year.shape[0]
    return Scenario(
        onset_day=jnp.full((n_events,), NEVER),
        duration_days=jnp.ones((n_events,)),
        severity=jnp.zeros((n_events,)),
    )


def availability(events: EventSet, scenario: Scenario, day: jnp.ndarray) -> jnp.ndarray:
    """Share of each origin's normal supply of each product available on ``day``.

    ``day`` is a scalar or ``[P]`` (one day per product, used for lead-time delays;
    days before 0 are normal times). Returns ``[O, P]`` in ``[0, 1]``.
    """
    day = jnp.broadcast_to(jnp.asarray(day, dtype=jnp.float32), events.product_weight.shape[1:])
    since_onset = day[None, :] - scenario.onset_day[:, None]  # [E, P]
    active = (since_onset >= 0) & (since_onset < scenario.duration_days[:, None])
    tighten = events.tightening_days[:, None]
    ramp = jnp.where(tighten > 0, jnp.clip((since_onset + 1.0) / jnp.maximum(tighten, 1.0), 0.0, 1.0), 1.0)
    cut = jnp.where(active, scenario.severity[:, None] * ramp, 0.0) * events.product_weight  # [E, P]
    kept = 1.0 - events.origin_onehot[:, :, None] * jnp.clip(cut, 0.0, 1.0)[:, None, :]  # [E, O, P]
    return jnp.prod(kept, axis=0)
