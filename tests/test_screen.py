"""The chokepoint screen (simcore.analysis.screen, ``simcore screen``, docs/screening.md) on a
tiny model whose losses are computed by hand: one sector with value added 10,000 a day,
product ``ga`` (exposure 0.1, critical, no stock, imports CN 0.6 and AU 0.4; half of the
AU supply depends on CN ga: a hidden link), ``solo`` (exposure 0.05, CN only) and
``unused`` (no users). A loss of share ``c`` of a product's supply for ``D`` days loses
``10,000 x exposure x c x D``. One screen per module (one compiled shape), a second with
other chunk sizes for the invariance test."""

from __future__ import annotations

import numpy as np
import pytest

from simcore.analysis import screen as SC
from simcore.analysis.screen_units import model_units, supply_shares

def product(name: str, extra: str = "", **fields) -> str:
    """A ``[[products]]`` block of the tiny model: no stock, no transit, every field
    given as TOML text with the source "assumption: test"."""
    fields = {"demand_per_day": "1.0", "price": "1.0", "inventory_days": "0", "lead_time_days": "0", **fields}
    body = "".join(f"{key} = {value}\n" for key, value in fields.items())
    sources = "".join(f'{key} = "assumption: test"\n' for key in fields if key != "recipe_inputs")
    return f'\n[[products]]\nname = "{name}"\n{body}[products.sources]\n{sources}{extra}'


CRITICAL = dict(use="{ electronics = 1.0 }", essentiality='{ electronics = "critical" }')
TINY_MODEL = ("""[model]
name = "tiny"
currency = "USD"
origins = ["CN", "AU"]
[model.sources]
origins = "assumption: test"
""" + product("ga", 'hidden_dependence = "assumption: test"\n[[products.hidden_dependence]]\norigin = "AU"\n'
                    'on_origin = "CN"\nshare = 0.5\ndescription = "ga from AU depends on CN ga"\n',
              demand_per_day="10.0", import_share="{ CN = 0.6, AU = 0.4 }", exposure="{ electronics = 0.1 }",
              **CRITICAL)
    + product("solo", import_share="{ CN = 1.0 }", exposure="{ electronics = 0.05 }", **CRITICAL)
    + product("unused", import_share="{ AU = 1.0 }") + """
[io]
sectors = ["electronics"]
technical_coefficients = [[0.0]]
final_demand = [3650000.0]
[io.sources]
technical_coefficients = "assumption: test"
final_demand = "assumption: test"
""")

CONFIG = """[run]
model = "tiny.toml"
scenarios = 16
horizon_days = 120
chunk_size = 16
seed = 3

[screen]
scenarios = 16
bootstrap = 40
chunk_cases = 4
chunk_scenarios = 8
disruptions = [
  { name = "full-30", duration_days = 30 },
  { name = "full-90", duration_days = 90 },
  { name = "partial-90", severity = 0.5, duration_days = 90 },
  { name = "hazard", kind = "hazard" },
]

[[events]]
name = "CN ban"
origin = "CN"
products = ["ga"]
hazard_per_year = 3.0
duration_median_days = 20
duration_sigma = 0.5
severity_alpha = 3.0
severity_beta = 2.0

[[policies]]
name = "stock"
[policies.stockpile]
gov_stock_days = { ga = 30 }
"""

VA_PER_DAY = 10_000.0


def write(tmp_path, config=CONFIG):
    (tmp_path / "tiny.toml").write_text(TINY_MODEL)
    path = tmp_path / "run.toml"
    path.write_text(config)
    return path


@pytest.fixture(scope="module")
def screened(tmp_path_factory):
    path = write(tmp_path_factory.mktemp("screen"))
    ds, settings = SC.screen_file(path, {"policies": ["no-policy", "stock"]}, log=lambda *a: None)
    return path, ds


def loss(ds, unit, disruption, policy="no-policy"):
    return float(ds["expected_loss"].sel(policy=policy, unit=unit, disruption=disruption))


