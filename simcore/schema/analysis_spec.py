"""The schema of the analysis sections of a run config: ``[sweep]``, ``[attribution]``,
``[optimize]``, ``[sobol]``, ``[robustness]`` and ``[screen]`` (read by ``simcore sweep``,
``attribute``, ``optimize``, ``sobol``, ``robustness`` and ``screen``; see ``docs/analysis.md``).

Field by field only, built from the leaf types of :mod:`~simcore.schema.fields` like
the rest of the run config (:mod:`~simcore.schema.config_spec` declares the sections
with these classes, so the JSON Schema has them and every loader checks them with the
rest of the file). The rules across fields and against the loaded model stay with the
command that reads the section (pass 2): lever paths naming the model's products and
origins, the base policy among the config's mixes, exactly one of ``values`` or
``range``, a grid's size, the sweep's metric names (:mod:`simcore.analysis.sweep`, ``shapley``, ``optimize``,
``sobol``). They call :func:`check_section` first: pass 1 of one section alone, its
fields named from the top of the file (``sweep.levers[0].range``).
"""

from __future__ import annotations

from typing import Annotated, Any

from annotated_types import MaxLen, MinLen
from pydantic import BaseModel, Field, PlainValidator, WithJsonSchema, create_model

from simcore.schema.errors import MAX_SCENARIOS, Problems
from simcore.schema.fields import (
    Choice,
    Integer,
    Interval,
    Name,
    NonNegative,
    Number,
    PathText,
    Spec,
    invalid,
    show,
)
from simcore.schema.problems import schema_problems

BASELINE = "no-policy"  # simcore.schema.config.BASELINE_POLICY (that module loads JAX)
MAX_SEED = 2**32 - 1

# [sweep]
DESIGNS = ("grid", "random", "latin")
MAX_MIXES = 100_000
MAX_GRID_POINTS = 10_000  # per lever
SWEEP_METRIC_WORDS = ("default", "all")
# [attribution]
ATTRIBUTION_METHODS = ("auto", "exact", "sampling")
ATTRIBUTION_RESTS = ("policy", "reference")
MAX_PLAYERS = 64
# [optimize]
OPTIMIZE_METHODS = ("pgd", "adam")
SEARCHES = ("random", "grid")
# [sobol] (simcore.analysis.sobol: METRICS, PER_PRODUCT, GROUP_BY; sobol_design.SAMPLING)
SOBOL_METRICS = ("shortage_days", "p_any_shortage", "value_added_loss", "peak_price_change")
SOBOL_PER_PRODUCT = ("shortage_days", "peak_price_change")
SOBOL_GROUP_BY = ("entry", "field", "product")
SOBOL_SAMPLING = ("sobol", "random")


# --------------------------------------------------------------------------- leaves of these sections only

def _check_sweep_metrics(value):
    if isinstance(value, str) and value in SWEEP_METRIC_WORDS:
        return value
    if not (isinstance(value, list) and value and all(isinstance(m, str) and m.strip() for m in value)):
        raise invalid(f'must be "default", "all" or a non-empty list of metric names; got {show(value)}')
    return value  # the names: simcore.analysis.sweep (simcore.run.metrics is a layer above the schema)


SweepMetrics = Annotated[Any, PlainValidator(_check_sweep_metrics), WithJsonSchema(
    {"oneOf": [{"type": "string", "enum": list(SWEEP_METRIC_WORDS)},
               {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1}]})]


def _check_players(value):
    if value == "pillars":
        return value
    if not (isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)):
        raise invalid(f'must be "pillars" or a non-empty list of lever paths, got {show(value)}')
    if len(value) > MAX_PLAYERS:
        raise invalid(f"at most {MAX_PLAYERS} players, got {len(value)}")
    return value


Players = Annotated[Any, PlainValidator(_check_players), WithJsonSchema(
    {"oneOf": [{"type": "string", "enum": ["pillars"]},
               {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                "maxItems": MAX_PLAYERS}]})]

_SOBOL_METRIC_TEXT = (f"one of {', '.join(SOBOL_METRICS)}, or NAME:PRODUCT with NAME one of "
                      f"{', '.join(SOBOL_PER_PRODUCT)}")


def _check_sobol_metric(value):
    name, colon, product = value.partition(":") if isinstance(value, str) else ("", "", "")
    if not (name in (SOBOL_PER_PRODUCT if colon else SOBOL_METRICS) and (not colon or product.strip())):
        raise invalid(f"must be {_SOBOL_METRIC_TEXT}, got {show(value)}")
    return value


