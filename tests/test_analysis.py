"""Policy analysis: Shapley values (exact, sampled), cost accounting, sweeps on CRN.

Games on tables are checked against hand values and the Shapley axioms; the
simulation tests use the small test model with a 30-day horizon and few scenarios
(one compiled shape: 8 mixes x 8 scenarios)."""

import types

import numpy as np
import pytest
import xarray as xr

from simcore.analysis import levers as lever_paths
from simcore.analysis.costs import (
    CostAssumptions,
    annuity_factor,
    cost_effectiveness,
    markup_components,
    mix_costs,
    pareto_front,
    price_index_change,
)
from simcore.analysis.shapley import (
    attribute,
    coalition_masks,
    efficiency_gap,
    interaction_exact,
    mobius,
    sample_orders,
    shapley_exact,
    shapley_sampled,
)
from simcore.analysis.sweep import _config_without_analysis, load_sweep_config, run_sweep
from simcore.core.engine import normal_time_markup
from simcore.core.model import build_model, no_policy
from simcore.schema.errors import InputError
from tests.shell_fixtures import SMALL_MODEL

RUN = """
[run]
model = "small.toml"
scenarios = 16
horizon_days = 30
chunk_size = 8
seed = 11

[[events]]
name = "CN ban"
origin = "CN"
products = ["gallium"]
hazard_per_year = 6.0
duration_median_days = 15
duration_sigma = 0.5
severity_alpha = 4.0
severity_beta = 2.0

[[events]]
name = "repair fleet"
origin = "AU"
products = { repair = 1.0 }
hazard_per_year = 6.0
duration_median_days = 6
duration_sigma = 0.3
severity = 1.0

[[policies]]
name = "all-three"
[policies.stockpile]
gov_stock_days = { gallium = 10 }
carrying_cost = 0.1
[policies.diversification]
spare_capacity = { repair = { CN = 0.6 } }
reservation_fee = 0.02
spare_premium = 0.3
[policies.recycling]
share = { gallium = 0.3 }
premium = 0.2
"""

SWEEP = """
[sweep]
policy_chunk = 8
levers = [
  { path = "stockpile.gov_stock_days.gallium", values = [0, 5, 10, 20] },
  { path = "diversification.spare_capacity.repair.CN", range = [0, 0.6], n = 2, name = "repair_spare" },
]
"""


@pytest.fixture(scope="module")
def small_dir(tmp_path_factory):
    folder = tmp_path_factory.mktemp("analysis")
    (folder / "small.toml").write_text(SMALL_MODEL)
    (folder / "run.toml").write_text(RUN + SWEEP)
    return folder


@pytest.fixture(scope="module")
def config(small_dir):
    return _config_without_analysis(small_dir / "run.toml")


# ----------------------------------------------------------------------------- Shapley on tables

def table_of(n, value_of_set):
    return np.array([value_of_set(frozenset(np.flatnonzero(row))) for row in coalition_masks(n)], np.float64)


def test_shapley_hand_cases():
    # majority of three: v(S) = 1 when |S| >= 2 -> 1/3 each
    v = table_of(3, lambda s: float(len(s) >= 2))
    np.testing.assert_allclose(shapley_exact(v), [1 / 3] * 3)
    # pure complements: v({0, 1}) = 1 only -> 1/2 each, interaction 1, dividend of {0, 1} = 1
    v = table_of(2, lambda s: float(s == {0, 1}))
    np.testing.assert_allclose(shapley_exact(v), [0.5, 0.5])
    assert interaction_exact(v)[0, 1] == pytest.approx(1.0)
    np.testing.assert_allclose(mobius(v), [0, 0, 0, 1])
    # glove game: player 0 holds a left glove, 1 and 2 right gloves -> (2/3, 1/6, 1/6)
    v = table_of(3, lambda s: float(0 in s and bool(s & {1, 2})))
    np.testing.assert_allclose(shapley_exact(v), [2 / 3, 1 / 6, 1 / 6])


def test_shapley_axioms_on_random_games():
    rng = np.random.default_rng(0)
    for n in (2, 3, 5):
        v = rng.normal(size=(2 ** n, 2))
        v[0] = 0.0
        phi = shapley_exact(v)
        np.testing.assert_allclose(phi.sum(axis=0), v[-1] - v[0], atol=1e-12)  # efficiency
        # Shapley from the dividends: phi_i = sum_{S containing i} m(S) / |S|
        m, masks = mobius(v), coalition_masks(n)
        via_dividends = np.stack([(m[masks[:, i]] / masks[masks[:, i]].sum(1)[:, None]).sum(0) for i in range(n)])
        np.testing.assert_allclose(phi, via_dividends, atol=1e-12)
    # symmetry: players 0 and 1 interchangeable; null player 2 gets 0
    v = table_of(3, lambda s: float(len(s & {0, 1})) ** 2)
    phi = shapley_exact(v)
    assert phi[0] == pytest.approx(phi[1]) and phi[2] == pytest.approx(0.0)


