"""Pure JAX core of simcore: model pytrees, disruption generator, supply cuts by day, day-step engine.

Nothing in this package imports the shell (config parsing, CLI, service, xarray,
zarr or plotting).
"""

from simcore.core.cuts import announced_cut, availability, in_announcement
from simcore.core.disruptions import (
    EventSet,
    Scenario,
    make_events,
    n_occurrences,
    no_disruption,
    sample_batch,
    sample_scenario,
)
from simcore.core.engine import (
    Daily,
    Metrics,
    State,
    init_state,
    normal_time_markup,
    simulate,
    simulate_batch,
    simulate_given,
    simulate_scenario,
    simulate_smooth,
    step,
)
from simcore.core.leontief import leontief_output, leontief_price_change
from simcore.core.model import Model, Policy, build_model, no_policy, stack_policies, transitive_closure
from simcore.core.uncertainty import draw_model, draw_parameters, without_hidden

__all__ = [
    "Daily", "EventSet", "Metrics", "Model", "Policy", "Scenario", "State", "announced_cut", "availability",
    "build_model", "draw_model", "draw_parameters", "in_announcement", "init_state", "leontief_output",
    "leontief_price_change", "make_events", "n_occurrences", "no_disruption", "no_policy", "normal_time_markup",
    "sample_batch", "sample_scenario", "simulate", "simulate_batch", "simulate_given", "simulate_scenario",
    "simulate_smooth", "stack_policies", "step", "transitive_closure", "without_hidden",
]
