"""The declarative schema: issue-5 fields mapped onto the core pytrees, refusals,
every problem named at once, and the JSON Schema export."""

import json
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest

from simcore import InputError, load_model, parse_config, parse_model
from simcore.schema import json_schema, write_json_schema
from simcore.schema.modelfile import find_cycle
from simcore.schema.spec import ConfigSpec, ModelFileSpec, ProductSpec, needs_source
from tests.shell_fixtures import SMALL_CONFIG, SMALL_MODEL, small_model_with_new_fields

ROOT = Path(__file__).resolve().parents[1]


def fields(error: InputError) -> list[str]:
    return [field for field, _ in error.problems]


def problems_of(call, *args, **kwargs) -> dict[str, str]:
    with pytest.raises(InputError) as info:
        call(*args, **kwargs)
    return dict(info.value.problems)


@pytest.fixture(scope="module")
def small_loaded():
    return parse_model(tomllib.loads(SMALL_MODEL))


# --------------------------------------------------------------------------- new model fields

def test_new_product_fields_are_mapped_onto_the_model():
    loaded = parse_model(small_model_with_new_fields())
    m = loaded.model
    # gallium gives world shares (unlisted AU: 0); repair keeps its import shares (AU 0.5)
    np.testing.assert_allclose(np.asarray(m.world_share), [[0.98, 0.0], [0.0, 0.5]], rtol=1e-6)
    # gallium 0.2; repair defaults to its price_elasticity (0.5)
    np.testing.assert_allclose(np.asarray(m.world_price_elasticity), [0.2, 0.5], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(m.world_demand_weight), [0.05, 0.0], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(m.cover_horizon_days), [20.0, 30.0])
    # transit per origin: CN given (30), AU falls back to gallium's lead time (2); repair: 0
    np.testing.assert_allclose(np.asarray(m.transit_days), [[30.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(np.asarray(m.storage_room_days), [10.0, 0.0])
    # sectors: electronics, services. gallium exposes 2 % of electronics; repair the whole of services
    np.testing.assert_allclose(np.asarray(m.exposure), [[0.02, 0.0], [0.0, 1.0]], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(m.essentiality), [[0.5, 1.0], [1.0, 1.0]])
    np.testing.assert_allclose(np.asarray(m.value_added), [100000.0, 900000.0])


def test_essentiality_classes_map_to_levels():
    raw = small_model_with_new_fields()
    raw["products"][0]["use"] = {"electronics": 0.5, "services": 0.3}
    raw["products"][0]["exposure"] = {"electronics": 0.1}
    raw["products"][0]["essentiality"] = {"electronics": "non-critical", "services": "critical"}
    raw["products"][1]["essentiality"] = {"services": "important"}
    raw["products"][1]["sources"]["essentiality"] = "assumption: test"
    m = parse_model(raw).model
    np.testing.assert_allclose(np.asarray(m.essentiality), [[0.0, 1.0], [1.0, 0.5]])
    # unlisted used sector keeps the whole-sector exposure
    np.testing.assert_allclose(np.asarray(m.exposure)[0], [0.1, 1.0], rtol=1e-6)


def test_models_without_new_fields_keep_the_engine_defaults(small_loaded):
    m = small_loaded.model
    np.testing.assert_allclose(np.asarray(m.world_share), np.asarray(m.import_share))
    np.testing.assert_allclose(np.asarray(m.transit_days), [[2.0, 2.0], [0.0, 0.0]])
    np.testing.assert_allclose(np.asarray(m.exposure), [[1.0, 0.0], [0.0, 1.0]])
    # value added defaults to (1 - column sums of A) x gross output
    a = np.asarray(m.technical_coefficients, dtype=np.float64)
    np.testing.assert_allclose(np.asarray(m.value_added), (1 - a.sum(axis=0)) * np.asarray(m.gross_output), rtol=1e-5)


def test_new_fields_need_sources_and_valid_values():
    raw = small_model_with_new_fields()
    gallium = raw["products"][0]
    for key in ("world_share", "transit_days", "essentiality"):
        del gallium["sources"][key]
    gallium["world_share"] = {"CN": 0.9, "AU": 0.2, "MARS": 0.1}  # sums > 1, unknown origin
    gallium["world_demand_weight"] = 1.5
    gallium["cover_horizon_days"] = 0
    gallium["transit_days"] = {"CN": -1}
    gallium["exposure"] = {"services": 0.5}  # gallium has no use in services
    gallium["essentiality"] = {"electronics": "vital"}
    raw["io"]["value_added"] = [1.0, -2.0, 3.0]
    got = problems_of(parse_model, raw)
    g = "products[0] (gallium)"
    assert "missing" in got[f"{g}.sources.world_share"]
    assert "missing" in got[f"{g}.sources.transit_days"]
    assert "missing" in got[f"{g}.sources.essentiality"]
    assert got[f"{g}.world_share.MARS"] == "unknown origin; allowed: CN, AU"
    assert "at most 1" in got[f"{g}.world_share"] and "1.1" in got[f"{g}.world_share"]
    assert got[f"{g}.world_demand_weight"] == "must be in [0, 1], got 1.5"
    assert got[f"{g}.cover_horizon_days"] == "must be > 0, got 0"
    assert got[f"{g}.transit_days.CN"] == "must be in [0, 3650], got -1"
    assert "no use in sector 'services'" in got[f"{g}.exposure.services"]
    assert got[f"{g}.essentiality.electronics"] == "must be one of critical, important, non-critical, got 'vital'"
    assert got["io.value_added[1]"] == "must be >= 0, got -2"
    assert len(got) == 11, got


def test_value_added_must_have_one_number_per_sector():
    raw = small_model_with_new_fields()
    raw["io"]["value_added"] = [1.0, 2.0, 3.0]
    got = problems_of(parse_model, raw)
    assert got == {"io.value_added": "must be 2 numbers >= 0 (one per sector: electronics, services), got 3"}


def test_services_have_no_storage_room():
    raw = tomllib.loads(SMALL_MODEL)
    raw["products"][1]["storage_room_days"] = 5.0
    raw["products"][1]["sources"]["storage_room_days"] = "assumption: test"
    got = problems_of(parse_model, raw)
    assert list(got) == ["products[1] (repair).storage_room_days"] and "non-storable" in got[
        "products[1] (repair).storage_room_days"]


# --------------------------------------------------------------------------- refusals

def test_find_cycle_names_the_loop_from_the_closing_product():
    assert find_cycle({0: [1], 1: [2]}, 3) is None
    assert find_cycle({0: [1], 1: [0]}, 2) == [1, 0, 1]  # 1 needs 0 needs 1
    assert find_cycle({0: [1], 1: [2], 2: [0]}, 3) == [2, 0, 1, 2]
    assert find_cycle({0: [], 1: [2], 2: [3], 3: [1]}, 4) == [3, 1, 2, 3]


def test_recipe_cycle_is_refused_naming_the_cycle():
    raw = tomllib.loads((ROOT / "models/demo_critical_materials.toml").read_text())
    products = [p["name"] for p in raw["products"]]
    raw["products"][products.index("dysprosium")]["recipe_inputs"] = ["ndfeb_magnet"]
    got = problems_of(parse_model, raw)
    where = f"products[{products.index('ndfeb_magnet')}] (ndfeb_magnet).recipe_inputs"
    assert list(got) == [where]
    assert "ndfeb_magnet -> dysprosium -> ndfeb_magnet" in got[where]


def test_longer_recipe_cycle_is_refused():
    raw = tomllib.loads(SMALL_MODEL)
    third = json.loads(json.dumps(raw["products"][0]))
    third["name"] = "wafer"
    raw["products"].append(third)
    raw["products"][0]["recipe_inputs"] = ["wafer"]  # gallium needs wafer
    raw["products"][1]["recipe_inputs"] = ["gallium"]  # repair needs gallium
    raw["products"][2]["recipe_inputs"] = ["repair"]  # wafer needs repair
    got = problems_of(parse_model, raw)
    # depth-first from gallium: gallium -> wafer -> repair, whose input (gallium) closes the loop
    assert got == {"products[1] (repair).recipe_inputs":
                   "recipe inputs form a cycle: repair -> gallium -> wafer -> repair "
                   "(a product cannot need itself, directly or through other products)"}


def test_duplicate_event_names_are_refused(small_loaded):
    raw = tomllib.loads(SMALL_CONFIG)
    raw["events"][1]["name"] = raw["events"][0]["name"]
    got = problems_of(parse_config, raw, loaded=small_loaded)
    assert got == {"events[1].name": "'CN ban' is also the name of events[0]; event names must be unique"}


def test_onset_at_or_beyond_the_horizon_warns(small_loaded):
    raw = tomllib.loads(SMALL_CONFIG)  # horizon 120 days
    raw["events"][1]["onset_day"] = 120
    with pytest.warns(UserWarning, match=r"events\[1\] \(repair fleet\): onset_day 120 is at or beyond"):
        config = parse_config(raw, loaded=small_loaded)
    assert len(config.warnings) == 1 and "120 days" in config.warnings[0]
    raw["events"][1]["onset_day"] = 119
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert parse_config(raw, loaded=small_loaded).warnings == []


# --------------------------------------------------------------------------- events and policies

def test_event_occurrences_and_announcement_are_mapped(small_loaded):
    raw = tomllib.loads(SMALL_CONFIG)
    config = parse_config(raw, loaded=small_loaded)
    # hazard event: 4 occurrences by default; given event: 1
    np.testing.assert_array_equal(np.asarray(config.events.occurrence_allowed).sum(axis=1), [4, 1])
    np.testing.assert_array_equal(np.asarray(config.events.announcement_lead_days), [0.0, 0.0])
    raw["events"][0]["max_occurrences"] = 7
    raw["events"][1]["announcement_lead_days"] = 14
    config = parse_config(raw, loaded=small_loaded)
    np.testing.assert_array_equal(np.asarray(config.events.occurrence_allowed).sum(axis=1), [7, 1])
    np.testing.assert_array_equal(np.asarray(config.events.announcement_lead_days), [0.0, 14.0])


def test_bad_event_occurrences_are_refused(small_loaded):
    raw = tomllib.loads(SMALL_CONFIG)
    raw["events"][0]["max_occurrences"] = 51
    raw["events"][0]["announcement_lead_days"] = -1
    raw["events"][1]["max_occurrences"] = 2  # a given event
    got = problems_of(parse_config, raw, loaded=small_loaded)
    assert got == {
        "events[0].max_occurrences": "must be an integer in [1, 50], got 51",
        "events[0].announcement_lead_days": "must be in [0, 3650], got -1",
        "events[1].max_occurrences": "only applies with hazard_per_year (a given event, with onset_day, happens once)",
    }
    raw["events"][1].pop("max_occurrences")
    raw["events"][0]["max_occurrences"] = 2.0  # a float is not an integer
    raw["events"][0]["announcement_lead_days"] = 0
    assert list(problems_of(parse_config, raw, loaded=small_loaded)) == ["events[0].max_occurrences"]


def test_recycling_start_modes(small_loaded):
    raw = tomllib.loads(SMALL_CONFIG)
    raw["policies"].append({"name": "emergency", "recycling": {"share": 0.2, "start": "at-alarm"}})
    raw["policies"].append({"name": "mixed", "recycling": {"share": 0.2,
                                                           "start": {"gallium": "at-alarm", "*": "in-place"}}})
    config = parse_config(raw, loaded=small_loaded)
    start = {p.name: np.asarray(p.policy.recycling_start_at_alarm).tolist() for p in config.policies}
    assert start == {"no-policy": [0.0, 0.0], "stock": [0.0, 0.0], "diversify": [0.0, 0.0],
                     "emergency": [1.0, 1.0], "mixed": [1.0, 0.0]}
    raw["policies"][-1]["recycling"]["start"] = {"gallium": "later"}
    got = problems_of(parse_config, raw, loaded=small_loaded)
    assert got == {"policies[3].recycling.start.gallium": "must be one of in-place, at-alarm, got 'later'"}


# --------------------------------------------------------------------------- all problems at once

FIVE_PROBLEMS = SMALL_MODEL.replace(  # each replacement below adds one problem
    'lead_time_days = 2\n', 'lead_time_days = 2\nstorage_room_days = -3\ntransit_days = { CN = 30, JP = 10 }\n'
).replace(
    'name = "repair"\n', 'name = "repair"\nrecipe_inputs = ["gallium"]\nessentialty = { services = "critical" }\n'
).replace(
    'name = "gallium"\n', 'name = "gallium"\nrecipe_inputs = ["repair"]\n'
).replace(
    'final_demand = [350000.0, 1700000.0]\n', 'final_demand = [350000.0, 1700000.0]\nvalue_added = [1.0]\n'
).replace(  # sources for the new numbers, so that only the five problems remain
    'import_share = "assumption: test"\n', 'import_share = "assumption: test"\nstorage_room_days = "assumption: x"\n'
    'transit_days = "assumption: x"\n', 1
).replace('[io.sources]\n', '[io.sources]\nvalue_added = "assumption: test"\n')


def test_a_file_with_five_problems_lists_all_five(tmp_path):
    path = tmp_path / "five.toml"
    path.write_text(FIVE_PROBLEMS)
    with pytest.raises(InputError) as info:
        load_model(path)
    assert f"5 problem(s) in model file {path}" in str(info.value)
    got = dict(info.value.problems)
    assert list(got) == [  # in document order
        "products[0] (gallium).storage_room_days",
        "products[0] (gallium).transit_days.JP",
        "products[1] (repair).essentialty",
        "products[1] (repair).recipe_inputs",
        "io.value_added",
    ]
    assert got["products[0] (gallium).storage_room_days"] == "must be >= 0, got -3"
    assert got["products[0] (gallium).transit_days.JP"] == "unknown origin; allowed: CN, AU"
    assert got["products[1] (repair).essentialty"].startswith("unknown field; allowed: ")
    assert "essentiality" in got["products[1] (repair).essentialty"]
    assert "repair -> gallium -> repair" in got["products[1] (repair).recipe_inputs"]
    assert got["io.value_added"] == "must be 2 numbers >= 0 (one per sector: electronics, services), got 1"


def test_config_problems_across_sections_come_in_document_order(small_loaded):
    raw = tomllib.loads(SMALL_CONFIG)
    raw["policies"][0]["stockpile"]["gov_stock_days"] = {"gallium": True}  # a bool is no number
    raw["events"][1]["severity"] = float("nan")
    raw["run"]["seed"] = "7"  # a string is no integer
    raw["events"][0]["origin"] = "XX"
    got = problems_of(parse_config, raw, loaded=small_loaded)
    assert got == {
        "run.seed": "must be an integer in [0, 2147483647], got '7'",
        "events[0].origin": "must be one of CN, AU, got 'XX'",
        "events[1].severity": "must be a finite number in [0, 1], got nan",
        "policies[0].stockpile.gov_stock_days.gallium": "must be a number in [0, 3650], got True",
    }
    assert list(got) == sorted(got, key=lambda f: ("run", "events", "policies").index(f.split(".")[0].split("[")[0]))


# --------------------------------------------------------------------------- JSON Schema

SUPPORTED_KEYWORDS = {
    "$schema", "$defs", "$ref", "title", "description", "default", "type", "properties", "required",
    "additionalProperties", "items", "minItems", "maxItems", "uniqueItems", "minProperties", "minLength", "enum",
    "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "oneOf", "anyOf", "x-needs-source",
}
JSON_TYPES = {"object": dict, "array": list, "string": str, "boolean": bool}


def schema_errors(schema: dict, value, root: dict | None = None, where: str = "") -> list[str]:
    """A small JSON Schema checker for the keywords the exported schemas use (the
    ``jsonschema`` package is not a dependency)."""
    root = root or schema
    if "$ref" in schema:
        return schema_errors(root["$defs"][schema["$ref"].split("/")[-1]], value, root, where)
    errors = []
    for key in ("oneOf", "anyOf"):
        if key in schema:
            matches = sum(not schema_errors(option, value, root, where) for option in schema[key])
            if matches == 0 or (key == "oneOf" and matches > 1):
                errors.append(f"{where}: {matches} of {key} match")
    kind = schema.get("type")
    if kind in JSON_TYPES and not isinstance(value, JSON_TYPES[kind]):
        return errors + [f"{where}: not {kind}"]
    if kind in ("number", "integer"):
        if isinstance(value, bool) or not isinstance(value, int if kind == "integer" else (int, float)):
            return errors + [f"{where}: not {kind}"]
        if value < schema.get("minimum", -np.inf) or value > schema.get("maximum", np.inf):
            errors.append(f"{where}: out of range")
        if "exclusiveMinimum" in schema and value <= schema["exclusiveMinimum"]:
            errors.append(f"{where}: out of range")
        if "exclusiveMaximum" in schema and value >= schema["exclusiveMaximum"]:
            errors.append(f"{where}: out of range")
    if "enum" in schema and value not in schema["enum"]:
        errors.append(f"{where}: not in enum")
    if isinstance(value, str) and len(value) < schema.get("minLength", 0):
        errors.append(f"{where}: too short")
    if isinstance(value, list):
        if not schema.get("minItems", 0) <= len(value) <= schema.get("maxItems", len(value)):
            errors.append(f"{where}: wrong length")
        for i, item in enumerate(value):
            errors += schema_errors(schema.get("items", {}), item, root, f"{where}[{i}]")
    if isinstance(value, dict):
        if len(value) < schema.get("minProperties", 0):
            errors.append(f"{where}: too few keys")
        errors += [f"{where}.{key}: required" for key in schema.get("required", []) if key not in value]
        properties = schema.get("properties", {})
        extra = schema.get("additionalProperties", True)
        for key, item in value.items():
            if key in properties:
                errors += schema_errors(properties[key], item, root, f"{where}.{key}")
            elif extra is False:
                errors.append(f"{where}.{key}: not allowed")
            elif isinstance(extra, dict):
                errors += schema_errors(extra, item, root, f"{where}.{key}")
    return errors


def keywords(node) -> set[str]:
    if isinstance(node, list):
        return set().union(*map(keywords, node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = set(node)
    for key, value in node.items():
        if key in ("properties", "$defs"):
            found |= set().union(*map(keywords, value.values())) if value else set()
        elif key not in ("default", "enum", "required"):
            found |= keywords(value)
    return found


@pytest.mark.parametrize("kind", ["model", "config"])
def test_shipped_json_schemas_are_up_to_date(kind):
    shipped = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
    assert shipped == json_schema(kind), "regenerate with: python -m simcore.schema schemas"


def test_write_json_schema_round_trips(tmp_path):
    path = write_json_schema("config", tmp_path / "deep" / "config.schema.json")
    assert json.loads(path.read_text()) == json_schema("config")
    with pytest.raises(ValueError, match="allowed: model, config"):
        json_schema("policy")


@pytest.mark.parametrize("kind", ["model", "config"])
def test_json_schema_uses_only_checked_keywords(kind):
    schema = json_schema(kind)
    assert keywords(schema) <= SUPPORTED_KEYWORDS, keywords(schema) - SUPPORTED_KEYWORDS
    assert schema["$schema"].endswith("2020-12/schema") and schema["additionalProperties"] is False


def test_shipped_files_validate_against_the_json_schema():
    for path in sorted((ROOT / "configs").glob("*.toml")):  # the analysis sections too
        assert schema_errors(json_schema("config"), tomllib.loads(path.read_text())) == [], path
    for path in sorted((ROOT / "models").glob("*.toml")):
        assert schema_errors(json_schema("model"), tomllib.loads(path.read_text())) == [], path


def test_json_schema_rejects_what_the_loader_rejects_field_by_field():
    config = tomllib.loads((ROOT / "configs/quickstart.toml").read_text())
    config["run"]["horizon_days"] = 0
    config["events"][0]["severity_alpha"] = -1
    config["events"][1]["max_occurrences"] = 2.5
    config["policies"][0]["stockpile"]["gov_stock_days"]["gallium"] = "sixty"
    config["policies"][2]["recycling"]["start"] = "later"
    config["policies"][1]["pillar"] = {}
    errors = schema_errors(json_schema("config"), config)
    for where in (".run.horizon_days", ".events[0].severity_alpha", ".events[1].max_occurrences",
                  ".policies[0].stockpile.gov_stock_days", ".policies[2].recycling.start", ".policies[1].pillar"):
        assert any(e.startswith(where) for e in errors), (where, errors)
    model = tomllib.loads(SMALL_MODEL)
    model["products"][0]["essentiality"] = {"electronics": "vital"}
    del model["model"]["origins"]
    errors = schema_errors(json_schema("model"), model)
    assert ".model.origins: required" in errors
    assert any(e.startswith(".products[0].essentiality.electronics") for e in errors), errors


def test_sourced_fields_are_marked_in_the_schema():
    product = json_schema("model")["$defs"]["ProductSpec"]["properties"]
    marked = sorted(k for k, v in product.items() if v.get("x-needs-source"))
    assert marked == sorted(needs_source(ProductSpec))
    assert {"price", "world_share", "exposure", "essentiality", "transit_days"} <= set(marked)
    assert not {"name", "storable", "recipe_inputs", "sources"} & set(marked)
    assert set(ModelFileSpec.model_fields) == {"model", "products", "importers", "io"}
    assert set(ConfigSpec.model_fields) == {"run", "cluster", "sweep", "attribution", "optimize", "sobol",
                                            "robustness", "screen", "events", "policies", "costs"}


# ------------------------------------------------------------------ float32 (issue 17, item 7)

def _product_only(text: str) -> str:
    """SMALL_MODEL without its [io] table and sector uses: a product-only model."""
    text = text.split("[io]")[0]
    for line in ("use = { electronics = 1.0 }\n", "use = { services = 1.0 }\n", 'use = "assumption: test"\n'):
        text = text.replace(line, "")
    return text


def test_numbers_beyond_float32_are_refused_naming_the_field():
    """1e308 is finite in float64 but inf in the engine's float32: refused at the field,
    in a number and in a distribution, both named at once (it printed NaN with exit 0)."""
    text = SMALL_MODEL.replace("price = 100.0", "price = 1e308").replace(
        "inventory_days = 5", "inventory_days = { low = 1, mode = 2, high = 1e39 }")
    with pytest.raises(InputError) as info:
        parse_model(tomllib.loads(text))
    message = str(info.value)
    assert "products[0] (gallium).price" in message and "float32" in message and "1e+308" in message
    assert "products[0] (gallium).inventory_days" in message and "high must be at most 3.403e+38" in message


def test_a_model_that_overflows_float32_after_unit_conversion_is_refused_naming_the_field():
    """Each number fits float32, but demand x 365 does not: the built model's fields that
    became inf are named with their product or sector."""
    text = _product_only(SMALL_MODEL).replace("demand_per_day = 10.0", "demand_per_day = 3e38")
    with pytest.raises(InputError) as info:
        parse_model(tomllib.loads(text))
    message = str(info.value)
    assert "model.final_demand (all products): is inf" in message and "rescale the units" in message


def test_a_distribution_whose_dist_is_a_table_is_one_clear_problem():
    """dist = {} (or a list) was a TypeError (unhashable) instead of a message; found by
    the service's schema fuzzing through an event's leakage_share."""
    text = SMALL_MODEL.replace("inventory_days = 5", "inventory_days = { dist = {}, low = 1, high = 2 }")
    with pytest.raises(InputError, match=r"gallium\)\.inventory_days: dist must be one of triangular"):
        parse_model(tomllib.loads(text))


def test_a_bad_model_file_and_a_bad_run_section_are_reported_together(tmp_path):
    """Issue 17, item 9: the model file's problems came alone, and the config's [run]
    problems only after the model was fixed."""
    from simcore import load_config

    config = tmp_path / "run.toml"
    (tmp_path / "small.toml").write_text(SMALL_MODEL.replace("price = 100.0", "price = -1"))
    config.write_text(SMALL_CONFIG.replace("scenarios = 40", "scenarios = -3"))
    with pytest.raises(InputError) as info:
        load_config(config)
    fields = [field for field, _ in info.value.problems]
    assert fields == ["run.model (small.toml) products[0] (gallium).price", "run.scenarios"], fields


# ------------------------------------------------------------------ analysis sections (issue 18 item 4)

ANALYSIS_FIELDS = {
    "sweep": ("SweepSectionSpec", {"levers", "design", "samples", "seed", "base", "scenarios", "chunk_size",
                                   "policy_chunk", "output", "metrics", "costs"}),
    "attribution": ("AttributionSectionSpec", {"policy", "players", "method", "permutations", "seed", "scenarios",
                                               "rest", "store"}),
    "optimize": ("OptimizeSectionSpec", {"levers", "base", "budget", "budgets", "cvar_weight", "train_scenarios",
                                         "test_scenarios", "steps", "learning_rate", "temperature",
                                         "temperature_start", "exact_evaluations", "shortfall_weight", "method",
                                         "search", "seed", "output", "sensitivity", "costs"}),
    "sobol": ("SobolSectionSpec", {"points", "scenarios", "start", "metrics", "group_by", "policies", "bootstrap",
                                   "confidence", "sampling", "chunk_points", "chunk_scenarios", "seed"}),
    "robustness": ("RobustnessSectionSpec", {"points", "scenarios", "start", "seed", "policies", "metric", "cost",
                                             "costs", "satisficing_metric", "satisficing_threshold", "chunk_size",
                                             "output", "discovery"}),
}


def test_the_json_schema_covers_the_analysis_sections():
    schema = json_schema("config")
    defs = schema["$defs"]
    for section, (name, keys) in ANALYSIS_FIELDS.items():
        assert schema["properties"][section] == {"$ref": f"#/$defs/{name}",
                                                 "description": schema["properties"][section]["description"]}
        assert set(defs[name]["properties"]) == keys, section
        assert defs[name]["additionalProperties"] is False
        assert all(field.get("description") or "$ref" in field for field in defs[name]["properties"].values())
    sweep, optimize = defs["SweepSectionSpec"]["properties"], defs["OptimizeSectionSpec"]["properties"]
    assert sweep["design"]["enum"] == ["grid", "random", "latin"] and defs["SweepSectionSpec"]["required"] == ["levers"]
    assert set(defs["SweepLeverSpec"]["properties"]) == {"path", "values", "range", "n", "name"}
    assert defs["OptimizeLeverSpec"]["required"] == ["path", "range"]
    assert optimize["method"]["enum"] == ["pgd", "adam"] and optimize["search"]["enum"] == ["random", "grid"]
    assert optimize["steps"] == {**optimize["steps"], "type": "integer", "minimum": 1, "maximum": 100_000}
    assert set(defs["CostsSpec"]["properties"]) == {"discount_rate", "stock_life_years", "stock_residual_share"}
    confidence = defs["SobolSectionSpec"]["properties"]["confidence"]
    assert confidence["exclusiveMinimum"] == 0 and confidence["exclusiveMaximum"] == 1
    assert defs["SobolSectionSpec"]["properties"]["group_by"]["enum"] == ["entry", "field", "product"]
    assert defs["AttributionSectionSpec"]["properties"]["method"]["enum"] == ["auto", "exact", "sampling"]


def test_the_json_schema_rejects_bad_analysis_fields():
    config = tomllib.loads((ROOT / "configs/sweep_stockpile.toml").read_text())
    config["sweep"]["design"] = "grids"
    config["sweep"]["levers"][0]["range"] = [1]
    config["sweep"]["costs"]["discount_rate"] = 2
    config["sobol"] = {"confidence": 1.0, "group_by": "sector"}
    config["optimize"] = {"levers": [{"path": "recycling.share.gallium"}], "steps": 0}
    errors = schema_errors(json_schema("config"), config)
    for where in (".sweep.design", ".sweep.levers[0].range", ".sweep.costs.discount_rate", ".sobol.confidence",
                  ".sobol.group_by", ".optimize.levers[0].range: required", ".optimize.steps"):
        assert any(e.startswith(where) for e in errors), (where, errors)


def test_bad_analysis_fields_are_reported_at_once_one_line_each(small_loaded):
    """Every bad field of every analysis section, with the rest of the config's
    problems, one line each naming the field and the allowed values."""
    raw = tomllib.loads(SMALL_CONFIG)
    raw["run"]["horizon_days"] = 0
    raw["sweep"] = {"design": "grids", "colour": 1, "scenarios": -3, "output": 5,
                    "costs": {"discount_rate": 2, "life": 3},
                    "levers": [{"path": "stockpile.gov_stock_days.gallium", "values": [0, "ten"]},
                               {"path": "recycling.share.gallium", "range": [0.5, 0.1], "n": 0}, {"values": [1]}]}
    raw["optimize"] = {"levers": [], "budget": -1, "method": "newton", "sensitivity": 1, "learning_rate": 0}
    raw["attribution"] = {"method": "guess", "permutations": 1, "players": []}
    raw["sobol"] = {"pointz": 4, "confidence": 1.0, "group_by": "sector", "metrics": ["shortage_days:", "x"]}
    with pytest.raises(InputError) as info:
        parse_config(raw, loaded=small_loaded)
    got = dict(info.value.problems)
    assert got == {
        "run.horizon_days": "must be an integer in [1, 3650], got 0",
        "sweep.levers[0].values[1]": "must be a number, got 'ten'",
        "sweep.levers[1].range": "must be [low, high] with low <= high, got [0.5, 0.1]",
        "sweep.levers[1].n": "must be an integer in [1, 10000], got 0",
        "sweep.levers[2].path": "is required: a lever path like 'stockpile.gov_stock_days.gallium'",
        "sweep.design": "must be one of grid, random, latin, got 'grids'",
        "sweep.scenarios": "must be an integer in [1, 1000000000], got -3",
        "sweep.output": "must be a path (text), got 5",
        "sweep.costs.discount_rate": "must be in [0, 1], got 2",
        "sweep.costs.life": "unknown field; allowed: discount_rate, stock_life_years, stock_residual_share",
        "sweep.colour": "unknown field; allowed: base, chunk_size, costs, design, levers, metrics, output, "
                        "policy_chunk, samples, scenarios, seed",
        "attribution.players": 'must be "pillars" or a non-empty list of lever paths, got []',
        "attribution.method": "must be one of auto, exact, sampling, got 'guess'",
        "attribution.permutations": "must be an integer in [2, 1000000], got 1",
        "optimize.levers": "must not be empty: a non-empty list of {path, range = [low, high]} tables",
        "optimize.budget": "must be >= 0, got -1",
        "optimize.learning_rate": "must be in [1e-06, 10], got 0",
        "optimize.method": "must be one of pgd, adam, got 'newton'",
        "optimize.sensitivity": "must be true or false, got 1",
        "sobol.metrics[0]": "must be one of shortage_days, p_any_shortage, value_added_loss, peak_price_change, "
                            "or NAME:PRODUCT with NAME one of shortage_days, peak_price_change, got 'shortage_days:'",
        "sobol.metrics[1]": "must be one of shortage_days, p_any_shortage, value_added_loss, peak_price_change, "
                            "or NAME:PRODUCT with NAME one of shortage_days, peak_price_change, got 'x'",
        "sobol.group_by": "must be one of entry, field, product, got 'sector'",
        "sobol.confidence": "must be in (0, 1), got 1",
        "sobol.pointz": "unknown field; allowed: bootstrap, chunk_points, chunk_scenarios, confidence, group_by, "
                        "metrics, points, policies, sampling, scenarios, seed, start",
    }
    assert len(info.value.problems) == len(got)  # one line each
    sections = [field.split(".")[0].split("[")[0] for field, _ in info.value.problems]
    assert sections == sorted(sections, key=["run", "sweep", "attribution", "optimize", "sobol"].index)


def test_analysis_section_defaults_are_the_commands_defaults():
    """The defaults the JSON Schema shows are those the commands use."""
    from simcore.analysis.costs import CostAssumptions
    from simcore.analysis.optimize_section import OptimizeSpec
    from simcore.analysis.sobol import METRICS, PER_PRODUCT, SAMPLING, SobolSettings
    from simcore.schema.analysis_spec import (SOBOL_METRICS, SOBOL_PER_PRODUCT, SOBOL_SAMPLING, CostsSpec,
                                              OptimizeSectionSpec, SobolSectionSpec)

    assert CostsSpec().model_dump() == vars(CostAssumptions())
    optimize = OptimizeSpec(levers=[], budgets=[])
    for key, info in OptimizeSectionSpec.model_fields.items():
        if key not in ("levers", "budget", "budgets", "costs", "seed"):
            assert info.default == getattr(optimize, key), key
    sobol = SobolSettings()
    for key, info in SobolSectionSpec.model_fields.items():
        value = getattr(sobol, key)
        assert info.default == (list(value) if isinstance(value, tuple) else value), key
    assert set(SOBOL_METRICS) == set(METRICS) and set(SOBOL_PER_PRODUCT) == set(PER_PRODUCT)
    assert SOBOL_SAMPLING == SAMPLING
