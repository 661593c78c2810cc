"""The bad-input corpus (issue 17, item 7: "keep them closed"): every case is an input a
user or a client may give by mistake, and one parametrised test checks that simcore
refuses it cleanly.

* **configs, model files, CLI arguments, store paths and URLs** run ``simcore`` in
  process (``simcore.cli.main``, stderr captured; a subprocess for two cases, to check
  the real entry point). Each must end with exit status 2 (1 only for a genuine runtime
  failure), print one line on stderr, or InputError's list of every problem
  (``N problem(s) in SOURCE:`` then ``  - FIELD: MESSAGE`` lines), never a traceback (an
  exception out of ``main`` counts as one), name the bad field or option, compute
  nothing (the engine is replaced by a tripwire) and leave the working folder exactly
  as it was: no store, no ``.partial``, no lock, the user's files untouched.
* **service request bodies** go through ``fastapi.testclient`` to an app with a key and
  one registered model (the small test model, registered as ``small``). Each must be
  answered 4xx (never 5xx) with a JSON body ``{"error", "problems"}`` naming the field.

Cases that fail because of simcore itself are not marked xfail: they are listed in
``FAILING_CASES`` (included in the parametrised test, so they fail until simcore is
fixed), with what they gave when this corpus was written.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import traceback
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pytest

from tests.bad_inputs import (DELETE, base_config, base_model, base_model_with_importer, base_model_with_segments,
                              dump_toml, message_shape_problem, mutate)

warnings.filterwarnings("ignore", message=".*httpx2.*")  # starlette's TestClient notice

from fastapi.testclient import TestClient  # noqa: E402

KEY = "corpus-test-key-0001"
SMALL = "small"  # the registered model of the service cases


@dataclass(frozen=True)
class Case:
    """One bad input.

    CLI cases (``category`` config, model, cli, store): ``argv`` with ``{config}`` (the
    config file), ``{out}`` (``out.zarr`` in the working folder) and ``{work}`` (the
    working folder, also the current folder); ``config`` / ``model`` are the files'
    texts (a dict is written as TOML; None: the tiny config / the small model);
    ``setup(work)`` adds files. ``status``: the exit status; ``expect``: texts stderr
    must contain (the field or option named).

    Service cases: ``method``, ``path``, ``body`` (JSON) or ``raw`` (bytes);
    ``expect``: texts the answer's error or a problem (field or message) must contain.
    """

    id: str
    category: str
    argv: tuple = ("run", "{config}", "--output", "{out}", "--quiet")
    config: Any = None
    model: Any = None
    setup: Callable[[Path], None] | None = None
    status: int = 2
    expect: tuple = ()
    subprocess: bool = False
    method: str = "POST"
    path: str = "/v1/assessments"
    body: Any = None
    raw: bytes | None = None
    headers: dict = field(default_factory=dict)


# ---------------------------------------------------------------- cases that fail now
# The ids of the cases (defined with their category below) that simcore does not refuse
# cleanly yet, with what they gave when the corpus was written. They stay in the
# parametrised test (never xfail) and fail until simcore is fixed; then remove the id here.
FAILING_CASES: dict[str, str] = {}  # all nine found when the corpus was written are fixed

# ---------------------------------------------------------------- configs

CONFIG = base_config()


def cfg(case_id: str, path: tuple, value: Any, *expect: str, **kwargs) -> Case:
    """The tiny config with the value at ``path`` replaced (or removed with DELETE)."""
    return Case(f"config-{case_id}", "config", config=mutate(CONFIG, path, value), expect=expect, **kwargs)


def _config_text(text: str) -> Callable[[Path], None]:
    return lambda work: (work / "run.toml").write_text(text)


CONFIG_CASES = [
    # [run]
    cfg("run-scenarios-zero", ("run", "scenarios"), 0, "run.scenarios"),
    cfg("run-scenarios-negative", ("run", "scenarios"), -1, "run.scenarios"),
    cfg("run-scenarios-text", ("run", "scenarios"), "10", "run.scenarios"),
    cfg("run-scenarios-float", ("run", "scenarios"), 1.5, "run.scenarios"),
    cfg("run-scenarios-bool", ("run", "scenarios"), True, "run.scenarios"),
    cfg("run-scenarios-above-cap", ("run", "scenarios"), 200_000_000, "run.scenarios"),
    cfg("run-scenarios-huge", ("run", "scenarios"), 10**18, "run.scenarios"),
    cfg("run-horizon-zero", ("run", "horizon_days"), 0, "run.horizon_days"),
    cfg("run-horizon-above-cap", ("run", "horizon_days"), 5000, "run.horizon_days"),
    cfg("run-horizon-text", ("run", "horizon_days"), "a year", "run.horizon_days"),
    cfg("run-chunk-size-zero", ("run", "chunk_size"), 0, "run.chunk_size"),
    cfg("run-chunk-size-negative", ("run", "chunk_size"), -4, "run.chunk_size"),
    cfg("run-seed-negative", ("run", "seed"), -1, "run.seed"),
    cfg("run-seed-above-int32", ("run", "seed"), 2**31, "run.seed"),
    cfg("run-daily-scenarios-negative", ("run", "daily_scenarios"), -1, "run.daily_scenarios"),
    cfg("run-daily-scenarios-above-cap", ("run", "daily_scenarios"), 5000, "run.daily_scenarios"),
    cfg("run-keep-unknown", ("run", "keep"), "everything", "run.keep"),
    cfg("run-output-number", ("run", "output"), 5, "run.output"),
    cfg("run-unknown-key", ("run", "scenarioz"), 10, "run.scenarioz"),
    cfg("run-model-missing", ("run", "model"), DELETE, "run.model"),
    cfg("run-model-not-found", ("run", "model"), "no-such-model.toml", "run.model"),
    cfg("run-model-number", ("run", "model"), 3, "run.model"),
    cfg("run-model-empty", ("run", "model"), "", "run.model"),
    cfg("run-not-a-table", ("run",), 3, "run"),
    cfg("unknown-section", ("simulation",), {"scenarios": 3}, "simulation"),
    cfg("cluster-without-scheduler", ("cluster",), {}, "cluster.scheduler"),
    cfg("cluster-scheduler-number", ("cluster", "scheduler"), 8786, "cluster.scheduler"),
    # [[events]]
    cfg("events-missing", ("events",), DELETE, "events"),
    cfg("events-empty", ("events",), [], "events"),
    cfg("events-not-an-array", ("events",), "CN ban", "events"),
    cfg("event-origin-missing", ("events", 0, "origin"), DELETE, "events[0].origin"),
    cfg("event-origin-unknown", ("events", 0, "origin"), "XX", "events[0].origin"),
    cfg("event-origin-number", ("events", 0, "origin"), 86, "events[0].origin"),
    cfg("event-product-unknown", ("events", 0, "products"), ["unobtainium"], "events[0].products"),
    cfg("event-products-empty", ("events", 0, "products"), [], "events[0].products"),
    cfg("event-products-text", ("events", 0, "products"), "gallium", "events[0].products"),
    cfg("event-product-weight-above-1", ("events", 1, "products"), {"repair": 1.5}, "events[1].products"),
    cfg("event-onset-and-hazard", ("events", 0, "onset_day"), 3, "events[0]"),
    cfg("event-neither-onset-nor-hazard", ("events", 1, "onset_day"), DELETE, "events[1]"),
    cfg("event-severity-above-1", ("events", 1, "severity"), 1.5, "events[1].severity"),
    cfg("event-severity-negative", ("events", 1, "severity"), -0.1, "events[1].severity"),
    cfg("event-severity-nan", ("events", 1, "severity"), float("nan"), "events[1].severity"),
    cfg("event-beta-without-alpha", ("events", 0, "severity_alpha"), DELETE, "events[0].severity_alpha"),
    cfg("event-duration-zero", ("events", 1, "duration_days"), 0, "events[1].duration_days"),
    cfg("event-duration-inf", ("events", 1, "duration_days"), float("inf"), "events[1].duration_days"),
    cfg("event-duration-sigma-above-3", ("events", 0, "duration_sigma"), 5.0, "events[0].duration_sigma"),
    cfg("event-hazard-zero", ("events", 0, "hazard_per_year"), 0.0, "events[0].hazard_per_year"),
    cfg("event-hazard-1e308", ("events", 0, "hazard_per_year"), 1e308, "events[0].hazard_per_year"),
    cfg("event-max-occurrences-with-onset", ("events", 1, "max_occurrences"), 2, "events[1].max_occurrences"),
    cfg("event-max-occurrences-above-cap", ("events", 0, "max_occurrences"), 100, "events[0].max_occurrences"),
    cfg("event-tightening-negative", ("events", 0, "tightening_days"), -5, "events[0].tightening_days"),
    cfg("event-announcement-text", ("events", 0, "announcement_lead_days"), "soon",
        "events[0].announcement_lead_days"),
    cfg("event-duplicate-name", ("events", 1, "name"), "CN ban", "events[1].name"),
    cfg("event-unknown-key", ("events", 0, "severity_gamma"), 2.0, "events[0].severity_gamma"),
    # export-control regime fields
    cfg("event-destinations-unknown-word", ("events", 0, "destinations"), "nowhere", "events[0].destinations"),
    cfg("event-destinations-empty-list", ("events", 0, "destinations"), [], "events[0].destinations"),
    cfg("event-destinations-unknown-importer", ("events", 0, "destinations"), ["mars"], "events[0].destinations"),
    cfg("event-destinations-numbers", ("events", 0, "destinations"), [1, 2], "events[0].destinations"),
    cfg("event-destinations-twice", ("events", 0, "destinations"), ["country", "country"],
        "events[0].destinations"),
    cfg("event-world-loss-share-above-1", ("events", 0, "world_loss_share"), 2.0, "events[0].world_loss_share"),
    cfg("event-licence-delay-negative", ("events", 0, "licence_delay_days"), -1.0, "events[0].licence_delay_days"),
    cfg("event-approval-easing-above-1", ("events", 0, "approval_easing"), 1.5, "events[0].approval_easing"),
    cfg("event-easing-days-above-horizon-cap", ("events", 0, "easing_days"), 99999, "events[0].easing_days"),
    cfg("event-leakage-share-negative", ("events", 0, "leakage_share"), -0.5, "events[0].leakage_share"),
    cfg("event-leakage-delay-text", ("events", 0, "leakage_delay_days"), "later", "events[0].leakage_delay_days"),
    # [[policies]]
    cfg("policy-name-missing", ("policies", 0, "name"), DELETE, "policies[0].name"),
    cfg("policy-name-duplicate", ("policies", 1, "name"), "stock", "policies[1].name"),
    cfg("policy-name-reserved", ("policies", 0, "name"), "no-policy", "policies[0].name"),
    cfg("policy-unknown-pillar", ("policies", 0, "subsidy"), {"rate": 0.1}, "policies[0].subsidy"),
    cfg("policy-unknown-lever", ("policies", 0, "stockpile", "gov_stock_weeks"), 3, "gov_stock_weeks"),
    cfg("policy-stockpile-a-service", ("policies", 0, "stockpile", "gov_stock_days"), {"repair": 10},
        "policies[0].stockpile.gov_stock_days.repair"),
    cfg("policy-stockpile-unknown-product", ("policies", 0, "stockpile", "gov_stock_days"), {"tin": 10},
        "policies[0].stockpile.gov_stock_days.tin"),
    cfg("policy-stockpile-negative", ("policies", 0, "stockpile", "gov_stock_days"), -30,
        "policies[0].stockpile.gov_stock_days"),
    cfg("policy-carrying-cost-above-1", ("policies", 0, "stockpile", "carrying_cost"), 2.0,
        "policies[0].stockpile.carrying_cost"),
    cfg("policy-import-share-total-changed", ("policies", 1, "diversification", "import_share"),
        {"gallium": {"CN": 0.5, "AU": 0.6}}, "policies[1].diversification.import_share.gallium"),
    cfg("policy-import-share-unknown-origin", ("policies", 1, "diversification", "import_share"),
        {"gallium": {"CN": 0.4, "XX": 0.6}}, "policies[1].diversification.import_share.gallium.XX"),
    cfg("policy-spare-capacity-unknown-product", ("policies", 1, "diversification", "spare_capacity"),
        {"tin": {"AU": 0.3}}, "policies[1].diversification.spare_capacity.tin"),
    cfg("policy-recycling-start-unknown", ("policies", 0, "recycling"), {"start": "later"},
        "policies[0].recycling.start"),
    cfg("policy-efficiency-cut-1", ("policies", 0, "recycling"), {"efficiency_cut": 1.0},
        "policies[0].recycling.efficiency_cut"),
    cfg("policies-a-table", ("policies",), {"name": "stock"}, "policies"),
    # the file itself
    Case("config-not-toml", "config", setup=_config_text("[run\nmodel = small.toml\n"), expect=("syntax",)),
    Case("config-not-utf8", "config", setup=lambda w: (w / "run.toml").write_bytes(b"[run]\nmodel = \"\xff\xfe\"\n"),
         expect=("UTF-8",)),
    Case("config-empty-file", "config", setup=_config_text(""), expect=("run.model",)),
    Case("config-binary", "config", setup=lambda w: (w / "run.toml").write_bytes(bytes(range(256)) * 4),
         expect=("run.toml",)),
    Case("config-nested-too-deep", "config", setup=_config_text("a = " + "[" * 3000 + "]" * 3000 + "\n"),
         expect=("nested too deeply",)),
]

# ---------------------------------------------------------------- model files

MODEL = base_model()
WITH_IMPORTER = base_model_with_importer()
WITH_SEGMENTS = base_model_with_segments()
GALLIUM, REPAIR = ("products", 0), ("products", 1)


def mdl(case_id: str, path: tuple, value: Any, *expect: str, base: dict = MODEL, **kwargs) -> Case:
    """The small model with the value at ``path`` replaced (or removed with DELETE)."""
    return Case(f"model-{case_id}", "model", model=mutate(base, path, value), expect=expect, **kwargs)


def _model_without_source(field_name: str) -> dict:
    return mutate(MODEL, GALLIUM + ("sources", field_name), DELETE)


def _product_only() -> dict:
    """The small model without [io] (one pseudo-sector)."""
    raw = mutate(MODEL, ("io",), DELETE)
    for product in raw["products"]:
        del product["use"], product["sources"]["use"]
    return raw


def _cycle() -> dict:
    raw = mutate(MODEL, GALLIUM + ("recipe_inputs",), ["repair"])
    return mutate(raw, REPAIR + ("recipe_inputs",), ["gallium"])


MODEL_CASES = [
    # numbers
    mdl("demand-1e308", GALLIUM + ("demand_per_day",), 1e308, "demand_per_day"),
    mdl("price-above-float32", GALLIUM + ("price",), 1e39, "price"),
    mdl("price-inf", GALLIUM + ("price",), float("inf"), "price"),
    mdl("price-nan", GALLIUM + ("price",), float("nan"), "price"),
    mdl("price-negative", GALLIUM + ("price",), -1.0, "price"),
    mdl("price-zero", GALLIUM + ("price",), 0.0, "price"),
    mdl("price-text", GALLIUM + ("price",), "cheap", "price"),
    Case("model-demand-overflows-after-units", "model", model=mutate(_product_only(), GALLIUM + ("demand_per_day",),
                                                                      3e38), expect=("float32",)),
    mdl("purchases-above-sector-output", GALLIUM + ("demand_per_day",), 3e34, "io.final_demand"),
    mdl("final-demand-1e308", ("io", "final_demand"), [1e308, 1.0], "io.final_demand"),
    mdl("inventory-negative", GALLIUM + ("inventory_days",), -5, "inventory_days"),
    mdl("lead-time-above-horizon-cap", GALLIUM + ("lead_time_days",), 1e6, "lead_time_days"),
    mdl("price-cap-below-1", GALLIUM + ("price_cap",), 0.5, "price_cap", ),
    mdl("distribution-low-above-high", GALLIUM + ("price",), {"low": 200.0, "mode": 150.0, "high": 100.0}, "price"),
    mdl("distribution-unknown-kind", GALLIUM + ("price",), {"dist": "cauchy", "low": 1.0, "high": 2.0}, "price"),
    mdl("distribution-1e308", GALLIUM + ("price",), {"low": 1.0, "mode": 2.0, "high": 1e308}, "price"),
    mdl("lognormal-share", GALLIUM + ("import_share", "CN"), {"dist": "lognormal", "median": 0.5, "sigma": 0.2},
        "import_share"),
    # shares
    mdl("import-share-negative", GALLIUM + ("import_share",), {"CN": -0.2, "AU": 0.2}, "import_share"),
    mdl("import-shares-above-1", GALLIUM + ("import_share",), {"CN": 0.8, "AU": 0.4}, "import_share"),
    mdl("domestic-share-not-summing", GALLIUM + ("domestic_share",), 0.5, "import_share"),
    mdl("import-share-unknown-origin", GALLIUM + ("import_share",), {"CN": 0.8, "XX": 0.2}, "import_share"),
    mdl("use-shares-above-1", GALLIUM + ("use",), {"electronics": 0.8, "services": 0.7}, "use"),
    mdl("use-unknown-sector", GALLIUM + ("use",), {"mining": 1.0}, "use"),
    mdl("world-shares-above-1", GALLIUM + ("world_share",), {"CN": 0.9, "AU": 0.3}, "world_share"),
    mdl("transit-unknown-origin", GALLIUM + ("transit_days",), {"XX": 30}, "transit_days"),
    mdl("essentiality-unknown-word", GALLIUM + ("essentiality",), {"electronics": "vital"}, "essentiality"),
    mdl("service-with-inventory", REPAIR + ("inventory_days",), 5.0, "inventory_days"),
    # names and structure
    mdl("origins-empty", ("model", "origins"), [], "model.origins"),
    mdl("origins-duplicate", ("model", "origins"), ["CN", "CN"], "model.origins"),
    mdl("origins-text", ("model", "origins"), "CN", "model.origins"),
    mdl("model-table-missing", ("model",), DELETE, "model"),
    mdl("products-empty", ("products",), [], "products"),
    mdl("product-name-missing", GALLIUM + ("name",), DELETE, "name"),
    mdl("product-names-duplicate", REPAIR + ("name",), "gallium", "name"),
    mdl("product-demand-missing", GALLIUM + ("demand_per_day",), DELETE, "demand_per_day"),
    mdl("product-unknown-key", GALLIUM + ("colour",), "silver", "colour"),
    mdl("allocation-unknown", ("model", "allocation"), "lottery", "model.allocation"),
    mdl("storable-text", GALLIUM + ("storable",), "yes", "storable"),
    # recipes
    Case("model-recipe-cycle", "model", model=_cycle(), expect=("recipe_inputs", "cycle")),
    mdl("recipe-self", GALLIUM + ("recipe_inputs",), ["gallium"], "recipe_inputs"),
    mdl("recipe-unknown-product", GALLIUM + ("recipe_inputs",), ["tin"], "recipe_inputs"),
    # hidden dependence
    mdl("hidden-dependence-on-itself", GALLIUM + ("hidden_dependence",),
        [{"origin": "CN", "on_origin": "CN", "share": 0.5}], "hidden_dependence[0].on_origin"),
    # sources
    Case("model-price-without-source", "model", model=_model_without_source("price"), expect=("price",)),
    mdl("source-empty-text", GALLIUM + ("sources", "price"), "", "sources.price"),
    mdl("io-without-sources", ("io", "sources"), DELETE, "io"),
    # [io]
    mdl("io-coefficients-wrong-shape", ("io", "technical_coefficients"), [[0.1, 0.2, 0.3], [0.1, 0.2, 0.3]],
        "io.technical_coefficients"),
    mdl("io-column-sum-1", ("io", "technical_coefficients"), [[0.6, 0.25], [0.5, 0.05]], "io.technical_coefficients"),
    mdl("io-coefficient-negative", ("io", "technical_coefficients"), [[-0.15, 0.25], [0.2, 0.05]],
        "io.technical_coefficients"),
    mdl("io-final-demand-length", ("io", "final_demand"), [1.0, 2.0, 3.0], "io.final_demand"),
    mdl("io-sectors-duplicate", ("io", "sectors"), ["electronics", "electronics"], "io.sectors"),
    mdl("io-critical-upstream-unknown", ("io", "critical_upstream"), [["electronics", "mining"]],
        "io.critical_upstream[0]"),
    mdl("io-priority-incomplete", ("io", "priority"), ["electronics"], "io.priority"),
    mdl("io-sectors-missing", ("io", "sectors"), DELETE, "io.sectors"),
    # [[importers]]
    mdl("importer-reserved-name", ("importers", 0, "name"), "all", "importers[0]", base=WITH_IMPORTER),
    mdl("importer-demand-share-empty", ("importers", 0, "demand_share"), {}, "importers[0]", base=WITH_IMPORTER),
    mdl("importer-demand-share-above-1", ("importers", 0, "demand_share"), {"gallium": 1.5}, "importers[0]",
        base=WITH_IMPORTER),
    mdl("importer-unknown-product", ("importers", 0, "demand_share"), {"tin": 0.5}, "importers[0]",
        base=WITH_IMPORTER),
    mdl("importer-unknown-origin", ("importers", 0, "origin_share"), {"gallium": {"XX": 1.0}}, "importers[0]",
        base=WITH_IMPORTER),
    mdl("importer-origin-shares-above-1", ("importers", 0, "origin_share"), {"gallium": {"CN": 0.9, "AU": 0.5}},
        "importers[0]", base=WITH_IMPORTER),
    mdl("importer-demand-not-summing", ("importers", 0, "demand_share"), {"gallium": 0.2}, "demand_share",
        base=WITH_IMPORTER),
    mdl("importer-without-sources", ("importers", 0, "sources"), DELETE, "importers[0]", base=WITH_IMPORTER),
    mdl("importer-stock-days-negative", ("importers", 0, "stock_days"), {"gallium": -3}, "importers[0]",
        base=WITH_IMPORTER),
    mdl("importers-not-tables", ("importers",), ["united_states"], "importers", base=WITH_IMPORTER),
    # [[products.segments]]
    mdl("segment-without-users", GALLIUM + ("segments", 1, "demand_share"), 0.0, "segments[1].demand_share",
        base=WITH_SEGMENTS),
    mdl("segment-shares-not-summing", GALLIUM + ("segments", 1, "demand_share"), 0.5, "segments",
        base=WITH_SEGMENTS),
    mdl("segment-name-repeated", GALLIUM + ("segments", 1, "name"), "direct", "segments[1].name",
        base=WITH_SEGMENTS),
    mdl("segment-unknown-origin", GALLIUM + ("segments", 0, "import_share"), {"XX": 1.0},
        "segments[0].import_share.XX", base=WITH_SEGMENTS),
    mdl("segment-without-sources", GALLIUM + ("segments", 0, "sources"), DELETE, "segments[0]",
        base=WITH_SEGMENTS),
    mdl("segment-unknown-key", GALLIUM + ("segments", 0, "stock"), 3.0, "segments[0].stock", base=WITH_SEGMENTS),
    mdl("segments-not-tables", GALLIUM + ("segments",), ["direct"], "segments", base=WITH_SEGMENTS),
    # the file itself
    Case("model-not-toml", "model", model="[model\norigins = [CN]\n", expect=("small.toml",)),
    Case("model-not-utf8", "model", setup=lambda w: (w / "small.toml").write_bytes(b"[model]\nname = \"\xff\"\n"),
         expect=("small.toml",)),
    Case("model-a-directory", "model", config=mutate(CONFIG, ("run", "model"), "models"),
         setup=lambda w: (w / "models").mkdir(), expect=("run.model",)),
    Case("model-nested-too-deep", "model", model="a = " + "[" * 3000 + "]" * 3000 + "\n",
         expect=("nested too deeply",)),
    # a bad model and a bad [run] are reported together (issue 17, item 9)
    Case("model-and-config-together", "model", model=mutate(MODEL, GALLIUM + ("price",), -1.0),
         config=mutate(CONFIG, ("run", "scenarios"), 0), expect=("price", "run.scenarios")),
]

# ---------------------------------------------------------------- command-line arguments

RUN = ("run", "{config}", "--output", "{out}", "--quiet")


def cli(case_id: str, argv: tuple, *expect: str, **kwargs) -> Case:
    return Case(f"cli-{case_id}", "cli", argv=argv, expect=expect, **kwargs)


def _user_folder(work: Path) -> None:
    """A folder that simcore did not write, at the output's place."""
    (work / "out.zarr").mkdir()
    (work / "out.zarr" / "thesis.txt").write_text("four years of work\n")


