"""The schema of a model file: ``[model]``, ``[[products]]`` (with their hidden
suppliers and user segments), ``[[importers]]`` and ``[io]``.

Field by field only (types, ranges, allowed values, unknown keys); the rules across
fields (names that must exist, shares that add up, sources for every number) are
:mod:`~simcore.schema.modelfile`'s. The leaf types are in :mod:`~simcore.schema.fields`.
"""

from __future__ import annotations

from typing import Annotated

from annotated_types import MinLen
from pydantic import ConfigDict, Field

from simcore.schema.fields import (
    Choice,
    Name,
    NonNegative,
    Number,
    OriginNames,
    SectorNames,
    SectorPair,
    Share,
    ShareTable,
    SourceText,
    Spec,
    UDays,
    Uncertain,
    UNonNegative,
    UPositive,
    UShare,
    UShareTable,
    sourced,
)

ESSENTIALITY = {"critical": 1.0, "important": 0.5, "non-critical": 0.0}
ALLOCATIONS = ("proportional", "priority")


class ModelMetaSpec(Spec):
    """`[model]`: names, units and the list of origins."""

    name: str = Field("model", description="Name of the model")
    description: str = Field("", description="What the model describes")
    currency: str = Field("currency", description="Currency of product prices")
    io_value_unit: str | None = Field(None, description="Unit of input-output values per year (default: currency)")
    allocation: Choice(*ALLOCATIONS) = Field(
        "proportional", description="How scarce supply is shared between sectors: proportional or by io.priority")
    shortage_tolerance: Share = sourced(1e-3, "Unmet share of daily demand that counts as a shortage day")
    origins: OriginNames = Field(description="Origin countries (or groups) that supply imports")
    sources: dict[str, SourceText] = Field(default_factory=dict, description="field = citation or 'assumption: ...'")


class HiddenDependenceSpec(Spec):
    """One hidden supplier link of a product (tier 3 and below): share ``share`` of the
    product's supply from ``origin`` depends on ``on_origin``'s supply of ``on_product``
    (default: the same product); a cut there cuts that share of this supply too."""

    origin: Name = Field(description="Origin of this product's supply that depends (one of the model's origins)")
    on_origin: Name = Field(description="Origin it depends on, e.g. the controlled origin")
    on_product: Name | None = Field(None, description="Product it depends on (default: this product)")
    share: UShare = Field(description="Share of the supply that depends, a number or a distribution")
    description: str = Field("", description="What the dependence is")


class SegmentSpec(Spec):
    """`[[products.segments]]`: users of the product who source alike (e.g. users who buy
    imported magnets directly). A segment takes `demand_share` of the product's demand and
    of its exposed output; what it does not give it inherits from the product
    (docs/model.md section 4e)."""

    name: Name = Field(description="Segment name (unique in the product); the segment's results are named "
                       "product.segment")
    description: str = Field("", description="Who these users are")
    demand_share: Number(0.0, 1.0, low_open=True) = sourced(
        ..., "Share of the product's demand (and of its exposed output) these users take; the segments sum to 1")
    import_share: UShareTable = sourced(
        default_factory=dict, description="{origin = share} of the segment's supply (default: the product's)")
    domestic_share: Share | None = sourced(None, "Share of the segment's supply made at home (default: 1 - imports)")
    inventory_days: UNonNegative | None = sourced(None, "The segment's private inventory [days of its demand]")
    lead_time_days: UDays | None = sourced(None, "The segment's pipeline after a cut [days]")
    transit_days: dict[str, UDays] | None = sourced(None, "{origin = days} the segment's transit per origin")
    market_sourcing_share: UShare | None = sourced(
        None, "Share of its lost imports the segment can buy on the world market instead")
    market_sourcing_days: UPositive | None = sourced(None, "Days until those purchases arrive in full")
    sources: dict[str, SourceText] = Field(
        default_factory=dict, description="field = citation or 'assumption: ...' for every number given")


