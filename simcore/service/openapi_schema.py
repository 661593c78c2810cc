"""Fix-ups of the OpenAPI document that FastAPI generates for the service.

Why they exist: the request bodies (``POST /v1/assessments``, ``/v1/jobs``,
``/v1/screens``) are read by hand (:func:`simcore.service.body.parse_json`, then checked
in two passes so a 422 names every bad field), so FastAPI sees no body model and puts
none in the document. :func:`add_request_bodies` adds their schemas as components, with
two corrections FastAPI and pydantic would not make on their own:

- an optional request field may be ``null`` (the service reads ``null`` as "not given",
  see :func:`simcore.service.schemas.without_nulls`), so the schema must allow it;
- the job body is the config schema, whose pydantic name is ``ConfigSpec``: the
  component is named ``JobRequest`` as the routes refer to it, and every reference
  follows.
"""

from __future__ import annotations

from pydantic.json_schema import models_json_schema

from simcore.service import schemas


def add_request_bodies(schema: dict) -> dict:
    """``schema`` (FastAPI's OpenAPI document) with the request bodies' schemas among its
    components: optional fields nullable, the config schema named ``JobRequest``."""
    _, defs = models_json_schema([(schemas.AssessmentRequest, "validation"), (schemas.JobRequest, "validation")],
                                 ref_template="#/components/schemas/{model}")
    components = schema.setdefault("components", {}).setdefault("schemas", {})
    components.update({name: _nullable_optionals(body) for name, body in defs.get("$defs", {}).items()})
    components["JobRequest"] = components.pop("ConfigSpec", components.get("JobRequest"))
    return _fix_refs(schema)


def _nullable_optionals(node):
    """Request schemas: an optional field may be ``null`` (= not given, see
    :func:`simcore.service.schemas.without_nulls`)."""
    if isinstance(node, list):
        return [_nullable_optionals(v) for v in node]
    if not isinstance(node, dict):
        return node
    out = {k: _nullable_optionals(v) for k, v in node.items()}
    if isinstance(out.get("properties"), dict):
        required = set(out.get("required", []))
        for name, prop in out["properties"].items():
            if name in required or not isinstance(prop, dict):
                continue
            options = prop.get("anyOf", [prop])
            if not any(isinstance(o, dict) and o.get("type") == "null" for o in options):
                keep = {k: v for k, v in prop.items() if k in ("title", "description", "default")}
                body = {k: v for k, v in prop.items() if k not in keep}
                out["properties"][name] = {**keep, "anyOf": [body, {"type": "null"}]}
    return out


def _fix_refs(node):
    """Point references to the config schema at its component name ``JobRequest``."""
    if isinstance(node, dict):
        return {k: ("#/components/schemas/JobRequest" if k == "$ref" and v == "#/components/schemas/ConfigSpec"
                    else _fix_refs(v)) for k, v in node.items()}
    if isinstance(node, list):
        return [_fix_refs(v) for v in node]
    return node