def test_losses_by_hand(screened):
    _, ds = screened
    # the whole product for 30 days: 10,000 x 0.1 x 30
    assert loss(ds, "ga", "full-30") == pytest.approx(VA_PER_DAY * 0.1 * 30, rel=1e-5)
    # CN's 0.6 and, through the hidden link, half of AU's 0.4: fill 0.2
    assert loss(ds, "ga from CN", "full-90") == pytest.approx(VA_PER_DAY * 0.1 * 0.8 * 90, rel=1e-5)
    assert loss(ds, "ga from AU", "full-90") == pytest.approx(VA_PER_DAY * 0.1 * 0.4 * 90, rel=1e-5)
    # the hidden link alone: half of AU's 0.4
    assert loss(ds, "ga from AU on ga from CN", "full-90") == pytest.approx(VA_PER_DAY * 0.1 * 0.2 * 90, rel=1e-5)
    # half of everything, the hidden link on the cut CN supply too: fill 0.3 + 0.4 x 0.5 x 0.75 = 0.45
    assert loss(ds, "ga", "partial-90") == pytest.approx(VA_PER_DAY * 0.1 * 0.55 * 90, rel=1e-5)
    assert loss(ds, "solo", "full-90") == pytest.approx(VA_PER_DAY * 0.05 * 90, rel=1e-5)
    # no stock: short from the alarm on, in every scenario
    row = ds.sel(policy="no-policy", unit="ga", disruption="full-30")
    assert float(row["p_shortage"]) == 1.0 and float(row["time_to_survive"]) == 0.0
    assert float(row["cvar95_loss"]) == pytest.approx(float(row["expected_loss"]), rel=0.011)
    # the hazard: annual loss = E[loss over 120 days] x 365 / 120; only units the CN event hits have one
    hazard = loss(ds, "ga", "hazard")
    assert hazard > 0
    assert float(ds["annual_loss"].sel(policy="no-policy", unit="ga")) == pytest.approx(hazard * 365 / 120)
    assert np.isnan(loss(ds, "ga from AU", "hazard")) and np.isnan(loss(ds, "solo", "hazard"))
    assert float(ds["hazard_probability"].sel(unit="ga")) == pytest.approx(1 - np.exp(-3.0))
    # the hidden link's hazard is the CN event reaching AU's supply: a fifth of the product's
    assert loss(ds, "ga from AU on ga from CN", "hazard") < hazard


def test_common_random_numbers_make_losses_monotone(screened):
    _, ds = screened
    el = ds["expected_loss"].sel(policy="no-policy")
    for unit in ds["unit"].values:
        u = el.sel(unit=unit)
        assert float(u.sel(disruption="full-30")) <= float(u.sel(disruption="full-90")) + 1e-6
        assert float(u.sel(disruption="partial-90")) <= float(u.sel(disruption="full-90")) + 1e-6
    # a product loses at least as much as any of its links, on the same scenarios
    for link in ("ga from CN", "ga from AU", "ga from AU on ga from CN"):
        for d in ("full-30", "full-90", "partial-90"):
            assert loss(ds, link, d) <= loss(ds, "ga", d) + 1e-6
    # a mix in force never loses more than no policy; the 30-day stock of ga covers the 30-day loss
    for unit in ds["unit"].values:
        for d in ("full-30", "full-90", "partial-90"):
            assert loss(ds, unit, d, "stock") <= loss(ds, unit, d) + 1e-6
    assert loss(ds, "ga", "full-30", "stock") < 0.2 * loss(ds, "ga", "full-30")