SobolMetric = Annotated[str, PlainValidator(_check_sobol_metric), WithJsonSchema(
    {"type": "string", "minLength": 1, "description": _SOBOL_METRIC_TEXT})]


# --------------------------------------------------------------------------- the sections

class CostsSpec(Spec):
    """`[sweep.costs]`, `[optimize.costs]`: financial assumptions of the cost accounting
    (defaults: simcore.analysis.costs.CostAssumptions)."""

    discount_rate: Number(0.0, 1.0) = Field(0.02, description="Real public discount rate [1 / year]")
    stock_life_years: Number(1.0, 200.0) = Field(20.0, description="Life of a stockpile programme [years]")
    stock_residual_share: Number(0.0, 1.0) = Field(
        1.0, description="Share of the stock's purchase value resold at the end of its life")


_LEVER_PATH = ("Lever path: pillar.lever[.product[.origin]], e.g. stockpile.gov_stock_days.gallium or "
               "diversification.spare_capacity.gallium.EU (products and origins of the model)")


class SweepLeverSpec(Spec):
    """One lever of `[sweep]`: its path and its values, or a range (with n in a grid)."""

    path: Name = Field(description=_LEVER_PATH)
    values: Annotated[list[Number()], MinLen(1), MaxLen(MAX_GRID_POINTS)] | None = Field(
        None, description="The lever's values (unique; a grid runs each; a random design draws among them); or range")
    range: Interval(strict=False) | None = Field(
        None, description="[low, high] in the lever's units: n evenly spaced points in a grid (ends included), "
                          "uniform draws in a random or latin design; or values")
    n: Integer(1, MAX_GRID_POINTS) | None = Field(None, description="Points of range in a grid (2 or more)")
    name: Name | None = Field(None, description="Dimension name in the results (default: the path)")


class SweepSectionSpec(Spec):
    """`[sweep]`: vary levers over a grid or a random design for `simcore sweep`."""

    levers: Annotated[list[SweepLeverSpec], MinLen(1)] = Field(description="The levers varied, one table each")
    design: Choice(*DESIGNS) = Field("grid", description="grid (every combination), random or latin (samples "
                                                         "draws)")
    samples: Integer(1, MAX_MIXES) | None = Field(None, description="Mixes drawn (random and latin designs only)")
    seed: Integer(0, MAX_SEED) | None = Field(None, description="Seed of a random design (default run.seed)")
    base: Name = Field(BASELINE, description="Policy whose other levers are kept (one of the config's policies)")
    scenarios: Integer(1, 10**9) | None = Field(None, description="Scenarios per mix (default run.scenarios)")
    chunk_size: Integer(1, 10**7) | None = Field(None, description="Scenarios per compiled batch (default "
                                                                   "run.chunk_size)")
    policy_chunk: Integer(1, 4096) = Field(16, description="Mixes per compiled batch")
    output: PathText | None = Field(None, description="Zarr store (default results/<config name>.zarr)")
    metrics: SweepMetrics = Field("default", description='"default", "all" or a list of metric names (of '
                                  "simcore.run.metrics, e.g. shortage_days, value_added_loss)")
    costs: CostsSpec | None = None


class AttributionSectionSpec(Spec):
    """`[attribution]`: Shapley attribution settings (the arguments of `simcore attribute`)."""

    policy: Name | None = Field(None, description="The policy mix attributed (one of the config's policies)")
    players: Players = Field("pillars", description='"pillars" (the three pillars) or a list of lever paths '
                                                    "setting disjoint levers")
    method: Choice(*ATTRIBUTION_METHODS) = Field(
        "auto", description="exact (all 2^n coalitions), sampling (random orders) or auto (exact up to 8 players)")
    permutations: Integer(2, 1_000_000) = Field(200, description="Random orders of the sampling method")
    seed: Integer(0, MAX_SEED) = Field(0, description="Seed of the random orders")
    scenarios: Integer(1, MAX_SCENARIOS) | None = Field(None, description="Scenarios (default run.scenarios)")
    rest: Choice(*ATTRIBUTION_RESTS) = Field(
        "policy", description="Levers of no player: at the mix's values (policy) or at no policy (reference)")
    store: PathText | None = Field(None, description="Store to write the attribution into (group attribution)")


