"""The engine's one entry point (issue 18 item 6): simulate(...) with its behaviour as
arguments (drawn or given scenarios, exact or smoothed, daily trajectories or not); the
old names are aliases that give the same bits; a wrong combination is refused."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import (
    build_model,
    make_events,
    no_policy,
    sample_batch,
    simulate,
    simulate_batch,
    simulate_given,
    simulate_smooth,
    stack_policies,
)

HORIZON = 40


@pytest.fixture(scope="module")
def case():
    model = build_model(demand_per_day=[100.0, 50.0], price=[1.0, 2.0], inventory_days=[3.0, 2.0],
                        import_share=[[0.8, 0.2], [0.5, 0.5]])
    # a cut from day 5, its length and depth drawn per scenario
    events = make_events(origin_onehot=[[1.0, 0.0]], product_weight=[[1.0, 1.0]], onset_day=[5.0],
                         duration_median_days=[20.0], duration_sigma=[0.5], severity_alpha=[4.0],
                         severity_beta=[1.0])
    policies = stack_policies([no_policy(model), no_policy(model)._replace(gov_stock_days=jnp.asarray([15.0, 0.0]))])
    return model, events, policies, jax.random.key(7), jnp.arange(16, dtype=jnp.uint32)


def _same(a, b):
    for x, y in zip(jax.tree_util.tree_leaves(a), jax.tree_util.tree_leaves(b)):
        np.testing.assert_array_equal(np.asarray(x), np.asarray(y))


def test_aliases_are_the_entry_point_bit_for_bit(case):
    model, events, policies, key, index = case
    drawn = simulate(model, policies, events, horizon=HORIZON, base_key=key, scenario_index=index, save_daily=True)
    _same(drawn, simulate_batch(model, policies, events, key, index, horizon=HORIZON, save_daily=True))
    given = sample_batch(events, key, index)
    _same(simulate(model, policies, events, horizon=HORIZON, scenarios=given),
          simulate_given(model, policies, events, given, horizon=HORIZON))
    # the same futures drawn or given: the same metrics (a model without uncertain parameters)
    _same(drawn[0], simulate(model, policies, events, horizon=HORIZON, scenarios=given)[0])
    smooth = simulate(model, policies, events, horizon=HORIZON, base_key=key, scenario_index=index, temperature=0.05)
    _same(smooth, simulate_smooth(model, policies, events, key, index, horizon=HORIZON, temperature=0.05))
    assert drawn[1] is not None and smooth[1] is None  # daily trajectories only when asked
    # the government stock never makes it worse on the same futures (common random numbers)
    days = np.asarray(drawn[0].shortage_days)
    assert np.all(days[1] <= days[0]) and days.sum() > 0


def test_wrong_combinations_are_refused(case):
    model, events, policies, key, index = case
    given = sample_batch(events, key, index)
    with pytest.raises(ValueError, match="either scenarios or base_key"):
        simulate(model, policies, events, horizon=HORIZON, base_key=key, scenario_index=index, scenarios=given)
    with pytest.raises(ValueError, match="either scenarios or base_key"):
        simulate(model, policies, events, horizon=HORIZON, base_key=key)
