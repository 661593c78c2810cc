"""The declarative schema of model files and run configs (pydantic v2), and its JSON Schema.

Checking an input happens in two passes, both reporting into one
:class:`~simcore.schema.errors.Problems` so that every bad field is named at once:

1. **Schema** (this module): types, ranges, allowed values and unknown keys, field by
   field. :func:`schema_problems` turns pydantic's errors into ``(field, message)``
   pairs with the allowed values and returns the input with the bad values taken out.
2. **Cross-field checks** (:mod:`~simcore.schema.modelfile`, :mod:`~simcore.schema.config`):
   names that must exist in the model, shares that must add up, sources for every
   number, recipe cycles, ... They read that cleaned input, so they run even when
   pass 1 found problems, and trust the type of every value left in it.

Leaf values (numbers, integers, choices, names) are checked by small plain validators
that write the message themselves (``must be in [0, 1], got 1.5``); pydantic does the
structure (tables, arrays, required and unknown keys). A value that may be given "for
all products" or per product (``1.0`` or ``{gallium = 1.0, "*" = 0}``) is a tagged union
whose tags (``<number>``, ``<list>``, ``<table>``) are dropped from field paths.

Fields marked :func:`sourced` need an entry in the ``sources`` table beside them (a
citation or a text starting with ``assumption:``); the JSON Schema shows them with
``"x-needs-source": true``.
"""

from __future__ import annotations

import copy
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from annotated_types import MinLen
from pydantic import BaseModel, ConfigDict, Discriminator, Field, PlainValidator, Tag, ValidationError, WithJsonSchema
from pydantic.json_schema import GenerateJsonSchema
from pydantic_core import PydanticCustomError

from simcore.schema.errors import MAX_SCENARIOS, Problems

MAX_HORIZON_DAYS = 3650
FLOAT32_MAX = 3.4028234663852886e38  # the engine computes in float32: a larger number becomes inf
NUMBER_TAG, LIST_TAG, TABLE_TAG = "<number>", "<list>", "<table>"
UNION_TAGS = {NUMBER_TAG, LIST_TAG, TABLE_TAG}
ESSENTIALITY = {"critical": 1.0, "important": 0.5, "non-critical": 0.0}
RECYCLING_START = {"in-place": 0.0, "at-alarm": 1.0}
KEEP_CHOICES = ("per-scenario", "summary")
ALLOCATIONS = ("proportional", "priority")


# --------------------------------------------------------------------------- leaf types

def _invalid(reason: str) -> PydanticCustomError:
    return PydanticCustomError("invalid", "{reason}", {"reason": reason})


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _range_text(low, high, low_open: bool) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}]"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" <= {high:g}"
    return ""


def _bounds_schema(kind: str, low, high, low_open: bool) -> dict:
    schema: dict = {"type": kind}
    if low is not None:
        schema["exclusiveMinimum" if low_open else "minimum"] = low
    if high is not None:
        schema["maximum"] = high
    return schema


def Number(low: float | None = None, high: float | None = None, *, low_open: bool = False):
    """A finite number (int or float, never a bool) within ``[low, high]``, or
    ``(low, high]`` with ``low_open``."""
    text = _range_text(low, high, low_open)

    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise _invalid(f"must be a number{text}, got {_show(value)}")
        value = float(value)
        if not math.isfinite(value):
            raise _invalid(f"must be a finite number{text}, got {value}")
        if abs(value) > FLOAT32_MAX:
            raise _invalid(f"must be{text}{' and' if text else ''} of size at most {FLOAT32_MAX:.4g} (the engine "
                           f"computes in float32), got {value:g}")
        if (low is not None and (value < low or (low_open and value == low))) or (high is not None and value > high):
            raise _invalid(f"must be{text}, got {value:g}")
        return value

    return Annotated[float, PlainValidator(check), WithJsonSchema(_bounds_schema("number", low, high, low_open))]


# --------------------------------------------------------------------------- uncertain numbers