CLI_CASES = [
    cli("scenarios-zero", RUN + ("--scenarios", "0"), "--scenarios"),
    cli("scenarios-negative", RUN + ("--scenarios", "-5"), "--scenarios"),
    cli("scenarios-text", RUN + ("--scenarios", "many"), "--scenarios"),
    cli("scenarios-float", RUN + ("--scenarios", "1e3"), "--scenarios"),
    cli("scenarios-above-cap", RUN + ("--scenarios", "200000000"), "--scenarios"),
    cli("scenarios-1e30", RUN + ("--scenarios", "1" + "0" * 30), "--scenarios"),
    cli("scenarios-empty", RUN + ("--scenarios", ""), "--scenarios"),
    cli("scenarios-no-value", RUN + ("--scenarios",), "--scenarios"),
    cli("chunk-size-zero", RUN + ("--chunk-size", "0"), "--chunk-size"),
    cli("chunk-size-text", RUN + ("--chunk-size", "big"), "--chunk-size"),
    cli("keep-unknown", RUN + ("--keep", "all"), "--keep"),
    cli("max-store-gb-zero", RUN + ("--max-store-gb", "0"), "--max-store-gb"),
    cli("max-store-gb-nan", RUN + ("--max-store-gb", "nan"), "--max-store-gb"),
    cli("max-store-gb-inf", RUN + ("--max-store-gb", "inf"), "--max-store-gb"),
    cli("store-above-max-store-gb", RUN + ("--scenarios", "20000000", "--max-store-gb", "1"), "--max-store-gb"),
    cli("unknown-option", RUN + ("--frobnicate",), "--frobnicate"),
    cli("unknown-option-subprocess", RUN + ("--frobnicate",), "--frobnicate", subprocess=True),
    cli("no-command", (), "command"),
    cli("unknown-command", ("simulate", "{config}"), "simulate"),
    cli("run-without-config", ("run",), "config"),
    cli("config-not-found", ("run", "{work}/missing.toml", "--output", "{out}"), "missing.toml"),
    cli("config-not-found-subprocess", ("run", "{work}/missing.toml", "--output", "{out}"), "missing.toml",
        subprocess=True),
    cli("config-a-directory", ("run", "{work}", "--output", "{out}"), "directory"),
    cli("scheduler-no-port", RUN + ("--scheduler", "tcp://localhost:notaport"), "scheduler"),
    cli("scheduler-unknown-scheme", RUN + ("--scheduler", "foo://bar:1"), "scheduler"),
    cli("scheduler-unclosed-bracket", RUN + ("--scheduler", "tcp://[::1"), "scheduler"),
    cli("scheduler-two-ports", RUN + ("--scheduler", "tcp://a:1:2"), "scheduler"),
    cli("scheduler-blank", RUN + ("--scheduler", "   "), "scheduler"),
    cli("scheduler-empty", RUN + ("--scheduler", ""), "scheduler"),
    cli("output-a-file", ("run", "{config}", "--output", "{work}/notes.txt", "--quiet"), "notes.txt",
        setup=lambda w: (w / "notes.txt").write_text("mine\n")),
    cli("output-dot", ("run", "{config}", "--output", ".", "--quiet"), "output"),
    cli("output-dot-slash", ("run", "{config}", "--output", "./", "--quiet"), "output"),
    cli("output-dot-dot", ("run", "{config}", "--output", "sub/..", "--quiet"), "output",
        setup=lambda w: (w / "sub").mkdir()),
    cli("output-a-user-folder", RUN, "out.zarr", setup=_user_folder),
    cli("output-under-a-file", ("run", "{config}", "--output", "{work}/notes.txt/out.zarr", "--quiet"), "notes.txt",
        setup=lambda w: (w / "notes.txt").write_text("mine\n")),
    cli("report-store-missing", ("report", "{work}/nothing.zarr"), "nothing.zarr"),
    cli("report-store-a-user-folder", ("report", "{work}/out.zarr"), "out.zarr", setup=_user_folder),
    cli("report-out-an-existing-file", ("report", "{work}/out.zarr", "--out", "{work}/notes.txt"), "notes.txt",
        setup=lambda w: (w / "notes.txt").write_text("mine\n")),
    cli("attribute-scenarios-negative", ("attribute", "{config}", "stock", "--scenarios", "-5"), "--scenarios"),
    cli("attribute-permutations-text", ("attribute", "{config}", "stock", "--permutations", "many"),
        "--permutations"),
    cli("attribute-missing-policy-argument", ("attribute", "{config}"), "policy"),
    cli("attribute-unknown-policy", ("attribute", "{config}", "no-such-mix"), "no-such-mix"),
    cli("attribute-store-a-file", ("attribute", "{config}", "stock", "--store", "{work}/notes.txt"), "--store",
        setup=lambda w: (w / "notes.txt").write_text("mine\n")),
    cli("sweep-without-sweep-section", ("sweep", "{config}", "--output", "{out}", "--quiet"), "sweep"),
    cli("sweep-scenarios-negative", ("sweep", "{config}", "--scenarios", "-5"), "--scenarios"),
    cli("sweep-config-not-found", ("sweep", "{work}/missing.toml"), "missing.toml"),
    cli("optimize-without-optimize-section", ("optimize", "{config}", "--output", "{out}", "--quiet"), "optimize"),
    cli("sensitivity-temperature-zero", ("sensitivity", "{config}", "--temperature", "0"), "--temperature"),
    cli("sensitivity-unknown-policy", ("sensitivity", "{config}", "--policy", "no-such-mix"), "no-such-mix"),
    cli("serve-port-out-of-range", ("serve", "--port", "70000"), "--port"),
    cli("serve-port-text", ("serve", "--port", "http"), "--port"),
    cli("serve-log-level-unknown", ("serve", "--log-level", "loud"), "--log-level"),
    cli("schema-unknown-kind", ("schema", "toml"), "kind"),
    cli("schema-output-in-missing-folder", ("schema", "model", "--output", "{work}/no/such/folder/model.json"),
        "model.json"),
]

