"""Uncertainty that the data cannot remove: uncertain parameters and hidden suppliers.

Distributions have their stated moments; exact numbers stay exact; normal times stay
exact whatever the draw; every policy sees the same draws; a scenario's draws do not
depend on its batch; hidden dependence of share 0 changes nothing and of share 1 makes
the dependent origin behave like the controlled one (hand cases).
"""

from __future__ import annotations

import math
import tomllib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small
from simcore.core import (
    Scenario,
    build_model,
    make_events,
    no_policy,
    simulate_batch,
    simulate_given,
    stack_policies,
)
from simcore.core.engine import drawn_policies
from simcore.core.uncertainty import (
    apply_hidden_cut,
    apply_hidden_factor,
    LOGNORMAL,
    TRIANGULAR,
    UNIFORM,
    Uncertainty,
    distribution,
    draw_model,
    draw_parameters,
    hidden_cut,
    hidden_dependence,
    hidden_factor,
    link_rounds,
    parameter_key,
    without_hidden,
)
from simcore.schema import InputError, load_config, parse_model
from simcore.schema.spec import Dist

KEY = jax.random.PRNGKey(3)
HORIZON = 90
# One batch size for the engine runs of this module (8 scenarios, and halves of it for
# the chunking check): each shape compiles once, and the runs with and without drawn
# parameters share their programs across tests.
N_BATCH = 8


def assert_same(a, b, exact=True):
    for name, x, y in zip(a._fields, a, b):
        if exact:
            np.testing.assert_array_equal(np.asarray(x), np.asarray(y), err_msg=name)
        else:
            np.testing.assert_allclose(np.asarray(x), np.asarray(y), rtol=1e-5, atol=1e-6, err_msg=name)


# --------------------------------------------------------------------------- distributions

def test_distributions_have_their_stated_moments():
    model = build_model(demand_per_day=[1.0], price=[1.0], inventory_days=[1.0], import_share=[[1.0]])
    tri = (20.0, 45.0, 90.0)
    draws = {
        "inventory_days": distribution([0], 101, TRIANGULAR, *tri, floor=0.0),
        "restock_headroom": distribution([0], 102, UNIFORM, 0.05, 0.0, 0.25, floor=0.0),
        "price_elasticity": distribution([0], 103, LOGNORMAL, 0.3, 0.5, floor=0.0),
    }
    model = model._replace(uncertainty=Uncertainty(draws=draws, world_follows_import=jnp.zeros(1)))
    n = 200_000
    values = jax.jit(draw_parameters)(model, KEY, jnp.arange(n))
    t = np.asarray(values["inventory_days"][:, 0], dtype=np.float64)
    u = np.asarray(values["restock_headroom"][:, 0], dtype=np.float64)
    ln = np.asarray(values["price_elasticity"][:, 0], dtype=np.float64)

    a, m, c = tri
    t_mean, t_var = (a + m + c) / 3, (a * a + m * m + c * c - a * m - a * c - m * c) / 18
    assert abs(t.mean() - t_mean) < 4 * math.sqrt(t_var / n)  # 51.67
    assert abs(t.var() / t_var - 1) < 0.02
    assert t.min() >= a and t.max() <= c
    assert abs(np.mean(t < m) - (m - a) / (c - a)) < 0.005  # P(X < mode) = (m - a) / (c - a)

    assert abs(u.mean() - 0.15) < 4 * math.sqrt(0.2 ** 2 / 12 / n)
    assert abs(u.var() / (0.2 ** 2 / 12) - 1) < 0.02
    assert u.min() >= 0.05 and u.max() <= 0.25

    assert abs(np.median(ln) - 0.3) < 0.005
    assert abs(np.log(ln).mean() - math.log(0.3)) < 4 * 0.5 / math.sqrt(n)
    assert abs(np.log(ln).std() / 0.5 - 1) < 0.01
    assert abs(ln.mean() / (0.3 * math.exp(0.5 ** 2 / 2)) - 1) < 0.01
    # independent streams: the three draws are uncorrelated
    assert abs(np.corrcoef(t, u)[0, 1]) < 0.01


