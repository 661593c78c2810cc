"""The world market (simcore.core.market, docs/model.md section 5), export-control
regimes (section 4) and the domestic price term: hand cases from the documented
formulas and properties under common random numbers."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcore.core import Scenario, build_model, make_events, no_policy, simulate_batch, simulate_given, stack_policies
from simcore.core.cuts import Occurrences, availability_lanes, world_cut_lanes

D = 10.0  # demand, units / day
H = 240  # horizon, days


def _model(**kw):
    base = dict(demand_per_day=[D], price=[1.0], inventory_days=[30.0], import_share=[[0.6, 0.4]],
                world_share=[[0.6, 0.4]], price_elasticity=[0.3], world_price_elasticity=[0.1], price_cap=[20.0],
                transit_days=[[20.0, 20.0]], cover_horizon_days=[30.0], restock_headroom=[0.0])
    base.update(kw)
    return build_model(**base)


MARKET = dict(world_stock_days=[60.0], world_storage_elasticity=[0.5], market_sourcing_share=[1.0],
              market_sourcing_days=[30.0])


def _events(**kw):
    return make_events(origin_onehot=[[1.0, 0.0]], product_weight=[[1.0]], **kw)


def _one(onset, duration, severity):
    row = lambda x: jnp.asarray([[x]], jnp.float32)  # noqa: E731
    return Scenario(onset_day=row(onset), duration_days=row(duration), severity=row(severity))


def _run(model, events, scenario, policies=None, horizon=H):
    policies = policies or [no_policy(model)]
    metrics, daily = simulate_given(model, stack_policies(policies), events, scenario, horizon=horizon, save_daily=True)
    to_np = lambda tree: type(tree)(*(np.asarray(x) for x in tree))  # noqa: E731
    return to_np(metrics), to_np(daily)


def _market_by_hand(gap, w0, eta, e_short, cap, days):
    """The documented market recursion for a constant gap from day 0, no long-run or
    supply response: m_t = (W_t / W0)^(-1/eta), D_t = m_t^(-e), W_t+1 = W_t + (1 - gap) - D_t
    (m_flow binds only once the stocks are gone)."""
    stock, prices = w0, []
    for _ in range(days):
        m = min(max((stock / w0) ** (-1.0 / eta), 1.0 / cap), cap)
        available = stock + 1.0 - gap
        flow = (available) ** (-1.0 / e_short) if available > 0 else cap
        m = min(max(m, flow), cap)
        demand = m ** -e_short
        prices.append(m)
        stock = max(stock + (1.0 - gap) - min(demand, available), 0.0)
    return np.array(prices)


def test_world_price_climbs_as_world_stocks_fall_by_the_documented_recursion():
    model = _model(**MARKET)
    _, daily = _run(model, _events(), _one(10.0, 400.0, 0.5))
    expected = _market_by_hand(0.6 * 0.5, 60.0, 0.5, 0.1, 20.0, H - 10)
    np.testing.assert_allclose(1.0 + daily.import_price_change[0, 0, 10:, 0], expected, rtol=2e-4)
    np.testing.assert_array_equal(daily.import_price_change[0, 0, :10, 0], 0.0)
    # gradual: under 10 % after a week, rising every day while the gap lasts, no cap
    price = expected
    assert price[6] < 1.10 and np.all(np.diff(price[:100]) > 0) and price.max() < 20.0


def test_without_world_stocks_the_market_clears_the_days_flow():
    """world_stock_days 0: m = (1 - gap)^(-1/e) every day of the cut (earlier releases)."""
    model = _model(world_price_elasticity=[0.5])
    _, daily = _run(model, _events(), _one(10.0, 50.0, 0.5))
    np.testing.assert_allclose(1.0 + daily.import_price_change[0, 0, 10:60, 0], 0.7 ** (-1 / 0.5), rtol=1e-5)


def test_announced_cut_lifts_the_price_through_precaution_before_any_loss():
    model = _model(**MARKET, world_precaution_days=[100.0])
    events = _events(announcement_lead_days=20.0)
    _, daily = _run(model, events, _one(40.0, 100.0, 0.5))
    price = 1.0 + daily.import_price_change[0, 0, :, 0]
    np.testing.assert_array_equal(price[:20], 1.0)
    # day 20: stocks still 60, wanted 60 + 100 x 0.3 = 90: m = (60 / 90)^(-1/0.5) = 2.25
    np.testing.assert_allclose(price[20], (60.0 / 90.0) ** -2.0, rtol=1e-5)
    np.testing.assert_array_equal(daily.unmet[0, 0, :40, 0], 0.0)


def test_no_gap_priced_twice_the_world_fills_the_country_so_no_domestic_term():
    """The country loses 60 % of its imports; the world market (stocks) replaces them
    after the sourcing ramp: users pay the world price and nothing more."""
    model = _model(**MARKET, inventory_days=[40.0])
    metrics, daily = _run(model, _events(), _one(0.0, 200.0, 1.0))
    assert metrics.unmet.sum() == 0.0
    np.testing.assert_array_equal(daily.scarcity_premium[0, 0, :, 0], 0.0)
    np.testing.assert_allclose(daily.price_change[0, 0, :, 0], daily.import_price_change[0, 0, :, 0], rtol=1e-6)
    assert daily.import_price_change[0, 0, :, 0].max() > 0.5


def test_country_only_halt_moves_imports_not_the_world_price():
    """A ban on shipments to the country alone (world_weight 0: diverted to other
    buyers): the world price stays at baseline while the country's imports from the
    origin stop; the world market replaces them after the sourcing lag."""
    model = _model(**MARKET, inventory_days=[20.0])
    events = _events(world_weight=0.0)
    metrics, daily = _run(model, events, _one(0.0, 60.0, 1.0))
    np.testing.assert_array_equal(daily.import_price_change[0, 0, :, 0], 0.0)
    global_metrics, global_daily = _run(model, _events(), _one(0.0, 60.0, 1.0))
    assert global_daily.import_price_change[0, 0, :, 0].max() > 0.2
    # the country's own loss is the same physical cut either way
    np.testing.assert_allclose(metrics.unmet, global_metrics.unmet, rtol=1e-5)
    # a ban on everyone but the country: nothing lost at home
    others, _ = _run(model, _events(country_weight=0.0), _one(0.0, 60.0, 1.0))
    assert others.unmet.sum() == 0.0


def test_licence_delay_easing_and_leakage_by_hand():
    """Licensing: nothing for 10 days, then the drawn severity 0.8, of which half is
    licensed after all over 20 days; 25 % of the withheld volume leaks to the world
    market 15 days later."""
    events = _events(licence_delay_days=10.0, approval_easing=0.5, easing_days=20.0, leakage_share=0.25,
                     leakage_delay_days=15.0)
    occ = Occurrences(onset_day=jnp.asarray([[[0.0]]]), duration_days=jnp.asarray([[[100.0]]]),
                      severity=jnp.asarray([[[0.8]]]))
    days = np.arange(60)
    country = np.array([1.0 - float(availability_lanes(events, occ, float(t))[0, 0, 0]) for t in days])
    world = np.array([float(world_cut_lanes(events, occ, float(t))[0, 0, 0]) for t in days])
    eased = np.clip((days - 10 + 1) / 20.0, 0.0, 1.0)
    expected = np.where(days < 10, 1.0, 0.8 * (1.0 - 0.5 * eased))
    np.testing.assert_allclose(country, expected, rtol=1e-6)
    lagged = np.where(days >= 15, expected[np.maximum(days - 15, 0)], 0.0)
    np.testing.assert_allclose(world, expected - 0.25 * lagged, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize("overlap,expected", [(0.0, 0.5), (1.0, 0.8), (0.5, 0.65)])
def test_two_short_inputs_nest_add_up_or_mix(overlap, expected):
    """Two products each cap the exposed half / 30 % of one sector, fully cut: nested
    loss max(0.5, 0.3) = 0.5, disjoint 0.5 + 0.3 = 0.8, half-way 0.65."""
    model = build_model(demand_per_day=[D, D], price=[1.0, 1.0], inventory_days=[0.0, 0.0],
                        import_share=[[1.0], [1.0]], technical_coefficients=[[0.0]], final_demand=[100.0],
                        use_share=[[1.0], [1.0]], exposure=[[0.5], [0.3]], input_overlap=overlap)
    events = make_events(origin_onehot=[[1.0]], product_weight=[[1.0, 1.0]])
    _, daily = _run(model, events, _one(0.0, 10.0, 1.0), horizon=12)
    np.testing.assert_allclose(1.0 - daily.sector_output_share[0, 0, 0, 0], expected, rtol=1e-6)


# ------------------------------------------------------------------ properties (CRN)

N = 16


@st.composite
def market_case(draw):
    floats = lambda lo, hi: st.floats(lo, hi, allow_nan=False)  # noqa: E731
    return dict(
        stock=draw(floats(0.0, 90.0)), more_stock=draw(floats(1.0, 60.0)),
        eta=draw(floats(0.2, 2.0)), e_short=draw(floats(0.05, 0.5)),
        idle=draw(floats(0.0, 0.3)), more_idle=draw(floats(0.01, 0.3)),
        leakage=draw(floats(0.0, 0.6)), more_leakage=draw(floats(0.01, 0.4)),
        inventory=draw(floats(0.0, 60.0)), sourcing=draw(floats(0.0, 1.0)),
        severity_alpha=draw(floats(0.5, 5.0)), severity_beta=draw(floats(0.5, 5.0)),
        delay=draw(st.integers(0, 30)), seed=draw(st.integers(0, 1000)),
    )


def _monotone_metrics(case, **changes):
    kw = dict(world_stock_days=[case["stock"]], world_storage_elasticity=[case["eta"]],
              world_price_elasticity=[case["e_short"]], world_supply_response=[case["idle"]],
              world_supply_response_days=[60.0], inventory_days=[case["inventory"]],
              market_sourcing_share=[case["sourcing"]], price_cap=[50.0])
    leakage = changes.pop("leakage", case["leakage"])
    kw.update(changes)
    model = _model(**kw)
    events = _events(hazard_per_year=2.0, duration_median_days=120.0, duration_sigma=0.5,
                     severity_alpha=case["severity_alpha"], severity_beta=case["severity_beta"],
                     licence_delay_days=float(case["delay"]), leakage_share=leakage, leakage_delay_days=20.0)
    metrics, _ = simulate_batch(model, stack_policies([no_policy(model)]), events, jax.random.key(case["seed"]),
                                jnp.arange(N), horizon=180)
    return metrics


@settings(max_examples=12, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=market_case())
def test_more_world_stock_supply_or_leakage_never_raises_price_or_shortage(case):
    base = _monotone_metrics(case)
    variants = {
        "more world stock": _monotone_metrics(case, world_stock_days=[case["stock"] + case["more_stock"]]),
        "more idle capacity": _monotone_metrics(case, world_supply_response=[case["idle"] + case["more_idle"]]),
        "more leakage": _monotone_metrics(case, leakage=min(case["leakage"] + case["more_leakage"], 1.0)),
    }
    # The world price's peak and the shortage days. Neither the mean price over the
    # horizon nor the peak user price (world x domestic term) is monotone in general: less
    # price now brings less supply response on line later, and stocks move the world price
    # from the crisis into the rebuilding after it, where it can meet the domestic term.
    for name, more in variants.items():
        assert np.all(np.asarray(more.peak_import_price_change) <= np.asarray(base.peak_import_price_change) + 1e-4), name
        assert np.all(np.asarray(more.shortage_days) <= np.asarray(base.shortage_days)), name


@settings(max_examples=10, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(case=market_case())
def test_a_ban_on_other_importers_never_hurts_the_country_more_than_a_ban_on_it(case):
    model = _model(world_stock_days=[case["stock"]], world_storage_elasticity=[case["eta"]],
                   world_price_elasticity=[case["e_short"]], inventory_days=[case["inventory"]],
                   market_sourcing_share=[case["sourcing"]], price_cap=[50.0])

    def shortage(**regime):
        events = _events(hazard_per_year=2.0, duration_median_days=90.0, severity_alpha=case["severity_alpha"],
                         severity_beta=case["severity_beta"], **regime)
        metrics, _ = simulate_batch(model, stack_policies([no_policy(model)]), events, jax.random.key(case["seed"]),
                                    jnp.arange(N), horizon=180)
        return np.asarray(metrics.shortage_days), np.asarray(metrics.unmet)

    on_others = shortage(country_weight=0.0, world_weight=0.3)
    on_country = shortage(country_weight=1.0, world_weight=0.3)
    assert np.all(on_others[0] <= on_country[0]) and np.all(on_others[1] <= on_country[1] + 1e-3)


# ------------------------------------------------------------------ bad input

def test_bad_regimes_and_market_fields_are_refused_naming_every_field(tmp_path):
    """A negative licence delay, an approval share outside [0, 1], an unknown destination
    and a negative world stock: exit 2, every field named at once, no store written."""
    import subprocess
    import sys

    from tests.shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small

    config_text = SMALL_CONFIG.replace('name = "CN ban"', 'name = "CN ban"\nlicence_delay_days = -3\n'
                                       'approval_easing = 1.5\ndestinations = "mars"\nleakage_share = -0.1')
    model_text = SMALL_MODEL.replace('name = "gallium"', 'name = "gallium"\nworld_stock_days = -5\n'
                                     'market_sourcing_share = 2.0')
    # the model file and the config each get their own run (issue 17 joins their reports)
    for case, (config_text_used, model_text_used, fields) in {
        "config": (config_text, SMALL_MODEL, ("licence_delay_days", "approval_easing", "destinations", "leakage_share")),
        "model": (SMALL_CONFIG, model_text, ("world_stock_days", "market_sourcing_share")),
    }.items():
        folder = tmp_path / case
        folder.mkdir()
        config = write_small(folder, config_text_used, model_text_used)
        out = folder / "out.zarr"
        proc = subprocess.run([sys.executable, "-m", "simcore.cli", "run", str(config), "--output", str(out),
                               "--quiet"], capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        assert "Traceback" not in proc.stderr
        for field in fields:
            assert field in proc.stderr, (field, proc.stderr)
        assert not out.exists() and not (folder / "out.zarr.partial").exists()


def test_todays_cuts_equal_the_separate_functions():
    """The day step's shared evaluation (todays_cuts) gives the country's cuts of the
    separate functions; the world cuts are views of it (world_cut_lanes), checked by hand
    in test_licence_delay_easing_and_leakage_by_hand."""
    from simcore.core.cuts import announced_cut_lanes, todays_cuts, world_known_cut_lanes

    events = make_events(origin_onehot=[[1.0, 0.0], [0.0, 1.0]], product_weight=[[1.0, 0.5], [0.0, 1.0]],
                         announcement_lead_days=[10.0, 0.0], licence_delay_days=[5.0, 0.0],
                         approval_easing=[0.5, 0.0], easing_days=[20.0, 0.0], leakage_share=[0.3, 0.0],
                         leakage_delay_days=[7.0, 0.0], country_weight=[1.0, 0.0], world_weight=[0.8, 1.0])
    occ = Occurrences(onset_day=jnp.asarray([[[20.0, 25.0]], [[30.0, 5.0]]]),
                      duration_days=jnp.asarray([[[40.0, 60.0]], [[10.0, 50.0]]]),
                      severity=jnp.asarray([[[0.7, 0.9]], [[0.5, 1.0]]]))
    for day in (0.0, 12.0, 22.0, 31.0, 50.0, 70.0):
        cuts = todays_cuts(events, occ, day)
        np.testing.assert_allclose(cuts.country_known, announced_cut_lanes(events, occ, day), atol=1e-7)
        np.testing.assert_allclose(cuts.country_shipped, availability_lanes(events, occ, day), atol=1e-7)
        np.testing.assert_allclose(cuts.world_cut, world_cut_lanes(events, occ, day), atol=1e-7)
        np.testing.assert_allclose(cuts.world_known, world_known_cut_lanes(events, occ, day), atol=1e-7)


# ------------------------------------------------------------------ leakage drawn per scenario

def _leaky_events(**kw):
    return _events(onset_day=20.0, duration_median_days=150.0, severity=1.0, leakage_delay_days=10.0, **kw)


def test_leakage_draws_are_per_scenario_chunk_free_and_exact_when_fixed():
    from simcore.core.disruptions import draw_leakage

    key = jax.random.key(3)
    drawn = _leaky_events(leakage_share=0.2, leakage_kind=0, leakage_low=0.1, leakage_high=0.4)
    whole = np.asarray(draw_leakage(drawn, key, jnp.arange(40)).leakage_share)  # [E, B]
    halves = [np.asarray(draw_leakage(drawn, key, jnp.arange(a, a + 20)).leakage_share) for a in (0, 20)]
    np.testing.assert_array_equal(whole, np.concatenate(halves, axis=1))
    assert whole.shape == (1, 40) and 0.1 <= whole.min() < whole.max() <= 0.4 and np.unique(whole).size == 40
    fixed = np.asarray(draw_leakage(_leaky_events(leakage_share=0.3), key, jnp.arange(5)).leakage_share)
    assert np.all(fixed == np.float32(0.3))


def test_more_drawn_leakage_gives_a_lower_world_price_in_every_scenario():
    """One fixed full cut; the only thing that differs between scenarios is the drawn
    leakage share, so the world price's peak falls as the draw rises."""
    from simcore.core.disruptions import draw_leakage

    model = _model(**MARKET)
    events = _leaky_events(leakage_share=0.3, leakage_kind=1, leakage_low=0.0, leakage_high=0.6)
    key, index = jax.random.key(5), jnp.arange(12)
    metrics, _ = simulate_batch(model, stack_policies([no_policy(model)]), events, key, index, horizon=120)
    peak = np.asarray(metrics.peak_import_price_change)[0, :, 0]
    leak = np.asarray(draw_leakage(events, key, index).leakage_share)[0]
    order = np.argsort(leak)
    assert np.ptp(peak) > 0.01
    assert np.all(np.diff(peak[order]) <= 1e-5)


def test_a_config_may_give_the_leakage_share_as_a_distribution():
    import tomllib

    from simcore.schema.config import parse_config
    from simcore.schema.errors import InputError
    from simcore.schema.modelfile import parse_model
    from tests.shell_fixtures import SMALL_MODEL

    loaded = parse_model(tomllib.loads(SMALL_MODEL))
    event = {"name": "ban", "origin": "CN", "products": ["gallium"], "onset_day": 5, "duration_days": 30,
             "severity": 1.0, "leakage_share": {"low": 0.1, "mode": 0.2, "high": 0.5}}
    events = parse_config({"events": [event]}, loaded=loaded).events
    np.testing.assert_allclose([events.leakage_low[0], events.leakage_share[0], events.leakage_high[0]],
                               [0.1, 0.2, 0.5], rtol=1e-6)
    assert int(events.leakage_kind[0]) == 0
    bad = dict(event, leakage_share={"dist": "lognormal", "median": 0.2, "sigma": 0.5})
    with pytest.raises(InputError, match=r"events\[0\]\.leakage_share.*lognormal cannot be used"):
        parse_config({"events": [bad]}, loaded=loaded)