# ---------------------------------------------------------------- sweep and optimize sections

SWEEP_CONFIG = mutate(CONFIG, ("sweep",), {"levers": [{"path": "stockpile.gov_stock_days.gallium",
                                                       "values": [0, 30], "name": "gallium_days"}]})
OPTIMIZE_CONFIG = mutate(CONFIG, ("optimize",), {
    "levers": [{"path": "stockpile.gov_stock_days.gallium", "range": [0, 60], "name": "gallium_days"}],
    "budgets": [1000.0], "train_scenarios": 8, "test_scenarios": 8, "steps": 2})
SWEEP = ("sweep", "{config}", "--quiet", "--output")
OPTIMIZE = ("optimize", "{config}", "--quiet", "--output")


def section(case_id: str, base: dict, path: tuple, value: Any, *expect: str) -> Case:
    command = SWEEP if "sweep" in base else OPTIMIZE
    return Case(f"cli-{command[0]}-{case_id}", "cli", config=mutate(base, path, value), argv=command + ("{out}",),
                expect=expect)


SECTION_CASES = [
    section("lever-unknown-path", SWEEP_CONFIG, ("sweep", "levers", 0, "path"), "stockpile.gov_stock_weeks.gallium",
            "sweep.levers[0].path"),
    section("lever-unknown-product", SWEEP_CONFIG, ("sweep", "levers", 0, "path"), "stockpile.gov_stock_days.tin",
            "sweep.levers[0].path"),
    section("lever-values-negative", SWEEP_CONFIG, ("sweep", "levers", 0, "values"), [-30, 30],
            "sweep.levers[0]"),
    section("levers-empty", SWEEP_CONFIG, ("sweep", "levers"), [], "sweep.levers"),
    section("unknown-key", SWEEP_CONFIG, ("sweep", "desing"), "grid", "sweep.desing"),
    section("design-unknown", SWEEP_CONFIG, ("sweep", "design"), "sobol", "sweep.design"),
    section("base-unknown", SWEEP_CONFIG, ("sweep", "base"), "no-such-mix", "sweep.base"),
    section("lever-range-reversed", OPTIMIZE_CONFIG, ("optimize", "levers", 0, "range"), [60, 0],
            "optimize.levers[0].range"),
    section("lever-not-optimisable", OPTIMIZE_CONFIG, ("optimize", "levers", 0, "path"),
            "stockpile.release_delay_days.gallium", "optimize.levers[0].path"),
    section("budget-and-budgets", OPTIMIZE_CONFIG, ("optimize", "budget"), 500.0, "optimize.budget"),
    section("budgets-negative", OPTIMIZE_CONFIG, ("optimize", "budgets"), [-1.0], "optimize.budgets"),
    section("steps-zero", OPTIMIZE_CONFIG, ("optimize", "steps"), 0, "optimize.steps"),
    section("search-unknown", OPTIMIZE_CONFIG, ("optimize", "search"), "annealing", "optimize.search"),
    section("output-number", OPTIMIZE_CONFIG, ("optimize", "output"), 5, "optimize.output"),
    # the analysis sections' fields come from the config schema (issue 18 item 4)
    section("lever-values-text", SWEEP_CONFIG, ("sweep", "levers", 0, "values"), ["none", 30],
            "sweep.levers[0].values[0]", "must be a number"),
    section("costs-discount-rate-percent", SWEEP_CONFIG, ("sweep", "costs"), {"discount_rate": 2},
            "sweep.costs.discount_rate", "[0, 1]"),
    section("sensitivity-number", OPTIMIZE_CONFIG, ("optimize", "sensitivity"), 1, "optimize.sensitivity"),
    section("lever-range-missing", OPTIMIZE_CONFIG, ("optimize", "levers", 0, "range"), DELETE,
            "optimize.levers[0].range", "is required"),
    # a run checks every analysis section against the schema too (it does not use them)
    Case("config-sobol-confidence-one", "config", config=mutate(CONFIG, ("sobol",), {"confidence": 1.0}),
         expect=("sobol.confidence", "(0, 1)")),
    Case("config-sweep-design-unknown", "config", config=mutate(SWEEP_CONFIG, ("sweep", "design"), "sobol"),
         expect=("sweep.design", "grid, random, latin")),
    Case("cli-sobol-unknown-key", "cli", config=mutate(CONFIG, ("sobol",), {"pointz": 4}),
         argv=("sobol", "{config}", "--out", "{out}"), expect=("sobol.pointz", "points")),
]

