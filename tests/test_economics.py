"""Hand cases of the economic model (issue 5): prices that see stocks and the world
market, output losses in value added from exposed shares, idle users, episodes,
levers in place, transit times and the pre-announcement rush.

Each expected value is computed here from the formulas of ``docs/model.md``; the
models are tiny and built directly with :func:`simcore.core.build_model`.
"""

from __future__ import annotations

import jax.numpy as jnp
import numpy as np
import pytest

from simcore.core import Scenario, build_model, make_events, no_policy, simulate_given, stack_policies
from simcore.core.model import DAYS_PER_YEAR

D = 100.0  # demand, units / day


def scenario(onset, duration, severity):
    """One explicit scenario ``[1, E]`` (one occurrence per event)."""
    as_row = lambda x: jnp.asarray([x], jnp.float32)  # noqa: E731
    return Scenario(onset_day=as_row(onset), duration_days=as_row(duration), severity=as_row(severity))


def run(model, events, scenarios, policies, horizon):
    metrics, daily = simulate_given(model, stack_policies(policies), events, scenarios, horizon=horizon,
                                    save_daily=True)
    to_np = lambda tree: type(tree)(*(np.asarray(x) for x in tree))  # noqa: E731
    return to_np(metrics), to_np(daily)


ONE_ORIGIN = make_events(origin_onehot=[[1.0]], product_weight=[[1.0]])


# --------------------------------------------------------------------------------------
# 1. Prices that see stocks and the world market
# --------------------------------------------------------------------------------------

def _stock_model(inventory_days, headroom, world_share=0.5):
    return build_model(demand_per_day=[D], price=[1.0], inventory_days=[inventory_days], import_share=[[1.0]],
                       world_share=[[world_share]], restock_headroom=[headroom], price_elasticity=[0.5],
                       price_cap=[10.0], cover_horizon_days=[30.0])


@pytest.mark.parametrize("inventory_days,headroom,extra_days,cut_days", [(10.0, 0.1, 60.0, 40.0),
                                                                          (0.0, 0.0, 30.0, 50.0)])
def test_stocks_count_the_same_whoever_holds_them(inventory_days, headroom, extra_days, cut_days):
    """A 50 % cut covered by ``extra_days`` of private stock or by the same government
    stock released at once: no unmet demand and the same price path. In the second
    case the stock falls below the normal cover, so the scarcity premium rises, equally
    in both."""
    model = _stock_model(inventory_days, headroom)
    private = no_policy(model)._replace(private_extra_days=jnp.asarray([extra_days]))
    government = no_policy(model)._replace(gov_stock_days=jnp.asarray([extra_days]), release_rate=jnp.asarray([1.0]))
    metrics, daily = run(model, ONE_ORIGIN, scenario([5.0], [cut_days], [0.5]), [private, government], horizon=120)
    np.testing.assert_array_equal(metrics.unmet, 0.0)
    np.testing.assert_allclose(daily.price_change[0], daily.price_change[1], rtol=1e-6, atol=1e-6)
    # During the cut the import price is (1 - world share x severity)^(-1/eps) = 0.75^-2.
    np.testing.assert_allclose(daily.import_price_change[0, 0, 5:5 + int(cut_days), 0], 0.75 ** -2 - 1, rtol=1e-6)
    if inventory_days == 0.0:
        # Cover = stock + H (D - D/2) against H D: below 1 once the stock is under 15 days.
        stock = daily.private_stock[0, 0, :, 0] + daily.gov_stock[1, 0, :, 0] * 0  # private holder's stock
        low = stock < 15 * D - 1e-3
        cut = np.zeros(120, bool)
        cut[5:5 + int(cut_days)] = True
        ratio = (stock + 30 * (D - 0.5 * D * cut)) / (30 * D)
        expected = np.where(ratio >= 1, 1.0, np.minimum(ratio ** -2.0, 10.0)) - 1.0
        np.testing.assert_allclose(daily.scarcity_premium[0, 0, :, 0], expected, rtol=1e-5, atol=1e-6)
        assert (daily.scarcity_premium[0, 0, low & cut, 0] > 0).all()


