"""Schema problems: pydantic's errors as ``(field, message)`` pairs a user can act on.

:func:`schema_problems` is pass 1 of every check (the cross-field checks of
:mod:`~simcore.schema.modelfile` and :mod:`~simcore.schema.config` are pass 2): it
validates an input against a spec class, adds one problem per bad field (named as the
file writes it, ``products[0] (gallium).price``, with the allowed values) and returns the
input with the bad values taken out, for pass 2. :func:`sort_problems` orders both
passes' problems by place in the document.
"""

from __future__ import annotations

import copy
import re
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from simcore.schema.errors import Problems
from simcore.schema.fields import UNION_TAGS, show

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


def spec_at(root: type[BaseModel], path: tuple) -> type[BaseModel] | None:
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
    if kind == "too_long":
        return f"must have at most {error['ctx']['max_length']} items, got {error['ctx']['actual_length']}"
    if kind == "extra_forbidden":
        spec = spec_at(root, loc[:-1])
        allowed = sorted(spec.model_fields) if spec else []
        return "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    if kind in _TYPE_WORDS:
        return f"must be {_TYPE_WORDS[kind]}, got {show(error.get('input'))}"
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