# ---------------------------------------------------------------- store paths and URLs


def store(case_id: str, output: str, *expect: str, argv: tuple | None = None, **kwargs) -> Case:
    argv = argv or ("run", "{config}", "--output", output, "--quiet")
    return Case(f"store-{case_id}", "store", argv=argv, expect=expect, **kwargs)


STORE_CASES = [
    store("unknown-scheme", "nosuchfs://bucket/out.zarr", "nosuchfs"),
    store("memory-url", "memory://corpus/out.zarr", "memory://"),
    store("empty", "", "output"),
    store("blank", "   ", "output"),
    store("scheme-without-path", "file://", "output"),
    store("url-dot", "memory://corpus/.", "memory://corpus/."),
    store("chained-unknown-scheme", "simplecache::nosuchfs://bucket/out.zarr", "nosuchfs"),
    store("file-url-under-a-file", "file://{work}/notes.txt/out.zarr", "notes.txt",
          setup=lambda w: (w / "notes.txt").write_text("mine\n")),
    store("file-url-a-user-folder", "file://{work}/out.zarr", "out.zarr", setup=_user_folder),
    store("s3-without-backend", "s3://bucket/out.zarr", "s3"),
    Case("store-config-output-empty", "store", config=mutate(CONFIG, ("run", "output"), ""), argv=("run", "{config}"),
         expect=("output",)),
    Case("store-config-output-unknown-scheme", "store", config=mutate(CONFIG, ("run", "output"), "nosuchfs://b/o.zarr"),
         argv=("run", "{config}", "--quiet"), expect=("nosuchfs",)),
    Case("store-config-output-memory", "store", config=mutate(CONFIG, ("run", "output"), "memory://corpus/cfg.zarr"),
         argv=("run", "{config}", "--quiet"), expect=("memory://",)),
    store("report-unknown-scheme", "", "nosuchfs", argv=("report", "nosuchfs://bucket/out.zarr")),
    store("report-memory-missing", "", "memory://corpus/missing.zarr", argv=("report", "memory://corpus/missing.zarr")),
    store("report-empty", "", "give a path", argv=("report", "")),
    store("sweep-output-dot", "", "output", config=SWEEP_CONFIG, argv=SWEEP + (".",)),
    store("sweep-output-a-user-folder", "", "out.zarr", config=SWEEP_CONFIG, argv=SWEEP + ("{out}",),
          setup=_user_folder),
    store("sweep-output-unknown-scheme", "", "nosuchfs", config=SWEEP_CONFIG,
          argv=SWEEP + ("nosuchfs://bucket/out.zarr",)),
    store("sweep-output-memory", "", "memory://", config=SWEEP_CONFIG, argv=SWEEP + ("memory://corpus/sweep.zarr",)),
    store("optimize-output-a-user-folder", "", "out.zarr", config=OPTIMIZE_CONFIG, argv=OPTIMIZE + ("{out}",),
          setup=_user_folder),
    store("optimize-output-unknown-scheme", "", "nosuchfs", config=OPTIMIZE_CONFIG,
          argv=OPTIMIZE + ("nosuchfs://bucket/out.zarr",)),
    store("attribute-store-unknown-scheme", "", "nosuchfs",
          argv=("attribute", "{config}", "stock", "--store", "nosuchfs://bucket/out.zarr")),
]

