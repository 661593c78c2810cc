"""JSON Schema export of the model-file and run-config specs (``schemas/*.json``,
``simcore schema model|config``, ``python -m simcore.schema``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from simcore.schema.config_spec import ConfigSpec
from simcore.schema.model_spec import ModelFileSpec

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
