"""A run padded to a fixed shape: null events and baseline copies of policies added so
that runs of different sizes share one compiled program.

The engine compiles once per shape (events, policies, chunk size, horizon). A caller
that serves many small runs (the service's assessments) pads them to a few shapes:

* events with null events (no origin, no product, severity 0, never starting): scenario
  ``i``'s draws depend only on the seed, ``i`` and the event's index, so the padding
  changes no number of the real events;
* policies with copies of the baseline (the first policy), named ``(padding i)``,
  whose results the caller drops.

It lives in the run layer because it builds the engine's pytrees (:class:`EventSet`,
the stacked policies): callers above (the service) never reach into the core.
"""

from __future__ import annotations

import jax.numpy as jnp

from simcore.core.disruptions import EventSet
from simcore.core.model import stack_policies
from simcore.run.runner import Simulation
from simcore.schema.config import RunConfig

NULL_ONSET_DAY = 1.0e9  # a padding event never starts
PADDING = "(padding "  # name prefix of padding events and policies


def pad_events(events: EventSet, count: int) -> EventSet:
    """``events`` with null events appended up to ``count`` (no origin, no product,
    severity 0, onset never reached): the real events' draws and effects are unchanged."""
    n_events = events.origin_onehot.shape[0]
    extra = count - n_events
    if extra <= 0:
        return events
    fill = {"onset_day": NULL_ONSET_DAY, "duration_median_days": 1.0, "severity_alpha": 0.0, "severity_beta": 0.0,
            "severity": 0.0, "hazard_per_year": 0.0, "duration_sigma": 0.0, "tightening_days": 0.0,
            "announcement_lead_days": 0.0}
    padded = {}
    for name, value in events._asdict().items():
        value = jnp.asarray(value)
        pad_value = False if name == "occurrence_allowed" else fill.get(name, 0.0)
        block = jnp.full((extra,) + value.shape[1:], pad_value, dtype=value.dtype)
        if name == "occurrence_allowed":
            block = block.at[:, 0].set(True)  # a given event: one slot
        padded[name] = jnp.concatenate([value, block], axis=0)
    return EventSet(**padded)


def padded_simulation(config: RunConfig, pad_events_to: int, policy_slots: int = 0) -> Simulation:
    """The run of ``config`` with events padded to ``pad_events_to`` and, with
    ``policy_slots``, the policies padded with no-policy copies named ``(padding i)``
    (their results are dropped)."""
    names = list(config.event_names) + [f"{PADDING}{i})" for i in range(pad_events_to - len(config.event_names))]
    policies = [p.policy for p in config.policies]
    policy_names = [p.name for p in config.policies]
    for i in range(policy_slots - len(policies)):
        policies.append(config.policies[0].policy)  # the baseline
        policy_names.append(f"{PADDING}{i})")
    return Simulation(loaded=config.loaded, events=pad_events(config.events, pad_events_to), event_names=names,
                      policy_names=policy_names, policies=stack_policies(policies),
                      horizon_days=config.horizon_days, seed=config.seed)