# ---------------------------------------------------------------- service request bodies


def signal(**changes) -> dict:
    base = {"origin": "CN", "products": ["gallium"], "onset_days_ahead": 0, "duration_days": 30, "severity": 0.8}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DELETE}


def assessment(**changes) -> dict:
    base = {"model": SMALL, "scenarios": 8, "horizon_days": 90, "seed": 1, "signals": [signal()]}
    base.update(changes)
    return {k: v for k, v in base.items() if v is not DELETE}


def job(**run) -> dict:
    body = {"run": {"model": SMALL, "scenarios": 8, "horizon_days": 30, "seed": 1},
            "events": [{"origin": "CN", "products": ["gallium"], "onset_day": 0, "duration_days": 10,
                        "severity": 0.9}]}
    body["run"].update(run)
    body["run"] = {k: v for k, v in body["run"].items() if v is not DELETE}
    return body


def svc(case_id: str, body: Any, *expect: str, **kwargs) -> Case:
    return Case(f"service-{case_id}", "service", body=body, expect=expect, **kwargs)


def svc_job(case_id: str, body: Any, *expect: str, **kwargs) -> Case:
    return Case(f"service-job-{case_id}", "service", path="/v1/jobs", body=body, expect=expect, **kwargs)


SERVICE_CASES = [
    # assessments
    Case("service-empty-body", "service", raw=b"", expect=("(body)",)),
    Case("service-not-json", "service", raw=b"model=small", expect=("(body)",)),
    Case("service-not-utf8", "service", raw=b'{"model": "\xff"}', expect=("(body)",)),
    Case("service-nested-500-levels", "service", raw=b"[" * 500 + b"]" * 500, expect=("max_json_depth",)),
    Case("service-body-too-large", "service", raw=b'{"model": "' + b"x" * 70_000 + b'"}', expect=("max_body_bytes",)),
    Case("service-nan-token", "service", raw=json.dumps(assessment(scenarios=float("nan"))).encode(),
         expect=("scenarios",)),
    svc("json-array", [assessment()], "(body)"),
    svc("model-missing", assessment(model=DELETE), "model"),
    svc("model-unknown", assessment(model="no_such_model"), "model"),
    svc("model-a-path", assessment(model="../models/demo_critical_materials.toml"), "model"),
    svc("model-number", assessment(model=5), "model"),
    svc("signals-missing", assessment(signals=DELETE), "signals"),
    svc("signals-empty", assessment(signals=[]), "signals"),
    svc("signal-not-a-table", assessment(signals=["CN ban"]), "signals[0]"),
    svc("signal-origin-unknown", assessment(signals=[signal(origin="XX")]), "signals[0].origin"),
    svc("signal-product-unknown", assessment(signals=[signal(products=["tin"])]), "signals[0].products"),
    svc("signal-severity-above-1", assessment(signals=[signal(severity=2.0)]), "signals[0].severity"),
    svc("signal-severity-text", assessment(signals=[signal(severity="high")]), "signals[0].severity"),
    svc("signal-severity-range-reversed", assessment(signals=[signal(severity=DELETE, severity_range=[0.9, 0.1])]),
        "signals[0].severity_range"),
    svc("signal-two-severities", assessment(signals=[signal(severity_range=[0.1, 0.9])]), "signals[0]"),
    svc("signal-onset-date-bad", assessment(signals=[signal(onset_days_ahead=DELETE, onset_date="yesterday")]),
        "signals[0].onset_date"),
    svc("signal-no-onset", assessment(signals=[signal(onset_days_ahead=DELETE)]), "signals[0]"),
    svc("signal-duration-1e308", assessment(signals=[signal(duration_days=1e308)]), "signals[0].duration_days"),
    svc("signal-destinations-unknown", assessment(signals=[signal(destinations=["mars"])]),
        "signals[0].destinations"),
    svc("signal-leakage-share-negative", assessment(signals=[signal(leakage_share=-0.5)]),
        "signals[0].leakage_share"),
    svc("signal-unknown-key", assessment(signals=[signal(strength=3)]), "signals[0].strength"),
    svc("too-many-signals", assessment(signals=[signal(name=f"s{i}") for i in range(9)]), "signals"),
    svc("scenarios-zero", assessment(scenarios=0), "scenarios"),
    svc("scenarios-above-cap", assessment(scenarios=10**9), "scenarios"),
    svc("scenarios-text", assessment(scenarios="8"), "scenarios"),
    svc("horizon-not-offered", assessment(horizon_days=17), "horizon_days"),
    svc("seed-negative", assessment(seed=-1), "seed"),
    svc("as-of-bad", assessment(as_of="2024-13-45"), "as_of"),
    svc("mix-unknown", assessment(mixes=["no-such-mix"]), "mixes"),
    svc("policy-bad-lever", assessment(policies=[{"name": "p", "stockpile": {"gov_stock_days": -1}}]),
        "policies[0].stockpile.gov_stock_days"),
    svc("policy-stockpile-a-service", assessment(policies=[{"name": "p", "stockpile": {"gov_stock_days":
                                                                                      {"repair": 5}}}]),
        "policies[0].stockpile.gov_stock_days.repair"),
    svc("unknown-top-level-key", assessment(priority="high"), "priority"),
    # jobs
    svc_job("empty-object", {}, "run.model"),
    svc_job("not-an-object", [1, 2, 3], "(body)"),
    svc_job("model-unknown", job(model="no_such_model"), "run.model"),
    svc_job("model-a-path", job(model="/etc/passwd"), "run.model"),
    svc_job("scenarios-negative", job(scenarios=-1), "run.scenarios"),
    svc_job("scenarios-text", job(scenarios="8"), "run.scenarios"),
    svc_job("scenarios-above-job-cap", job(scenarios=100_000), "run.scenarios"),
    svc_job("horizon-above-cap", job(horizon_days=99999), "run.horizon_days"),
    svc_job("keep-unknown", job(keep="all"), "run.keep"),
    svc_job("output-given", job(output="/tmp/anywhere.zarr"), "run.output"),
    svc_job("cluster-given", {**job(), "cluster": {"scheduler": "tcp://10.0.0.5:8786"}}, "cluster"),
    svc_job("events-missing", {"run": job()["run"]}, "events"),
    svc_job("event-origin-unknown", {**job(), "events": [{**job()["events"][0], "origin": "XX"}]},
            "events[0].origin"),
    svc_job("policy-unknown-pillar", {**job(), "policies": [{"name": "p", "subsidy": {}}]}, "policies[0].subsidy"),
    # other endpoints
    Case("service-model-detail-unknown", "service", method="GET", path="/v1/models/no_such_model",
         expect=("name",)),
    Case("service-result-format-unknown", "service", method="GET", path="/v1/jobs/0123/result?format=tar",
         expect=("format",)),
]