def test_domestic_price_never_falls_while_availability_worsens():
    """With a release trigger the government stock is released only as a last resort;
    the premium follows the country's cover (government stock counted once a release is
    decided), so it never falls on a day when physical availability gets worse."""
    model = _stock_model(20.0, 0.0)
    policy = no_policy(model)._replace(gov_stock_days=jnp.asarray([30.0]), release_rate=jnp.asarray([1.0]),
                                       release_trigger_shortfall=jnp.asarray([0.6]))
    metrics, daily = run(model, ONE_ORIGIN, scenario([0.0], [150.0], [0.8]), [policy], horizon=160)
    premium = daily.scarcity_premium[0, 0, :, 0]
    available = (daily.private_stock + daily.gov_stock)[0, 0, :, 0]  # the release is decided at the alarm
    worse = np.diff(available) < -1e-3
    assert worse.sum() > 50 and (premium > 0).any()
    assert (np.diff(premium)[worse] >= -1e-6).all()
    assert metrics.gov_release[0, 0, 0] > 0  # the stock was used (as a last resort)


def test_rebuilding_stocks_is_priced_on_the_world_market_not_as_scarcity():
    """After a cut, while all demand is met and the country rebuilds its stock, the
    domestic term stays 0: the extra buying is priced as extra flow demand on the world
    market (the country's share of world demand x its extra buying), never above that
    flow-clearing price once the cut's own premium has relaxed."""
    weight = 0.2
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[20.0], import_share=[[1.0]],
                        world_share=[[0.5]], restock_headroom=[0.1], price_elasticity=[0.5], price_cap=[10.0],
                        cover_horizon_days=[30.0], world_demand_weight=[weight], price_relax_half_life_days=[1.0])
    metrics, daily = run(model, ONE_ORIGIN, scenario([0.0], [30.0], [0.9]), [no_policy(model)], horizon=365)
    stock = daily.private_stock[0, 0, :, 0]
    premium = daily.scarcity_premium[0, 0, :, 0]
    after = np.arange(365) >= 30
    rebuilding = after & (stock < 20 * D - 1e-2) & (daily.unmet[0, 0, :, 0] == 0)
    assert rebuilding.sum() > 100  # the country buys 10 % extra for months
    np.testing.assert_array_equal(premium[rebuilding], 0.0)
    flow_clearing = (1.0 - weight * 0.1) ** (-1.0 / 0.5)  # the extra buying alone, no world stocks
    settled = rebuilding & (np.arange(365) >= 60)  # the cut's own premium has relaxed by then
    user = 1.0 + daily.price_change[0, 0, :, 0]
    assert (user[settled] <= flow_clearing + 1e-5).all() and (user[settled] > 1.0).all()
    back = after & (stock >= 20 * D)
    assert back.any() and (premium[back] == 0).all()


def test_normal_times_exact_and_zero_demand_product_never_at_cap():
    model = build_model(demand_per_day=[D, 0.0], price=[1.0, 5.0], inventory_days=[10.0, 10.0],
                        import_share=[[1.0], [1.0]], price_cap=[10.0, 10.0])
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0, 0.0]])
    never = scenario([1e9], [1.0], [0.0])
    cut = scenario([0.0], [20.0], [1.0])
    both = Scenario(*(jnp.concatenate([a, b]) for a, b in zip(never, cut)))
    metrics, daily = run(model, events, both, [no_policy(model)], horizon=60)
    np.testing.assert_array_equal(daily.price_change[0, 0], 0.0)
    np.testing.assert_array_equal(daily.price_change[0, 1, :, 1], 0.0)  # zero demand: no scarcity, ever
    assert daily.price_change[0, 1, :, 0].max() > 0


# --------------------------------------------------------------------------------------
# 2. Output losses in value added, from the exposed part of each sector
# --------------------------------------------------------------------------------------

def test_exposed_share_caps_the_loss():
    """A sector of 530 bn/yr whose exposed share to gallium is 2 % loses 2 % of its
    output while gallium is fully cut, not the whole sector."""
    output = 530e9
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[0.0], import_share=[[1.0]],
                        technical_coefficients=[[0.0]], final_demand=[output], use_share=[[1.0]],
                        exposure=[[0.02]])
    metrics, daily = run(model, ONE_ORIGIN, scenario([0.0], [10.0], [1.0]), [no_policy(model)], horizon=30)
    np.testing.assert_allclose(daily.sector_output_share[0, 0, :10, 0], 0.98, rtol=1e-6)
    np.testing.assert_allclose(metrics.gross_output_loss[0, 0, 0], output / DAYS_PER_YEAR * 0.02 * 10, rtol=1e-5)
    np.testing.assert_allclose(metrics.value_added_loss[0, 0, 0], output / DAYS_PER_YEAR * 0.02 * 10, rtol=1e-5)