class OptimizeLeverSpec(Spec):
    """One decision variable of `[optimize]`: its path and bounds."""

    path: Name = Field(description=_LEVER_PATH + "; optimisable: stockpile.gov_stock_days, "
                       "stockpile.private_extra_days, diversification.spare_capacity.P.O, recycling.share, "
                       "recycling.efficiency_cut")
    range: Interval(strict=True) = Field(description="[low, high] bounds of the level, low < high, in the "
                                                     "lever's units")
    name: Name | None = Field(None, description="Name in the results (default: the path)")


class OptimizeSectionSpec(Spec):
    """`[optimize]`: choose lever levels under a yearly budget for `simcore optimize`."""

    levers: Annotated[list[OptimizeLeverSpec], MinLen(1)] = Field(description="The decision variables")
    base: Name = Field(BASELINE, description="Policy whose other levers are kept (one of the config's policies)")
    budget: NonNegative | None = Field(None, description="Yearly standing cost limit [currency / year]; or budgets")
    budgets: Annotated[list[NonNegative], MinLen(1)] | None = Field(
        None, description="Yearly standing cost limits, unique [currency / year]: the Pareto front; or budget")
    cvar_weight: Number(0.0, 1e6) = Field(0.0, description="Objective = E[loss] + cvar_weight x CVaR95[loss]")
    train_scenarios: Integer(1, 10**6) = Field(256, description="Scenarios of the gradient (common random numbers)")
    test_scenarios: Integer(2, 10**7) = Field(1000, description="Fresh scenarios of the out-of-sample evaluation")
    steps: Integer(1, 100_000) = Field(60, description="Gradient steps per budget")
    learning_rate: Number(1e-6, 10.0) = Field(0.05, description="Step size, in units of each lever's range")
    temperature: Number(1e-6, 10.0) = Field(0.02, description="Final temperature of the smoothed engine")
    temperature_start: Number(1e-6, 10.0) = Field(0.2, description="Starting temperature (annealed geometrically)")
    exact_evaluations: Integer(1, 100_000) = Field(
        10, description="Iterates run on the exact engine (the best is returned); the search gets as many")
    shortfall_weight: Number(0.0, 1e9) = Field(
        1.0, description="Surrogate = risk + shortfall_weight x E[value not delivered] (gradients only)")
    method: Choice(*OPTIMIZE_METHODS) = Field("pgd", description="pgd (projected gradient) or adam")
    search: Choice(*SEARCHES) = Field("random", description="The comparison search: random or grid")
    seed: Integer(0, MAX_SEED) | None = Field(None, description="Seed of the search (default run.seed)")
    output: PathText | None = Field(None, description="Zarr store (default results/<config name>.zarr)")
    sensitivity: bool = Field(False, description="Also store the parameter sensitivities of the base policy")
    costs: CostsSpec | None = None


class SobolSectionSpec(Spec):
    """`[sobol]`: Sobol indices over the model's uncertain numbers for `simcore sobol`
    (options given on the command line win)."""

    points: Integer(2, 10**6) = Field(128, description="Base sample size N (design: N x (groups + 2) points)")
    scenarios: Integer(1, MAX_SCENARIOS) = Field(200, description="Common scenarios per design point")
    start: Integer(0, MAX_SEED) = Field(0, description="First scenario index")
    metrics: Annotated[list[SobolMetric], MinLen(1)] = Field(
        list(SOBOL_METRICS), description="Metrics: " + _SOBOL_METRIC_TEXT + " (a product of the model)")
    group_by: Choice(*SOBOL_GROUP_BY) = Field(
        "entry", description="Groups of uncertain numbers: each entry, each field, or each product")
    policies: Annotated[list[Name], MinLen(1)] = Field([BASELINE], description="Policy mixes (of the config)")
    bootstrap: Integer(1, 10**6) = Field(500, description="Bootstrap resamples of the intervals")
    confidence: Number(0.0, 1.0, low_open=True, high_open=True) = Field(0.9, description="Interval level")
    sampling: Choice(*SOBOL_SAMPLING) = Field("sobol", description="Design sequence: scrambled sobol or random")
    chunk_points: Integer(1, 10**6) = Field(8, description="Design points per compiled chunk")
    chunk_scenarios: Integer(1, 10**7) = Field(200, description="Scenarios per compiled chunk")
    seed: Integer(0, MAX_SEED) = Field(0, description="Seed of the design (the scenarios use run.seed)")


DISCOVERY_INPUTS = ("all", "events", "parameters")