CASES = CONFIG_CASES + MODEL_CASES + CLI_CASES + SECTION_CASES + STORE_CASES + SERVICE_CASES


# ---------------------------------------------------------------- running a CLI case

class EngineReached(BaseException):
    """Raised by the tripwire where simcore would compute: a bad input got that far.
    A BaseException, so that no ``except Exception`` turns it into a message."""


def _tripwire(monkeypatch) -> None:
    """Replace the engine's entry points (a run's chunks, an analysis's evaluations)."""
    from simcore.analysis import optimize, sensitivity, shapley, sweep
    from simcore.run import job as job_module
    from simcore.run import runner

    def reached(*args, **kwargs):
        raise EngineReached("the engine was reached: the input was not refused during the checks")

    for module, name in ((job_module, "iter_plan_chunks"), (runner, "iter_chunks"), (sweep, "run_sweep"),
                         (sweep, "evaluate_mixes_paired"), (shapley, "evaluate_mixes_paired"),
                         (optimize, "run_optimize"),
                         (sensitivity, "sensitivities")):
        monkeypatch.setattr(module, name, reached)


def _snapshot(folder: Path) -> dict[str, str]:
    """Every file and folder under ``folder``: its relative path -> a hash of its bytes."""
    out = {}
    for root, dirs, files in os.walk(folder):
        for name in dirs:
            out[os.path.relpath(os.path.join(root, name), folder) + "/"] = "folder"
        for name in files:
            path = os.path.join(root, name)
            out[os.path.relpath(path, folder)] = hashlib.sha256(Path(path).read_bytes()).hexdigest()
    return out