def test_ranking_and_a_unit_without_users_ranks_last(screened):
    _, ds = screened
    rank = ds["rank"].sel(policy="no-policy", disruption="full-90")
    assert float(rank.sel(unit="ga")) == 1 and float(rank.sel(unit="ga from CN")) == 2
    assert float(rank.sel(unit="unused")) == float(rank.max())
    assert loss(ds, "unused", "full-90") == 0.0
    # the losses here do not vary over scenarios: every rank interval is the rank itself
    low = ds["rank_low"].sel(policy="no-policy", disruption="full-90")
    high = ds["rank_high"].sel(policy="no-policy", disruption="full-90")
    assert np.array_equal(low.values, rank.values) and np.array_equal(high.values, rank.values)
    beats = ds["beats_next"].sel(policy="no-policy", disruption="full-90")
    assert float(beats.sel(unit="ga")) == 1.0  # ga loses more than ga from CN in every replicate
    text = SC.format_screen(ds)
    assert "ga from AU on ga from CN" in text and "[1,1]" in text


def test_single_points_of_failure(screened):
    _, ds = screened
    spof = dict(zip(ds["unit"].values, ds["spof"].values))
    confirmed = dict(zip(ds["unit"].values, ds["spof_confirmed"].values))
    # the sole source of solo, and the whole of ga, stop electronics' exposed output
    assert spof["solo"] and spof["solo from CN"] and spof["ga"]
    assert confirmed["solo"] and confirmed["solo from CN"] and confirmed["ga"]
    # a link that leaves another origin's supply is none; nor is a product without users
    assert not spof["ga from CN"] and not spof["ga from AU"] and not spof["unused"]
    assert "solo -> electronics" in str(ds["spof_sectors"].sel(unit="solo from CN").values)


def test_supply_shares_follow_recipes(tmp_path):
    from simcore.schema.analysis_config import read_analysis_config

    recipe = TINY_MODEL.replace(product("unused", import_share="{ AU = 1.0 }"), product(
        "unused", import_share="{ AU = 0.5 }", domestic_share="0.5", recipe_inputs='["solo"]'), 1)
    (tmp_path / "tiny.toml").write_text(recipe)
    (tmp_path / "run.toml").write_text(CONFIG)
    config, _, _ = read_analysis_config(tmp_path / "run.toml", "screen")
    units = {u.name: u for u in model_units(config.loaded)}
    rows = config.loaded.products
    sigma = supply_shares(config.loaded, units["solo from CN"])
    # solo stops entirely, and with it the domestic half of unused (its recipe input)
    assert sigma[rows.index("solo")] == 1.0 and sigma[rows.index("unused")] == pytest.approx(0.5)
    assert supply_shares(config.loaded, units["unused from AU"])[rows.index("unused")] == pytest.approx(0.5)


HOME_PRODUCTS = (product("mag", domestic_share="1.0", recipe_inputs='["solo"]', exposure="{ electronics = 0.1 }",
                         **CRITICAL)
                 + product("te", domestic_share="1.0", exposure="{ electronics = 0.02 }", **CRITICAL) + "\n[io]")


def test_recipe_links_and_domestic_producers(tmp_path):
    # mag: made at home only, from solo (a critical recipe input); te: a sole domestic producer
    (tmp_path / "tiny.toml").write_text(TINY_MODEL.replace("\n[io]", HOME_PRODUCTS, 1))
    path = tmp_path / "run.toml"
    path.write_text(CONFIG)
    ds, _ = SC.screen_file(path, {"units": ["mag needs solo", "te domestic", "solo"], "scenarios": 4,
                                  "bootstrap": 0, "rank_by": "full-30"}, log=lambda *a: None)
    assert list(ds["kind"].values) == ["product", "recipe", "domestic"]
    # the link's failure stops mag's domestic output: 10,000 x 0.1 x 30; te's: 10,000 x 0.02 x 30
    assert loss(ds, "mag needs solo", "full-30") == pytest.approx(VA_PER_DAY * 0.1 * 30, rel=1e-5)
    assert loss(ds, "te domestic", "full-90") == pytest.approx(VA_PER_DAY * 0.02 * 90, rel=1e-5)
    # solo's own loss reaches mag through the engine's recipe, a day late (yesterday's fill): nested
    # losses (the larger counts), day 0 solo's 0.05, days 1-30 mag's 0.1
    assert loss(ds, "solo", "full-30") == pytest.approx(VA_PER_DAY * (0.05 + 0.1 * 30), rel=1e-4)
    assert all(ds["spof_confirmed"].values)  # each stops a critical exposed output alone
    assert np.isnan(loss(ds, "te domestic", "hazard"))  # no hazard of its own in the config