def test_additive_game_gives_single_effects_and_no_interaction():
    effects = np.array([3.0, -1.0, 0.5, 2.0])
    v = table_of(4, lambda s: float(sum(effects[list(s)])))
    np.testing.assert_allclose(shapley_exact(v), effects)
    np.testing.assert_allclose(interaction_exact(v), 0.0, atol=1e-12)
    sizes = coalition_masks(4).sum(1)
    np.testing.assert_allclose(mobius(v)[sizes >= 2], 0.0, atol=1e-12)


def test_permutation_sampling_converges_to_exact():
    n = 10
    weights = np.linspace(0.1, 1.0, n)
    v = table_of(n, lambda s: float(weights[list(s)].sum()) ** 2 + (3.0 if {0, 1} <= s else 0.0))
    exact = shapley_exact(v)
    errors = []
    for k, seed in ((100, 1), (2500, 2)):
        orders = sample_orders(n, k, seed)
        estimate, se = shapley_sampled(orders, lambda mask: v[mask])
        assert estimate.sum() == pytest.approx(v[-1] - v[0], abs=1e-9)  # efficiency holds per order
        assert np.all(np.abs(estimate - exact) <= 4.5 * se + 1e-12)
        errors.append(np.abs(estimate - exact).max())
    assert errors[1] < errors[0]  # 25x the orders: about 5x smaller error


# ----------------------------------------------------------------------------- Shapley on simulations

@pytest.fixture(scope="module")
def pillars(config):
    return attribute(config, "all-three", "pillars", scenarios=16, chunk_size=8, policy_chunk=8)


def test_pillar_shapley_efficiency_and_separable_products(pillars):
    for metric in ("expected_shortage_days", "expected_shortage_days_total", "p_any_shortage",
                   "cvar95_value_added_loss", "expected_peak_price_change"):
        scale = max(1.0, float(np.abs(pillars[f"{metric}_all"]).max()))
        assert float(np.abs(efficiency_gap(pillars, metric)).max()) <= 1e-12 * scale
    # the repair service is touched only by diversification: its shortage-days game is
    # additive, so Shapley values are the single-pillar effects (0 for the other pillars)
    repair = pillars["expected_shortage_days"].sel(product="repair")
    np.testing.assert_allclose(repair.values, pillars["expected_shortage_days_single"].sel(product="repair").values)
    assert float(repair.sel(player="stockpile")) == 0.0 and float(repair.sel(player="recycling")) == 0.0
    assert float(repair.sel(player="diversification")) > 0.0  # the scenarios do cut repair
    # gallium: diversification (spare for repair only) is a null player
    gallium = pillars["expected_shortage_days"].sel(product="gallium")
    assert float(gallium.sel(player="diversification")) == 0.0
    assert pillars.attrs["method"] == "exact" and pillars.sizes["coalition"] == 8


def test_lever_players_null_lever_and_sampling(config, pillars):
    players = ["stockpile.gov_stock_days.gallium", "recycling.share.gallium", "recycling.premium",
               "diversification.spare_capacity.repair.CN"]
    exact = attribute(config, "all-three", players, scenarios=16, chunk_size=8, policy_chunk=8)
    # the recycling premium changes prices, not quantities: a null player of shortage days
    assert float(exact["expected_shortage_days_total"].sel(player="recycling.premium")) == 0.0
    # the levers cover the pillars' effective levers: same all-players effect as the pillars
    np.testing.assert_allclose(exact["expected_shortage_days_total_all"], pillars["expected_shortage_days_total_all"])
    sampled = attribute(config, "all-three", players, scenarios=16, chunk_size=8, policy_chunk=8,
                        method="sampling", permutations=40, seed=3)
    metric = "expected_shortage_days_total"
    assert float(efficiency_gap(sampled, metric)) == pytest.approx(0.0, abs=1e-9)
    diff = np.abs(sampled[metric] - exact[metric]).values
    assert np.all(diff <= 4.5 * sampled[f"{metric}_sampling_se"].values + 1e-9)
    # the total SE adds the scenario error of the sampled weights to the sampling error
    assert np.all(sampled[f"{metric}_se"].values >= sampled[f"{metric}_sampling_se"].values)