def _write_inputs(case: Case, work: Path) -> Path:
    model = case.model if case.model is not None else MODEL
    config = case.config if case.config is not None else CONFIG
    (work / "small.toml").write_text(model if isinstance(model, str) else dump_toml(model))
    (work / "run.toml").write_text(config if isinstance(config, str) else dump_toml(config))
    if case.setup is not None:
        case.setup(work)
    return work / "run.toml"


def _run_cli(case: Case, tmp_path: Path, monkeypatch, capsys) -> tuple[int | None, str, str | None, list[str]]:
    """``(exit status, stderr, traceback of an exception out of main or None, the paths
    of the working folder that were created, changed or removed)``."""
    work = tmp_path / "work"
    work.mkdir()
    config = _write_inputs(case, work)
    argv = [arg.format(config=config, out=work / "out.zarr", work=work) for arg in case.argv]
    before = _snapshot(work)
    monkeypatch.chdir(work)
    if case.subprocess:
        proc = subprocess.run([sys.executable, "-m", "simcore.cli", *argv], capture_output=True, text=True,
                              timeout=120, cwd=work, env={**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])})
        status, stderr, error = proc.returncode, proc.stderr, None
    else:
        from simcore.cli import main

        _tripwire(monkeypatch)
        error = None
        try:
            status = main(argv)
        except SystemExit as exc:  # a subcommand's own parser exits
            status = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        except BaseException:  # noqa: BLE001  (a traceback is what the corpus looks for)
            status, error = None, traceback.format_exc()
        stderr = capsys.readouterr().err
    after = _snapshot(work)
    changed = sorted(k for k in set(before) | set(after) if before.get(k) != after.get(k))
    return status, stderr, error, changed