def test_schema_distributions_central_values_and_tied_streams():
    raw = tomllib.loads(SMALL_MODEL)
    gallium = raw["products"][0]
    gallium["inventory_days"] = {"low": 2, "mode": 5, "high": 12}
    gallium["price"] = {"dist": "lognormal", "median": 100, "sigma": 0.3}
    gallium["restock_headroom"] = {"dist": "uniform", "low": 0.05, "high": 0.15}
    gallium["lead_time_days"] = {"dist": "triangular", "low": 1, "mode": 2, "high": 6}
    gallium["transit_days"] = {"AU": 20}
    gallium["sources"].update(transit_days="assumption: test", restock_headroom="assumption: test")
    loaded = parse_model(raw)
    model = loaded.model
    # the model's own numbers are the central values (mode, median, midpoint)
    assert float(model.inventory_days[0]) == 5.0 and float(model.price[0]) == 100.0
    assert float(model.restock_headroom[0]) == pytest.approx(0.10)
    assert np.asarray(model.transit_days[0]).tolist() == [2.0, 20.0]
    assert loaded.uncertain["transit_days"] == ["products.gallium.transit_days.CN (= lead_time_days)"]
    values = draw_parameters(model, KEY, jnp.arange(50))
    # the CN transit defaults to the lead time: one draw moves both
    np.testing.assert_array_equal(values["transit_days"][:, 0], values["lead_time_days"][:, 0])
    assert np.ptp(np.asarray(values["lead_time_days"])) > 1.0
    # a drawn model carries the drawn values where they belong
    drawn = draw_model(model, parameter_key(KEY, 7))
    assert float(drawn.transit_days[0, 0]) == float(values["transit_days"][7, 0])
    assert float(drawn.transit_days[0, 1]) == 20.0
    assert drawn.uncertainty is None


def test_price_and_demand_draws_recompute_the_derived_quantities():
    """Cost shares and the Leontief price operator of a drawn model equal those of a
    model built from the drawn numbers (IO model and product-only model)."""
    common = dict(inventory_days=[10.0, 5.0], import_share=[[0.9, 0.1], [0.5, 0.0]])
    io = dict(technical_coefficients=[[0.15, 0.25], [0.2, 0.05]], final_demand=[350000.0, 1700000.0],
              use_share=[[1.0, 0.0], [0.3, 0.6]])
    for extra in (io, {}):
        model = build_model(demand_per_day=[10.0, 2.0], price=[100.0, 50.0], **common, **extra)
        draws = {"price": distribution([0], 1, UNIFORM, 50.0, 0.0, 200.0, floor=0.0),
                 "demand_per_day": distribution([1], 2, TRIANGULAR, 1.0, 2.0, 4.0, floor=0.0)}
        uncertain = model._replace(uncertainty=Uncertainty(draws=draws, world_follows_import=jnp.ones(2)))
        drawn = draw_model(uncertain, parameter_key(KEY, 11))
        assert float(drawn.price[0]) != 100.0 and float(drawn.demand_per_day[1]) != 2.0
        rebuilt = build_model(demand_per_day=np.asarray(drawn.demand_per_day), price=np.asarray(drawn.price),
                              **common, **extra)
        for name in ("cost_share", "price_operator", "final_demand", "gross_output", "value_added"):
            np.testing.assert_allclose(getattr(drawn, name), getattr(rebuilt, name), rtol=2e-6, err_msg=name)


