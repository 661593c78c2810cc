"""Small rules shared by the model-file tables (products, importers, the IO table)."""

from __future__ import annotations

from simcore.schema.errors import Problems
from simcore.schema.spec import needs_source


def table(value) -> dict:
    """``value`` if it is a table, else an empty one (pass 1 reported it)."""
    return value if isinstance(value, dict) else {}


def check_names(problems: Problems, entries: dict, allowed, where: str, what: str) -> None:
    """Every key of ``entries`` must be one of ``allowed`` (skipped when those are unknown)."""
    if allowed is None:
        return
    for key in entries:
        if key not in allowed:
            problems.add(f"{where}.{key}", f"unknown {what}; allowed: {', '.join(allowed)}")


def check_sources(problems: Problems, given: dict, spec, where: str) -> None:
    """Every sourced field given needs a non-empty ``sources`` entry; sources name fields."""
    if "sources" in given and not isinstance(given["sources"], dict):
        return  # reported by pass 1
    sources = table(given.get("sources"))
    for name in needs_source(spec):
        value = given.get(name)
        if name in given and value not in ({}, []) and name not in sources:
            problems.add(f"{where}.sources.{name}",
                         "missing: every number needs a source or a text starting with 'assumption:'")
    fields = sorted(set(spec.model_fields) - {"sources"})
    for name in sources:
        if name not in fields:
            problems.add(f"{where}.sources.{name}", f"names no field of this table; allowed: {', '.join(fields)}")