DISTRIBUTIONS = {"triangular": ("low", "mode", "high"), "uniform": ("low", "high"), "lognormal": ("median", "sigma")}
MAX_LOGNORMAL_SIGMA = 3.0
_DISTRIBUTION_TEXT = ('{low, mode, high} (triangular), {dist = "uniform", low, high} or '
                      '{dist = "lognormal", median, sigma}')


@dataclass(frozen=True)
class Dist:
    """A validated distribution of one model number (see :func:`Uncertain`).

    ``floor`` and ``ceiling`` are the field's allowed range (draws are clipped to it)."""

    kind: str  # triangular | uniform | lognormal
    low: float = 0.0
    mode: float = 0.0
    high: float = 0.0
    median: float = 0.0
    sigma: float = 0.0
    floor: float = -math.inf
    ceiling: float = math.inf

    @property
    def central(self) -> float:
        """The value the model uses where nothing is drawn: the triangular mode, the
        uniform midpoint, the lognormal median."""
        return {"triangular": self.mode, "uniform": 0.5 * (self.low + self.high), "lognormal": self.median}[self.kind]

    @property
    def mean(self) -> float:
        return {"triangular": (self.low + self.mode + self.high) / 3.0, "uniform": 0.5 * (self.low + self.high),
                "lognormal": self.median * math.exp(0.5 * self.sigma ** 2)}[self.kind]

    @property
    def highest(self) -> float:
        return self.ceiling if self.kind == "lognormal" else self.high


def central(value) -> Any:
    """A number as given, or the central value of a distribution (a :class:`Dist` or
    the table as written in the file); anything else is returned unchanged."""
    if isinstance(value, Dist):
        return value.central
    if isinstance(value, dict):
        kind = value.get("dist", "triangular")
        try:
            if kind == "uniform":
                return 0.5 * (float(value["low"]) + float(value["high"]))
            return float(value["median" if kind == "lognormal" else "mode"])
        except (KeyError, TypeError, ValueError):
            return None
    return value


