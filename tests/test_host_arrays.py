"""Small arrays built on the host (simcore.core.host_arrays) instead of by one-op JAX
programs: the same values, dtypes and weak types as the ``jnp`` ops they replace, the
``jnp`` path under a transformation, and nothing compiled while a config is read and its
simulation is set up (issue 19 item 1: every one-op program cost a trace and a lookup in
every warm run, and a compile per shape in every test process)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcore import load_config
from simcore.core.disruptions import make_events
from simcore.core.engine import normal_time_markup, policy_markups
from simcore.core.host_arrays import float32, on_device, under_trace
from simcore.core.model import no_policy, stack_policies
from simcore.run.runner import Simulation
from tests.conftest import tiny_config_text
from tests.shell_fixtures import backend_compiles, write_small


def assert_same_array(got, want):
    """Equal bit for bit, with the same dtype and weak type."""
    assert isinstance(got, jax.Array)
    assert got.dtype == want.dtype and got.aval.weak_type == want.aval.weak_type and got.shape == want.shape
    np.testing.assert_array_equal(np.asarray(got).reshape(-1).view(np.uint8), np.asarray(want).reshape(-1).view(np.uint8))


def assert_same_tree(got, want):
    got_leaves, got_tree = jax.tree_util.tree_flatten(got)
    want_leaves, want_tree = jax.tree_util.tree_flatten(want)
    assert got_tree == want_tree
    for a, b in zip(got_leaves, want_leaves):
        assert_same_array(a, b)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    folder = tmp_path_factory.mktemp("host_arrays")
    return load_config(write_small(folder, tiny_config_text()))


@settings(max_examples=40, deadline=None)
@given(values=st.lists(st.floats(allow_nan=False, width=64), min_size=1, max_size=5),
       broadcast=st.booleans())
def test_float32_rounds_as_jnp_asarray_does(values, broadcast):
    """float64 values (rounded to float32: to nearest, ties to even, overflow to inf) and
    a broadcast give what ``jnp.asarray(..., float32)`` and ``jnp.broadcast_to`` give."""
    shape = (3, len(values)) if broadcast else None
    with np.errstate(over="ignore"):  # jnp rounds beyond float32's range to inf through NumPy, which warns
        want = jnp.asarray(np.asarray(values), dtype=jnp.float32)
    want = want if shape is None else jnp.broadcast_to(want, shape)
    assert_same_array(float32(np.asarray(values), shape), want)


def test_float32_of_scalars_and_on_device_keep_the_types():
    assert_same_array(float32(0.1, (4,)), jnp.broadcast_to(jnp.asarray(0.1, jnp.float32), (4,)))
    assert_same_array(float32(3), jnp.asarray(3, jnp.float32))
    for value in (np.array([True, False]), np.arange(3, dtype=np.int32), np.arange(3, dtype=np.uint32)):
        assert_same_array(on_device(value), jnp.asarray(value))


def test_under_a_transformation_the_jnp_ops_run():
    """Traced arguments (jit, vmap, grad) or values closed over in a jit take the jnp path."""
    assert not under_trace(np.ones(2), 1.0)
    assert jax.jit(lambda x: under_trace(x) * 1.0)(1.0) == 1.0
    assert jax.jit(lambda: jnp.asarray(under_trace(np.ones(2)), jnp.float32))() == 1.0  # JAX is tracing
    assert float(jax.grad(lambda x: float32(x, (3,)).sum())(2.0)) == 3.0
    np.testing.assert_array_equal(jax.vmap(lambda x: float32(x, (2,)))(jnp.arange(3.0)),
                                  np.repeat(np.arange(3.0, dtype=np.float32)[:, None], 2, axis=1))


def test_policies_and_events_built_on_the_host_are_those_jnp_builds(config):
    """no_policy, stack_policies and make_events give the same arrays (values, dtypes,
    weak types) on the host as under jit, where they use jnp."""
    model = config.loaded.model
    assert_same_tree(no_policy(model), jax.jit(no_policy)(model))
    mixes = [named.policy for named in config.policies]
    assert_same_tree(stack_policies(mixes), jax.jit(stack_policies)(mixes))

    onehot = np.eye(2, 3, dtype=np.float32)
    weights = np.array([[1.0, 0.5], [0.25, 1.0]])
    settings = dict(origin_onehot=onehot, product_weight=weights, severity=[0.9, 0.3], world_weight=[1.0, 0.4],
                    hazard_per_year=0.1, max_occurrences=[1, 2], announcement_lead_days=[0.0, 30.0], leakage_kind=1)
    on_host = make_events(**settings)
    traced = jax.jit(lambda onehot, weights: make_events(**{**settings, "origin_onehot": onehot,
                                                             "product_weight": weights}))(onehot, weights)
    assert_same_tree(on_host, traced)


def test_policy_markups_is_each_mix_markup(config):
    """One program for every mix gives each mix's normal_time_markup (to float32
    rounding: the fused program may round a sum of products once where op by op rounds
    each), whatever the model's uncertainty."""
    sim = Simulation.from_config(config)
    got = np.asarray(policy_markups(sim.loaded.model, sim.policies))
    for m, named in enumerate(config.policies):
        want = np.asarray(normal_time_markup(sim.loaded.model, named.policy))
        np.testing.assert_allclose(got[m], want, rtol=1e-6, atol=1e-9)
    assert got.shape == (len(config.policies), len(config.loaded.products))
    assert np.any(got > 0)  # the tiny config's mixes cost something in normal times


def test_reading_a_config_and_setting_up_its_run_compiles_nothing(tmp_path):
    """Reading the tiny config (model, events, policy mixes) and stacking its mixes for
    a run compile no program (each used to be a one-op program per shape)."""
    path = write_small(tmp_path, tiny_config_text(seed=11))
    with backend_compiles() as compiled:
        config = load_config(path)
        sim = Simulation.from_config(config)
    assert sum(compiled.values()) == 0, dict(compiled)
    assert sim.policies.gov_stock_days.shape == (len(config.policies), len(config.loaded.products))