def test_attribution_errors_name_every_field(config):
    with pytest.raises(InputError) as info:
        attribute(config, "nope", ["stockpile.gov_stock_days.tin", "stockpile", "stockpile.carrying_cost"],
                  method="guess", permutations=1)
    text = str(info.value)
    for field in ("attribution.policy", "attribution.method", "attribution.permutations",
                  "attribution.players[0]", "attribution.players[2]"):
        assert field in text
    assert "unknown product 'tin'" in text and "overlaps" in text


# ----------------------------------------------------------------------------- costs

def test_cost_accounting_hand_case():
    model = build_model(demand_per_day=[10.0], price=[100.0], inventory_days=[20.0], import_share=[[0.8]])
    loaded = types.SimpleNamespace(model=model, currency="USD", products=["ga"])
    policy = no_policy(model)._replace(
        gov_stock_days=np.array([30.0]), stock_carrying_cost=np.array([0.1]), private_extra_days=np.array([10.0]),
        spare_capacity=np.array([[0.2]]), spare_reservation_fee=np.array([0.02]), spare_premium=np.array([0.3]))
    fields = {k: np.asarray(v, np.float64)[None] for k, v in policy._asdict().items()}
    assumptions = CostAssumptions(discount_rate=0.05, stock_life_years=10, stock_residual_share=0.0)
    costs = mix_costs(loaded, fields, ["mix"], spare_used_mean=np.array([[50.0]]), horizon_days=73,
                      assumptions=assumptions)
    stock_value = 30 * 10 * 100.0  # 30,000 USD
    crf = 0.05 / (1 - 1.05 ** -10)  # 0.1295046
    assert annuity_factor(0.05, 10) == pytest.approx(crf)
    assert float(costs["fiscal_stock_capital"].sum()) == pytest.approx(stock_value * crf)  # 3,885.14
    assert float(costs["fiscal_stock_carrying"].sum()) == pytest.approx(3000.0)
    assert float(costs["private"].sum()) == pytest.approx(0.1 * 10 * 10 * 100)  # 1,000 / year in prices
    value_per_year = 10 * 100 * 365.0
    assert float(costs["price_side_spare_reservation"].sum()) == pytest.approx(0.02 * 0.2 * value_per_year)  # 1,460
    assert float(costs["crisis_premium"].sum()) == pytest.approx(0.3 * 100 * 50 * 365 / 73)  # 7,500
    # Leontief route (price index x final demand) = product markup x product value
    assert float(costs["price_side_effect"].sum()) == pytest.approx(1000 + 1460, rel=1e-5)
    total = stock_value * crf + 3000 + 2460 + 7500
    assert float(costs["total_cost"].sum()) == pytest.approx(total, rel=1e-6)
    # with the stock resold at the end, the capital cost is r x value
    resold = mix_costs(loaded, fields, ["mix"], assumptions=CostAssumptions(0.05, 10, 1.0))
    assert float(resold["fiscal_stock_capital"].sum()) == pytest.approx(0.05 * stock_value)


def test_markup_split_matches_engine_and_leontief_identity(config):
    loaded = config.loaded
    policy = next(p.policy for p in config.policies if p.name == "all-three")
    fields = {k: np.asarray(v, np.float64)[None] for k, v in policy._asdict().items()}
    parts = markup_components(loaded.model, fields)
    np.testing.assert_allclose(sum(parts.values())[0], np.asarray(normal_time_markup(loaded.model, policy)),
                               rtol=1e-6, atol=1e-9)
    costs = mix_costs(loaded, fields, ["all-three"])
    split = sum(costs[f"price_side_{name}"].sum("product") for name in parts)
    assert float(costs["price_side_effect"].sum()) == pytest.approx(float(split.sum()), rel=1e-4)
    assert float(price_index_change(loaded.model, sum(parts.values()))[0]) > 0