@pytest.mark.parametrize("essentiality,share", [(1.0, 0.5), (0.5, 0.75), (0.0, 1.0)])
def test_essentiality_critical_important_noncritical(essentiality, share):
    """Half the product: critical inputs halve the exposed output, important inputs
    lose half of that (Pichler et al. 2022), non-critical ones nothing."""
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[0.0], import_share=[[1.0]],
                        technical_coefficients=[[0.0]], final_demand=[1000.0], use_share=[[1.0]],
                        essentiality=[[essentiality]])
    _, daily = run(model, ONE_ORIGIN, scenario([0.0], [10.0], [0.5]), [no_policy(model)], horizon=20)
    np.testing.assert_allclose(daily.sector_output_share[0, 0, :10, 0], share, rtol=1e-6)


def test_value_added_not_summed_gross_output_in_a_chain():
    """s0 -> s1 critical, A[0, 1] = 0.5, f = (0, 100): x = (50, 100), value-added
    coefficients (1, 0.5). Halving s0 halves s1: value added lost 0.5 x 50 x 1 +
    0.5 x 100 x 0.5 = 50 a year; summed gross output would say 75."""
    model = build_model(demand_per_day=[D], price=[1e-6], inventory_days=[0.0], import_share=[[1.0]],
                        technical_coefficients=[[0.0, 0.5], [0.0, 0.0]], final_demand=[0.0, 100.0],
                        use_share=[[1.0, 0.0]], critical_upstream=[[0.0, 1.0], [0.0, 0.0]])
    np.testing.assert_allclose(np.asarray(model.gross_output), [50.0, 100.0], rtol=1e-6)
    horizon = int(DAYS_PER_YEAR)
    metrics, _ = run(model, ONE_ORIGIN, scenario([0.0], [float(horizon)], [0.5]), [no_policy(model)], horizon=horizon)
    np.testing.assert_allclose(metrics.value_added_loss[0, 0].sum(), 50.0, rtol=1e-4)
    np.testing.assert_allclose(metrics.gross_output_loss[0, 0].sum(), 75.0, rtol=1e-4)


def test_product_only_model_loses_the_value_not_delivered():
    """Two products at 1 and 1000 per unit, 100 units a day each; the cheap one cut by
    half for 10 days with no stock: 50 units x 10 days x 1 = 500 (not 500,500)."""
    model = build_model(demand_per_day=[D, D], price=[1.0, 1000.0], inventory_days=[0.0, 0.0],
                        import_share=[[1.0], [1.0]])
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0, 0.0]])
    metrics, _ = run(model, events, scenario([0.0], [10.0], [0.5]), [no_policy(model)], horizon=30)
    np.testing.assert_allclose(metrics.undelivered_value[0, 0], [500.0, 0.0], rtol=1e-6)
    np.testing.assert_allclose(metrics.value_added_loss[0, 0].sum(), 500.0, rtol=1e-6)


def test_idle_users_stop_drawing_on_their_other_inputs():
    """One sector uses A and B; A is fully cut for 30 days: from the next day the idle
    sector stops drawing B, so B's stock is not drained and B has no shortage."""
    model = build_model(demand_per_day=[D, D], price=[1.0, 1.0], inventory_days=[0.0, 10.0],
                        import_share=[[1.0, 0.0], [0.0, 1.0]], technical_coefficients=[[0.0]],
                        final_demand=[1000.0], use_share=[[1.0], [1.0]])
    events = make_events(origin_onehot=[[1.0, 0.0]], product_weight=[[1.0, 0.0]])
    metrics, daily = run(model, events, scenario([0.0], [30.0], [1.0]), [no_policy(model)], horizon=60)
    assert metrics.shortage_days[0, 0, 0] == 30
    assert metrics.shortage_days[0, 0, 1] == 0
    np.testing.assert_array_equal(daily.private_stock[0, 0, :, 1], 10 * D)
    # B's demand: normal on day 0 (yesterday the sector ran), none while idle, normal after.
    np.testing.assert_allclose(metrics.demand[0, 0, 1], D * (60 - 30), rtol=1e-6)
    np.testing.assert_allclose(metrics.demand[0, 0, 0], D * 60, rtol=1e-6)


# --------------------------------------------------------------------------------------
# 3. Episodes
# --------------------------------------------------------------------------------------

def test_two_crises_are_two_episodes():
    """Two 10-day full cuts on days 10 and 200 with no stock: two episodes, each
    recovering in 10 days; a shortage on the alarm day counts (time to survive 0)."""
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[0.0], import_share=[[1.0]])
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0]], max_occurrences=2)
    two = Scenario(onset_day=jnp.asarray([[[10.0, 200.0]]]), duration_days=jnp.asarray([[[10.0, 10.0]]]),
                   severity=jnp.asarray([[[1.0, 1.0]]]))
    metrics, _ = run(model, events, two, [no_policy(model)], horizon=365)
    assert metrics.episodes[0, 0, 0] == 2
    assert metrics.shortage_days[0, 0, 0] == 20
    assert metrics.time_to_recover[0, 0, 0] == 10 and metrics.worst_time_to_recover[0, 0, 0] == 10
    assert metrics.time_to_survive[0, 0, 0] == 0 and metrics.worst_time_to_survive[0, 0, 0] == 0
    assert metrics.recovered[0, 0, 0]


