"""Generated model files and configs (issue 17, item 7): hypothesis draws valid ones
around the small test model and the tiny config, and broken ones by changing one field
of a valid one to a value of the wrong type, out of range, beyond float32, or by
removing a required field.

* a valid model file and config parse (through a TOML file, as a user gives them), and
  a tiny run of a few of them gives finite results;
* a broken one raises :class:`~simcore.schema.errors.InputError` naming the changed
  field, never another exception.

Shapes are fixed where the engine runs (2 products, 2 origins, 2 sectors, 2 events, 2
policy mixes, 30 days, chunks of 4), so the run test compiles once.
``SIMCORE_GENERATED_EXAMPLES`` sets the examples per parse test (default 40).
"""

from __future__ import annotations

import math
import os
import tempfile
import tomllib
import warnings
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings, strategies as st

from simcore.schema.config import load_config, parse_config
from simcore.schema.errors import InputError
from simcore.schema.modelfile import parse_model
from simcore.schema.spec import FLOAT32_MAX
from tests.bad_inputs import DELETE, base_model, dump_toml, mutate

ORIGINS = ["CN", "AU"]
PRODUCTS = ["gallium", "repair"]
SECTORS = ["electronics", "services"]
EXAMPLES = int(os.environ.get("SIMCORE_GENERATED_EXAMPLES", "40"))  # more to soak, e.g. 2000
QUICK = settings(max_examples=EXAMPLES, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def finite(low: float, high: float) -> st.SearchStrategy[float]:
    return st.floats(low, high, allow_nan=False, allow_infinity=False)


# ---------------------------------------------------------------- valid models

@st.composite
def valid_models(draw, uncertain: bool = True) -> dict:
    """The small model with every number drawn within its range: shares that add up,
    column sums of A at most 0.5, final demand large enough for the products bought;
    ``uncertain``: the price may be a distribution."""
    raw = base_model()
    gallium, repair = raw["products"]
    gallium["demand_per_day"] = draw(finite(0.01, 100.0))
    triangular = st.builds(lambda low, spread, at: {"low": low, "mode": low + spread * at, "high": low + spread},
                           finite(0.01, 500.0), finite(0.01, 500.0), finite(0.0, 1.0))
    gallium["price"] = draw(st.one_of(finite(0.01, 1000.0), triangular) if uncertain else finite(0.01, 1000.0))
    gallium["inventory_days"] = draw(finite(0.0, 365.0))
    gallium["lead_time_days"] = draw(finite(0.0, 90.0))
    cn = draw(finite(0.0, 1.0))
    gallium["import_share"] = {"CN": cn, "AU": draw(finite(0.0, 1.0)) * (1.0 - cn) * 0.999}
    gallium["use"] = {"electronics": draw(finite(0.0, 1.0))}
    for key, strategy in (("price_elasticity", finite(0.05, 3.0)), ("price_cap", finite(1.0, 50.0)),
                          ("restock_headroom", finite(0.0, 1.0))):
        if draw(st.booleans()):
            gallium[key] = draw(strategy)
            gallium["sources"][key] = "assumption: generated"
    repair["demand_per_day"] = draw(finite(0.01, 100.0))
    repair["price"] = draw(finite(0.01, 1000.0))
    repair["import_share"] = {"AU": draw(finite(0.0, 1.0))}
    repair["use"] = {"services": draw(finite(0.0, 1.0))}
    io = raw["io"]
    io["technical_coefficients"] = [[draw(finite(0.0, 0.25)) for _ in SECTORS] for _ in SECTORS]
    io["final_demand"] = [draw(finite(1e8, 1e9)) for _ in SECTORS]
    return raw


# ---------------------------------------------------------------- valid configs

@st.composite
def events(draw, index: int, given: bool | None = None) -> dict:
    """An event; ``given``: a given onset (True) or a hazard with the default occurrences
    (False), else drawn (the occurrence count is an engine shape)."""
    event = {"name": f"event {index}", "origin": draw(st.sampled_from(ORIGINS))}
    hit = draw(st.lists(st.sampled_from(PRODUCTS), min_size=1, max_size=2, unique=True))
    event["products"] = hit if draw(st.booleans()) else {name: draw(finite(0.0, 1.0)) for name in hit}
    if given if given is not None else draw(st.booleans()):
        event["onset_day"] = draw(finite(0.0, 60.0))
    else:
        event["hazard_per_year"] = draw(finite(0.01, 20.0))
        if given is None and draw(st.booleans()):
            event["max_occurrences"] = draw(st.integers(1, 50))
    if draw(st.booleans()):
        event["duration_days"] = draw(finite(1.0, 365.0))
    else:
        event["duration_median_days"] = draw(finite(1.0, 365.0))
        event["duration_sigma"] = draw(finite(0.0, 3.0))
    if draw(st.booleans()):
        event["severity"] = draw(finite(0.0, 1.0))
    else:
        event["severity_alpha"], event["severity_beta"] = draw(finite(0.1, 20.0)), draw(finite(0.1, 20.0))
    for key, strategy in (("tightening_days", finite(0.0, 30.0)), ("announcement_lead_days", finite(0.0, 30.0)),
                          ("leakage_share", finite(0.0, 1.0)), ("licence_delay_days", finite(0.0, 60.0)),
                          ("destinations", st.sampled_from(["all", "country", "others"]))):
        if draw(st.booleans()):
            event[key] = draw(strategy)
    return event


@st.composite
def policies(draw, index: int, import_total: float) -> dict:
    policy = {"name": f"mix {index}"}
    if draw(st.booleans()):
        policy["stockpile"] = {"gov_stock_days": {"gallium": draw(finite(0.0, 180.0))},
                               "carrying_cost": draw(finite(0.0, 1.0))}
    if draw(st.booleans()):
        at = draw(finite(0.0, 1.0))
        policy["diversification"] = {"import_share": {"gallium": {"CN": import_total * at,
                                                                  "AU": import_total * (1.0 - at)}},
                                     "spare_capacity": {"gallium": {"AU": draw(finite(0.0, 0.5))}},
                                     "premium": draw(finite(0.0, 1.0))}
    if draw(st.booleans()):
        policy["recycling"] = {"share": {"gallium": draw(finite(0.0, 1.0)), "*": 0.0},
                               "efficiency_cut": draw(finite(0.0, 0.99)),
                               "start": draw(st.sampled_from(["in-place", "at-alarm"]))}
    return policy


@st.composite
def valid_configs(draw, model: dict, fixed_shapes: bool = False) -> dict:
    """A config for ``model``: ``fixed_shapes`` keeps the engine's shapes of the tiny
    config (2 events, 2 mixes, 30 days, 4 scenarios in one chunk) and varies the numbers."""
    gallium = model["products"][0]["import_share"]
    total = gallium["CN"] + gallium["AU"]
    if fixed_shapes:
        run = {"model": "small.toml", "scenarios": 4, "horizon_days": 30, "chunk_size": 4,
               "seed": draw(st.integers(0, 2**31 - 1))}
        n_events, n_policies = 2, 2
    else:
        run = {"model": "small.toml", "scenarios": draw(st.integers(1, 10**6)),
               "horizon_days": draw(st.integers(1, 3650)), "seed": draw(st.integers(0, 2**31 - 1))}
        for key, strategy in (("chunk_size", st.integers(1, 10**6)), ("daily_scenarios", st.integers(0, 1000)),
                              ("keep", st.sampled_from(["per-scenario", "summary"]))):
            if draw(st.booleans()):
                run[key] = draw(strategy)
        n_events, n_policies = draw(st.integers(1, 3)), draw(st.integers(0, 2))
    kinds = [False, True] if fixed_shapes else [None] * n_events
    return {"run": run, "events": [draw(events(i, kinds[i])) for i in range(n_events)],
            "policies": [draw(policies(i, total)) for i in range(n_policies)]}


# ---------------------------------------------------------------- bad values

def beyond_float32() -> st.SearchStrategy[float]:
    return st.one_of(finite(FLOAT32_MAX * 1.01, 1e308), finite(-1e308, -FLOAT32_MAX * 1.01))


NOT_A_NUMBER = st.one_of(st.text(max_size=8), st.booleans(), st.just([]), st.lists(st.integers(0, 9), min_size=1,
                                                                                 max_size=3))
NON_FINITE = st.sampled_from([math.inf, -math.inf, math.nan])


def bad_number(low: float | None, high: float | None, *, low_open: bool = False) -> st.SearchStrategy:
    """A value a number field in ``[low, high]`` refuses: out of range, not finite,
    beyond float32 or not a number at all."""
    options = [NOT_A_NUMBER, NON_FINITE, beyond_float32()]
    if low is not None:
        options.append(finite(-1e30, low - max(1e-6, abs(low) * 1e-6)))
        if low_open:
            options.append(st.just(low))
    if high is not None:
        options.append(finite(high + max(1e-6, abs(high) * 1e-6), 1e30))
    return st.one_of(options)


def bad_integer(low: int, high: int) -> st.SearchStrategy:
    return st.one_of(st.integers(-2**62, low - 1), st.integers(high + 1, 2**62), finite(-1e6, 1e6),
                     st.text(max_size=6), st.booleans())


def bad_name(allowed: list[str]) -> st.SearchStrategy:
    return st.one_of(st.text(min_size=1, max_size=8).filter(lambda t: t not in allowed), st.integers(), st.just(""),
                     st.booleans())


SHARE = bad_number(0.0, 1.0)
POSITIVE = bad_number(0.0, None, low_open=True)
NON_NEGATIVE = bad_number(0.0, None)
DAYS = bad_number(0.0, 3650.0)

# (path, bad values): the path's integers are indices into arrays of the valid input
MODEL_MUTATIONS = [
    (("products", 0, "demand_per_day"), POSITIVE),
    (("products", 1, "demand_per_day"), POSITIVE),
    (("products", 0, "price"), POSITIVE),
    (("products", 1, "price"), POSITIVE),
    (("products", 0, "inventory_days"), NON_NEGATIVE),
    (("products", 0, "lead_time_days"), DAYS),
    (("products", 0, "import_share", "CN"), SHARE),
    (("products", 1, "import_share", "AU"), SHARE),
    (("products", 0, "domestic_share"), SHARE),
    (("products", 0, "use", "electronics"), SHARE),
    (("products", 0, "price_elasticity"), POSITIVE),
    (("products", 0, "price_cap"), bad_number(1.0, None)),
    (("products", 0, "restock_headroom"), NON_NEGATIVE),
    (("products", 0, "world_demand_weight"), SHARE),
    (("products", 0, "storable"), st.one_of(st.text(max_size=5), st.integers(), st.floats())),
    (("products", 0, "name"), st.one_of(st.integers(), st.just(""), st.booleans())),
    (("products", 1, "recipe_inputs"), st.one_of(st.just(["repair"]), st.lists(bad_name(PRODUCTS), min_size=1,
                                                                                max_size=2))),
    (("model", "origins"), st.one_of(st.just([]), st.just(["CN", "CN"]), st.text(max_size=4),
                                     st.lists(st.integers(), min_size=1, max_size=2))),
    (("model", "shortage_tolerance"), SHARE),
    (("model", "allocation"), bad_name(["proportional", "priority"])),
    (("io", "final_demand", 0), NON_NEGATIVE),
    (("io", "final_demand"), st.one_of(st.just([1.0]), st.text(max_size=4), st.just([1.0, 2.0, 3.0]))),
    (("io", "technical_coefficients", 0, 1), NON_NEGATIVE),
    (("io", "technical_coefficients"), st.one_of(st.just([[0.1, 0.1]]), st.just([[0.6, 0.1], [0.6, 0.1]]),
                                                 st.just([[0.1, 0.1, 0.1], [0.1, 0.1, 0.1]]))),
    (("io", "sectors"), st.one_of(st.just([]), st.just(["electronics", "electronics"]), st.integers())),
    # required fields removed
    (("products", 0, "demand_per_day"), st.just(DELETE)),
    (("products", 1, "price"), st.just(DELETE)),
    (("model", "origins"), st.just(DELETE)),
    (("io", "final_demand"), st.just(DELETE)),
]

CONFIG_MUTATIONS = [
    (("run", "scenarios"), bad_integer(1, 100_000_000)),
    (("run", "horizon_days"), bad_integer(1, 3650)),
    (("run", "chunk_size"), bad_integer(1, 10_000_000)),
    (("run", "seed"), bad_integer(0, 2**31 - 1)),
    (("run", "daily_scenarios"), bad_integer(0, 1000)),
    (("run", "keep"), bad_name(["per-scenario", "summary"])),
    (("run", "model"), st.one_of(st.integers(), st.booleans(), st.just("missing.toml"))),
    (("events", 0, "origin"), bad_name(ORIGINS)),
    (("events", 0, "products"), st.one_of(st.just([]), st.lists(bad_name(PRODUCTS), min_size=1, max_size=2),
                                          st.integers())),
    (("events", 0, "severity"), SHARE),
    (("events", 0, "duration_sigma"), bad_number(0.0, 3.0)),
    (("events", 0, "tightening_days"), DAYS),
    (("events", 0, "announcement_lead_days"), DAYS),
    (("events", 0, "hazard_per_year"), POSITIVE),
    (("events", 0, "onset_day"), DAYS),
    (("events", 0, "leakage_share"), SHARE),
    (("events", 0, "world_loss_share"), SHARE),
    (("events", 0, "destinations"), st.one_of(st.just([]), st.just(["mars"]), st.just("nowhere"), st.integers())),
    (("events", 0, "origin"), st.just(DELETE)),
    (("events", 0, "products"), st.just(DELETE)),
    (("policies", 0, "stockpile", "gov_stock_days"), st.one_of(DAYS, st.fixed_dictionaries({"tin": finite(0, 9)}))),
    (("policies", 0, "stockpile", "carrying_cost"), SHARE),
    (("policies", 0, "recycling", "efficiency_cut"), bad_number(0.0, 0.99)),
    (("policies", 0, "recycling", "start"), bad_name(["in-place", "at-alarm"])),
    (("policies", 0, "name"), st.one_of(st.just("no-policy"), st.integers(), st.just(""))),
]


def names_field(problems: list[tuple[str, str]], path: tuple) -> bool:
    """Whether a problem's field is the one at ``path`` (or the table holding it, for a
    rule across its fields), e.g. ``products[0] (gallium).import_share.CN``."""
    parts = [f"[{p}]" if isinstance(p, int) else str(p) for p in path]

    def at(field: str, wanted: list[str]) -> bool:
        position = 0
        for part in wanted:
            found = field.find(part, position)
            if found < 0:
                return False
            position = found + len(part)
        return True

    # the field itself, or for a value inside a field's table or array the field (a rule
    # across its values): import_share for import_share.CN, io.final_demand for [0]
    candidates = [parts] + ([parts[:-1]] if len(parts) >= 4 or isinstance(path[-1], int) else [])
    return any(at(field, wanted) for field, _ in problems for wanted in candidates)


def _applicable(raw: dict, path: tuple) -> bool:
    """Whether the valid input has the arrays and tables a path goes through."""
    node = raw
    for part in path[:-1]:
        if isinstance(part, int):
            if not (isinstance(node, list) and part < len(node)):
                return False
        elif not isinstance(node, dict) or part not in node:
            return False
        node = node[part]
    return True


@st.composite
def broken(draw, valid: st.SearchStrategy, mutations: list) -> tuple[dict, tuple, object]:
    raw = draw(valid)
    choices = [(path, values) for path, values in mutations
               if _applicable(raw, path) and not (path[0] == "policies" and not raw.get("policies"))]
    path, values = draw(st.sampled_from(choices))
    value = draw(values)
    if value is DELETE:
        assume(path[-1] in _node(raw, path[:-1]))  # removing what is not there breaks nothing
    return mutate(raw, path, value), path, value


def _node(raw, path: tuple):
    for part in path:
        raw = raw[part]
    return raw


def _through_toml(raw: dict) -> dict:
    """The dict as a user's file gives it: written as TOML and read back."""
    return tomllib.loads(dump_toml(raw))


# ---------------------------------------------------------------- the tests

@QUICK
@given(model=valid_models())
def test_a_generated_valid_model_file_parses(model):
    loaded = parse_model(_through_toml(model))
    assert loaded.products == PRODUCTS and loaded.origins == ORIGINS and loaded.sectors == SECTORS


@QUICK
@given(case=broken(valid_models(), MODEL_MUTATIONS))
def test_a_generated_broken_model_file_names_the_field(case):
    raw, path, value = case
    with pytest.raises(InputError) as caught:
        parse_model(_through_toml(raw))
    assert names_field(caught.value.problems, path), (path, value, caught.value.problems)


@st.composite
def model_and_config(draw, broken_config: bool = False):
    model = draw(valid_models())
    configs = valid_configs(model)
    if broken_config:
        config, path, value = draw(broken(configs, CONFIG_MUTATIONS))
        return model, config, path, value
    return model, draw(configs), None, None


def _write(folder: Path, model: dict, config: dict) -> Path:
    (folder / "small.toml").write_text(dump_toml(model))
    (folder / "run.toml").write_text(dump_toml(config))
    return folder / "run.toml"


@QUICK
@given(case=model_and_config())
def test_a_generated_valid_config_loads_from_its_file(case):
    model, config, _, _ = case
    with tempfile.TemporaryDirectory() as folder, warnings.catch_warnings():
        warnings.simplefilter("ignore")  # e.g. an onset beyond a short horizon: valid, with a warning
        loaded = load_config(_write(Path(folder), model, config))
    assert loaded.scenarios == config["run"]["scenarios"]
    assert len(loaded.policies) == 1 + len(config["policies"])
    assert loaded.event_names == [event["name"] for event in config["events"]]


@QUICK
@given(case=model_and_config(broken_config=True))
def test_a_generated_broken_config_names_the_field(case):
    model, config, path, value = case
    with tempfile.TemporaryDirectory() as folder, pytest.raises(InputError) as caught:
        load_config(_write(Path(folder), model, config))
    assert names_field(caught.value.problems, path), (path, value, caught.value.problems)


@QUICK
@given(model=valid_models(), data=st.data())
def test_a_broken_model_and_a_broken_config_are_named_together(model, data):
    """Issue 17, item 9: a bad model file and a bad config are reported in one error."""
    config = data.draw(valid_configs(model))
    bad_model, model_path, _ = data.draw(broken(st.just(model), MODEL_MUTATIONS[:16]))
    config = mutate(config, ("run", "scenarios"), data.draw(bad_integer(1, 100_000_000)))
    with tempfile.TemporaryDirectory() as folder, pytest.raises(InputError) as caught:
        load_config(_write(Path(folder), bad_model, config))
    problems = caught.value.problems
    assert names_field(problems, ("run", "scenarios")), problems
    assert names_field([(f, m) for f, m in problems if "run.model" in f], model_path), problems


@settings(max_examples=4, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_a_tiny_run_of_generated_valid_inputs_is_finite(data):
    """A few valid model files and configs run (the same shapes: one compilation) and
    their shortage and delivery metrics are finite."""
    from simcore.run.runner import Simulation, simulate

    model = data.draw(valid_models(uncertain=False))
    config = data.draw(valid_configs(model, fixed_shapes=True))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        run = parse_config(_through_toml(config), loaded=parse_model(_through_toml(model)))
    ds = simulate(Simulation.from_config(run), run.scenarios, run.chunk_size)
    for name in ("shortage_days", "unmet", "demand", "delivered"):
        values = np.asarray(ds[name].values, dtype=np.float64)
        assert np.isfinite(values).all(), (name, values)
    assert (np.asarray(ds["shortage_days"].values) <= 30).all()