class DiscoverySpec(Spec):
    """`[robustness.discovery]`: scenario discovery (PRIM) of when one mix fails."""

    policy: Name = Field(description="The mix examined (one of the mixes compared)")
    metric: SobolMetric = Field("shortage_days", description="Failure metric: " + _SOBOL_METRIC_TEXT)
    threshold: Number() = Field(30.0, description="A scenario fails when the metric exceeds this (metric units)")
    scenarios: Integer(10, MAX_SCENARIOS) = Field(2000, description="Scenarios, each with its own parameter draw")
    start: Integer(0, MAX_SEED) = Field(0, description="First scenario index")
    seed: Integer(0, MAX_SEED) = Field(1, description="Seed of the parameter draws and of the held-out split")
    peel_alpha: Number(0.01, 0.5) = Field(0.05, description="Share of the box's scenarios peeled per step")
    paste: bool = Field(True, description="Widen the chosen box while its density rises")
    min_support: Number(0.0, 1.0, low_open=True, high_open=True) = Field(
        0.05, description="Peeling stops before the box holds fewer than this share of the scenarios")
    min_coverage: Number(0.0, 1.0) = Field(0.5, description="The chosen box: the densest step with at least this "
                                                            "coverage")
    holdout: Number(0.0, 0.9) = Field(0.3, description="Share of scenarios held out to re-measure the chosen box")
    simplify: Number(0.0, 1.0) = Field(0.05, description="Drop restrictions of the chosen box while its density "
                                                         "stays within this of the box's (0: keep every one)")
    inputs: Choice(*DISCOVERY_INPUTS) = Field("all", description="Inputs: event draws, uncertain numbers, or both")


class RobustnessSectionSpec(Spec):
    """`[robustness]`: regret of the config's mixes across scenarios and parameter points
    for `simcore robustness` (options given on the command line win)."""

    policies: Annotated[list[Name], MinLen(2)] | None = Field(
        None, description="Mixes compared (of the config; default: all, no-policy included)")
    metric: SobolMetric = Field("value_added_loss", description="Loss: " + _SOBOL_METRIC_TEXT)
    cost: bool = Field(False, description="Add each mix's standing cost over the horizon (fiscal + price side "
                                          "effect) to the loss; value_added_loss only")
    points: Integer(1, 100_000) = Field(16, description="Parameter points (Latin hypercube; 1: the medians)")
    scenarios: Integer(1, MAX_SCENARIOS) = Field(200, description="Common scenarios per parameter point")
    start: Integer(0, MAX_SEED) = Field(0, description="First scenario index")
    seed: Integer(0, MAX_SEED) = Field(0, description="Seed of the parameter points")
    satisficing_metric: SobolMetric | None = Field(None, description="Metric of the satisficing test (default: "
                                                                     "metric, without cost)")
    satisficing_threshold: NonNegative = Field(0.0, description="A lane (point) satisfices when the (expected) "
                                                                "satisficing metric is at most this")
    chunk_size: Integer(1, 10**6) = Field(256, description="Lanes per compiled chunk")
    output: PathText | None = Field(None, description="Zarr store (default results/<config name>.zarr)")
    costs: CostsSpec | None = None
    discovery: DiscoverySpec | None = None


SCREEN_KINDS = ("product", "service", "link", "hidden", "recipe", "domestic")  # screen_units.KINDS
SCREEN_DISRUPTION_KINDS = ("loss", "hazard")
MAX_SCREEN_LANE_DAYS = 10**13  # the largest size cap a config may set (screen.max_lane_days)


class ScreenDisruptionSpec(Spec):
    """One disruption of `[screen]`: a loss from day 0 (full, partial, a licensing regime) or
    the unit's own hazard (the config's events that hit it)."""

    name: Name = Field(description="Name in the results (unique)")
    kind: Choice(*SCREEN_DISRUPTION_KINDS) = Field("loss", description="loss (a given event from day 0) or hazard "
                                                                       "(the unit's own events of the config)")
    severity: Number(0.0, 1.0, low_open=True) = Field(1.0, description="Share of the unit's supply withheld (loss)")
    duration_days: Number(1.0, 100_000.0) = Field(90.0, description="Days the loss lasts")
    tightening_days: Number(0.0, 100_000.0) = Field(0.0, description="Days from onset to full severity")
    licence_delay_days: Number(0.0, 100_000.0) = Field(0.0, description="Licensing regime: days with nothing "
                                                                         "licensed after onset")
    approval_easing: Number(0.0, 1.0) = Field(0.0, description="Licensing regime: share of the withheld volume "
                                                               "licensed once eased")
    easing_days: Number(0.0, 100_000.0) = Field(0.0, description="Licensing regime: days after the delay until the "
                                                                 "easing is complete")


