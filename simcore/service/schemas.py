"""Request and response schemas of the HTTP API (pydantic v2).

One schema for files and requests: a signal's fields are the ``[[events]]`` fields of
:class:`~simcore.schema.spec.EventSpec` (same types, ranges and messages), inline
policy mixes are :class:`~simcore.schema.spec.PolicySpec` (the config's
``[[policies]]``), and ``POST /v1/jobs`` takes a whole
:class:`~simcore.schema.spec.ConfigSpec` as JSON. Request bodies are validated by
:mod:`simcore.service.assess` / :mod:`simcore.service.jobs` in two passes like the file
loaders, so a 422 names every bad field at once.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from annotated_types import MinLen
from pydantic import BaseModel, ConfigDict, Field, PlainValidator, WithJsonSchema, create_model

from simcore.schema.spec import (
    MAX_HORIZON_DAYS,
    ConfigSpec,
    Days,
    EventSpec,
    Integer,
    Name,
    PolicySpec,
    _invalid,
    _show,
    _Spec,
    _spec_at,
)

# --------------------------------------------------------------------------- leaves


def _check_date(value):
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value) if len(value) == 10 else _bad_date(value)
        except ValueError:
            pass
    raise _invalid(f"must be a date YYYY-MM-DD, got {_show(value)}")


def _bad_date(value):
    raise ValueError(value)


IsoDate = Annotated[dt.date, PlainValidator(_check_date), WithJsonSchema({"type": "string", "format": "date"})]


def _check_range(value):
    ok = (isinstance(value, list) and len(value) == 2
          and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in value))
    if not ok or not (0.0 <= value[0] < value[1] <= 1.0):
        raise _invalid(f"must be [low, high] with 0 <= low < high <= 1, got {_show(value)}")
    return [float(v) for v in value]


SeverityRange = Annotated[list[float], PlainValidator(_check_range), WithJsonSchema(
    {"type": "array", "items": {"type": "number", "minimum": 0, "maximum": 1}, "minItems": 2, "maxItems": 2})]

# --------------------------------------------------------------------------- requests


def without_nulls(value, spec: type[BaseModel], path: tuple = ()):
    """``value`` (a JSON body validated by ``spec``) with every ``null`` *field* of a
    table of the schema removed: ``null`` means "not given", as a key left out of a TOML
    file (which has no null). Nulls elsewhere (array items, values of a name -> number
    table) stay, and validation refuses them."""
    if isinstance(value, list):
        return [without_nulls(v, spec, path + (i,)) for i, v in enumerate(value)]
    if not isinstance(value, dict):
        return value
    table = _spec_at(spec, path)
    fields = table.model_fields if table is not None else {}
    return {k: without_nulls(v, spec, path + (k,)) for k, v in value.items() if not (v is None and k in fields)}


# Fields a signal shares with a config's [[events]] table: the same definitions.
SHARED_EVENT_FIELDS = ("name", "description", "origin", "products", "announcement_lead_days", "duration_days",
                       "duration_median_days", "duration_sigma", "severity", "severity_alpha", "severity_beta",
                       "tightening_days",
                       # the export-control regime (docs/model.md section 4a)
                       "destinations", "world_loss_share", "licence_delay_days", "approval_easing", "easing_days",
                       "leakage_share", "leakage_delay_days")

Signal = create_model(
    "Signal",
    __base__=_Spec,
    __doc__=("A signal: a foreseen or announced cut of one origin's supply of some products, at a known onset "
             "(a given event). Give the onset as onset_days_ahead or onset_date (with the request's as_of); the "
             "duration as duration_days (fixed) or duration_median_days + duration_sigma (lognormal); the "
             "severity as severity (fixed share withheld), severity_alpha + severity_beta (Beta) or "
             "severity_range [low, high] (the Beta with the range's mean and variance: uniform for [0, 1]). An "
             "export control may state its regime: licence_delay_days, approval_easing over easing_days, "
             "leakage_share after leakage_delay_days, destinations (all, country, others, or a list of the "
             "model's importers) and world_loss_share."),
    **{name: (EventSpec.model_fields[name].annotation, EventSpec.model_fields[name]) for name in SHARED_EVENT_FIELDS},
    onset_days_ahead=(Days | None, Field(None, description="Onset in days from as_of (day 0 of the run)")),
    onset_date=(IsoDate | None, Field(None, description="Onset date (YYYY-MM-DD), on or after as_of")),
    severity_range=(SeverityRange | None, Field(None, description="Severity between low and high (Beta with "
                                                                  "the same mean and variance)")),
)


class AssessmentRequest(_Spec):
    """A signal (or a few at once) against a registered model."""

    model_config = ConfigDict(title="AssessmentRequest", json_schema_extra={"examples": [{
        "model": "demo_critical_materials",
        "signals": [{"origin": "CN", "products": {"gallium": 1.0, "germanium": 0.8}, "onset_days_ahead": 30,
                     "announcement_lead_days": 14, "duration_median_days": 120, "duration_sigma": 0.6,
                     "severity_alpha": 8.0, "severity_beta": 2.0}],
        "mixes": ["stockpile-60d"], "scenarios": 2000, "horizon_days": 365, "seed": 1}]})

    model: Name = Field(description="Registered model name (GET /v1/models)")
    signals: Annotated[list[Signal], MinLen(1)] = Field(description="The signal(s); at most the server's "
                                                                    "max_signals")
    mixes: list[Name] = Field(default_factory=list, description="Named policy mixes of the model's registry")
    policies: list[PolicySpec] = Field(default_factory=list, description="Inline policy mixes ([[policies]] "
                                                                         "schema of run configs)")
    scenarios: Integer(1, 100_000_000) | None = Field(None, description="Scenarios (default: the server's)")
    horizon_days: Integer(1, MAX_HORIZON_DAYS) | None = Field(
        None, description="Days simulated from as_of (one of the server's compiled horizons; default 365)")
    seed: Integer(0, 2**31 - 1) | None = Field(None, description="Random seed (default: drawn and reported)")
    as_of: IsoDate | None = Field(None, description="Day 0 of the run (default: today, UTC)")


# a job: the run-config schema itself (run.model is a registry name, run.output is refused)
JobRequest = ConfigSpec
# a screen job: the same schema, its `screen` table read (no `screen.output`: the server chooses the store)
ScreenRequest = ConfigSpec

# --------------------------------------------------------------------------- responses

OptionalFloat = float | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Problem(_Out):
    field: str
    message: str


class ErrorResponse(_Out):
    error: str = Field(description="What went wrong, in one line")
    problems: list[Problem] = Field(default_factory=list, description="Every bad field at once")


class CountStats(_Out):
    """Statistics of a whole-day count across scenarios (exact)."""

    mean: OptionalFloat = None
    std: OptionalFloat = None
    p_positive: OptionalFloat = Field(None, description="P(value > 0)")
    q50: OptionalFloat = None
    q90: OptionalFloat = None
    q95: OptionalFloat = None
    q99: OptionalFloat = None
    cvar95: OptionalFloat = Field(None, description="mean of the worst 5 %")
    max: OptionalFloat = None


class SurvivalStats(_Out):
    """Days from the supply alarm to the first shortage; statistics over the scenarios
    with a shortage, ``p_shortage`` = share of all scenarios with one."""

    p_shortage: OptionalFloat = None
    mean: OptionalFloat = None
    q05: OptionalFloat = None
    q10: OptionalFloat = None
    q50: OptionalFloat = None
    q90: OptionalFloat = None
    cvar95_lower: OptionalFloat = Field(None, description="mean of the shortest 5 %")
    p_within_7d: OptionalFloat = None
    p_within_30d: OptionalFloat = None
    p_within_90d: OptionalFloat = None
    p_within_180d: OptionalFloat = None


class AmountStats(_Out):
    mean: OptionalFloat = None
    std: OptionalFloat = None
    p_positive: OptionalFloat = None
    q05: OptionalFloat = None
    q50: OptionalFloat = None
    q95: OptionalFloat = None
    cvar95: OptionalFloat = None
    min: OptionalFloat = None
    max: OptionalFloat = None


class ProductResult(_Out):
    unit: str
    shortage_days: CountStats
    time_to_survive: SurvivalStats
    peak_price_change: AmountStats = Field(description="highest user price / baseline - 1")
    mean_price_change: AmountStats
    peak_import_price_change: AmountStats = Field(description="highest import (world) price / baseline - 1")
    unmet: AmountStats = Field(description="demand not served over the horizon [product unit]")
    undelivered_value: AmountStats = Field(description="value of the demand not served [currency]")


class SectorResult(_Out):
    value_added_loss: AmountStats = Field(description="value added lost over the horizon [IO value unit]")
    mean_sector_price_change: AmountStats


class PriceIndex(_Out):
    mean_change: AmountStats
    peak_change: AmountStats


class PolicyResult(_Out):
    name: str
    description: str = ""
    p_any_shortage: OptionalFloat = None
    p_any_material_shortage: OptionalFloat = None
    value_added_loss_mean_total: OptionalFloat = Field(None, description="sum over sectors [IO value unit]")
    price_index: PriceIndex
    products: dict[str, ProductResult]
    sectors: dict[str, SectorResult]


class MixEffect(_Out):
    """A mix against the no-policy baseline on the same scenarios (positive = less risk)."""

    name: str
    shortage_days_mean_reduction: dict[str, OptionalFloat]
    shortage_probability_reduction: dict[str, OptionalFloat]
    peak_price_change_mean_reduction: dict[str, OptionalFloat]
    value_added_loss_mean_reduction: OptionalFloat = None
    value_added_loss_mean_relative_reduction: OptionalFloat = None
    price_index_change_mean_reduction: OptionalFloat = None
    p_any_shortage_reduction: OptionalFloat = None
    normal_price_index_change: OptionalFloat = Field(None, description="price side effect with no disruption")
    stockpile_fiscal_cost_per_year: OptionalFloat = Field(
        None, description="[currency / year] deprecated: the same number as fiscal_cost_per_year (stock financing + "
                          "carrying since issue 20; it was the carrying cost alone); kept for one release")
    fiscal_cost_per_year: OptionalFloat = Field(
        None, description="[currency / year] government stock financing (discount rate) + carrying: the cost "
                          "analysis's fiscal (simcore.run.costs)")
    price_side_effect_per_year: OptionalFloat = Field(None, description="[currency / year] normal-time price side "
                                                      "effect (price index change x final demand)")
    crisis_premium_per_year: OptionalFloat = Field(None, description="[currency / year] expected spare premium")
    total_cost_per_year: OptionalFloat = Field(None, description="[currency / year] fiscal + price side effect + "
                                               "crisis premium")
    avoided_value_added_loss_per_year: OptionalFloat = Field(None, description="[currency / year]")
    avoided_value_added_loss_per_year_se: OptionalFloat = None
    net_benefit_per_year: OptionalFloat = Field(None, description="[currency / year] avoided value-added loss - "
                                                "total cost")
    net_benefit_per_year_se: OptionalFloat = Field(None, description="upper bound (crisis premium spread added)")
    net_benefit_per_year_low: OptionalFloat = Field(None, description="90 % interval, lower end")
    net_benefit_per_year_high: OptionalFloat = Field(None, description="90 % interval, upper end")
    cost_per_avoided_value_added_loss: OptionalFloat = Field(None, description="total cost / avoided loss (< 1: "
                                                             "pays for itself on value added)")
    cost_per_avoided_value_added_loss_se: OptionalFloat = None
    rank_by_net_benefit: OptionalFloat = Field(None, description="1 = largest net benefit (all mixes and the "
                                               "baseline ranked)")
    rank_by_cost_ratio: OptionalFloat = None
    p_beats_next: OptionalFloat = Field(None, description="probability that the net benefit beats the next-ranked "
                                        "mix's (the two taken as independent)")
    normal_markup: dict[str, OptionalFloat] = Field(default_factory=dict, description="normal-time markup of the "
                                                    "user price per product")
    peak_price_change_excl_markup_mean: dict[str, OptionalFloat] = Field(
        default_factory=dict, description="expected peak user price change without the normal-time markup: "
                                          "(1 + peak) / (1 + markup) - 1")
    peak_price_change_excl_markup_mean_reduction: dict[str, OptionalFloat] = Field(default_factory=dict)
    # standard errors of the reductions (paired over the same scenarios); a 90 % interval
    # is the reduction +- 1.645 SE
    shortage_days_mean_reduction_se: dict[str, OptionalFloat] = Field(default_factory=dict)
    shortage_days_total_reduction: OptionalFloat = Field(None, description="summed over products")
    shortage_days_total_reduction_se: OptionalFloat = None
    value_added_loss_mean_reduction_se: OptionalFloat = None
    price_index_change_mean_reduction_se: OptionalFloat = None
    p_any_shortage_reduction_se: OptionalFloat = None


class ModelRef(_Out):
    name: str
    title: str
    version: str = Field(description="SHA-256 of the model file")


class ResolvedSignal(_Out):
    name: str
    origin: str
    products: dict[str, float]
    onset_day: float
    onset_date: str
    announcement_lead_days: float
    duration: str
    severity: str
    regime: dict[str, Any] = Field(
        default_factory=dict, description="The export-control regime as stated (licence delay, easing, leakage, "
                                          "destinations); empty: a plain cut")


class Timing(_Out):
    seconds: float
    queued_seconds: float
    chunk_size: int
    scenarios_computed: int


class AssessmentResponse(_Out):
    model: ModelRef
    seed: int
    scenarios: int
    horizon_days: int
    as_of: str
    currency: str
    io_value_unit: str
    signals: list[ResolvedSignal]
    policies: list[PolicyResult]
    effects: list[MixEffect]
    config: dict[str, Any] = Field(description="The equivalent run config (TOML schema, run.model = registry "
                                               "name): reproduces these numbers")
    warnings: list[str] = Field(default_factory=list)
    simcore_version: str
    jax_version: str
    timing: Timing


class MixInfo(_Out):
    name: str
    description: str
    source: str


class ModelSummary(_Out):
    name: str
    title: str
    version: str
    description: str
    currency: str
    io_value_unit: str
    products: list[str]
    origins: list[str]
    sectors: list[str]
    mixes: list[MixInfo]


class ProductDetail(_Out):
    name: str
    unit: str
    storable: bool
    import_share: dict[str, float]


class ModelDetail(ModelSummary):
    product_details: list[ProductDetail]
    mix_levers: dict[str, dict[str, Any]]


class ModelList(_Out):
    models: list[ModelSummary]


class JobStatus(_Out):
    id: str
    kind: str = Field("run", description="run (POST /v1/jobs) | screen (POST /v1/screens)")
    status: str = Field(description="queued | running | complete | failed | cancelled")
    model: str
    model_version: str
    scenarios: int
    scenarios_done: int
    progress: float = Field(description="scenarios_done / scenarios")
    phase: str | None = None
    created: float
    started: float | None = None
    finished: float | None = None
    restarts: int = Field(0, description="times the job was resumed after a server restart")
    error: str | None = None
    links: dict[str, str]


class JobResult(_Out):
    id: str
    model: ModelRef
    seed: int
    scenarios: int
    horizon_days: int
    currency: str
    io_value_unit: str
    policies: list[PolicyResult]
    effects: list[MixEffect]


class ScreenUnitRow(_Out):
    """One unit of a screen under ``rank_by`` (docs/screening.md, 'What each column means')."""

    rank: OptionalFloat = None
    rank_low: OptionalFloat = None
    rank_high: OptionalFloat = None
    unit: str
    kind: str = Field(description="product | service | link | hidden | recipe | domestic")
    expected_loss: OptionalFloat = Field(None, description="expected value-added loss over the horizon [IO value unit]")
    expected_loss_se: OptionalFloat = None
    cvar95_loss: OptionalFloat = None
    q95_loss: OptionalFloat = None
    p_shortage: OptionalFloat = None
    time_to_survive: OptionalFloat = Field(None, description="[days]")
    beats_next: OptionalFloat = None
    point_rank_low: OptionalFloat = None
    point_rank_high: OptionalFloat = None
    losses: dict[str, OptionalFloat] = Field(description="expected loss under each disruption")
    annual_loss: OptionalFloat = Field(None, description="probability-weighted annual loss of the unit's hazard")
    supply_share: OptionalFloat = None
    hazard_per_year: OptionalFloat = None
    spof: bool
    spof_confirmed: bool
    spof_sectors: str


class ScreenMix(_Out):
    name: str
    units: list[ScreenUnitRow] = Field(description="every unit in rank order under rank_by")


class ScreenResult(_Out):
    """The result of a screen job: the ranked table of every mix as data."""

    id: str
    kind: Literal["screen"]
    model: ModelRef
    seed: int
    scenarios: int
    horizon_days: int
    points: int
    bootstrap: int
    cases: int
    io_value_unit: str
    rank_by: str
    confidence: float
    disruptions: list[str]
    mixes: list[ScreenMix]


class Health(_Out):
    status: str
    detail: str | None = None
