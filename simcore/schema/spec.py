"""The declarative schema of model files and run configs (pydantic v2), and its JSON Schema.

Checking an input happens in two passes, both reporting into one
:class:`~simcore.schema.errors.Problems` so that every bad field is named at once:

1. **Schema**: types, ranges, allowed values and unknown keys, field by field.
   :func:`schema_problems` turns pydantic's errors into ``(field, message)`` pairs with
   the allowed values and returns the input with the bad values taken out.
2. **Cross-field checks** (:mod:`~simcore.schema.modelfile`, :mod:`~simcore.schema.config`):
   names that must exist in the model, shares that must add up, sources for every
   number, recipe cycles, ... They read that cleaned input, so they run even when
   pass 1 found problems, and trust the type of every value left in it.

This module is the face of the schema; each idea lives in its own module:

* :mod:`~simcore.schema.fields`: the leaf field types (numbers, uncertain numbers and
  :class:`Dist`, integers, choices, names, per-product values), :func:`sourced` and the
  base class of the specs;
* :mod:`~simcore.schema.model_spec`: the model file (:class:`ModelFileSpec`);
* :mod:`~simcore.schema.config_spec`: the run config (:class:`ConfigSpec`);
* :mod:`~simcore.schema.problems`: pass 1 and its messages (:func:`schema_problems`);
* :mod:`~simcore.schema.export`: the JSON Schema (:func:`json_schema`).

Every name that was imported from here before the split still is.
"""

from __future__ import annotations

from simcore.schema.config_spec import (
    KEEP_CHOICES,
    RECYCLING_START,
    ClusterSpec,
    ConfigSpec,
    DiversificationSpec,
    EventProducts,
    EventSpec,
    PolicySpec,
    RecyclingSpec,
    RunSpec,
    StockpileSpec,
)
from simcore.schema.export import SCHEMAS, json_schema, write_json_schema, write_json_schemas
from simcore.schema.fields import (
    DESTINATION_WORDS,
    DISTRIBUTIONS,
    FLOAT32_MAX,
    LIST_TAG,
    MAX_HORIZON_DAYS,
    MAX_LOGNORMAL_SIGMA,
    NUMBER_TAG,
    TABLE_TAG,
    UNION_TAGS,
    Choice,
    Days,
    Destinations,
    Dist,
    Integer,
    Name,
    NameList,
    NonNegative,
    Number,
    OriginNames,
    PerProduct,
    Positive,
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
    central,
    invalid,
    needs_source,
    show,
    sourced,
)
from simcore.schema.model_spec import (
    ALLOCATIONS,
    ESSENTIALITY,
    HiddenDependenceSpec,
    ImporterSpec,
    IOSpec,
    ModelFileSpec,
    ModelMetaSpec,
    ProductSpec,
    SegmentSpec,
)
from simcore.schema.problems import field_name, schema_problems, sort_problems, spec_at

# The private names simcore.service.schemas imports from here (their old spellings).
_invalid, _show, _Spec, _spec_at = invalid, show, Spec, spec_at

__all__ = [
    # fields
    "DESTINATION_WORDS", "DISTRIBUTIONS", "FLOAT32_MAX", "LIST_TAG", "MAX_HORIZON_DAYS", "MAX_LOGNORMAL_SIGMA",
    "NUMBER_TAG", "TABLE_TAG", "UNION_TAGS", "Choice", "Days", "Destinations", "Dist", "Integer", "Name", "NameList",
    "NonNegative", "Number", "OriginNames", "PerProduct", "Positive", "SectorNames", "SectorPair", "Share",
    "ShareTable", "SourceText", "Spec", "UDays", "UNonNegative", "UPositive", "UShare", "UShareTable", "Uncertain",
    "central", "invalid", "needs_source", "show", "sourced",
    # model file
    "ALLOCATIONS", "ESSENTIALITY", "HiddenDependenceSpec", "IOSpec", "ImporterSpec", "ModelFileSpec",
    "ModelMetaSpec", "ProductSpec", "SegmentSpec",
    # run config
    "KEEP_CHOICES", "RECYCLING_START", "ClusterSpec", "ConfigSpec", "DiversificationSpec", "EventProducts",
    "EventSpec", "PolicySpec", "RecyclingSpec", "RunSpec", "StockpileSpec",
    # problems
    "field_name", "schema_problems", "sort_problems", "spec_at",
    # JSON Schema
    "SCHEMAS", "json_schema", "write_json_schema", "write_json_schemas",
]
