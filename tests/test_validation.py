"""Model files and configs: every problem is reported at once, naming the field."""

import tomllib

import numpy as np
import pytest

from simcore import InputError, load_config, load_model, parse_config, parse_model
from tests.shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small


def fields(error: InputError) -> list[str]:
    return [field for field, _ in error.problems]


def test_demo_model_loads_with_sources_for_every_number():
    loaded = load_model("models/demo_critical_materials.toml")
    assert "gallium" in loaded.products and "cable_repair_service" in loaded.products
    assert loaded.sectors == ["materials", "electronics", "machinery", "automotive", "services"]
    # gross output is the Leontief solution of the file's table
    a = np.asarray(loaded.model.technical_coefficients, dtype=np.float64)
    f = np.asarray(loaded.model.final_demand, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(loaded.model.gross_output), np.linalg.solve(np.eye(5) - a, f), rtol=1e-5)
    service = loaded.products.index("cable_repair_service")
    assert float(loaded.model.storable[service]) == 0.0


def test_model_errors_are_all_reported_together():
    raw = tomllib.loads(SMALL_MODEL)
    gallium, repair = raw["products"]
    gallium["import_share"] = {"CN": 0.8, "XX": 0.2}  # unknown origin
    del gallium["price"]  # required
    gallium["sources"].pop("inventory_days")  # a number without a source
    repair["inventory_days"] = 3  # a service cannot hold stock
    raw["io"]["technical_coefficients"] = [[0.6, 0.2], [0.5, 0.1]]  # column sum >= 1
    raw["model"]["allocation"] = "random"
    with pytest.raises(InputError) as info:
        parse_model(raw)
    named = fields(info.value)
    message = str(info.value)
    assert any("import_share.XX" in f for f in named)
    assert any(f.endswith(".price") for f in named)
    assert any("sources.inventory_days" in f for f in named)
    assert any(f.endswith(".inventory_days") and "sources" not in f for f in named)
    assert "io.technical_coefficients" in named
    assert "model.allocation" in named and "proportional, priority" in message
    assert "allowed: CN, AU" in message


def test_shares_must_add_up():
    raw = tomllib.loads(SMALL_MODEL)
    raw["products"][0]["import_share"] = {"CN": 0.8, "AU": 0.1}
    raw["products"][0]["domestic_share"] = 0.5
    raw["products"][0]["sources"]["domestic_share"] = "assumption: test"
    with pytest.raises(InputError) as info:
        parse_model(raw)
    assert "must sum to 1" in str(info.value)


def test_config_errors_are_all_reported_together(tmp_path):
    loaded = load_model(write_small(tmp_path).parent / "small.toml")
    raw = tomllib.loads(SMALL_CONFIG)
    raw["run"]["horizon_days"] = 0
    raw["events"][0]["origin"] = "MARS"
    raw["events"][0]["products"] = ["gallium", "unobtainium"]
    raw["events"][1]["hazard_per_year"] = 1.0  # both onset and hazard
    raw["events"][1]["severity"] = 1.5
    raw["policies"][0]["stockpile"]["release_rate"] = -1
    raw["policies"][0]["stockpile"]["gov_stock_days"] = {"repair": 10}  # a service
    raw["policies"][1]["diversification"]["import_share"] = {"gallium": {"CN": 0.1, "AU": 0.1}}
    raw["policies"][1]["pillar"] = {}
    raw["policies"].append({"name": "stock"})
    with pytest.raises(InputError) as info:
        parse_config(raw, loaded=loaded)
    named = fields(info.value)
    message = str(info.value)
    for expected in ("run.horizon_days", "events[0].origin", "events[0].products.unobtainium", "events[1]",
                     "events[1].severity", "policies[0].stockpile.release_rate",
                     "policies[0].stockpile.gov_stock_days.repair", "policies[1].diversification.import_share.gallium",
                     "policies[1].pillar", "policies[2].name"):
        assert expected in named, (expected, named)
    assert "must be one of CN, AU" in message
    assert "services cannot be stockpiled" in message
    assert "allowed: description, diversification, name, recycling, stockpile" in message