def test_cost_effectiveness_hand_case():
    policies = ["no-policy", "a", "b", "c"]
    costs = xr.Dataset({"total_cost": ("policy", [0.0, 100.0, 50.0, 80.0], {"units": "USD / year"})},
                       coords={"policy": policies})
    risk = xr.Dataset({"expected_shortage_days_total": ("policy", [10.0, 5.0, 8.0, 10.0]),
                       "expected_value_added_loss": ("policy", [1000.0, 600.0, 900.0, 1000.0])},
                      coords={"policy": policies})
    out = cost_effectiveness(costs, risk, "no-policy", horizon_days=365)
    np.testing.assert_allclose(out["cost_per_avoided_shortage_day"].sel(policy=["a", "b"]), [20.0, 25.0])
    np.testing.assert_allclose(out["cost_per_avoided_value_added_loss"].sel(policy=["a", "b"]), [0.25, 0.5])
    assert np.isnan(float(out["cost_per_avoided_value_added_loss"].sel(policy="c")))
    assert list(out["rank"].values) == [4, 1, 2, 3] or list(out["rank"].values) == [3, 1, 2, 4]
    assert list(out["pareto"].values) == [True, True, True, False]
    # half-year horizon: twice the avoided risk per year
    half = cost_effectiveness(costs, risk, "no-policy", horizon_days=182.5)
    assert float(half["avoided_shortage_days_per_year"].sel(policy="a")) == pytest.approx(10.0)


def test_pareto_front():
    cost = np.array([0, 1, 2, 3, 1])
    risk = np.array([5, 3, 3, 0, 4])
    assert pareto_front(cost, risk).tolist() == [True, True, False, True, False]


# ----------------------------------------------------------------------------- sweeps

def test_sweep_errors_name_every_field(small_dir):
    bad = RUN + """
[sweep]
design = "grids"
base = "nothing"
colour = 1
scenarios = -3
costs = { discount_rate = 2, life = 3 }
levers = [
  { path = "stockpile.gov_stock_days.repair", values = [0, 10] },
  { path = "stockpile.gov_stock_days.gallium", values = [0, 10] },
  { path = "diversification.spare_capacity.gallium", range = [0, 0.5], n = 3 },
  { path = "recycling.share.gallium", range = [0, 1.5] },
  { path = "recycling.start", values = [0, 1] },
  { path = "stockpile.gov_stock_days", values = [0, 30] },
  { values = [1] },
  { path = "stockpile.release_rate.gallium", values = [-5, 1, 1] },
]
"""
    path = small_dir / "bad.toml"
    path.write_text(bad)
    with pytest.raises(InputError) as info:
        load_sweep_config(path)
    text = str(info.value)
    expected = ["sweep.design", "sweep.base", "sweep.colour", "sweep.scenarios", "sweep.costs.discount_rate",
                "sweep.costs.life", "sweep.levers[0].path", "sweep.levers[7].values[0]", "sweep.levers[7].values", "sweep.levers[2].path",
                "sweep.levers[4].path", "sweep.levers[5].path", "sweep.levers[6].path"]
    for field in expected:
        assert field in text, field
    assert "services cannot be stockpiled" in text and "needs a product and an origin" in text
    assert "must be in [0, 1], got 1.5" in text  # recycling share (range checked with the config's own rule)
    assert "sets the same policy elements as sweep.levers[1]" in text  # levers[5] (all storable products)
    problems = dict(info.value.problems)  # the fields by the schema, one line each with the allowed values
    assert problems["sweep.design"] == "must be one of grid, random, latin, got 'grids'"
    assert problems["sweep.costs.discount_rate"] == "must be in [0, 1], got 2"
    assert problems["sweep.levers[6].path"] == "is required: a lever path like 'stockpile.gov_stock_days.gallium'"
    assert len(problems) == len(info.value.problems)


def test_import_share_lever_keeps_the_import_total(config):
    lever, reason = lever_paths.resolve("diversification.import_share.gallium.CN", config.loaded)
    assert reason is None
    base = no_policy(config.loaded.model)
    fields = lever_paths.mixes_from_values(base, [lever], np.array([[0.8], [0.5], [0.0]]))
    rows = fields["import_share"][:, 0, :]  # gallium: CN 0.8, AU 0.2 in the model
    np.testing.assert_allclose(rows.sum(axis=1), 1.0)
    np.testing.assert_allclose(rows[:, 0], [0.8, 0.5, 0.0])
    np.testing.assert_allclose(rows[:, 1], [0.2, 0.5, 1.0])
    assert "must be in [0, 1]" in lever_paths.value_problem(lever, 1.2, config.loaded)
    repair, _ = lever_paths.resolve("diversification.import_share.repair.AU", config.loaded)
    assert "import total of repair (0.5)" in lever_paths.value_problem(repair, 0.7, config.loaded)


@pytest.fixture(scope="module")
def sweep(small_dir):
    config, spec, _ = load_sweep_config(small_dir / "run.toml")
    return config, spec, run_sweep(config, spec, scenarios=16)


