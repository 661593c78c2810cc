"""Small rules shared by the model-file tables (products, importers, the IO table)."""

from __future__ import annotations

from simcore.schema.errors import Problems
from simcore.schema.spec import central, needs_source

SHARE_TOLERANCE = 1e-6


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


def known_sum(entries: dict, allowed) -> float:
    """Sum of the values of ``entries`` whose keys are allowed (None: all; distributions:
    their central value)."""
    return float(sum(central(v) for k, v in entries.items() if (allowed is None or k in allowed)
                     and isinstance(central(v), (int, float))))


def highest(value) -> float:
    """A number, the highest value a distribution table can draw (inf for a lognormal),
    or 0 for anything else (a value left out or reported by pass 1)."""
    if isinstance(value, dict):
        return float("inf") if value.get("dist") == "lognormal" else float(value.get("high", 0.0) or 0.0)
    return float(value) if isinstance(value, (int, float)) else 0.0


def check_supply_shares(problems: Problems, imports: dict, domestic, origins, where: str) -> None:
    """Import shares ``{origin: share}`` name known origins, and with ``domestic`` (None:
    1 - imports) sum to 1; without it they sum to at most 1 (a product's or a user
    segment's supply, reported at ``where.import_share``)."""
    check_names(problems, imports, origins, f"{where}.import_share", "origin")
    total = known_sum(imports, origins)
    if domestic is not None and abs(total + domestic - 1.0) > SHARE_TOLERANCE:
        problems.add(f"{where}.import_share", f"import shares + domestic_share must sum to 1, got "
                     f"{total + domestic:.6g}")
    elif total > 1.0 + SHARE_TOLERANCE:
        problems.add(f"{where}.import_share", f"shares must sum to at most 1, got {total:.6g}")