def check_cli(case: Case, tmp_path: Path, monkeypatch, capsys) -> None:
    status, stderr, error, changed = _run_cli(case, tmp_path, monkeypatch, capsys)
    where = f"\n--- stderr ---\n{stderr[-3000:]}"
    assert error is None, f"an exception out of simcore.cli.main:\n{error[-3000:]}{where}"
    assert status == case.status, f"exit status {status}, expected {case.status}{where}"
    shape = message_shape_problem(stderr)
    assert shape is None, f"stderr is {shape}{where}"
    for text in case.expect:
        assert text in stderr, f"stderr does not name {text!r}{where}"
    assert not changed, f"the working folder changed (store, partial, lock or a user's file): {changed}{where}"


# ---------------------------------------------------------------- running a service case

@pytest.fixture(scope="module")
def service(tmp_path_factory):
    """An app with one key and one registered model (the small test model as 'small');
    no job workers (a job that should have been refused stays queued) and assessments
    replaced by a tripwire (one that should have been refused answers 500)."""
    from simcore.service import Settings, create_app
    from tests.shell_fixtures import SMALL_MODEL

    root = tmp_path_factory.mktemp("corpus-service")
    (root / "models").mkdir()
    (root / "models" / f"{SMALL}.toml").write_text(SMALL_MODEL)
    settings = Settings(models_dir=root / "models", configs_dir=None, data_dir=root / "data",
                        compilation_cache_dir="", api_keys=(KEY,), rate_per_minute=1_000_000, warm_models=(),
                        job_workers=0, assessment_horizons=(90,), default_horizon_days=90,
                        max_assessment_scenarios=64, default_assessment_scenarios=8, max_job_scenarios=512,
                        max_body_bytes=64 * 1024)
    with pytest.MonkeyPatch.context() as patch:
        from simcore.service import app as app_module

        def reached(*args, **kwargs):
            raise RuntimeError("the engine was reached: the request was not refused during the checks")

        patch.setattr(app_module, "run", reached)
        with TestClient(create_app(settings), raise_server_exceptions=False) as client:
            yield client


def check_service(case: Case, client) -> None:
    headers = {"X-API-Key": KEY, **case.headers}
    if case.raw is not None:
        response = client.request(case.method, case.path, content=case.raw,
                                  headers={**headers, "Content-Type": "application/json"})
    elif case.body is not None:
        response = client.request(case.method, case.path, json=case.body, headers=headers)
    else:
        response = client.request(case.method, case.path, headers=headers)
    where = f"\n--- answer {response.status_code} ---\n{response.text[:3000]}"
    assert 400 <= response.status_code < 500, f"status {response.status_code}, expected 4xx{where}"
    try:
        answer = response.json()
    except ValueError:
        pytest.fail(f"the answer is not JSON{where}")
    assert isinstance(answer, dict) and isinstance(answer.get("error"), str), f"no error message{where}"
    texts = [answer["error"]] + [f"{p.get('field')}: {p.get('message')}" for p in answer.get("problems", [])]
    for text in case.expect:
        assert any(text in t for t in texts), f"no field or message names {text!r}{where}"


# ---------------------------------------------------------------- the test

def test_the_corpus_is_large_and_its_ids_unique():
    ids = [case.id for case in CASES]
    assert len(ids) == len(set(ids)), sorted({i for i in ids if ids.count(i) > 1})
    assert len(CASES) >= 120
    assert set(FAILING_CASES) <= set(ids), sorted(set(FAILING_CASES) - set(ids))


def test_the_unmutated_inputs_are_valid(tmp_path, service):
    """The control: every case breaks one thing of inputs that are valid as they are."""
    from simcore.analysis.optimize_section import load_optimize_config
    from simcore.analysis.sweep import load_sweep_config
    from simcore.schema.config import load_config
    from simcore.schema.modelfile import parse_model

    parse_model(base_model_with_importer())
    config = _write_inputs(Case("control", "config"), tmp_path)
    assert load_config(config).scenarios == 24
    for name, raw in (("sweep.toml", SWEEP_CONFIG), ("optimize.toml", OPTIMIZE_CONFIG)):
        (tmp_path / name).write_text(dump_toml(raw))
    load_sweep_config(tmp_path / "sweep.toml")
    load_optimize_config(tmp_path / "optimize.toml")
    headers = {"X-API-Key": KEY}
    queued = service.post("/v1/jobs", json=job(), headers=headers)
    assert queued.status_code == 202, queued.text  # no job worker: it stays queued
    assert service.delete(f"/v1/jobs/{queued.json()['id']}", headers=headers).status_code == 200
    checked = service.post("/v1/assessments", json=assessment(), headers=headers)
    assert checked.status_code == 500 and "internal error" in checked.text  # the checks passed: the tripwire


@pytest.mark.parametrize("case", CASES, ids=[case.id for case in CASES])
def test_bad_input_is_refused_cleanly(case, request, tmp_path, monkeypatch, capsys):
    """One bad input: a clean refusal (see the module docstring for what that means)."""
    if case.category == "service":
        check_service(case, request.getfixturevalue("service"))
    else:
        check_cli(case, tmp_path, monkeypatch, capsys)