def test_sweep_dims_crn_and_monotone(sweep):
    from simcore.run.runner import simulate
    from simcore.run.runner import Simulation
    from simcore.run.summary import summarize

    config, spec, result = sweep
    table = result.table
    assert table["expected_shortage_days"].dims == ("stockpile.gov_stock_days.gallium", "repair_spare", "product")
    np.testing.assert_array_equal(table["stockpile.gov_stock_days.gallium"].values, [0, 5, 10, 20])
    np.testing.assert_array_equal(table["repair_spare"].values, [0, 0.6])
    # CRN: the reference equals a plain run of no-policy on the same scenario indices
    sim = Simulation.from_config(config)
    direct = summarize(simulate(sim, 16, chunk_size=8))
    np.testing.assert_array_equal(table["reference_expected_shortage_days"].values,
                                  direct["shortage_days"].sel(statistic="mean", policy="no-policy").values)
    # the sweep point (0, 0) is no policy: identical numbers, also for the CVaR of the total
    zero = table.isel({"stockpile.gov_stock_days.gallium": 0, "repair_spare": 0})
    for name in ("expected_shortage_days", "p_any_shortage", "cvar95_value_added_loss"):
        np.testing.assert_array_equal(zero[name].values, table[f"reference_{name}"].values)
    # more government stock never means more gallium shortage on the same scenarios
    gallium = table["expected_shortage_days"].sel(product="gallium").values  # [4, 2]
    assert np.all(np.diff(gallium, axis=0) <= 0) and gallium[0, 0] > gallium[-1, 0]
    # spare capacity for repair lowers repair's shortage days, not gallium's
    repair = table["expected_shortage_days"].sel(product="repair").values
    assert np.all(repair[:, 1] < repair[:, 0]) and np.array_equal(gallium[:, 0], gallium[:, 1])
    # costs rise with the stock: fiscal = (r + carrying) x value, carrying from the base (no-policy: 0)
    fiscal = table["fiscal"].values[:, 0]
    np.testing.assert_allclose(fiscal, 0.02 * np.array([0, 5, 10, 20]) * 10 * 100.0)
    assert sorted(table["rank"].values.ravel().tolist()) == list(range(1, 9))


@pytest.mark.slow
def test_sweep_results_do_not_depend_on_chunks(small_dir, sweep):
    config, spec, result = sweep
    spec.policy_chunk, spec.chunk_size = 3, 5
    other = run_sweep(config, spec, scenarios=16)
    noisy = [v for v in result.table.data_vars if v.endswith(("_se", "_low", "_high")) or v == "p_beats_next"]
    xr.testing.assert_identical(other.table.drop_attrs().drop_vars(noisy), result.table.drop_attrs().drop_vars(noisy))
    # the paired SEs are streamed sums: the same up to rounding, except the CVaR's (tail threshold from the
    # first scenario chunk, see evaluate.paired_outcomes)
    for name in noisy:
        if not name.startswith("cvar95"):
            np.testing.assert_allclose(other.table[name].values, result.table[name].values, rtol=1e-9, atol=1e-9)


def test_random_and_latin_designs(small_dir, config):
    from simcore.analysis.sweep import design_values, parse_sweep

    raw = {"design": "latin", "samples": 50, "seed": 5,
           "levers": [{"path": "stockpile.gov_stock_days.gallium", "range": [0, 100]},
                      {"path": "recycling.share.gallium", "values": [0.0, 0.1, 0.2]}]}
    spec = parse_sweep(raw, config)
    values = design_values(spec)
    assert values.shape == (50, 2)
    counts = np.histogram(values[:, 0], bins=10, range=(0, 100))[0]
    assert counts.tolist() == [5] * 10  # latin: one draw per stratum of each lever
    assert set(values[:, 1]) <= {0.0, 0.1, 0.2}
    np.testing.assert_array_equal(values, design_values(parse_sweep(raw, config)))  # seeded


def test_sweep_store_refuses_a_user_folder_and_replaces_its_own(sweep, tmp_path):
    from simcore.analysis.sweep import write_sweep_store
    from simcore.run import store

    _, _, result = sweep
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    with pytest.raises(store.OutputError, match="not a simcore results store"):
        write_sweep_store(result, mine)
    assert (mine / "notes.txt").read_text() == "keep me" and not (tmp_path / "mine.partial").exists()
    own = write_sweep_store(result, tmp_path / "sweep.zarr")
    assert store.is_simcore_store(own)
    write_sweep_store(result, own)  # its own store: replaced
    assert xr.open_zarr(own).attrs[store.STORE_MARKER] == "sweep"
    tree = store.open_tree(own)  # the format attribute: the whole store opens as one tree
    assert tree.attrs[store.STORE_FORMAT_ATTR] == store.STORE_FORMAT
    assert {"summary", "costs", "ranking"} & set(tree.children)


