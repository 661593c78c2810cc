"""The schema of a run config: ``[run]``, ``[cluster]``, ``[[events]]``, the policy
mixes ``[[policies]]`` with their three pillars (stockpile, diversification, recycling)
and the analysis sections (declared in :mod:`~simcore.schema.analysis_spec`).

Field by field only; the rules across fields and against the model (origins, products,
import shares) are :mod:`~simcore.schema.config`'s. The leaf types are in
:mod:`~simcore.schema.fields`.
"""

from __future__ import annotations

from typing import Annotated, Union

from annotated_types import MinLen
from pydantic import ConfigDict, Discriminator, Field, Tag

from simcore.schema.analysis_spec import (
    AttributionSectionSpec,
    CostsSpec,
    OptimizeSectionSpec,
    RobustnessSectionSpec,
    ScreenSectionSpec,
    SobolSectionSpec,
    SweepSectionSpec,
)
from simcore.schema.errors import MAX_SCENARIOS
from simcore.schema.fields import (
    LIST_TAG,
    MAX_HORIZON_DAYS,
    TABLE_TAG,
    Choice,
    Days,
    Destinations,
    Integer,
    Name,
    NonNegative,
    Number,
    PerProduct,
    Positive,
    Share,
    ShareTable,
    Spec,
    UShare,
)

RECYCLING_START = {"in-place": 0.0, "at-alarm": 1.0}
KEEP_CHOICES = ("per-scenario", "summary")


class RunSpec(Spec):
    """`[run]`: what to run and how much of it."""

    model: str | None = Field(None, description="Path of the model file, relative to the config file")
    scenarios: Integer(1, MAX_SCENARIOS) = Field(1000, description="Number of sampled scenarios")
    horizon_days: Integer(1, MAX_HORIZON_DAYS) = Field(365, description="Simulated days")
    chunk_size: Integer(1, 10_000_000) | None = Field(None, description="Scenarios per compiled batch")
    seed: Integer(0, 2**31 - 1) = Field(0, description="Random seed")
    output: Name | None = Field(None, description="Zarr store: a path or an fsspec URL such as s3://bucket/run.zarr "
                                                 "(default results/<config name>.zarr)")
    daily_scenarios: Integer(0, 1000) = Field(0, description="Keep day-by-day trajectories of the first N scenarios")
    keep: Choice(*KEEP_CHOICES) = Field(
        "per-scenario", description="What the store keeps: every scenario's metrics, or only the streamed summary "
        "(for 1e7+ scenarios)")
    fan_quantiles: bool = Field(
        False, description="Stream per-day quantiles (5, 25, 50, 75, 95 %) over every scenario of user prices, "
        "stocks and sector output for the report's fan charts (group daily_quantiles)")


class ClusterSpec(Spec):
    """`[cluster]`: run the chunks on a Dask distributed cluster."""

    scheduler: str = Field(description="Address of the Dask scheduler, e.g. tcp://10.0.0.5:8786")


def _list_or_table(value) -> str:
    return TABLE_TAG if isinstance(value, dict) else LIST_TAG



EventProducts = Annotated[
    Union[Annotated[Annotated[list[Name], MinLen(1)], Tag(LIST_TAG)],
          Annotated[Annotated[dict[str, Share], MinLen(1)], Tag(TABLE_TAG)]],
    Discriminator(_list_or_table)]


class EventSpec(Spec):
    """`[[events]]`: a threat from one origin to a set of products."""

    name: Name | None = Field(None, description="Unique event name (default 'event <i>')")
    description: str = Field("", description="What the event is")
    origin: Name = Field(description="One of the model's origins")
    products: EventProducts = Field(description="Affected products: a list, or {product = severity weight}")
    onset_day: Days | None = Field(None, description="Fixed onset day (a given event); or hazard_per_year")
    hazard_per_year: Positive | None = Field(None, description="Random onsets per year (Poisson); or onset_day")
    max_occurrences: Integer(1, 50) | None = Field(
        None, description="Most occurrences within the horizon (only with hazard_per_year; default 4)")
    announcement_lead_days: Days = Field(0.0, description="Days between announcement and onset")
    duration_days: Number(1.0, MAX_HORIZON_DAYS) | None = Field(None, description="Fixed duration [days]")
    duration_median_days: Number(1.0, MAX_HORIZON_DAYS) | None = Field(
        None, description="Median of a lognormal duration [days] (with duration_sigma)")
    duration_sigma: Number(0.0, 3.0) = Field(0.0, description="Lognormal sigma of the duration")
    severity: Share | None = Field(None, description="Fixed share of the origin's supply withheld")
    severity_alpha: Positive | None = Field(None, description="Beta severity: alpha (with severity_beta)")
    severity_beta: Positive | None = Field(None, description="Beta severity: beta (with severity_alpha)")
    tightening_days: Days = Field(0.0, description="Linear build-up to full severity [days]")
    # export-control regimes (docs/model.md section 4)
    destinations: Destinations = Field(
        "all", description="Who the control is aimed at: every destination, the country studied only, every "
                           "destination but the country, or a list of the model's importers (and \"country\")")
    world_loss_share: Share | None = Field(
        None, description="Share of the volume withheld from the destinations that is lost to the world market "
                          "(default 1 for all and others; 0 for country or a list: diverted to other buyers)")
    licence_delay_days: Days = Field(0.0, description="Days after onset before any licence is granted (full stop)")
    approval_easing: Share = Field(0.0, description="Share of the withheld volume licensed after all, "
                                                    "reached easing_days after the licence delay")
    easing_days: Days = Field(0.0, description="Days over which approvals ease (linear)")
    leakage_share: UShare = Field(0.0, description="Share of the withheld volume reaching the world market "
                                                   "through third countries: a number, or a triangular / uniform "
                                                   "distribution drawn per scenario")
    leakage_delay_days: Days = Field(0.0, description="Transshipment delay of the leaked volume [days]")