def test_release_delay_counts_from_each_episode_alarm():
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[0.0], import_share=[[1.0]])
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0]], max_occurrences=2)
    policy = no_policy(model)._replace(gov_stock_days=jnp.asarray([100.0]), release_delay_days=jnp.asarray([3.0]))
    two = Scenario(onset_day=jnp.asarray([[[10.0, 200.0]]]), duration_days=jnp.asarray([[[10.0, 10.0]]]),
                   severity=jnp.asarray([[[1.0, 1.0]]]))
    metrics, daily = run(model, events, two, [policy], horizon=365)
    short = np.flatnonzero(daily.unmet[0, 0, :, 0] > 0).tolist()
    assert short == [10, 11, 12, 200, 201, 202]  # three days of decision lag in each episode


# --------------------------------------------------------------------------------------
# 4. Levers in place, transit, pre-announcement rush
# --------------------------------------------------------------------------------------

def test_recycling_in_place_gives_the_same_relief_at_any_onset():
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[0.0], import_share=[[1.0]])
    in_place = no_policy(model)._replace(recycling_share=jnp.asarray([0.3]), recycling_ramp_days=jnp.asarray([180.0]))
    at_alarm = in_place._replace(recycling_start_at_alarm=jnp.asarray([1.0]), recycling_ramp_days=jnp.asarray([10.0]))
    early, late = scenario([0.0], [10.0], [1.0]), scenario([200.0], [10.0], [1.0])
    both = Scenario(*(jnp.concatenate([a, b]) for a, b in zip(early, late)))
    metrics, _ = run(model, ONE_ORIGIN, both, [in_place, at_alarm], horizon=365)
    np.testing.assert_allclose(metrics.unmet[0, :, 0], 0.7 * D * 10, rtol=1e-6)
    # Emergency recycling ramps from the alarm: day k of the episode recycles 0.3 (k+1)/10.
    expected = sum(D * (1 - 0.3 * (k + 1) / 10) for k in range(10))
    np.testing.assert_allclose(metrics.unmet[1, :, 0], expected, rtol=1e-6)


def test_spare_volume_travels_its_transit_time():
    """Spare capacity at origin 1 (transit 30 days) called after a 40-day qualification
    lag arrives on day 70."""
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[0.0], import_share=[[1.0, 0.0]],
                        transit_days=[[0.0, 30.0]], restock_headroom=[0.0])
    events = make_events(origin_onehot=[[1.0, 0.0]], product_weight=[[1.0]])
    policy = no_policy(model)._replace(spare_capacity=jnp.asarray([[0.0, 0.5]]),
                                       qualification_lag_days=jnp.asarray([40.0]))
    _, daily = run(model, events, scenario([0.0], [100.0], [1.0]), [policy], horizon=100)
    unmet = daily.unmet[0, 0, :, 0]
    np.testing.assert_array_equal(unmet[:70], D)
    np.testing.assert_array_equal(unmet[70:], 0.5 * D)


def test_pre_announcement_rush_raises_price_and_stocks_before_the_cut():
    model = build_model(demand_per_day=[D], price=[1.0], inventory_days=[10.0], import_share=[[1.0]],
                        world_share=[[0.8]], storage_room_days=[10.0], restock_headroom=[0.2],
                        price_elasticity=[0.5])
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0]], announcement_lead_days=20.0)
    _, daily = run(model, events, scenario([50.0], [30.0], [0.5]), [no_policy(model)], horizon=100)
    stock = daily.private_stock[0, 0, :, 0]
    import_change = daily.import_price_change[0, 0, :, 0]
    np.testing.assert_array_equal(stock[:30], 10 * D)
    np.testing.assert_array_equal(import_change[:30], 0.0)
    # Announced on day 30: importers buy 20 % extra a day up to 10 more days of stock. The
    # country is a price taker (world_demand_weight 0) and the market holds no stocks
    # that could anticipate the cut (world_stock_days 0): the price waits for the cut.
    np.testing.assert_array_equal(import_change[30:50], 0.0)
    assert import_change[50] > 0
    np.testing.assert_allclose(stock[30:50], np.minimum(10 * D + 0.2 * D * np.arange(1, 21), 20 * D), rtol=1e-6)
