"""The allocation rule (proportional or priority rationing) is static: held in the shape
of ``Model.priority_before`` (no rows under proportional rationing), so a model's day
traces and compiles only its own rule (issue 19, item 4). The rationing itself is
checked in ``test_core_sectors.py`` (test_proportional_and_priority_rationing, the pair
layout against the dense block for both rules)."""

import jax
import jax.numpy as jnp
import numpy as np

from simcore.core import Scenario, build_model, make_events, no_policy, simulate_given, stack_policies
from simcore.core.lanes import model_lanes
from simcore.core.model import uses_priority

HORIZON = 12
CUT = make_events(origin_onehot=[[1.0]], product_weight=[[1.0]])
SCENARIO = Scenario(onset_day=jnp.array([[0.0]], jnp.float32), duration_days=jnp.array([[5.0]], jnp.float32),
                    severity=jnp.array([[0.5]], jnp.float32))


def _model(allocation, **kwargs):
    # one product used half by each of two sectors, the second served first
    return build_model(demand_per_day=[100.0], price=[1.0], inventory_days=[0.0], import_share=[[1.0]],
                       technical_coefficients=[[0.0, 0.1], [0.0, 0.0]], final_demand=[1.0e6, 1.0e6],
                       use_share=[[0.5, 0.5]], sector_priority=[1, 0], allocation=allocation, **kwargs)


def _equations(jaxpr):
    """Every equation of ``jaxpr`` and of the jaxprs inside it (scan, cond, pjit...)."""
    for eqn in jaxpr.eqns:
        yield eqn
        for param in eqn.params.values():
            for sub in param if isinstance(param, (list, tuple)) else [param]:
                inner = getattr(sub, "jaxpr", sub)
                if hasattr(inner, "eqns"):
                    yield from _equations(inner)


def _from_sector_block(model):
    """Primitive names of the day's equations traced in ``simcore/core/sectors.py``."""
    policies = stack_policies([no_policy(model)])
    jaxpr = jax.make_jaxpr(lambda m, p: simulate_given(m, p, CUT, SCENARIO, horizon=HORIZON))(model, policies)
    names = []
    for eqn in _equations(jaxpr.jaxpr):
        frames = eqn.source_info.traceback.frames if eqn.source_info.traceback is not None else []
        if any(f.file_name.replace("\\", "/").endswith("simcore/core/sectors.py") for f in frames):
            names.append(eqn.primitive.name)
    return names


def test_the_rule_rides_in_the_shape_of_priority_before():
    proportional, priority = _model("proportional"), _model("priority")
    assert proportional.priority_before.shape == (0, 2) and not uses_priority(proportional)
    assert priority.priority_before.shape == (2, 2) and uses_priority(priority)
    np.testing.assert_array_equal(priority.priority_before, [[0.0, 0.0], [1.0, 0.0]])  # sector 2 before sector 1
    # the lane layout keeps the rule (a trailing lane axis, rows unchanged)
    assert not uses_priority(model_lanes(proportional)) and uses_priority(model_lanes(priority))


def test_a_proportional_day_traces_no_priority_branch():
    proportional = _from_sector_block(_model("proportional"))
    priority = _from_sector_block(_model("priority"))
    assert "cond" not in proportional and "cond" not in priority  # no switch between the rules
    assert "dot_general" not in proportional  # the priority sums (need x priority_before) are not compiled
    assert "dot_general" in priority  # ...and a priority model does compute them


def test_proportional_and_priority_models_still_differ_under_a_cut():
    outputs = {}
    for allocation in ("proportional", "priority"):
        model = _model(allocation)
        _, daily = simulate_given(model, stack_policies([no_policy(model)]), CUT, SCENARIO, horizon=HORIZON,
                                  save_daily=True)
        outputs[allocation] = np.asarray(daily.sector_output_share[0, 0, :5])
    np.testing.assert_allclose(outputs["proportional"], 0.5)  # both sectors at half
    np.testing.assert_allclose(outputs["priority"][:, 1], 1.0)  # the first served gets all it needs
    np.testing.assert_allclose(outputs["priority"][:, 0], 0.0)