def test_rank_intervals_over_parameter_points(tmp_path):
    # solo's exposure uncertain, triangular 0.05 / 0.1 / 0.2: below ga's 0.1 at some points of a 4-point Latin
    # hypercube (the lowest stratum, u < 1/4, is below the mode's CDF 1/3), above it at others
    model = TINY_MODEL.replace("exposure = { electronics = 0.05 }", "exposure = { electronics = { low = 0.05, "
                                                                   "mode = 0.1, high = 0.2 } }", 1)
    (tmp_path / "tiny.toml").write_text(model)
    path = tmp_path / "run.toml"
    path.write_text(CONFIG)
    ds, _ = SC.screen_file(path, {"units": ["ga", "solo"], "scenarios": 3, "points": 4, "bootstrap": 10,
                                  "rank_by": "full-30"}, log=lambda *a: None)
    view = ds.sel(policy="no-policy", disruption="full-30")
    assert list(view["point_rank_low"].values) == [1, 1] and list(view["point_rank_high"].values) == [2, 2]
    # the expected loss is the mean over the points (each on the same 3 scenarios), within solo's range
    assert VA_PER_DAY * 0.05 * 30 < loss(ds, "solo", "full-30") < VA_PER_DAY * 0.2 * 30
    assert loss(ds, "ga", "full-30") == pytest.approx(VA_PER_DAY * 0.1 * 30, rel=1e-5)
    assert "[points]" in SC.format_screen(ds)


def test_chunk_sizes_do_not_change_the_results(screened, tmp_path):
    path, ds = screened
    # scenario chunks of 2: before run_cases padded them to 4 lanes a device, compiling a sub-model program
    # for 2 lanes aborted the process inside LLVM ('Cannot select: X86ISD::SUBV_BROADCAST_LOAD')
    other, _ = SC.screen_file(path, {"policies": ["no-policy", "stock"], "chunk_cases": 5, "chunk_scenarios": 2},
                              log=lambda *a: None)
    for key in ("expected_loss", "p_shortage", "time_to_survive", "annual_loss", "rank", "rank_low", "rank_high",
                "q95_loss", "cvar95_loss"):
        a, b = ds[key].values, other[key].values
        assert np.allclose(a, b, rtol=1e-9, atol=1e-6, equal_nan=True), key


def test_report_draws_the_three_figures(screened, tmp_path):
    from simcore.report import write_report

    _, ds = screened
    store = tmp_path / "screen.zarr"
    SC.to_store(ds, store)
    report = write_report(store)
    for name in ("screen_matrix", "screen_ranking", "screen_graph"):
        assert name in report.figures and report.files[name].exists()
    bars = {a.get_gid(): a for a in report.figures["screen_ranking"].axes[0].patches if a.get_gid()}
    assert bars["bar:ga"].get_width() == pytest.approx(loss(ds, "ga", "full-90"))
    points = {c.get_gid(): c for c in report.figures["screen_matrix"].axes[0].collections if c.get_gid()}
    x, y = points["unit:solo from CN"].get_offsets()[0]
    assert x == pytest.approx(1.0) and y == pytest.approx(loss(ds, "solo from CN", "full-90"))
    edges = {line.get_gid(): line for line in report.figures["screen_graph"].axes[0].lines if line.get_gid()}
    assert edges["edge:ga from CN (tier 3)->ga from AU"].get_linestyle() == "--"  # the hidden tier, dashed
    assert "edge:ga->electronics" in edges
    assert "Chokepoint screen" in report.index.read_text()


# --------------------------------------------------------------------------- bad input: one line, status 2, no store