def test_sweep_cli_refuses_a_user_folder_before_computing(small_dir, tmp_path, capsys, monkeypatch):
    from simcore.analysis import sweep as sweep_module
    from simcore.cli import main

    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    monkeypatch.setattr(sweep_module, "run_sweep", lambda *a, **k: pytest.fail("computed before the check"))
    assert main(["sweep", str(small_dir / "run.toml"), "--output", str(mine), "--quiet"]) == 2
    assert "not a simcore results store" in capsys.readouterr().err
    assert (mine / "notes.txt").read_text() == "keep me"


def test_a_sweep_of_one_lever_has_that_lever_as_its_dimension(small_dir, tmp_path):
    """Issue 17, item 8: a grid of a single lever used to crash (nothing to unstack)."""
    from simcore.analysis.sweep import run_sweep_file

    config = tmp_path / "one.toml"
    config.write_text((small_dir / "run.toml").read_text().split("[sweep]")[0].replace(
        'model = "small.toml"', f'model = "{small_dir / "small.toml"}"')
        + '[sweep]\nlevers = [{ path = "stockpile.gov_stock_days.gallium", values = [0, 10, 30] }]\n')
    result, store_path = run_sweep_file(config, scenarios=8, output=tmp_path / "one.zarr", log=lambda *a: None)
    lever = "stockpile.gov_stock_days.gallium"
    assert result.table[lever].values.tolist() == [0, 10, 30]
    days = result.table["expected_shortage_days"].sel(product="gallium").values
    assert np.all(np.diff(days) <= 1e-9)  # more stock, never more shortage (same scenarios)
    assert xr.open_zarr(store_path)[lever].size == 3


# ----------------------------------------------------------------------------- uncertainty of the analysis

def _per_scenario_coalitions(config, n_scenarios=16):
    """Per-scenario risk outcomes ``[C, n]`` of the pillar coalitions of all-three, in memory."""
    import dataclasses

    from simcore.analysis.shapley import resolve_players
    from simcore.run.runner import Simulation, simulate
    from simcore.schema.errors import Problems

    levers = resolve_players(config, "pillars", Problems("test"))
    n = len(levers)
    masks = np.arange(2 ** n)
    member = (masks[:, None] >> np.arange(n)[None, :]) & 1 == 1
    full = next(p.policy for p in config.policies if p.name == "all-three")
    fields = lever_paths.coalition_fields(full, no_policy(config.loaded.model), levers, member, "policy")
    sim = dataclasses.replace(Simulation.from_config(config), policies=lever_paths.stacked(fields),
                              policy_names=[f"c{m}" for m in masks])
    data = simulate(sim, n_scenarios, chunk_size=8)
    days = data["shortage_days"].values.astype(np.float64)  # [C, n, P]
    return {"expected_shortage_days_total": days.sum(axis=-1),
            "p_any_shortage": (days > 0).any(axis=-1).astype(np.float64),
            "expected_value_added_loss": data["value_added_loss"].values.astype(np.float64).sum(axis=-1)}