class ProductSpec(Spec):
    """`[[products]]`: one product (material, component or service). Quantities in
    `unit` per day, prices in `currency` per unit."""

    name: Name = Field(description="Product name (unique)")
    unit: str = Field("unit", description="Quantity unit, e.g. t")
    hs_code: str | None = Field(None, description="Harmonized System code (text)")
    description: str = Field("", description="What the product is")
    demand_per_day: UPositive = sourced(..., "Baseline demand [unit/day], including use by domestic production")
    price: UPositive = sourced(..., "Baseline price [currency/unit]")
    inventory_days: UNonNegative = sourced(0.0, "Private inventory target [days of demand]")
    lead_time_days: UDays = sourced(0.0, "Goods already shipped keep arriving this long after a cut [days]")
    storable: bool = Field(True, description="false for services: no inventory, no stockpile")
    import_share: UShareTable = sourced(
        default_factory=dict, description="{origin = share} of primary supply; imports + domestic_share sum to 1")
    domestic_share: Share | None = sourced(None, "Share of primary supply produced at home (default: 1 - imports)")
    recipe_inputs: list[Name] = Field(
        default_factory=list, description="Products that domestic production needs (multi-tier); no cycles")
    price_elasticity: UPositive = sourced(0.5, "Short-run demand elasticity of the scarcity price curve")
    price_cap: Uncertain(1.0) = sourced(10.0, "Highest scarcity multiple of the baseline price")
    price_relax_half_life_days: UPositive = sourced(30.0, "Half-life of the scarcity premium after recovery [days]")
    restock_headroom: UNonNegative = sourced(0.1, "Supply above need available for restocking [share of demand/day]")
    use: ShareTable = sourced(
        default_factory=dict, description="{sector = share} of demand used by each sector (sum <= 1); needs [io]")
    substitutable: UShareTable = sourced(
        default_factory=dict, description="{sector = share} of that use substitutable in the short run; needs [io]")
    world_share: ShareTable | None = sourced(
        None, "{origin = share} of WORLD production (rest of the world: 1 - sum); default: import_share")
    world_price_elasticity: UPositive | None = sourced(
        None, "Short-run world demand elasticity of the import-price curve (default: price_elasticity)")
    world_demand_weight: UShare | None = sourced(
        None, "The country's share of world demand (0 = price taker, the default)")
    cover_horizon_days: UPositive | None = sourced(
        None, "Look-ahead of the domestic stock-to-use scarcity curve [days] (default 30)")
    transit_days: dict[str, UDays] | None = sourced(
        None, "{origin = days} transit per origin (missing origins: lead_time_days)")
    storage_room_days: UNonNegative | None = sourced(
        None, "Extra storage importers fill during an announcement lead [days of demand] (default 0)")
    # the world market (docs/model.md section 5); unset: the defaults of earlier releases
    world_stock_days: UNonNegative | None = sourced(
        None, "Stocks outside the controlling origin (traders, other importers) [days of world-market demand] "
              "(default 0: the market clears the day's flow)")
    world_storage_elasticity: UPositive | None = sourced(
        None, "Elasticity eta of the supply-of-storage curve: price = (stock / wanted stock)^(-1/eta) (default 1)")
    world_precaution_days: UNonNegative | None = sourced(
        None, "Extra stock holders want per unit of known (announced) gap [days] (default 0)")
    world_demand_elasticity_long: UPositive | None = sourced(
        None, "Long-run price elasticity of world demand: thrifting, substitution (default: world_price_elasticity)")
    world_demand_adjust_days: UPositive | None = sourced(
        None, "Time constant of the long-run demand response [days] (default 365)")
    world_supply_response: UNonNegative | None = sourced(
        None, "Idle capacity outside the controlling origin [share of world-market demand] (default 0)")
    world_supply_elasticity: UPositive | None = sourced(
        None, "Price elasticity of that supply response (default 1)")
    world_supply_response_days: UPositive | None = sourced(
        None, "Time to bring the supply response on line [days] (default 180)")
    market_sourcing_share: UShare | None = sourced(
        None, "Share of lost imports the country can buy on the world market instead (default 0)")
    market_sourcing_days: UPositive | None = sourced(
        None, "Days from the alarm until those purchases arrive in full, linear ramp (default 30)")
    exposure: UShareTable | None = sourced(
        None, "{sector = share} of the sector's output that depends on the product (default 1 where use > 0)")
    essentiality: dict[str, Choice(*ESSENTIALITY)] | None = sourced(
        None, "{sector = critical | important | non-critical} (1.0 / 0.5 / 0.0; default critical)")
    hidden_dependence: list[HiddenDependenceSpec] = sourced(
        default_factory=list, description="Hidden suppliers: [{origin, on_origin, on_product, share}, ...] (tier 3 "
        "and below): share of this product's supply from origin that depends on on_origin's supply")
    segments: list[SegmentSpec] = Field(
        default_factory=list, description="User segments with their own sourcing and stocks: [{name, demand_share, "
        "import_share, inventory_days, ...}, ...] (demand shares sum to 1; none: one pool of users)")
    sources: dict[str, SourceText] = Field(
        default_factory=dict, description="field = citation or 'assumption: ...' for every number given")