def test_import_share_draws_keep_rows_summing():
    model = build_model(demand_per_day=[1.0, 1.0, 1.0], price=[1.0, 1.0, 1.0], inventory_days=[1.0, 1.0, 1.0],
                        import_share=[[0.6, 0.1, 0.1], [0.7, 0.0, 0.0], [0.2, 0.3, 0.5]],
                        domestic_share=[0.2, 0.3, 0.0])
    draws = {"import_share": distribution([0, 3], [5, 6], UNIFORM, [0.3, 0.2], 0.0, [0.95, 1.0], 0.0, 1.0)}
    model = model._replace(uncertainty=Uncertainty(draws=draws, world_follows_import=jnp.array([1.0, 0.0, 1.0])))
    div = no_policy(model)._replace(import_share=model.import_share.at[0].set(jnp.array([0.3, 0.3, 0.2])))
    policies = stack_policies([no_policy(model), div])
    for i in range(40):
        drawn = draw_model(model, parameter_key(KEY, i))
        rows, domestic = np.asarray(drawn.import_share), np.asarray(drawn.domestic_share)
        cn = float(jax.random.uniform(jax.random.fold_in(parameter_key(KEY, i), 5)))  # the stream's uniform
        # row 0: CN drawn (up to 0.95 > the import total 0.8); AU and KR keep their ratio
        assert rows[0].sum() == pytest.approx(0.8, abs=1e-6) and domestic[0] == pytest.approx(0.2)
        assert rows[0, 1] == pytest.approx(rows[0, 2], abs=1e-7)
        assert rows[0, 0] == pytest.approx(min(0.3 + 0.65 * cn, 0.8), abs=1e-5)
        # row 1: CN is the only origin: the domestic share takes the difference
        assert rows[1].sum() + domestic[1] == pytest.approx(1.0, abs=1e-6) and rows[1, 1:].sum() == 0.0
        # untouched row: exactly as it was
        np.testing.assert_array_equal(rows[2], np.asarray(model.import_share[2]))
        # world shares follow where they default to the import shares
        np.testing.assert_array_equal(np.asarray(drawn.world_share[0]), rows[0])
        np.testing.assert_array_equal(np.asarray(drawn.world_share[1]), np.asarray(model.world_share[1]))
        # a policy that left a row at the model's follows the draw; a diversified row stays
        shares = np.asarray(drawn_policies(model, drawn, policies).import_share)
        np.testing.assert_array_equal(shares[0], rows)
        np.testing.assert_array_equal(shares[1, 0], np.float32([0.3, 0.3, 0.2]))
        np.testing.assert_array_equal(shares[1, 1:], rows[1:])


# --------------------------------------------------------------------------- runs with drawn parameters

def _io_model(**overrides):
    kwargs = dict(
        demand_per_day=[10.0, 2.0, 1.0], price=[100.0, 50.0, 300.0], inventory_days=[20.0, 10.0, 0.0],
        import_share=[[0.7, 0.2, 0.0], [0.5, 0.3, 0.2], [0.0, 0.6, 0.0]], lead_time_days=[5.0, 8.0, 0.0],
        storable=[1.0, 1.0, 0.0], technical_coefficients=[[0.15, 0.25], [0.2, 0.05]],
        final_demand=[350000.0, 1700000.0], use_share=[[1.0, 0.0], [0.3, 0.6], [0.0, 1.0]],
        exposure=[[0.2, 0.0], [0.1, 0.3], [0.0, 0.1]], price_elasticity=0.4, restock_headroom=0.1,
    )
    kwargs.update(overrides)
    return build_model(**kwargs)


def _uncertain(model):
    """Distributions on most kinds of fields (products 0 and 1, sectors, imports)."""
    draws = {
        "demand_per_day": distribution([0], 11, TRIANGULAR, 6.0, 10.0, 14.0, floor=0.0),
        "price": distribution([1], 12, LOGNORMAL, 50.0, 0.4, floor=0.0),
        "inventory_days": distribution([0, 1], [13, 14], TRIANGULAR, [5.0, 2.0], [20.0, 10.0], [60.0, 30.0], 0.0),
        "import_share": distribution([0], 15, UNIFORM, 0.4, 0.0, 0.8, 0.0, 1.0),
        "transit_days": distribution([0, 1, 2], 16, TRIANGULAR, 2.0, 5.0, 20.0, floor=0.0),
        "price_elasticity": distribution([0, 1], [17, 18], UNIFORM, 0.1, 0.0, 0.8, floor=0.0),
        "restock_headroom": distribution([0], 19, UNIFORM, 0.02, 0.0, 0.3, floor=0.0),
        "exposure": distribution([0, 3], [20, 21], TRIANGULAR, 0.05, [0.2, 0.3], 0.6, 0.0, 1.0),
        "value_added": distribution([1], 22, UNIFORM, 5e5, 0.0, 9e5, floor=0.0),
    }
    return model._replace(uncertainty=Uncertainty(draws=draws, world_follows_import=jnp.ones(3)))


def _policies(model):
    base = no_policy(model)
    stock = base._replace(gov_stock_days=jnp.array([30.0, 30.0, 0.0]), release_rate=jnp.full(3, 0.5))
    diversify = base._replace(import_share=model.import_share.at[0].set(jnp.array([0.3, 0.6, 0.0])),
                              diversification_premium=jnp.full(3, 0.1))
    return stack_policies([base, stock, diversify, base])