def test_shapley_se_is_the_se_of_the_per_scenario_linear_combination(config, pillars):
    """Brute force: per scenario, the Shapley value from all orders of the players and
    the dividends by inclusion-exclusion; their std / sqrt(n) is the attribution's SE."""
    import itertools

    outcomes = _per_scenario_coalitions(config)
    n_players = pillars.sizes["player"]
    orders = list(itertools.permutations(range(n_players)))
    for metric, level in outcomes.items():
        gain = level[0][None] - level  # [C, n]: v(S) per scenario
        phi = np.zeros((n_players, gain.shape[1]))
        for order in orders:
            mask = 0
            for player in order:
                phi[player] += (gain[mask | (1 << player)] - gain[mask]) / len(orders)
                mask |= 1 << player
        n = gain.shape[1]
        np.testing.assert_allclose(phi.mean(axis=1), pillars[metric].values, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(pillars[f"{metric}_scenario_se"].values, phi.std(axis=1, ddof=1) / np.sqrt(n),
                                   rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(pillars[f"{metric}_se"].values, pillars[f"{metric}_scenario_se"].values)  # exact
        # pairwise and three-way dividends: inclusion-exclusion per scenario
        three = gain[7] - gain[3] - gain[5] - gain[6] + gain[1] + gain[2] + gain[4] - gain[0]
        pair01 = gain[3] - gain[1] - gain[2] + gain[0]
        dividend_se = pillars[f"{metric}_dividend_se"].values
        np.testing.assert_allclose(dividend_se[7], three.std(ddof=1) / np.sqrt(n), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(dividend_se[3], pair01.std(ddof=1) / np.sqrt(n), rtol=1e-7, atol=1e-9)
        np.testing.assert_allclose(pillars[f"{metric}_single_se"].values,
                                   [gain[1 << i].std(ddof=1) / np.sqrt(n) for i in range(n_players)],
                                   rtol=1e-7, atol=1e-9)
        low, high = pillars[f"{metric}_low"].values, pillars[f"{metric}_high"].values
        np.testing.assert_allclose((high - low) / 2, 1.6448536269514722 * pillars[f"{metric}_se"].values,
                                   rtol=1e-12, atol=1e-12)
    # the sum over products of a per-product metric has the SE of the per-scenario total
    np.testing.assert_allclose(pillars["expected_shortage_days_summed_se"].values,
                               pillars["expected_shortage_days_total_se"].values, rtol=1e-9)


def test_attribution_table_shows_intervals_interactions_and_noise(pillars):
    from simcore.analysis.shapley import format_attribution

    text = format_attribution(pillars)
    assert "±" in text and "90 % interval" in text
    assert "pairwise: stockpile × diversification" in text
    assert "three-way: stockpile × diversification × recycling" in text
    # the null pillar of repair: diversification is the only one; the zero interaction terms are within noise
    assert "within noise" in text
    # singles + interaction orders add up to the all-players effect
    for metric in ("expected_shortage_days_total", "expected_value_added_loss"):
        parts = pillars[f"{metric}_single"].sum("player") + pillars[f"{metric}_interaction_order"].sum("order")
        np.testing.assert_allclose(parts.values, pillars[f"{metric}_all"].values, rtol=1e-9, atol=1e-6)


def test_waterfall_bars_equal_the_attribution(pillars):
    from simcore.report.attribution import waterfall_figure, waterfall_steps

    metric = "expected_shortage_days_total"
    fig = waterfall_figure(pillars, metric, caption="test")
    bars = {patch.get_gid(): patch for ax in fig.axes for patch in ax.patches if patch.get_gid()}
    running = 0.0
    for player in pillars["player"].values:
        bar = bars[f"waterfall:{metric}:single:{player}"]
        assert bar.get_height() == pytest.approx(float(pillars[f"{metric}_single"].sel(player=player)))
        assert bar.get_y() == pytest.approx(running)
        running += bar.get_height()
    for order in (2, 3):
        bar = bars[f"waterfall:{metric}:interaction:{order}"]
        assert bar.get_height() == pytest.approx(float(pillars[f"{metric}_interaction_order"].sel(order=order)))
        running += bar.get_height()
    assert bars[f"waterfall:{metric}:all"].get_height() == pytest.approx(float(pillars[f"{metric}_all"]))
    assert running == pytest.approx(float(pillars[f"{metric}_all"]), abs=1e-9)
    steps = waterfall_steps(pillars, "expected_peak_price_change")  # per product: summed
    assert steps[-1][2] == pytest.approx(float(pillars["expected_peak_price_change_all"].sum()))
    sampled = pillars.drop_vars([v for v in pillars.data_vars if "interaction_order" in v])
    with pytest.raises(ValueError, match="needs an exact attribution"):
        waterfall_steps(sampled, metric)


def test_sweep_effects_have_paired_intervals_and_rank_by_net_benefit(sweep):
    from simcore.analysis.costs import ranking_table

    config, spec, result = sweep
    table = result.table
    for name in ("net_benefit_per_year", "avoided_value_added_loss_per_year", "avoided_shortage_days_per_year",
                 "cost_per_avoided_value_added_loss", "expected_shortage_days_total_reduction", "total_cost"):
        se = table[f"{name}_se"].values
        finite = np.isfinite(table[name].values)
        assert np.all(se[finite] >= 0)
        np.testing.assert_allclose(table[f"{name}_high"].values[finite] - table[name].values[finite],
                                   1.6448536269514722 * se[finite], rtol=1e-12, atol=1e-9)
    # the point (0, 0) is no policy: zero effect with zero paired SE (the same scenarios)
    zero = table.isel({"stockpile.gov_stock_days.gallium": 0, "repair_spare": 0})
    assert float(zero["expected_shortage_days_total_reduction_se"]) == 0.0
    # ranks follow the net benefit, largest first
    net = table["net_benefit_per_year"].values.ravel()
    rank = table["rank"].values.ravel()
    assert np.all(np.diff(net[np.argsort(rank)]) <= 1e-9)
    p = result.ranking["p_beats"].values
    off = ~np.eye(p.shape[0], dtype=bool)
    np.testing.assert_allclose((p + p.T)[off], 1.0, atol=1e-12)  # P(A beats B) + P(B beats A) = 1
    flat = table.stack(point=spec.dims).reset_index("point", drop=True).rename({"point": "policy"})
    text = ranking_table(flat.drop_vars([d for d in spec.dims if d in flat.coords]))
    assert "±" in text and "P(beats next)" in text


def test_cost_effectiveness_hand_computed_paired_se():
    """Three mixes on four scenarios, per-scenario outcomes by hand: the SEs of the
    avoided loss, the cost, the net benefit and the ratio are those of the paired
    per-scenario numbers."""
    from simcore.analysis.evaluate import PairedResult
    from simcore.analysis.intervals import Moments

    loss = np.array([[10.0, 20.0, 30.0, 40.0], [8.0, 15.0, 21.0, 30.0], [10.0, 12.0, 30.0, 20.0]])  # [M, n]
    days = np.array([[3.0, 4.0, 5.0, 6.0], [2.0, 2.0, 4.0, 5.0], [3.0, 1.0, 5.0, 2.0]])
    crisis = np.array([[0.0] * 4, [1.0, 2.0, 0.0, 1.0], [0.0, 3.0, 0.0, 5.0]])
    money = np.stack([days[0] - days, loss[0] - loss, crisis], axis=-1)  # [M, n, 3]
    moments = Moments.of(np.moveaxis(money, 1, 0))
    net_per_scenario = (loss[0] - loss) - crisis
    paired = PairedResult(["ref", "a", "b"], ["x"], gains=None, money=moments, contrasts=None,
                          pairwise=Moments.of(net_per_scenario.T), thresholds=np.zeros(3))
    fixed = np.array([0.0, 3.0, 1.0])
    policies = ["ref", "a", "b"]
    costs = xr.Dataset({"total_cost": ("policy", fixed + crisis.mean(axis=1), {"units": "USD / year"})},
                       coords={"policy": policies})
    risk = xr.Dataset({"expected_shortage_days_total": ("policy", days.mean(axis=1)),
                       "expected_value_added_loss": ("policy", loss.mean(axis=1))}, coords={"policy": policies})
    out = cost_effectiveness(costs, risk, "ref", horizon_days=365, paired=paired)
    se = lambda x: x.std(ddof=1) / 2.0  # noqa: E731  n = 4
    np.testing.assert_allclose(out["avoided_value_added_loss_per_year_se"].values,
                               [se(loss[0] - loss[m]) for m in range(3)])
    np.testing.assert_allclose(out["total_cost_se"].values, [se(crisis[m]) for m in range(3)])
    np.testing.assert_allclose(out["net_benefit_per_year_se"].values, [se(net_per_scenario[m]) for m in range(3)],
                               atol=1e-12)
    # hand values: mix a avoids 6.5 on average (scenario gains 2, 5, 9, 10), mix b 7 (0, 8, 0, 20)
    assert float(out["avoided_value_added_loss_per_year_se"].sel(policy="a")) == pytest.approx(
        np.std([2, 5, 9, 10], ddof=1) / 2)
    # delta method for cost / avoided loss of mix a, by hand
    a_cost, a_avoid = fixed[1] + crisis[1], loss[0] - loss[1]
    r = a_cost.mean() / a_avoid.mean()
    by_hand = np.sqrt(np.var(a_cost, ddof=1) - 2 * r * np.cov(a_cost, a_avoid)[0, 1]
                      + r ** 2 * np.var(a_avoid, ddof=1)) / (2.0 * a_avoid.mean())
    assert float(out["cost_per_avoided_value_added_loss_se"].sel(policy="a")) == pytest.approx(by_hand)
    # P(a beats b) from the paired difference of their net benefits
    from scipy.stats import norm

    d = net_per_scenario[1] - net_per_scenario[2] - (fixed[1] - fixed[2])
    assert float(out["p_beats"].sel(policy="a", other="b")) == pytest.approx(norm.cdf(d.mean() / se(d)))
    assert list(out["rank"].values) == list(np.argsort(np.argsort(-out["net_benefit_per_year"].values)) + 1)