class ScreenSectionSpec(Spec):
    """`[screen]`: the chokepoint screen of `simcore screen` (every product, supply link,
    hidden link and service under a family of disruptions, ranked with intervals)."""

    units: Annotated[list[Name], MinLen(1)] | None = Field(
        None, description="Units screened by name (default: every unit of the kinds below)")
    kinds: Annotated[list[Choice(*SCREEN_KINDS)], MinLen(1)] = Field(
        list(SCREEN_KINDS), description="Kinds of units screened")
    disruptions: Annotated[list[ScreenDisruptionSpec], MinLen(1)] | None = Field(
        None, description="The disruption family (default: full loss 30/90/365 days, 50 % for 90 days, a licensing "
                          "regime, the unit's hazard)")
    policies: Annotated[list[Name], MinLen(1)] = Field([BASELINE], description="Mixes in force (of the config); "
                                                                              "the first ranks")
    rank_by: Name = Field("full-90", description="The disruption whose expected loss ranks the units")
    scenarios: Integer(2, MAX_SCENARIOS) = Field(200, description="Common scenarios per case")
    start: Integer(0, MAX_SEED) = Field(0, description="First scenario index")
    bootstrap: Integer(0, 100_000) = Field(200, description="Paired bootstrap replicates of the rank intervals")
    points: Integer(0, 10_000) = Field(
        0, description="Parameter points (Latin hypercube of the model's uncertain numbers, seed `seed`), each on "
                       "the same scenarios: rank intervals over the points too; 0: each scenario draws its own")
    seed: Integer(0, MAX_SEED) = Field(0, description="Seed of the bootstrap weights (the scenarios use run.seed)")
    chunk_cases: Integer(1, 100_000) = Field(16, description="Cases (unit x disruption) per compiled chunk")
    chunk_scenarios: Integer(1, 10**6) = Field(100, description="Scenarios per compiled chunk")
    max_lane_days: Number(1.0, float(MAX_SCREEN_LANE_DAYS)) = Field(
        2e10, description="Size cap: cases x mixes x scenarios x horizon days")
    top: Integer(1, 100_000) = Field(25, description="Rows of the ranked table printed")
    output: PathText | None = Field(None, description="Zarr store (default results/<config name>.zarr)")


SECTION_SPECS: dict[str, type[Spec]] = {"sweep": SweepSectionSpec, "attribution": AttributionSectionSpec,
                                        "optimize": OptimizeSectionSpec, "sobol": SobolSectionSpec,
                                        "robustness": RobustnessSectionSpec,
                                        "screen": ScreenSectionSpec}

# added to "is required" / "must not be empty" (simcore.schema.problems), by field pattern
HINTS = {
    "sweep.levers": "a non-empty list of {path, values} or {path, range, n} tables",
    "sweep.levers.*.path": "a lever path like 'stockpile.gov_stock_days.gallium'",
    "optimize.levers": "a non-empty list of {path, range = [low, high]} tables",
    "optimize.levers.*.path": "a lever path like 'stockpile.gov_stock_days.gallium'",
    "optimize.levers.*.range": "[low, high] with low < high",
}

# One section alone: a table holding only it, so that fields are named from the top of the file.
_ALONE: dict[str, type[BaseModel]] = {
    name: create_model(f"{spec.__name__}Alone", __base__=Spec, **{name: (spec, ...)})
    for name, spec in SECTION_SPECS.items()}


def check_section(name: str, raw: Any, problems: Problems) -> tuple[Spec | None, Any]:
    """Pass 1 of the analysis section ``name`` (``"sweep"``, ...) given as ``raw``.

    Adds one problem per bad field to ``problems`` (``sweep.levers[1].range: must be
    [low, high] ...``) and returns the validated section (``None`` if anything is wrong)
    and ``raw`` without the values that failed, for the command's pass 2 (see
    :func:`~simcore.schema.problems.schema_problems`)."""
    spec, clean = schema_problems(_ALONE[name], {name: raw}, problems, hints=HINTS)
    return (getattr(spec, name) if spec is not None else None), (clean or {}).get(name)