def Uncertain(low: float | None = None, high: float | None = None, *, low_open: bool = False):
    """A number like :func:`Number`, or a distribution table: ``{low, mode, high}``
    (triangular; ``dist = "triangular"`` may be written), ``{dist = "uniform", low, high}``
    or ``{dist = "lognormal", median, sigma}`` (not for shares and other fields with an
    upper bound of 1 or less). Every value of the table must lie in the field's range.
    Validates to a float or a :class:`Dist`."""
    number_type = Number(low, high, low_open=low_open)
    check_number = get_args(number_type)[1].func
    text = _range_text(low, high, low_open)
    lognormal_allowed = high is None or high > 1.0

    def in_range(value: float) -> bool:
        return not ((low is not None and (value < low or (low_open and value == low)))
                    or (high is not None and value > high))

    def check(value):
        if not isinstance(value, dict):
            if isinstance(value, (int, float)) and not isinstance(value, bool):
                return check_number(value)  # a number out of range: the number's own message
            raise _invalid(f"must be a number{text} or a distribution {_DISTRIBUTION_TEXT}, got {_show(value)}")
        kind = value.get("dist", "triangular")
        if not isinstance(kind, str) or kind not in DISTRIBUTIONS:  # a table or list is unhashable
            raise _invalid(f"dist must be one of {', '.join(DISTRIBUTIONS)}, got {_show(kind)}")
        keys = DISTRIBUTIONS[kind]
        problems = []
        if kind == "lognormal" and not lognormal_allowed:
            problems.append(f"a lognormal cannot be used here (the field is bounded{text}): use a triangular or "
                            "uniform distribution")
        unknown = sorted(set(value) - set(keys) - {"dist"})
        if unknown:
            problems.append(f"unknown key(s) {', '.join(unknown)} for a {kind} distribution; allowed: dist, "
                            f"{', '.join(keys)}")
        missing = [k for k in keys if k not in value]
        if missing:
            problems.append(f"a {kind} distribution needs {', '.join(keys)}; missing: {', '.join(missing)}")
        numbers = {}
        for key in keys:
            if key not in value:
                continue
            v = value[key]
            if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v):
                problems.append(f"{key} must be a finite number, got {_show(v)}")
                continue
            if abs(v) > FLOAT32_MAX:
                problems.append(f"{key} must be at most {FLOAT32_MAX:.4g} in size (the engine computes in "
                                f"float32), got {v:g}")
                continue
            numbers[key] = float(v)
            if key == "sigma":
                if not 0.0 < v <= MAX_LOGNORMAL_SIGMA:
                    problems.append(f"sigma must be in (0, {MAX_LOGNORMAL_SIGMA:g}], got {v:g}")
            elif key == "median" and (v <= 0 or not in_range(v)):
                bound = f" and{text}" if high is not None or (low or 0.0) > 0 else ""
                problems.append(f"median must be > 0{bound}, got {v:g}")
            elif not in_range(v):
                problems.append(f"{key} must be{text}, got {v:g}")
        if kind in ("triangular", "uniform") and {"low", "high"} <= set(numbers):
            lo, hi = numbers["low"], numbers["high"]
            if not lo < hi:
                problems.append(f"low must be < high, got low = {lo:g}, high = {hi:g}")
            elif "mode" in numbers and not lo <= numbers["mode"] <= hi:
                problems.append(f"mode must be in [low, high] = [{lo:g}, {hi:g}], got {numbers['mode']:g}")
        if problems:
            raise _invalid("; ".join(problems))
        return Dist(kind=kind, floor=low if low is not None else -math.inf,
                    ceiling=high if high is not None else math.inf, **numbers)

    bounds = _bounds_schema("number", low, high, low_open)

    def table(kind: str, required: tuple) -> dict:
        props = {"dist": {"type": "string", "enum": [kind]}}
        props.update({k: ({"type": "number", "exclusiveMinimum": 0, "maximum": MAX_LOGNORMAL_SIGMA} if k == "sigma"
                          else dict(bounds)) for k in DISTRIBUTIONS[kind]})
        return {"type": "object", "description": f"{kind} distribution", "properties": props,
                "required": list(required), "additionalProperties": False}

    options = [bounds, table("triangular", DISTRIBUTIONS["triangular"]),
               table("uniform", ("dist",) + DISTRIBUTIONS["uniform"])]
    if lognormal_allowed:
        options.append(table("lognormal", ("dist",) + DISTRIBUTIONS["lognormal"]))
    return Annotated[Any, PlainValidator(check), WithJsonSchema({"anyOf": options})]


def Integer(low: int, high: int):
    """A whole number (a TOML integer, not ``3.0``) within ``[low, high]``."""

    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise _invalid(f"must be an integer in [{low}, {high}], got {_show(value)}")
        return value

    return Annotated[int, PlainValidator(check), WithJsonSchema(_bounds_schema("integer", low, high, False))]


def Choice(*values: str):
    """One of the given texts."""

    def check(value):
        if value not in values or not isinstance(value, str):
            raise _invalid(f"must be one of {', '.join(values)}, got {_show(value)}")
        return value

    return Annotated[str, PlainValidator(check), WithJsonSchema({"type": "string", "enum": list(values)})]


def _check_name(value):
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"must be a non-empty text, got {_show(value)}")
    return value


Name = Annotated[str, PlainValidator(_check_name), WithJsonSchema({"type": "string", "minLength": 1})]