def test_missing_files_give_clear_errors(tmp_path):
    with pytest.raises(InputError, match="file not found"):
        load_config(tmp_path / "nope.toml")
    config = write_small(tmp_path, SMALL_CONFIG.replace("small.toml", "missing.toml"))
    with pytest.raises(InputError, match="run.model"):
        load_config(config)
    bad = tmp_path / "bad.toml"
    bad.write_text("[run\n")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(bad)


def test_quickstart_config_is_valid():
    config = load_config("configs/quickstart.toml")
    assert config.policies[0].name == "no-policy"
    assert [p.name for p in config.policies[1:]] == ["stockpile-60d", "diversify", "recycle-reduce", "all-three"]


PRODUCT_ONLY_MODEL = SMALL_MODEL.split("[io]")[0].replace("use = { electronics = 1.0 }\n", "").replace(
    "use = { services = 1.0 }\n", "").replace('use = "assumption: test"\n', "")


def test_model_without_io_table_loads_as_product_only():
    loaded = parse_model(tomllib.loads(PRODUCT_ONLY_MODEL))
    assert loaded.sectors == ["all products"] and loaded.products == ["gallium", "repair"]
    m = loaded.model
    assert np.asarray(m.technical_coefficients).shape == (1, 1)
    # the pseudo-sector buys every product: yearly value of the basket
    np.testing.assert_allclose(np.asarray(m.final_demand), [(10 * 100 + 1 * 1000) * 365.0], rtol=1e-6)


def test_sector_tables_without_io_are_refused():
    raw = tomllib.loads(PRODUCT_ONLY_MODEL)
    raw["products"][0]["use"] = {"electronics": 1.0}
    raw["products"][0]["sources"]["use"] = "assumption: test"
    with pytest.raises(InputError) as info:
        parse_model(raw)
    assert fields(info.value) == ["products[0] (gallium).use"]
    assert "needs an [io] table" in str(info.value) and "'all products'" in str(info.value)


def test_names_and_sources_must_match():
    raw = tomllib.loads(SMALL_MODEL)
    raw["products"][1]["name"] = "gallium"  # twice
    raw["products"][0]["sources"]["inventory_day"] = "assumption: typo"  # names no field
    raw["products"][0]["sources"]["price"] = ""  # empty source
    raw["io"]["critical_upstream"] = [["electronics", "mining"]]
    raw["io"]["priority"] = ["services"]
    with pytest.raises(InputError) as info:
        parse_model(raw)
    got = dict(info.value.problems)
    assert "product names must be unique" in got["products[1] (gallium).name"]
    assert got["products[0] (gallium).sources.inventory_day"].startswith("names no field of this table; allowed: ")
    assert "citation" in got["products[0] (gallium).sources.price"]
    assert "electronics, services" in got["io.critical_upstream[0]"]
    assert "every sector once" in got["io.priority"]
    assert len(got) == 5, got


def test_missing_tables_and_wrong_types_are_named():
    with pytest.raises(InputError) as info:
        parse_model({"products": [{"name": "x", "demand_per_day": 1, "price": 2, "storable": "yes"}], "extra": 1})
    got = dict(info.value.problems)
    assert got["model"].startswith("is required: a [model] table")
    assert got["products[0] (x).storable"] == "must be true or false, got 'yes'"
    assert got["extra"] == "unknown field; allowed: importers, io, model, products"
    assert "sources.demand_per_day" in " ".join(got)


def test_config_schema_problems_are_reported_even_without_a_model(tmp_path):
    config = write_small(tmp_path, "[run]\nscenarios = 0\n[[events]]\norigin = 'CN'\nbogus = 1\n")
    with pytest.raises(InputError) as info:
        load_config(config)
    named = fields(info.value)
    for expected in ("run.scenarios", "run.model", "events[0].bogus", "events[0].products"):
        assert expected in named, named
