"""The Japan reference model: provenance of every number, share sums, the IO table, and
that the committed files are what ``models/build_japan.py`` generates.

Run: ``.venv/bin/python -m pytest -q tests/test_japan_model.py``
"""

from __future__ import annotations

import csv
import importlib.util
import re
import sys
import tomllib
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
MODEL = ROOT / "models" / "japan_critical_minerals.toml"
DATA = ROOT / "models" / "data"


def _load_build_module():
    spec = importlib.util.spec_from_file_location("build_japan", ROOT / "models" / "build_japan.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules["build_japan"] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


build = _load_build_module()


@pytest.fixture(scope="module")
def raw():
    with MODEL.open("rb") as f:
        return tomllib.load(f)


@pytest.fixture(scope="module")
def tree():
    return build.build_model()


# ---------------------------------------------------------------- provenance
def test_clean_build_has_no_problems(tree):
    assert build.validate_tree(tree) == []
    assert build.validate_assumptions(build.ASSUMPTIONS) == []


def test_validation_refuses_a_bare_number(tree):
    tampered = dict(tree)
    products = [dict(p) for p in tree["products"]]
    products[0]["price"] = 0.0665  # a bare number: no source
    tampered["products"] = products
    problems = build.validate_tree(tampered)
    assert len(problems) == 1
    assert "products[gallium].price = 0.0665 has no source" in problems[0]


@pytest.mark.parametrize("source, why", [
    ("", "has no source"),
    ("assumption:", "without a reason"),
    ("computed: from a spreadsheet somewhere", "cites no file of models/data/"),
    ("USGS says so", "must start with"),
])
def test_validation_refuses_unqualified_sources(tree, source, why):
    tampered = dict(tree)
    products = [dict(p) for p in tree["products"]]
    products[3]["import_share"] = dict(products[3]["import_share"])
    products[3]["import_share"]["MM"] = build.Sourced(0.57, source)
    tampered["products"] = products
    problems = build.validate_tree(tampered)
    assert len(problems) == 1 and problems[0].startswith("products[antimony].import_share.MM = 0.57")
    assert why in problems[0]


def test_validation_refuses_assumption_without_reason_or_outside_range():
    table = dict(build.ASSUMPTIONS)
    table["usd_jpy"] = replace(table["usd_jpy"], reason="")
    table["exp_ndfeb"] = replace(table["exp_ndfeb"], value=0.5)  # range 0.05-0.25
    problems = build.validate_assumptions(table)
    assert any(p.startswith("assumption usd_jpy") and "needs a reason" in p for p in problems)
    assert any(p.startswith("assumption exp_ndfeb = 0.5 lies outside its range") for p in problems)


def test_build_fails_with_nonzero_exit_naming_the_number(monkeypatch, capsys):
    original = build.build_model

    def tampered():
        model = original()
        model["io"]["final_demand"][2] = 1.3e8  # bare number
        return model

    monkeypatch.setattr(build, "build_model", tampered)
    assert build.main(["--check"]) == 1
    err = capsys.readouterr().err
    assert "FAILED" in err and "io.final_demand[2] = 130000000.0 has no source" in err


def _source_parts(text):
    """A field whose numbers have several sources lists them as '1) ... | 2) ...'."""
    if not isinstance(text, str):
        return [text]
    return [re.sub(r"^\d+\) ", "", part.strip()) for part in text.split(" | ")]


def test_every_numeric_field_in_the_file_has_a_source_entry(raw):
    for prod in raw["products"]:
        sources = prod["sources"]
        for key, value in prod.items():
            if key in ("name", "unit", "hs_code", "description", "storable", "recipe_inputs", "sources"):
                continue
            if isinstance(value, dict) and not value:
                continue
            if key == "segments":  # each segment has its own sources table
                for segment in value:
                    for field, number in segment.items():
                        if field in ("name", "description", "sources") or number == {}:
                            continue
                        for part in _source_parts(segment["sources"].get(field)):
                            assert build.source_problem(part) is None, (prod["name"], segment["name"], field, part)
                continue
            for part in _source_parts(sources.get(key)):
                assert build.source_problem(part) is None, (prod["name"], key, part)
    for key in ("technical_coefficients", "final_demand", "value_added"):
        assert build.source_problem(raw["io"]["sources"][key]) is None


def test_generated_files_are_up_to_date():
    """The committed model and configs equal a fresh build (`build_japan.py --check`)."""
    outputs = build.build()
    for path, text in outputs.items():
        assert path.read_text(encoding="utf-8") == text, f"{path.name} is stale: run python models/build_japan.py"
    assert build.main(["--check"]) == 0


# ---------------------------------------------------------------- shares
def _central(value):
    """The model's own value of a number or a distribution (triangular mode, uniform
    midpoint, lognormal median)."""
    if not isinstance(value, dict):
        return value
    if "mode" in value:
        return value["mode"]
    if "median" in value:
        return value["median"]
    return (value["low"] + value["high"]) / 2


def test_import_shares_plus_domestic_sum_to_one(raw):
    """At central values (a drawn import share keeps the row's total, docs/uncertainty.md)."""
    origins = set(raw["model"]["origins"])
    for prod in raw["products"]:
        shares = {o: _central(v) for o, v in prod.get("import_share", {}).items()}
        assert set(shares) <= origins
        total = sum(shares.values()) + prod["domestic_share"]
        assert total == pytest.approx(1.0, abs=1e-9), prod["name"]
        assert all(0 <= v <= 1 for v in shares.values())


def test_world_shares_are_shares_of_world(raw):
    for prod in raw["products"]:
        ws = prod.get("world_share", {})
        assert all(0 <= v <= 1 for v in ws.values())
        assert sum(ws.values()) <= 1.0 + 1e-9, prod["name"]


def test_shares_trace_to_the_data_rows(raw):
    """Hand-checked figures from models/data/: antimony Dec-2024 (167/62/61 of 293 t),
    graphite ~90% China, rare earths 70% China; gallium's world shares are of the traded market
    (test_market_numbers_trace_to_the_data_rows)."""
    prods = {p["name"]: p for p in raw["products"]}
    sb = prods["antimony"]["import_share"]
    assert sb["MM"] == pytest.approx(167 / 293, abs=1e-6)
    assert sb["VN"] == pytest.approx(62 / 293, abs=1e-6)
    assert sb["KR"] == pytest.approx(61 / 293, abs=1e-6)
    assert "CN" not in sb
    assert prods["natural_graphite"]["import_share"]["CN"] == pytest.approx(0.90, abs=1e-5)
    assert prods["ndpr_oxide"]["import_share"]["CN"] == pytest.approx(0.70)
    # gallium (JOGMEC 2021): use 167 t, imports 97 t of which 55 t from China, the other 42 t in ROW
    # (no origin split sourced); domestic supply 167 - 97 = 70 t
    ga = prods["gallium"]
    assert ga["demand_per_day"] * 365 == pytest.approx(167000, rel=1e-9)
    assert ga["import_share"] == {"CN": pytest.approx(55 / 167, abs=1e-6), "ROW": pytest.approx(42 / 167, abs=1e-6)}
    assert ga["domestic_share"] == pytest.approx(70 / 167, abs=1e-6)
    assert sum(ga["import_share"].values()) + ga["domestic_share"] == pytest.approx(1.0, abs=1e-9)
    # antimony price: 10.24 USD/lb x 2204.62262 lb/t x 151.5 JPY/USD / 1e6
    assert prods["antimony"]["price"] == pytest.approx(10.24 * 2204.62262 * 151.5 / 1e6, rel=1e-9)


def test_recipes_are_multi_tier_and_acyclic(raw):
    recipes = {p["name"]: p.get("recipe_inputs", []) for p in raw["products"]}
    assert set(recipes["ndfeb_magnet"]) == {"ndpr_oxide", "dysprosium", "terbium"}
    assert recipes["smco_magnet"] == ["samarium"]

    def visit(name, path):
        assert name not in path, " -> ".join(path + [name])
        for child in recipes[name]:
            visit(child, path + [name])

    for name in recipes:
        visit(name, [])


def test_services_are_not_storable(raw):
    services = [p for p in raw["products"] if p.get("storable") is False]
    assert {p["name"] for p in services} == {"cable_repair_vessel", "satellite_launch"}
    assert all(p["inventory_days"] == 0 for p in services)


# ---------------------------------------------------------------- IO table
def _source_gross_output() -> dict[str, float]:
    with (DATA / "japan_io_sectors.csv").open(newline="", encoding="utf-8") as f:
        return {r["col_sector"][:2]: float(r["value_jpy_million"]) for r in csv.DictReader(f)
                if r["row_type"] == "derived"}


def test_io_table_reproduces_the_source_gross_output(raw):
    """X = (I - A)^-1 f of the generated file equals the table's gross output within 0.1%."""
    a = np.array(raw["io"]["technical_coefficients"])
    f = np.array(raw["io"]["final_demand"])
    x = np.linalg.solve(np.eye(len(f)) - a, f)
    gross = _source_gross_output()
    expected = np.array([gross[c] for c in sorted(gross)])
    assert len(expected) == 13
    np.testing.assert_allclose(x, expected, rtol=1e-3)
    assert (a >= 0).all() and (a.sum(axis=0) < 1).all() and (f >= 0).all()


def test_value_added_plus_inputs_equal_gross_output(raw):
    """Column identity of the source table: total (domestic + imported) intermediate
    inputs + value added (rows 71, 91-95) = gross output, for every sector."""
    io = build.io_table()
    with (DATA / "japan_io_sectors.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    inputs = {}
    for r in rows:
        if r["row_type"] == "industry" and r["col_type"] == "industry":
            inputs[r["col_sector"][:2]] = inputs.get(r["col_sector"][:2], 0.0) + float(r["value_jpy_million"])
    va = np.array(raw["io"]["value_added"])
    total = np.array([inputs[c] for c in io["codes"]]) + va
    np.testing.assert_allclose(total, io["gross_output"], rtol=1e-12)
    # Japan's 2011 gross value added is about 477 trillion yen (sum of the sectors)
    assert va.sum() == pytest.approx(476_905_256, rel=1e-9)


# ---------------------------------------------------------------- loading and configs
def test_model_loads_with_simcore():
    from simcore.schema.modelfile import load_model
    loaded = load_model(MODEL)
    # 14 products; NdFeB magnets in 4 user segments
    assert len(loaded.products) == 14 + 3 and len(loaded.sectors) == 13 and len(loaded.origins) == 10
    gross = np.asarray(loaded.model.gross_output, dtype=np.float64)
    expected = _source_gross_output()
    np.testing.assert_allclose(gross, [expected[c] for c in sorted(expected)], rtol=1e-3)
    # every product's cost share of a sector's output stays tiny: prices are in JPY million
    assert float(np.asarray(loaded.model.cost_share).max()) < 0.01


@pytest.mark.parametrize("name", ["japan_timeline.toml", "japan_outlook.toml"])
def test_configs_load(name):
    from simcore.schema.config import load_config
    config = load_config(ROOT / "configs" / name)
    assert config.policies[0].name == "no-policy" and len(config.policies) >= 3
    if name == "japan_outlook.toml":
        assert config.horizon_days == 1095 and config.scenarios <= 2000


# ---------------------------------------------------------------- uncertainty the data cannot remove
def test_assumption_ranges_become_triangular_distributions(raw, tree):
    """inventory_days, lead_time_days, exposure and assumed demand are triangular draws whose
    low/mode/high are the ASSUMPTIONS table's range and central value."""
    prods = {p["name"]: p for p in raw["products"]}
    inv = build.ASSUMPTIONS["inventory_days_minerals"]
    assert prods["germanium"]["inventory_days"] == {"low": inv.low, "mode": inv.value, "high": inv.high}
    # gallium: high = 'up to about six months' (Yomiuri 2023) x 30 days; low and mode assumed
    assert prods["gallium"]["inventory_days"] == {"low": build.ASSUMPTIONS["ga_inventory_days_low"].value,
                                                  "mode": build.ASSUMPTIONS["ga_inventory_days_mode"].value,
                                                  "high": 6 * 30}
    assert prods["gallium"]["inventory_days"]["low"] < prods["gallium"]["inventory_days"]["mode"] < 180
    lead = build.ASSUMPTIONS["lead_time_days"]
    assert prods["ndfeb_magnet"]["lead_time_days"] == {"low": lead.low, "mode": lead.value, "high": lead.high}
    exp = build.ASSUMPTIONS["exp_ndfeb"]
    dom = build.ASSUMPTIONS["ndfeb_domestic_share"].value
    # magnets: one product whose users are segments; the product keeps the whole exposure
    # (the segments take it in proportion to their demand shares) and Japan's whole use
    magnet = prods["ndfeb_magnet"]
    got = magnet["exposure"]["manufacturing"]
    assert (got["low"], got["mode"], got["high"]) == pytest.approx((exp.low, exp.value, exp.high))
    segments = {s["name"]: s for s in magnet["segments"]}
    assert sum(s["demand_share"] for s in segments.values()) == pytest.approx(1.0, abs=1e-5)
    assert segments["made_in_japan"]["demand_share"] == pytest.approx(dom, abs=1e-5)
    tiers = build.ASSUMPTIONS["magnets_direct_inventory_days"]
    levels = [segments[name]["inventory_days"]["mode"] for name, _ in build.MAGNET_STOCK_TIERS]
    assert levels == [tiers.low, tiers.value, tiers.high]
    # China's share of Japan's use stays (1 - domestic share) x China's share of the imports
    cn = build.ASSUMPTIONS["magnet_import_cn_of_imports"].value
    assert magnet["import_share"]["CN"] == pytest.approx((1 - dom) * cn, abs=1e-6)
    assert all(s["import_share"]["CN"] == pytest.approx(cn) for n, s in segments.items() if n != "made_in_japan")
    # germanium demand = assumed kg/yr / 365: the draw spans 10,000-40,000 kg/yr
    ge = prods["germanium"]["demand_per_day"]
    assert ge["low"] * 365 == pytest.approx(10000) and ge["mode"] * 365 == pytest.approx(20000)
    assert ge["high"] * 365 == pytest.approx(40000)
    # magnets: demand proportional to the assumed production, 6,000-15,000 around 10,000 t/yr
    nd = magnet["demand_per_day"]
    assert nd["low"] / nd["mode"] == pytest.approx(0.6) and nd["high"] / nd["mode"] == pytest.approx(1.5)
    assert nd["mode"] * 365 == pytest.approx(build.ASSUMPTIONS["ndfeb_production_t"].value * 1000 / dom)
    # gallium: use is the JOGMEC figure (data), not a draw
    assert prods["gallium"]["demand_per_day"] == pytest.approx(167000 / 365, rel=1e-9)
    for prod in raw["products"]:
        for key in ("inventory_days", "lead_time_days", "demand_per_day"):
            if isinstance(prod.get(key), dict):
                assert prod["sources"][key].startswith("assumption:") and "range" in prod["sources"][key]
    # the build refuses a distribution whose mode lies outside its range
    tampered = dict(tree)
    products = [dict(p) for p in tree["products"]]
    products[0]["inventory_days"] = build.Distributed(20.0, 100.0, 90.0, "assumption: a reason that is long enough")
    tampered["products"] = products
    problems = build.validate_tree(tampered)
    assert len(problems) == 1 and "products[gallium].inventory_days" in problems[0] and "low <= mode <= high" in problems[0]


def test_hidden_links_are_labelled_and_supplied(raw):
    """Every hidden link is a labelled assumption with a reason and a triangular share, and
    its origin really supplies the product in the model (import or world share)."""
    links = [(p["name"], link) for p in raw["products"] for link in p.get("hidden_dependence", [])]
    assert len(links) == len(build.HIDDEN_LINKS) >= 10
    seen = {(name, link["origin"], link.get("on_product", name)) for name, link in links}
    assert {("ndfeb_magnet", "VN", "dysprosium"), ("ndfeb_magnet", "VN", "ndpr_oxide"),
            ("natural_graphite", "KR", "natural_graphite"), ("germanium", "ROW", "germanium")} <= seen
    prods = {p["name"]: p for p in raw["products"]}
    for name, link in links:
        prod = prods[name]
        assert link["origin"] in set(prod.get("import_share", {})) | set(prod.get("world_share", {}))
        assert link["on_origin"] == "CN"
        share = link["share"]
        assert 0 <= share["low"] < share["high"] <= 1 and share["low"] <= share["mode"] <= share["high"]
        assert prod["sources"]["hidden_dependence"].lstrip("0123456789) ").startswith("assumption:")
    # gallium: no link modelled yet (refiners outside China, ROW, take part of their feed from China, CSIS
    # 2025; see docs/model-japan.md)
    assert "hidden_dependence" not in prods["gallium"]
    assert build.validate_hidden_links(build.HIDDEN_LINKS) == []
    bad = build.HiddenLink("antimony", "KR", "CN", None, 0.5, 0.9, 0.8, "short")
    problems = build.validate_hidden_links([bad])
    assert len(problems) == 2 and "low <= mode <= high" in problems[0] and "needs a reason" in problems[1]


def test_loaded_model_carries_uncertainty_and_hidden_links():
    from simcore.schema.modelfile import load_model
    loaded = load_model(MODEL)
    model = loaded.model
    assert model.uncertainty is not None and model.hidden is not None
    # every link once, the direct magnet buyers' links once per segment supplied from the link's origin
    segments = loaded.segments["ndfeb_magnet"]
    direct = [n for n in segments if n != "ndfeb_magnet.made_in_japan"]
    magnet_links = [link for link in build.HIDDEN_LINKS if link.product == "ndfeb_magnet_direct"]
    assert len(np.asarray(model.hidden.share)) == len(build.HIDDEN_LINKS) + (len(direct) - 1) * len(magnet_links)
    assert not any(name.startswith("ndfeb_magnet.made_in_japan") for name in loaded.hidden_links)
    # the central values are the model's own: inventory 90 days (mode) for gallium
    gallium = list(loaded.products).index("gallium")
    assert float(np.asarray(model.inventory_days)[gallium]) == pytest.approx(90.0)
    assert "products.gallium.inventory_days" in loaded.uncertain["inventory_days"]


@pytest.mark.slow  # engine-heavy (the Japan outlook twice); the hidden links by hand: test_uncertainty
def test_hidden_dependence_effect_runs_on_the_outlook():
    """simcore.run.hidden on configs/japan_outlook.toml, a handful of scenarios: the paired
    difference is with - without, finite, one per policy."""
    from simcore.run.hidden import hidden_dependence_effect
    from simcore.run.runner import Simulation
    from simcore.schema.config import load_config
    config = load_config(ROOT / "configs" / "japan_outlook.toml")
    sim = Simulation.from_config(config)
    ds = hidden_dependence_effect(sim, 8, chunk_size=8)
    added = np.asarray(ds["hidden_shortage_days_total"])
    assert added.shape == (len(config.policies),) and np.isfinite(added).all()
    for name in ("shortage_days_total", "value_added_loss_total"):
        with_h = np.asarray(ds[name].sel(case="with_hidden"), dtype=np.float64)
        without = np.asarray(ds[name].sel(case="without_hidden"), dtype=np.float64)
        assert np.isfinite(with_h).all() and np.isfinite(without).all()
        np.testing.assert_allclose(np.asarray(ds[f"hidden_{name}"]), with_h - without,
                                   rtol=1e-6, atol=1e-6 * max(1.0, float(np.abs(without).max())))


# ---------------------------------------------------------------- world market (docs/model-japan.md)
WORLD_FIELDS = ("world_stock_days", "world_storage_elasticity", "world_precaution_days", "world_price_elasticity",
                "world_demand_elasticity_long", "world_demand_adjust_days", "world_supply_response",
                "world_supply_elasticity", "world_supply_response_days", "market_sourcing_share",
                "market_sourcing_days", "restock_headroom")
DRAWN_FIELDS = ("world_stock_days", "world_storage_elasticity", "world_precaution_days", "world_price_elasticity",
                "world_demand_elasticity_long", "world_supply_response", "market_sourcing_share",
                "market_sourcing_days")


def test_every_material_has_the_world_market_fields_sourced_and_drawn(raw):
    prods = {p["name"]: p for p in raw["products"]}
    materials = [m for m in build.MATERIALS if m != "ndfeb_magnet_direct"]  # a segment of ndfeb_magnet
    assert set(materials) <= set(prods)
    for name in materials:
        prod = prods[name]
        for key in WORLD_FIELDS:
            assert key in prod, (name, key)
            for part in _source_parts(prod["sources"][key]):
                assert build.source_problem(part) is None, (name, key, part)
        for key in DRAWN_FIELDS:
            value = prod[key]
            assert isinstance(value, dict) and value["low"] < value["high"], (name, key)
            assert value["low"] <= value["mode"] <= value["high"], (name, key)
            assert "range" in prod["sources"][key], (name, key)
    for service in ("cable_repair_vessel", "satellite_launch"):
        assert "world_stock_days" not in prods[service]
    # the old one-episode antimony calibration is gone
    assert not hasattr(build, "calibrated_world_price_elasticity")
    assert all("CALIBRATED" not in p["sources"].get("world_price_elasticity", "") for p in raw["products"])


def test_market_numbers_trace_to_the_data_rows(raw):
    """Gallium: China's share of the TRADED market from its pre-control exports (mean of
    5,611 and 6,480 kg/month x 12 = 72,546 kg) against primary production outside China (Russia
    6 t, Japan 3 t) and secondary gallium outside China (0.4 scrap feed, CSIS, x 320 t refined
    world, USGS, x (1 - 0.5 China's share, CSIS) = 64 t, in ROW): market 145,546 kg; Japan's
    weight = its imports 97 t (JOGMEC 2021) / market; US consumer stocks 3,410 / 18,700 x 365 =
    66.6 days; idle capacity 7 + 4 t running."""
    prods = {p["name"]: p for p in raw["products"]}
    ga = prods["gallium"]
    exports = 12 * (5611 + 6480) / 2
    secondary = 0.4 * 320000 * (1 - 0.5)
    assert secondary == 64000
    market = exports + 6000 + 3000 + secondary
    assert market == pytest.approx(145546)
    assert ga["world_share"]["CN"] == pytest.approx(exports / market, abs=1e-4)
    assert ga["world_share"]["RU"] == pytest.approx(6000 / market, abs=1e-4)
    assert ga["world_share"]["ROW"] == pytest.approx((3000 + secondary) / market, abs=1e-4)
    assert ga["world_demand_weight"] == pytest.approx(97000 / market, abs=1e-4)
    for row, value in (("ga_jp_use_2021", 167000), ("ga_jp_imports_2021", 97000), ("ga_jp_imports_cn_2021", 55000),
                       ("ga_jp_domestic_2021", 70000), ("ga_world_refined_2024", 320000), ("ga_cn_refined_share", 0.5),
                       ("ga_refined_outside_cn", 160000), ("ga_jp_refiner_feed_scrap", 0.4),
                       ("ga_jp_inventory_max_months", 6)):
        assert build.mp(row) == value
    stock_factor = (build.calibration_posterior() or {"stock": (1.0, 1.0, 1.0)})["stock"][1]
    assert ga["world_stock_days"]["mode"] == pytest.approx(66.6 * stock_factor, rel=1e-5)  # x the calibrated factor
    assert ga["world_supply_response"]["low"] == pytest.approx(11000 / market, rel=1e-4)
    assert "market_parameters.csv" in ga["sources"]["world_share"]
    # graphite: China's ~17,000 t/month exports against 2024 production outside China
    gr = prods["natural_graphite"]
    assert 0.3 < gr["world_share"]["CN"] < 0.6
    # every row the builder reads exists in models/data/market_parameters.csv with a source
    with (DATA / "market_parameters.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert all(r["source"].strip() and r["param_id"] for r in rows)
    assert len({r["param_id"] for r in rows}) == len(rows)
    assert build.mp("ga_us_consumer_stock_days") == 66.6


def test_magnet_segments_keep_todays_totals(raw):
    """The built model's magnet segments (expanded by the loader) keep Japan's totals: use,
    China's share of it and the exposure; the direct buyers hold less stock than the
    users of domestic magnets, the lean tier least."""
    from simcore.schema.modelfile import parse_model

    loaded = parse_model(raw)
    names = loaded.segments["ndfeb_magnet"]
    assert names == [f"ndfeb_magnet.{n}" for n in ("made_in_japan", "direct_lean", "direct_typical", "direct_stocked")]
    idx = [loaded.products.index(n) for n in names]
    m = loaded.model
    demand = np.asarray(m.demand_per_day, dtype=np.float64)[idx]
    dom = build.ASSUMPTIONS["ndfeb_domestic_share"].value
    cn = build.ASSUMPTIONS["magnet_import_cn_of_imports"].value
    production = build.ASSUMPTIONS["ndfeb_production_t"].value * 1000 / 365
    assert demand.sum() == pytest.approx(production / dom, rel=1e-5)
    assert demand[0] / demand.sum() == pytest.approx(dom, rel=1e-5)
    china = np.asarray(m.import_share, dtype=np.float64)[idx, loaded.origins.index("CN")]
    assert (china * demand).sum() / demand.sum() == pytest.approx((1 - dom) * cn, rel=1e-5)
    manufacturing = loaded.sectors.index("manufacturing")
    exposure = np.asarray(m.exposure, dtype=np.float64)[idx, manufacturing]
    assert exposure.sum() == pytest.approx(build.ASSUMPTIONS["exp_ndfeb"].value, rel=1e-5)
    stock = np.asarray(m.inventory_days, dtype=np.float64)[idx]
    assert stock[1] < stock[2] < stock[3] and stock[1] < stock[0]
    # every event that names magnets names the product (all its segments), never one segment
    for cfg in ("japan_timeline.toml", "japan_outlook.toml"):
        with (ROOT / "configs" / cfg).open("rb") as f:
            config = tomllib.load(f)
        for ev in config["events"]:
            assert not any(str(n).startswith("ndfeb_magnet.") for n in ev["products"]), (cfg, ev["name"])


def test_timeline_regimes_and_overlap(raw):
    with (ROOT / "configs" / "japan_timeline.toml").open("rb") as f:
        config = tomllib.load(f)
    events = {e["name"]: e for e in config["events"]}
    ga = events["CN licensing Ga (2023-08)"]
    assert ga["licence_delay_days"] == 61 and 0 < ga["approval_easing"] <= 1
    assert ga["severity"] == pytest.approx(1 - (1530 / 6045.5 + 2760 / 2 / 6045.5 + 1214 / 6045.5) / 3, abs=1e-3)
    re = events["CN licensing medium/heavy REE and magnets (2025-04)"]
    assert re["licence_delay_days"] == 69 and re["approval_easing"] == pytest.approx(1 - 0.4 / 0.75, abs=1e-3)
    sb = events["CN licensing antimony (2024-09)"]
    assert sb["world_loss_share"] == pytest.approx(0.74) and 0 < sb["leakage_share"] < 0.5
    overlap = raw["io"]["input_overlap"]["manufacturing"]
    assert overlap == build.ASSUMPTIONS["input_overlap_manufacturing"].value
    assert build.source_problem(raw["io"]["sources"]["input_overlap"]) is None


def test_calibrated_market_numbers_are_the_sourced_ones_times_the_posterior(raw, monkeypatch):
    """Every calibrated world-market field = the sourced triangular (low, mode, high) x the
    posterior's (5 %, 50 %, 95 %) factor of market_calibration.csv, and says so."""
    posterior = build.calibration_posterior()
    assert posterior is not None, "models/data/market_calibration.csv ships with the repository"
    monkeypatch.setattr(build, "CALIBRATED", False)
    plain = {p["name"]: p for p in build.build_products()}
    by_name = {p["name"]: p for p in raw["products"]}
    checked = 0
    for name, field in build.CALIBRATED_FIELDS.items():
        f5, f50, f95 = posterior[name]
        for product, spec in plain.items():
            if field not in spec or product not in by_name:
                continue
            base = spec[field]
            low, mode, high = ((base.low, base.mode, base.high) if isinstance(base, build.Distributed)
                               else (base.value,) * 3)
            got = by_name[product][field]
            assert got["low"] == pytest.approx(low * f5, rel=1e-5)
            assert got["mode"] == pytest.approx(mode * f50, rel=1e-5)
            assert got["high"] == pytest.approx(high * f95, rel=1e-5)
            assert f"calibrated factor {name}" in by_name[product]["sources"][field]
            checked += 1
    assert checked >= 4 * 10