def _lever(description: str, what: str = "a number"):
    return Field(None, description=description + f' ({what}, or {{product = value, "*" = default}})')


class StockpileSpec(Spec):
    """`[policies.stockpile]`: government stock and private buffers."""

    gov_stock_days: PerProduct(Days) | None = _lever("Government stock [days of demand]")
    release_rate: PerProduct(NonNegative) | None = _lever("Most released per day [share of demand]")
    release_trigger_shortfall: PerProduct(Share) | None = _lever(
        "Release only while the shortfall exceeds this share of demand")
    release_delay_days: PerProduct(Days) | None = _lever("Decision lag after the alarm [days]")
    refill_rate: PerProduct(NonNegative) | None = _lever("Buy-back per day after the crisis [share of demand]")
    carrying_cost: PerProduct(Share) | None = _lever("Yearly cost [share of stock value]")
    private_extra_days: PerProduct(Days) | None = _lever("Extra private buffer [days of demand]")


class DiversificationSpec(Spec):
    """`[policies.diversification]`: shifted supplier shares and spare capacity."""

    import_share: dict[str, ShareTable] = Field(
        default_factory=dict, description="{product = {origin = share}}, same import total as the model")
    premium: PerProduct(NonNegative) | None = _lever("Price premium on shifted volume")
    spare_capacity: dict[str, ShareTable] = Field(
        default_factory=dict, description="{product = {origin = share of demand}} contracted spare supply")
    qualification_lag_days: PerProduct(Days) | None = _lever("From the alarm to first spare supply [days]")
    ramp_days: PerProduct(Days) | None = _lever("Ramp-up of spare supply [days]")
    spare_premium: PerProduct(NonNegative) | None = _lever("Premium on spare volume used")
    reservation_fee: PerProduct(NonNegative) | None = _lever("Fee on the contracted share")


class RecyclingSpec(Spec):
    """`[policies.recycling]`: secondary supply and material efficiency."""

    share: PerProduct(Share) | None = _lever("Secondary supply [share of demand]")
    ramp_days: PerProduct(Days) | None = _lever("Ramp of the recycling share [days]")
    premium: PerProduct(NonNegative) | None = _lever("Extra cost of recycled supply [share of price]")
    efficiency_cut: PerProduct(Number(0.0, 0.99)) | None = _lever("Share of use saved")
    efficiency_ramp_days: PerProduct(Days) | None = _lever("Ramp of the efficiency cut [days]")
    efficiency_cost: PerProduct(NonNegative) | None = _lever("Price markup per unit of cut")
    start: PerProduct(Choice(*RECYCLING_START)) | None = _lever(
        "in-place (full level from day 0, the default) or at-alarm (starts at the alarm and ramps)", "a text")


class PolicySpec(Spec):
    """`[[policies]]`: one policy mix of up to three pillars."""

    name: Name = Field(description="Unique policy name ('no-policy' is the baseline, always added)")
    description: str = Field("", description="What the mix does")
    stockpile: StockpileSpec | None = None
    diversification: DiversificationSpec | None = None
    recycling: RecyclingSpec | None = None


class ConfigSpec(Spec):
    """A simcore run config: the model to load, disruption events and policy mixes."""

    model_config = ConfigDict(title="simcore run config")

    run: RunSpec = Field(default_factory=RunSpec)
    cluster: ClusterSpec | None = None
    sweep: SweepSectionSpec | None = Field(None, description="Lever grid or design for `simcore sweep` (not "
                                           "used by `simcore run`)")
    attribution: AttributionSectionSpec | None = Field(None, description="Shapley attribution settings")
    optimize: OptimizeSectionSpec | None = Field(None, description="Lever optimisation under a budget for `simcore "
                                                 "optimize` (not used by `simcore run`)")
    sobol: SobolSectionSpec | None = Field(None, description="Sobol indices over the model's uncertain numbers for "
                                           "`simcore sobol` (not used by `simcore run`)")
    robustness: RobustnessSectionSpec | None = Field(
        None, description="Regret, minimax regret, satisficing and scenario discovery (PRIM) of the mixes for "
                          "`simcore robustness` (not used by `simcore run`)")
    screen: ScreenSectionSpec | None = Field(
        None, description="The chokepoint screen of `simcore screen`: every unit under a disruption family, ranked "
                          "with intervals (not used by `simcore run`)")
    costs: CostsSpec | None = Field(None, description="Financial assumptions of the cost table of `simcore run` "
                                    "(the fiscal cost of a stock: its financing at discount_rate plus the policies' "
                                    "carrying_cost, which excludes financing); defaults: discount_rate 0.02, "
                                    "stock_life_years 20, stock_residual_share 1")
    events: Annotated[list[EventSpec], MinLen(1)]
    policies: list[PolicySpec] = Field(default_factory=list)