def NameList(what: str, example: str):
    """A non-empty list of unique names (origins, sectors)."""

    def check(value):
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)):
            raise _invalid(f"must be a non-empty list of {what} names, e.g. {example}, got {_show(value)}")
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise _invalid(f"names must be unique; given more than once: {', '.join(twice)}")
        return value

    return Annotated[list[str], PlainValidator(check),
                     WithJsonSchema({"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                                     "uniqueItems": True})]


def _check_source(value):
    if not isinstance(value, str) or not value.strip():
        raise _invalid(f"must be a citation or a text starting with 'assumption:', got {_show(value)}")
    return value


SourceText = Annotated[str, PlainValidator(_check_source), WithJsonSchema({"type": "string", "minLength": 1})]


def _check_pair(value):
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise _invalid(f"must be [upstream, downstream] sector names, got {_show(value)}")
    return value


SectorPair = Annotated[list[str], PlainValidator(_check_pair),
                       WithJsonSchema({"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2})]


def _number_or_table(value) -> str:
    return TABLE_TAG if isinstance(value, dict) else NUMBER_TAG


def PerProduct(leaf):
    """``leaf`` for all products, or a table ``{product = leaf, "*" = default}``."""
    return Annotated[Union[Annotated[leaf, Tag(NUMBER_TAG)], Annotated[dict[str, leaf], Tag(TABLE_TAG)]],
                     Discriminator(_number_or_table)]


def _list_or_table(value) -> str:
    return TABLE_TAG if isinstance(value, dict) else LIST_TAG


Share = Number(0.0, 1.0)
Days = Number(0.0, MAX_HORIZON_DAYS)
NonNegative = Number(0.0)
Positive = Number(0.0, low_open=True)
ShareTable = dict[str, Share]
UShare = Uncertain(0.0, 1.0)
UDays = Uncertain(0.0, MAX_HORIZON_DAYS)
UNonNegative = Uncertain(0.0)
UPositive = Uncertain(0.0, low_open=True)
UShareTable = dict[str, UShare]
OriginNames = NameList("origin", '["CN", "AU"]')
DESTINATION_WORDS = ("all", "country", "others")


def _check_destinations(value):
    if isinstance(value, str) and value in DESTINATION_WORDS:
        return value
    if isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value):
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise _invalid(f"names must be unique; given more than once: {', '.join(twice)}")
        return value
    raise _invalid(f"must be one of {', '.join(DESTINATION_WORDS)}, or a non-empty list of the model's importer "
                   f'names (and "country"), e.g. ["united_states"], got {_show(value)}')


Destinations = Annotated[Union[str, list[str]], PlainValidator(_check_destinations), WithJsonSchema(
    {"oneOf": [{"type": "string", "enum": list(DESTINATION_WORDS)},
               {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "uniqueItems": True}]})]
SectorNames = NameList("sector", '["electronics", "services"]')


def sourced(default: Any = None, description: str = "", **kwargs) -> Any:
    """A field whose value (when given) needs an entry in the ``sources`` table."""
    extra = {"description": description, "json_schema_extra": {"x-needs-source": True}}
    if "default_factory" in kwargs:
        return Field(**extra, **kwargs)
    return Field(default, **extra, **kwargs)


def needs_source(spec: type[BaseModel]) -> list[str]:
    """Names of the fields of ``spec`` marked :func:`sourced`, in declaration order."""
    return [name for name, info in spec.model_fields.items()
            if isinstance(info.json_schema_extra, dict) and info.json_schema_extra.get("x-needs-source")]


class _Spec(BaseModel):
    # strict: TOML has real types, so "10" is not a number and 1 is not true.
    model_config = ConfigDict(extra="forbid", strict=True)


# --------------------------------------------------------------------------- model file

class ModelMetaSpec(_Spec):
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


class HiddenDependenceSpec(_Spec):
    """One hidden supplier link of a product (tier 3 and below): share ``share`` of the
    product's supply from ``origin`` depends on ``on_origin``'s supply of ``on_product``
    (default: the same product); a cut there cuts that share of this supply too."""

    origin: Name = Field(description="Origin of this product's supply that depends (one of the model's origins)")
    on_origin: Name = Field(description="Origin it depends on, e.g. the controlled origin")
    on_product: Name | None = Field(None, description="Product it depends on (default: this product)")
    share: UShare = Field(description="Share of the supply that depends, a number or a distribution")
    description: str = Field("", description="What the dependence is")


class SegmentSpec(_Spec):
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


class ProductSpec(_Spec):
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


class IOSpec(_Spec):
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


class ImporterSpec(_Spec):
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


class ModelFileSpec(_Spec):
    """A simcore model file: products, origins and (optionally) an input-output table.
    Without [io] the model is product-only: one pseudo-sector "all products"."""

    model_config = ConfigDict(title="simcore model file")

    model: ModelMetaSpec
    products: Annotated[list[ProductSpec], MinLen(1)]
    importers: list[ImporterSpec] = Field(default_factory=list, description="Other importing regions on the "
                                          "traded world markets (export-control destinations)")
    io: IOSpec | None = None


# --------------------------------------------------------------------------- run config

class RunSpec(_Spec):
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


class ClusterSpec(_Spec):
    """`[cluster]`: run the chunks on a Dask distributed cluster."""

    scheduler: str = Field(description="Address of the Dask scheduler, e.g. tcp://10.0.0.5:8786")


EventProducts = Annotated[
    Union[Annotated[Annotated[list[Name], MinLen(1)], Tag(LIST_TAG)],
          Annotated[Annotated[dict[str, Share], MinLen(1)], Tag(TABLE_TAG)]],
    Discriminator(_list_or_table)]


class EventSpec(_Spec):
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


class StockpileSpec(_Spec):
    """`[policies.stockpile]`: government stock and private buffers."""

    gov_stock_days: PerProduct(Days) | None = _lever("Government stock [days of demand]")
    release_rate: PerProduct(NonNegative) | None = _lever("Most released per day [share of demand]")
    release_trigger_shortfall: PerProduct(Share) | None = _lever(
        "Release only while the shortfall exceeds this share of demand")
    release_delay_days: PerProduct(Days) | None = _lever("Decision lag after the alarm [days]")
    refill_rate: PerProduct(NonNegative) | None = _lever("Buy-back per day after the crisis [share of demand]")
    carrying_cost: PerProduct(Share) | None = _lever("Yearly cost [share of stock value]")
    private_extra_days: PerProduct(Days) | None = _lever("Extra private buffer [days of demand]")


class DiversificationSpec(_Spec):
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


class RecyclingSpec(_Spec):
    """`[policies.recycling]`: secondary supply and material efficiency."""

    share: PerProduct(Share) | None = _lever("Secondary supply [share of demand]")
    ramp_days: PerProduct(Days) | None = _lever("Ramp of the recycling share [days]")
    premium: PerProduct(NonNegative) | None = _lever("Extra cost of recycled supply [share of price]")
    efficiency_cut: PerProduct(Number(0.0, 0.99)) | None = _lever("Share of use saved")
    efficiency_ramp_days: PerProduct(Days) | None = _lever("Ramp of the efficiency cut [days]")
    efficiency_cost: PerProduct(NonNegative) | None = _lever("Price markup per unit of cut")
    start: PerProduct(Choice(*RECYCLING_START)) | None = _lever(
        "in-place (full level from day 0, the default) or at-alarm (starts at the alarm and ramps)", "a text")


class PolicySpec(_Spec):
    """`[[policies]]`: one policy mix of up to three pillars."""

    name: Name = Field(description="Unique policy name ('no-policy' is the baseline, always added)")
    description: str = Field("", description="What the mix does")
    stockpile: StockpileSpec | None = None
    diversification: DiversificationSpec | None = None
    recycling: RecyclingSpec | None = None


class ConfigSpec(_Spec):
    """A simcore run config: the model to load, disruption events and policy mixes."""

    model_config = ConfigDict(title="simcore run config")

    run: RunSpec = Field(default_factory=RunSpec)
    cluster: ClusterSpec | None = None
    sweep: dict[str, Any] | None = Field(None, description="Lever grid or design for `simcore sweep` (checked by "
                                         "simcore.analysis.sweep; ignored by `simcore run`)")
    attribution: dict[str, Any] | None = Field(None, description="Shapley attribution settings (checked by "
                                               "simcore.analysis.shapley)")
    optimize: dict[str, Any] | None = Field(None, description="Lever optimisation under a budget for `simcore "
                                            "optimize` (checked by simcore.analysis.optimize; ignored by `simcore run`)")
    events: Annotated[list[EventSpec], MinLen(1)]
    policies: list[PolicySpec] = Field(default_factory=list)


# --------------------------------------------------------------------------- errors

_TYPE_WORDS = {
    "dict_type": "a table", "model_type": "a table", "model_attributes_type": "a table", "list_type": "an array",
    "string_type": "a text (string)", "bool_type": "true or false", "float_type": "a number", "int_type": "an integer",
}


def _unwrap(annotation):
    """Strip ``Annotated`` and ``Optional`` down to the type that holds the fields."""
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, UnionType):
            members = [a for a in get_args(annotation) if a is not type(None)]
            if len(members) != 1:
                return annotation
            annotation = members[0]
        else:
            return annotation


def _spec_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
    """The spec class that validates the table at ``path`` (None if it is no table)."""
    annotation: Any = root
    for part in path:
        annotation = _unwrap(annotation)
        if isinstance(annotation, type) and issubclass(annotation, BaseModel) and part in annotation.model_fields:
            annotation = annotation.model_fields[part].annotation
        elif get_origin(annotation) is list and isinstance(part, int):
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) is dict:
            annotation = get_args(annotation)[1]
        else:
            return None
    annotation = _unwrap(annotation)
    return annotation if isinstance(annotation, type) and issubclass(annotation, BaseModel) else None


def field_name(loc: tuple, raw: Any) -> str:
    """``("products", 0, "price")`` -> ``products[0] (gallium).price`` (the product's name
    read from ``raw``, the input as given)."""
    text, node = "", raw
    for i, part in enumerate(loc):
        if isinstance(part, int):
            text += f"[{part}]"
            node = node[part] if isinstance(node, list) and part < len(node) else None
            if loc[:i] == ("products",) and isinstance(node, dict) and isinstance(node.get("name"), str):
                text += f" ({node['name']})"
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text


def _pattern(loc: tuple) -> str:
    return ".".join("*" if isinstance(p, int) else str(p) for p in loc)


def _message(error: dict, root: type[BaseModel], hints: dict[str, str]) -> str:
    kind, loc = error["type"], error["loc"]
    hint = hints.get(_pattern(loc))
    if kind == "invalid":
        return error["ctx"]["reason"]
    if kind == "missing":
        return "is required" + (f": {hint}" if hint else "")
    if kind == "too_short":
        return "must not be empty" + (f": {hint}" if hint else "")
    if kind == "extra_forbidden":
        spec = _spec_at(root, loc[:-1])
        allowed = sorted(spec.model_fields) if spec else []
        return "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, got {_show(error.get('input'))}"
    return error["msg"]


def schema_problems(spec: type[BaseModel], raw: Any, problems: Problems, *,
                    hints: dict[str, str] | None = None) -> tuple[BaseModel | None, Any]:
    """Pass 1: validate ``raw`` against ``spec``; add one problem per bad field.

    Returns the validated spec object (``None`` if anything is wrong) and a copy of
    ``raw`` without the values that failed (bad leaves and unknown keys removed, bad
    array items replaced by ``None``), for the cross-field checks. ``hints`` adds text
    to "is required"/"must not be empty" messages, keyed by field pattern
    (``"events.*.origin"``).
    """
    hints = hints or {}
    try:
        return spec.model_validate(raw), raw
    except ValidationError as exc:
        errors = exc.errors(include_url=False)
    clean = copy.deepcopy(raw)
    for error in errors:
        loc = tuple(p for p in error["loc"] if p not in UNION_TAGS)
        error = {**error, "loc": loc}
        problems.add(field_name(loc, raw) or "(file)", _message(error, spec, hints))
        if error["type"] != "missing":
            _remove(clean, loc)
    return None, clean


def sort_problems(problems: Problems, sections: tuple[str, ...]) -> None:
    """Order problems by place in the document: section (in ``sections`` order), then
    array item; within one item, schema problems stay before cross-field ones."""

    def place(item: tuple[str, str]) -> tuple[int, int]:
        match = re.match(r"([^.\[ ]*)(?:\[(\d+)\])?", item[0])
        section, index = match.group(1), match.group(2)
        rank = sections.index(section) if section in sections else len(sections)
        return rank, int(index) if index is not None else -1

    problems.items.sort(key=place)


def _remove(tree: Any, loc: tuple) -> None:
    """Take the value at ``loc`` out of ``tree`` (a dict key is deleted, a list item set to None)."""
    if not loc:
        return
    node = tree
    for part in loc[:-1]:
        if isinstance(node, dict) and part in node:
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and part < len(node):
            node = node[part]
        else:
            return
    last = loc[-1]
    if isinstance(node, dict):
        node.pop(last, None)
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        node[last] = None


# --------------------------------------------------------------------------- JSON Schema

SCHEMAS = {"model": ModelFileSpec, "config": ConfigSpec}


class _TomlJsonSchema(GenerateJsonSchema):
    """TOML has no null: an optional field is simply left out, so drop the null branch."""

    def nullable_schema(self, schema):
        return self.generate_inner(schema["schema"])


def _drop_null_defaults(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _drop_null_defaults(v) for k, v in node.items() if not (k == "default" and v is None)}
    if isinstance(node, list):
        return [_drop_null_defaults(v) for v in node]
    return node


def json_schema(kind: str) -> dict:
    """JSON Schema (draft 2020-12) of a model file (``kind="model"``) or a run config
    (``kind="config"``), for editors that check TOML files against a schema.

    Cross-field rules (names that must exist in the model, shares that add up, sources
    for every number) are not expressible here; the loaders check them.
    """
    if kind not in SCHEMAS:
        raise ValueError(f"unknown schema kind {kind!r}; allowed: {', '.join(SCHEMAS)}")
    schema = SCHEMAS[kind].model_json_schema(schema_generator=_TomlJsonSchema)
    schema = _hoist_distributions(_drop_null_defaults(schema))
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def _hoist_distributions(schema: dict) -> dict:
    """Share the distribution tables of uncertain numbers as ``$defs`` (one per kind and
    range, e.g. ``Triangular_ge0_le1``) instead of repeating them at every field."""
    defs = dict(schema.get("$defs", {}))

    def name(table: dict) -> str:
        kind = table["description"].split()[0].capitalize()
        bounds = table["properties"].get("low") or table["properties"]["median"]
        parts = [f"gt{bounds['exclusiveMinimum']:g}" if "exclusiveMinimum" in bounds else
                 f"ge{bounds['minimum']:g}" if "minimum" in bounds else ""]
        parts.append(f"le{bounds['maximum']:g}" if "maximum" in bounds else "")
        return "_".join([kind] + [p for p in parts if p])

    def walk(node):
        if isinstance(node, list):
            return [walk(v) for v in node]
        if not isinstance(node, dict):
            return node
        if node.get("type") == "object" and str(node.get("description", "")).endswith(" distribution") \
                and "properties" in node:
            key = name(node)
            defs[key] = node
            return {"$ref": f"#/$defs/{key}"}
        return {k: walk(v) for k, v in node.items()}

    schema = walk(schema)
    if defs:
        schema["$defs"] = {**schema.get("$defs", {}), **{k: v for k, v in defs.items() if k not in schema.get("$defs", {})}}
    return schema


def write_json_schema(kind: str, path: str | Path) -> Path:
    """Write :func:`json_schema` ``(kind)`` to ``path`` (indented, trailing newline)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(json_schema(kind), indent=2, ensure_ascii=False) + "\n")
    return path


def write_json_schemas(directory: str | Path = "schemas") -> list[Path]:
    """Write ``model.schema.json`` and ``config.schema.json`` into ``directory``."""
    return [write_json_schema(kind, Path(directory) / f"{kind}.schema.json") for kind in SCHEMAS]