@pytest.mark.parametrize("extra, args, expected", [
    ("", ["--units", "ga", "ga from XX"], "unknown unit 'ga from XX'"),
    ("disruptions = []\n", [], "screen.disruptions: must not be empty"),
    ("max_lane_days = 1000\n", [], "over the size cap"),
    ("", ["--policies", "nothing"], "must be one of"),
])
def test_bad_input_is_one_line_and_no_store(tmp_path, capsys, extra, args, expected):
    from simcore.cli import main

    text = CONFIG.replace("[screen]\n", "[screen]\n" + extra, 1)
    if extra.startswith("disruptions"):
        start = text.index("disruptions = [\n")
        text = text[:start] + text[text.index("]\n", text.index("hazard", start)) + 2:]
    path = write(tmp_path, text)
    out = tmp_path / "out.zarr"
    status = main(["screen", str(path), "--output", str(out), *args])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and expected in err[0], err
    assert not out.exists()


def test_a_recipe_link_inherits_its_inputs_hazard_weighted_by_share(tmp_path):
    # mag needs solo (solo: CN 1.0), mag2 needs ga (ga: CN 0.6, AU 0.4), both exposures 0.1; the CN ban hits ga
    # and solo with weight 1: it cuts all of mag's input and 0.6 of mag2's, on the same draws (slot 0 of both
    # cases), so mag2's hazard loses 0.6 x mag's (no stock: the loss is linear in the cut share)
    extra = (product("mag", domestic_share="1.0", recipe_inputs='["solo"]', exposure="{ electronics = 0.1 }",
                     **CRITICAL)
             + product("mag2", domestic_share="1.0", recipe_inputs='["ga"]', exposure="{ electronics = 0.1 }",
                       **CRITICAL) + "\n[io]")
    (tmp_path / "tiny.toml").write_text(TINY_MODEL.replace("\n[io]", extra, 1))
    path = tmp_path / "run.toml"
    path.write_text(CONFIG.replace('products = ["ga"]\nhazard_per_year', 'products = ["ga", "solo"]\nhazard_per_year'))
    ds, _ = SC.screen_file(path, {"units": ["mag needs solo", "mag2 needs ga"], "scenarios": 6, "bootstrap": 0,
                                  "rank_by": "full-30"}, log=lambda *a: None)
    mag, mag2 = loss(ds, "mag needs solo", "hazard"), loss(ds, "mag2 needs ga", "hazard")
    assert mag > 0 and mag2 == pytest.approx(0.6 * mag, rel=1e-5)
    assert list(ds["hazard_per_year"].values) == [3.0, 3.0]
    assert float(ds["annual_loss"].sel(policy="no-policy", unit="mag needs solo")) == pytest.approx(mag * 365 / 120)


def test_recipe_hazard_slots_by_hand(tmp_path):
    from simcore.analysis.screen_disruptions import hazard_slots
    from simcore.schema.analysis_config import read_analysis_config

    extra = product("mag2", domestic_share="1.0", recipe_inputs='["ga"]', exposure="{ electronics = 0.1 }",
                    **CRITICAL) + "\n[io]"
    (tmp_path / "tiny.toml").write_text(TINY_MODEL.replace("\n[io]", extra, 1))
    path = tmp_path / "run.toml"
    path.write_text(CONFIG)
    config, _, _ = read_analysis_config(path, "screen")
    s = SC.settings_from({}, {"units": ["mag2 needs ga"]}, config=config)
    [unit] = SC.with_carriers(config, SC.select_units(model_units(config.loaded), s), s.policies)
    rows = config.loaded.products
    [slot] = hazard_slots(config.events, unit, len(config.loaded.origins), config.loaded.model.import_share)
    # the CN ban (weight 1 on ga) cuts CN's 0.6 of ga: 0.6 of mag2's domestic output, on its carrier origin
    weights = dict(zip(rows, slot["product_weight"]))
    assert weights["mag2"] == pytest.approx(0.6) and sum(weights.values()) == pytest.approx(0.6)
    assert int(np.argmax(slot["origin_onehot"])) == unit.slots[0][0] and not slot["world_weight"].any()
    assert float(slot["hazard_per_year"]) == 3.0