class IOSpec(Spec):
    """`[io]`: the input-output table of the sectors (values per year)."""

    sectors: SectorNames = Field(description="Sector names")
    technical_coefficients: list[list[NonNegative]] = sourced(
        ..., "A[j][s]: input from sector j per unit output of sector s (S x S, column sums < 1)")
    final_demand: list[NonNegative] = sourced(..., "Final demand per sector [io_value_unit/year]")
    value_added: list[UNonNegative] | None = sourced(
        None, "Value added per sector [io_value_unit/year] (default: (1 - column sums of A) x gross output)")
    priority: list[Name] | None = Field(
        None, description="Every sector once, first served first (with allocation = priority)")
    critical_upstream: list[SectorPair] = Field(
        default_factory=list, description="[[upstream, downstream], ...] critical sector links")
    critical_threshold: Number(0.0, 1.0, low_open=True) | None = sourced(
        None, "A entries at or above this mark critical links")
    input_overlap: Share | dict[str, Share] | None = sourced(
        None, "How the exposed parts of a sector's short inputs overlap: 0 nested (loss = the largest), "
              "1 disjoint (losses add up), between: a mix; a number or {sector = share} (default 0)")
    sources: dict[str, SourceText] = Field(default_factory=dict, description="field = citation or 'assumption: ...'")


class ImporterSpec(Spec):
    """`[[importers]]`: another importing region on the traded world market (besides the
    country studied). Its demand share, where it buys and what it stocks decide how much
    of a control aimed at it reaches the world market (docs/model.md section 4d)."""

    name: Name = Field(description="Region name (unique; not 'all', 'country' or 'others')")
    description: str = Field("", description="What the region is")
    demand_share: Annotated[dict[str, Share], MinLen(1)] = sourced(
        ..., "{product = share} of the traded world market's demand; with the other importers and the country's "
             "world_demand_weight it sums to 1 for every product listed")
    origin_share: dict[str, ShareTable] = sourced(
        default_factory=dict, description="{product = {origin = share}} of its purchases on the traded market "
        "(default: the product's world_share)")
    stock_days: dict[str, NonNegative] = sourced(
        default_factory=dict, description="{product = days} stocks it holds, days of its own demand (added to the "
        "product's world_stock_days)")
    sources: dict[str, SourceText] = Field(default_factory=dict, description="field = citation or 'assumption: ...'")


class ModelFileSpec(Spec):
    """A simcore model file: products, origins and (optionally) an input-output table.
    Without [io] the model is product-only: one pseudo-sector "all products"."""

    model_config = ConfigDict(title="simcore model file")

    model: ModelMetaSpec
    products: Annotated[list[ProductSpec], MinLen(1)]
    importers: list[ImporterSpec] = Field(default_factory=list, description="Other importing regions on the "
                                          "traded world markets (export-control destinations)")
    io: IOSpec | None = None
