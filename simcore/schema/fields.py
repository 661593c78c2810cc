"""Leaf field types of the schema: the values a model file or run config holds.

Leaf values (numbers, integers, choices, names) are checked by small plain validators
that write the message themselves (``must be in [0, 1], got 1.5``); pydantic does the
structure (tables, arrays, required and unknown keys) in the specs built from these
types (:mod:`~simcore.schema.model_spec`, :mod:`~simcore.schema.config_spec`). A value
that may be given "for all products" or per product (``1.0`` or
``{gallium = 1.0, "*" = 0}``) is a tagged union whose tags (``<number>``, ``<list>``,
``<table>``) are dropped from field paths (:mod:`~simcore.schema.problems`).

Model numbers may be uncertain (:func:`Uncertain`): a number or a distribution table,
validated to a float or a :class:`Dist`.

Fields marked :func:`sourced` need an entry in the ``sources`` table beside them (a
citation or a text starting with ``assumption:``); the JSON Schema shows them with
``"x-needs-source": true``. :class:`Spec` is the base of every spec class (strict, no
unknown keys).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Annotated, Any, Union, get_args

from pydantic import BaseModel, ConfigDict, Discriminator, Field, PlainValidator, Tag, WithJsonSchema
from pydantic_core import PydanticCustomError

MAX_HORIZON_DAYS = 3650
FLOAT32_MAX = 3.4028234663852886e38  # the engine computes in float32: a larger number becomes inf
NUMBER_TAG, LIST_TAG, TABLE_TAG = "<number>", "<list>", "<table>"
UNION_TAGS = {NUMBER_TAG, LIST_TAG, TABLE_TAG}


# --------------------------------------------------------------------------- numbers

def invalid(reason: str) -> PydanticCustomError:
    """The error a leaf validator raises: ``reason`` is the whole message of the field."""
    return PydanticCustomError("invalid", "{reason}", {"reason": reason})


def show(value: Any) -> str:
    """A value as a message quotes it (its repr, cut at 60 characters)."""
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _range_text(low, high, low_open: bool, high_open: bool = False) -> str:
    if low is not None and high is not None:
        return f" in {'(' if low_open else '['}{low:g}, {high:g}{')' if high_open else ']'}"
    if low is not None:
        return f" {'>' if low_open else '>='} {low:g}"
    if high is not None:
        return f" {'<' if high_open else '<='} {high:g}"
    return ""


def _bounds_schema(kind: str, low, high, low_open: bool, high_open: bool = False) -> dict:
    schema: dict = {"type": kind}
    if low is not None:
        schema["exclusiveMinimum" if low_open else "minimum"] = low
    if high is not None:
        schema["exclusiveMaximum" if high_open else "maximum"] = high
    return schema


def Number(low: float | None = None, high: float | None = None, *, low_open: bool = False, high_open: bool = False):
    """A finite number (int or float, never a bool) within ``[low, high]``; ``low_open``
    / ``high_open`` leave an end out (``(low, high]``, ``(low, high)``)."""
    text = _range_text(low, high, low_open, high_open)

    def check(value):
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise invalid(f"must be a number{text}, got {show(value)}")
        value = float(value)
        if not math.isfinite(value):
            raise invalid(f"must be a finite number{text}, got {value}")
        if abs(value) > FLOAT32_MAX:
            raise invalid(f"must be{text}{' and' if text else ''} of size at most {FLOAT32_MAX:.4g} (the engine "
                          f"computes in float32), got {value:g}")
        if (low is not None and (value < low or (low_open and value == low))) or \
                (high is not None and (value > high or (high_open and value == high))):
            raise invalid(f"must be{text}, got {value:g}")
        return value

    return Annotated[float, PlainValidator(check),
                     WithJsonSchema(_bounds_schema("number", low, high, low_open, high_open))]


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
            raise invalid(f"must be a number{text} or a distribution {_DISTRIBUTION_TEXT}, got {show(value)}")
        kind = value.get("dist", "triangular")
        if not isinstance(kind, str) or kind not in DISTRIBUTIONS:  # a table or list is unhashable
            raise invalid(f"dist must be one of {', '.join(DISTRIBUTIONS)}, got {show(kind)}")
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
                problems.append(f"{key} must be a finite number, got {show(v)}")
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
            raise invalid("; ".join(problems))
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


# --------------------------------------------------------------------------- integers, choices, names

def Integer(low: int, high: int):
    """A whole number (a TOML integer, not ``3.0``) within ``[low, high]``."""

    def check(value):
        if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
            raise invalid(f"must be an integer in [{low}, {high}], got {show(value)}")
        return value

    return Annotated[int, PlainValidator(check), WithJsonSchema(_bounds_schema("integer", low, high, False))]


def Choice(*values: str):
    """One of the given texts."""

    def check(value):
        if value not in values or not isinstance(value, str):
            raise invalid(f"must be one of {', '.join(values)}, got {show(value)}")
        return value

    return Annotated[str, PlainValidator(check), WithJsonSchema({"type": "string", "enum": list(values)})]


def _check_name(value):
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"must be a non-empty text, got {show(value)}")
    return value


Name = Annotated[str, PlainValidator(_check_name), WithJsonSchema({"type": "string", "minLength": 1})]


def NameList(what: str, example: str):
    """A non-empty list of unique names (origins, sectors)."""

    def check(value):
        if not (isinstance(value, list) and value and all(isinstance(v, str) and v.strip() for v in value)):
            raise invalid(f"must be a non-empty list of {what} names, e.g. {example}, got {show(value)}")
        twice = sorted({v for v in value if value.count(v) > 1})
        if twice:
            raise invalid(f"names must be unique; given more than once: {', '.join(twice)}")
        return value

    return Annotated[list[str], PlainValidator(check),
                     WithJsonSchema({"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1,
                                     "uniqueItems": True})]


def _check_source(value):
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"must be a citation or a text starting with 'assumption:', got {show(value)}")
    return value


SourceText = Annotated[str, PlainValidator(_check_source), WithJsonSchema({"type": "string", "minLength": 1})]


def _check_path(value):
    if not isinstance(value, str) or not value.strip():
        raise invalid(f"must be a path (text), got {show(value)}")
    return value


PathText = Annotated[str, PlainValidator(_check_path), WithJsonSchema({"type": "string", "minLength": 1})]


def _finite(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) \
        and abs(value) <= FLOAT32_MAX


def Interval(*, strict: bool):
    """``[low, high]``: two finite numbers with ``low <= high`` (``low < high`` with
    ``strict``); validates to two floats."""
    order = "<" if strict else "<="

    def check(value):
        if not (isinstance(value, list) and len(value) == 2 and all(_finite(v) for v in value)
                and (value[0] < value[1] if strict else value[0] <= value[1])):
            raise invalid(f"must be [low, high] with low {order} high, got {show(value)}")
        return [float(value[0]), float(value[1])]

    return Annotated[list[float], PlainValidator(check), WithJsonSchema(
        {"type": "array", "items": {"type": "number"}, "minItems": 2, "maxItems": 2,
         "description": f"[low, high] with low {order} high"})]


def _check_pair(value):
    if not (isinstance(value, list) and len(value) == 2 and all(isinstance(v, str) for v in value)):
        raise invalid(f"must be [upstream, downstream] sector names, got {show(value)}")
    return value


SectorPair = Annotated[list[str], PlainValidator(_check_pair),
                       WithJsonSchema({"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 2})]


def _number_or_table(value) -> str:
    return TABLE_TAG if isinstance(value, dict) else NUMBER_TAG


def PerProduct(leaf):
    """``leaf`` for all products, or a table ``{product = leaf, "*" = default}``."""
    return Annotated[Union[Annotated[leaf, Tag(NUMBER_TAG)], Annotated[dict[str, leaf], Tag(TABLE_TAG)]],
                     Discriminator(_number_or_table)]



# --------------------------------------------------------------------------- the types the specs use

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
            raise invalid(f"names must be unique; given more than once: {', '.join(twice)}")
        return value
    raise invalid(f"must be one of {', '.join(DESTINATION_WORDS)}, or a non-empty list of the model's importer "
                  f'names (and "country"), e.g. ["united_states"], got {show(value)}')


Destinations = Annotated[Union[str, list[str]], PlainValidator(_check_destinations), WithJsonSchema(
    {"oneOf": [{"type": "string", "enum": list(DESTINATION_WORDS)},
               {"type": "array", "items": {"type": "string", "minLength": 1}, "minItems": 1, "uniqueItems": True}]})]
SectorNames = NameList("sector", '["electronics", "services"]')


# --------------------------------------------------------------------------- spec classes

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


class Spec(BaseModel):
    """The base of every spec class."""

    # strict: TOML has real types, so "10" is not a number and 1 is not true.
    model_config = ConfigDict(extra="forbid", strict=True)