def _hazard_events(**overrides):
    kwargs = dict(origin_onehot=[[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], product_weight=[[1.0, 1.0, 0.0], [0.0, 0.5, 1.0]],
                  hazard_per_year=[3.0, 1.0], duration_median_days=[40.0, 10.0], duration_sigma=0.5,
                  severity=[0.7, 0.5], max_occurrences=2)
    kwargs.update(overrides)
    return make_events(**kwargs)


def test_central_lanes_are_normal_times_of_the_central_model_bit_for_bit():
    """simulate(central=...) (issue 19 item 2: the kept scenarios' trajectories and normal
    times from one program): a central lane gives what the explicit no-disruption path
    gives at the central numbers, every other lane its own drawn scenario, bit for bit,
    metrics and daily trajectories."""
    from simcore.core.disruptions import no_disruption
    from simcore.core.engine import simulate

    model = _uncertain(_io_model())
    policies = _policies(model)
    events = _hazard_events()
    index = jnp.arange(N_BATCH, dtype=jnp.uint32)
    central = np.zeros(N_BATCH, bool)
    central[[2, 5]] = True
    mixed = simulate(model, policies, events, horizon=HORIZON, base_key=KEY, scenario_index=index,
                     central=jnp.asarray(central), save_daily=True)
    drawn = simulate(model, policies, events, horizon=HORIZON, base_key=KEY, scenario_index=index, save_daily=True)
    quiet = jax.tree_util.tree_map(lambda x: x[None], no_disruption(events))
    normal = simulate(model, policies, events, horizon=HORIZON, scenarios=quiet, save_daily=True)
    # not trivially equal: those lanes' own scenarios (draws and events) give other numbers
    assert any(not np.array_equal(np.asarray(own)[:, central], np.asarray(alone)[:, [0, 0]])
               for own, alone in zip(jax.tree_util.tree_leaves(drawn), jax.tree_util.tree_leaves(normal)))
    for got, own, alone in zip(jax.tree_util.tree_leaves(mixed), jax.tree_util.tree_leaves(drawn),
                               jax.tree_util.tree_leaves(normal)):
        got, own, alone = np.asarray(got), np.asarray(own), np.asarray(alone)
        np.testing.assert_array_equal(got[:, ~central], own[:, ~central])
        for lane in np.flatnonzero(central):
            np.testing.assert_array_equal(got[:, lane], alone[:, 0])


def test_normal_times_stay_exact_for_every_draw():
    """No disruption (the only event starts after the horizon): every metric at its
    baseline for every draw of the parameters, for every policy."""
    model = _uncertain(_io_model())
    policies = _policies(model)
    events = _hazard_events(hazard_per_year=[0.0, 0.0], onset_day=[10_000.0, 10_000.0])
    n = N_BATCH  # the shape the other tests compiled
    metrics, _ = simulate_batch(model, policies, events, KEY, jnp.arange(n), horizon=HORIZON)
    drawn = draw_parameters(model, KEY, jnp.arange(n))
    assert np.ptp(np.asarray(drawn["inventory_days"][:, 0])) > 10  # the draws do differ
    for name in ("shortage_days", "episodes", "unmet", "gov_release", "spare_used", "undelivered_value",
                 "value_added_loss", "gross_output_loss", "peak_import_price_change"):
        assert np.all(np.asarray(getattr(metrics, name)) == 0), name
    np.testing.assert_array_equal(metrics.final_stock, metrics.initial_stock)
    np.testing.assert_array_equal(metrics.delivered, metrics.demand)
    assert np.all(np.asarray(metrics.recovered)) and np.all(np.isnan(np.asarray(metrics.time_to_survive)))
    # prices: only the policies' own markups (0 for no-policy and stock)
    assert np.all(np.asarray(metrics.peak_price_change)[[0, 1, 3]] == 0)
    # each scenario's demand is its drawn demand over the horizon
    np.testing.assert_allclose(metrics.demand[0, :, 0], HORIZON * np.asarray(drawn["demand_per_day"][:, 0]),
                               rtol=1e-5)


def test_common_random_numbers_and_chunking():
    model = _uncertain(_io_model())
    policies = _policies(model)
    events = _hazard_events()
    n = N_BATCH
    full, _ = simulate_batch(model, policies, events, KEY, jnp.arange(n), horizon=HORIZON)
    drawn = draw_parameters(model, KEY, jnp.arange(n))
    # every policy sees the same drawn numbers: initial private stock = drawn demand x
    # drawn inventory days, plus the government stock for the stock policy
    demand = np.asarray(drawn["demand_per_day"][:, 0])
    private = demand * np.asarray(drawn["inventory_days"][:, 0])
    for p in (0, 2, 3):
        np.testing.assert_allclose(full.initial_stock[p, :, 0], private, rtol=1e-6)
    np.testing.assert_allclose(full.initial_stock[1, :, 0], private + 30.0 * demand, rtol=1e-6)
    assert_same(jax.tree_util.tree_map(lambda x: x[0], full), jax.tree_util.tree_map(lambda x: x[3], full))
    assert np.asarray(full.shortage_days).sum() > 0  # disruptions did happen
    # a scenario's draws and results do not depend on the batch it is in
    parts = [simulate_batch(model, policies, events, KEY, jnp.arange(a, b), horizon=HORIZON)[0]
             for a, b in [(0, n // 2), (n // 2, n)]]
    joined = jax.tree_util.tree_map(lambda x, y: jnp.concatenate([x, y], axis=1), *parts)
    assert_same(full, joined, exact=False)
    shuffled = np.random.default_rng(0).permutation(n)
    again, _ = simulate_batch(model, policies, events, KEY, jnp.asarray(shuffled), horizon=HORIZON)
    assert_same(jax.tree_util.tree_map(lambda x: x[:, np.argsort(shuffled)], again), full, exact=False)
    sub = draw_parameters(model, KEY, jnp.asarray(shuffled))
    for name in drawn:
        np.testing.assert_array_equal(np.asarray(sub[name]), np.asarray(drawn[name])[shuffled])
    # ... and the events are the ones the model without uncertainty draws
    exact, _ = simulate_batch(_io_model(), policies, events, KEY, jnp.arange(n), horizon=HORIZON)
    np.testing.assert_array_equal(np.asarray(exact.episodes) > 0, np.asarray(full.episodes) > 0)


def test_exact_numbers_run_exactly_as_before():
    """A model file without distributions or hidden links builds a model without
    uncertainty (the engine's old path); zero-width distributions at the central values
    reproduce it through the uncertain path."""
    raw = tomllib.loads(SMALL_MODEL)
    loaded = parse_model(raw)
    assert loaded.model.uncertainty is None and loaded.model.hidden is None and loaded.uncertain == {}
    model = _io_model()
    policies = _policies(model)
    events = _hazard_events()
    exact, _ = simulate_batch(model, policies, events, KEY, jnp.arange(N_BATCH), horizon=HORIZON)
    pinned = {"inventory_days": distribution([0, 1], [1, 2], TRIANGULAR, [20.0, 10.0], [20.0, 10.0], [20.0, 10.0]),
              "demand_per_day": distribution([0], 3, UNIFORM, 10.0, 0.0, 10.0)}
    same = model._replace(uncertainty=Uncertainty(draws=pinned, world_follows_import=jnp.ones(3)))
    through_draws, _ = simulate_batch(same, policies, events, KEY, jnp.arange(N_BATCH), horizon=HORIZON)
    assert_same(exact, through_draws)


# --------------------------------------------------------------------------- hidden suppliers

def _hand_model(import_share, hidden=None, n_products=1):
    """One product from one origin (origins CN, VN), no stock, no headroom: unmet
    demand is exactly the supply cut."""
    model = build_model(demand_per_day=[10.0] * n_products, price=[100.0] * n_products,
                        inventory_days=[0.0] * n_products, import_share=import_share, lead_time_days=3.0,
                        restock_headroom=0.0)
    return model if hidden is None else model._replace(hidden=hidden)


def _cn_cut(severity, product_weight=(1.0,)):
    events = make_events(origin_onehot=[[1.0, 0.0]], product_weight=[list(product_weight)], onset_day=10.0,
                         duration_median_days=20.0, severity=severity)
    scenario = Scenario(onset_day=jnp.array([[10.0]]), duration_days=jnp.array([[20.0]]),
                        severity=jnp.array([[severity]]))
    return events, jax.tree_util.tree_map(lambda x: x[None], scenario)


def test_hidden_share_zero_changes_nothing():
    model = _io_model()
    policies = _policies(model)
    events = _hazard_events()
    plain, _ = simulate_batch(model, policies, events, KEY, jnp.arange(N_BATCH), horizon=HORIZON)
    links = hidden_dependence(product=[0, 1], origin=[1, 2], on_product=[0, 0], on_origin=[0, 0], share=[0.0, 0.0])
    zero, _ = simulate_batch(model._replace(hidden=links), policies, events, KEY, jnp.arange(N_BATCH),
                             horizon=HORIZON)
    assert_same(plain, zero)
    # and a model's without_hidden reference is exactly that
    assert float(jnp.sum(without_hidden(model._replace(hidden=links._replace(share=jnp.ones(2)))).hidden.share)) == 0


def test_hidden_share_one_makes_the_alternative_behave_like_the_controlled_origin():
    severity = 0.6
    events, scenario = _cn_cut(severity)
    from_cn = _hand_model([[1.0, 0.0]])
    from_vn = _hand_model([[0.0, 1.0]], hidden_dependence([0], [1], [0], [0], [1.0]))
    def policy(model):  # the model's own supplier shares
        return stack_policies([no_policy(model)])

    a, daily_a = simulate_given(from_cn, policy(from_cn), events, scenario, horizon=60, save_daily=True)
    b, daily_b = simulate_given(from_vn, policy(from_vn), events, scenario, horizon=60, save_daily=True)
    assert_same(a, b)
    assert_same(daily_a, daily_b)
    # hand values: 10/day x 0.6 unmet from the onset plus the transit (day 13) for 20 days
    unmet = np.asarray(daily_b.unmet[0, 0, :, 0])
    expected = np.where((np.arange(60) >= 13) & (np.arange(60) < 33), 10.0 * severity, 0.0)
    np.testing.assert_allclose(unmet, expected, rtol=1e-6)
    assert int(b.shortage_days[0, 0, 0]) == 20

    # share h: the alternative origin loses h x s; without the link it loses nothing
    half = _hand_model([[0.0, 1.0]], hidden_dependence([0], [1], [0], [0], [0.5]))
    c, daily_c = simulate_given(half, policy(half), events, scenario, horizon=60, save_daily=True)
    np.testing.assert_allclose(np.asarray(daily_c.unmet[0, 0, :, 0]), 0.5 * expected, rtol=1e-6)
    plain = _hand_model([[0.0, 1.0]])
    none, _ = simulate_given(plain, policy(plain), events, scenario, horizon=60)
    assert float(none.unmet.sum()) == 0.0

    # on another product: VN magnets made with Chinese dysprosium (product 1 from CN)
    events2, scenario2 = _cn_cut(severity, product_weight=(0.0, 1.0))
    magnets = _hand_model([[0.0, 1.0], [1.0, 0.0]], hidden_dependence([0], [1], [1], [0], [1.0]), n_products=2)
    d, daily_d = simulate_given(magnets, policy(magnets), events2, scenario2, horizon=60, save_daily=True)
    np.testing.assert_allclose(np.asarray(daily_d.unmet[0, 0, :, 0]), expected, rtol=1e-6)
    np.testing.assert_allclose(np.asarray(daily_d.unmet[0, 0, :, 1]), expected, rtol=1e-6)


HIDDEN_LINK = """
[[products.hidden_dependence]]
origin = "AU"
on_origin = "CN"
share = { low = 0.5, mode = 0.8, high = 1.0 }
description = "Australian gallium refined from Chinese feedstock"
"""


def _small_with_hidden() -> str:
    text = SMALL_MODEL.replace('use = "assumption: test"\n',
                               'use = "assumption: test"\nhidden_dependence = "assumption: test link"\n', 1)
    head, tail = text.split("\n[[products]]\nname = \"repair\"", 1)
    return head + HIDDEN_LINK + "\n[[products]]\nname = \"repair\"" + tail


def test_hidden_dependence_in_a_model_file_and_its_report(tmp_path):
    from simcore.run.hidden import format_hidden_report, hidden_dependence_effect
    from simcore.run.runner import Simulation

    config = load_config(write_small(tmp_path, SMALL_CONFIG, _small_with_hidden()))
    loaded = config.loaded
    assert loaded.hidden_links == ["gallium from AU on gallium from CN"]
    assert float(loaded.model.hidden.share[0]) == pytest.approx(0.8)
    assert loaded.uncertain == {"hidden_share": ["products.gallium.hidden_dependence.AU.gallium.CN"]}
    sim = Simulation.from_config(config)
    ds = hidden_dependence_effect(sim, 48, chunk_size=24)
    names = list(ds.policy.values)
    assert names[0] == "no-policy" and "diversify" in names
    hidden = ds["hidden_shortage_days_total"].sel(policy="no-policy")
    with_, without = ds["shortage_days_total"].sel(policy="no-policy").values
    assert float(hidden) == pytest.approx(with_ - without)
    assert float(hidden) > 0  # AU's 20% is hit too
    # diversifying toward AU (0.6) buys less than it seems: hidden dependence erodes it
    benefit = ds["benefit_shortage_days_total"].sel(policy="diversify").values
    assert benefit[1] > benefit[0]
    assert float(ds["benefit_eroded_shortage_days_total"].sel(policy="diversify")) == pytest.approx(
        benefit[1] - benefit[0])
    assert float(ds["hidden_shortage_days_total"].sel(policy="diversify")) > float(hidden)
    text = format_hidden_report(ds)
    assert "diversify" in text and "gallium from AU on gallium from CN" in text


# --------------------------------------------------------------------------- schema

def test_bad_distributions_and_links_are_all_named():
    raw = tomllib.loads(_small_with_hidden())
    gallium = raw["products"][0]
    gallium["inventory_days"] = {"low": 8, "mode": 5, "high": 12, "hgih": 1}
    gallium["price"] = {"dist": "lognormal", "median": -1}
    gallium["lead_time_days"] = {"dist": "normal", "mean": 3}
    gallium["import_share"] = {"CN": {"dist": "lognormal", "median": 0.6, "sigma": 0.1}, "AU": "0.2"}
    gallium["hidden_dependence"] += [{"origin": "XX", "on_origin": "AU", "share": 1.5},
                                     {"origin": "AU", "on_origin": "AU", "share": 0.5},
                                     {"origin": "AU", "on_origin": "CN", "on_product": "zinc", "share": 0.1}]
    with pytest.raises(InputError) as error:
        parse_model(raw)
    got = dict(error.value.problems)
    g = "products[0] (gallium)"
    assert got[f"{g}.inventory_days"] == ("unknown key(s) hgih for a triangular distribution; allowed: dist, low, "
                                          "mode, high; mode must be in [low, high] = [8, 12], got 5")
    assert got[f"{g}.price"] == "a lognormal distribution needs median, sigma; missing: sigma; median must be > 0, got -1"
    assert got[f"{g}.lead_time_days"] == "dist must be one of triangular, uniform, lognormal, got 'normal'"
    assert got[f"{g}.import_share.CN"].startswith("a lognormal cannot be used here (the field is bounded in [0, 1])")
    assert got[f"{g}.import_share.AU"].startswith("must be a number in [0, 1] or a distribution {low, mode, high}")
    assert got[f"{g}.hidden_dependence[1].share"] == "must be in [0, 1], got 1.5"
    assert got[f"{g}.hidden_dependence[1].origin"] == "unknown origin 'XX'; allowed: CN, AU"
    assert got[f"{g}.hidden_dependence[2].on_origin"].startswith("a supply cannot depend on itself (gallium from AU)")
    assert got[f"{g}.hidden_dependence[3].on_product"] == "unknown product 'zinc'; allowed: gallium, repair"
    assert len(got) == 9, got


def test_dist_central_and_mean():
    tri = Dist("triangular", low=20, mode=45, high=90)
    assert (tri.central, tri.mean) == (45, pytest.approx(155 / 3))
    assert Dist("uniform", low=1, high=3).central == 2
    assert Dist("lognormal", median=2, sigma=0.5).mean == pytest.approx(2 * math.exp(0.125))


def test_json_schema_accepts_distributions_and_links():
    from test_schema import schema_errors
    from simcore.schema import json_schema

    raw = tomllib.loads(_small_with_hidden())
    gallium = raw["products"][0]
    gallium["inventory_days"] = {"low": 2, "mode": 5, "high": 12}
    gallium["price"] = {"dist": "lognormal", "median": 100, "sigma": 0.3}
    gallium["import_share"] = {"CN": {"dist": "uniform", "low": 0.6, "high": 0.9}, "AU": 0.2}
    schema = json_schema("model")
    assert schema_errors(schema, raw) == []
    gallium["import_share"]["CN"] = {"dist": "lognormal", "median": 0.6, "sigma": 0.1}  # not for a share
    gallium["hidden_dependence"][0]["share"] = {"low": 0.5, "mode": 0.8}  # no high
    errors = schema_errors(schema, raw)
    assert any(".import_share.CN" in e for e in errors) and any(".hidden_dependence[0].share" in e for e in errors)


def test_link_rounds_list_each_supplys_links_in_order():
    # supplies (0, 1) x3, (2, 0) x1, (0, 1) again last: rounds hold each supply once, in link order
    product, origin = np.array([0, 2, 0, 1, 0]), np.array([1, 0, 1, 1, 1])
    table = link_rounds(product, origin)  # columns: supplies (0, 1), (2, 0), (1, 1)
    assert table.tolist() == [[0, 1, 3], [2, 5, 5], [4, 5, 5]]  # 5 = L: no link
    assert link_rounds(np.zeros(0, int), np.zeros(0, int)).shape == (0, 0)


def test_hidden_links_by_supply_equal_link_by_link_bit_for_bit():
    # Several links on one supply combine as c + x - c x, link after link; the rounds give
    # the same bits as the one-link-at-a-time scan (rounds=None), per lane too.
    rng = np.random.default_rng(3)
    product, origin = np.array([0, 2, 0, 1, 0, 2]), np.array([1, 0, 1, 1, 1, 0])
    hidden = hidden_dependence(product, origin, [1, 1, 2, 0, 2, 0], [0, 0, 1, 2, 2, 1], rng.uniform(0, 1, 6))
    assert hidden.rounds.shape == (3, 3)
    lanes = hidden._replace(share=hidden.share[:, None])  # the lane layout: shares [L, 1]
    for links, upstream, shape in ((hidden, rng.uniform(0, 1, 6), (3, 2)),
                                   (lanes, rng.uniform(0, 1, (6, 5)), (3, 2, 5))):
        upstream = jnp.asarray(upstream, jnp.float32)
        by_rounds = np.asarray(hidden_cut(links, shape, upstream))
        by_link = np.asarray(hidden_cut(links._replace(rounds=None), shape, upstream))
        np.testing.assert_array_equal(by_rounds, by_link)
        expected = np.zeros(shape)
        for link in range(6):  # the documented rule by hand
            x = np.asarray(links.share[link] * upstream[link], np.float64)
            old = expected[product[link], origin[link]]
            expected[product[link], origin[link]] = old + x - old * x
        np.testing.assert_allclose(by_rounds, expected, rtol=1e-5)
        # applied in place: c + (1 - c) cut and x times the factor, bit for bit as the full arrays
        at_origin = jnp.asarray(rng.uniform(0, 1, shape), jnp.float32)
        np.testing.assert_array_equal(np.asarray(apply_hidden_cut(links, at_origin, upstream)),
                                      np.asarray(at_origin + (1.0 - at_origin) * by_link))
        kept = 1.0 - upstream
        factor = np.asarray(hidden_factor(links._replace(rounds=None), shape, kept))
        np.testing.assert_array_equal(np.asarray(hidden_factor(links, shape, kept)), factor)
        np.testing.assert_array_equal(np.asarray(apply_hidden_factor(links, at_origin, kept)),
                                      np.asarray(at_origin * factor))
        expected = np.ones(shape)  # the factor by hand: prod_l (1 - s_l + s_l kept_l), 1.0 elsewhere
        for link in range(6):
            share = links.share[link]
            expected[product[link], origin[link]] *= np.asarray(1.0 - share + share * kept[link])
        np.testing.assert_allclose(factor, expected, rtol=1e-5)
