"""The build's refusals: a number without a qualifying source (``validate_tree``,
``source_problem``), an assumption without a reason or outside its range
(``validate_assumptions``), a malformed hidden link (``validate_hidden_links``) and
shares that do not add up (``check_shares``). Each returns one message per problem, so
the build names them all at once."""

from __future__ import annotations

import math

from .base import DATA_FILES
from .sourced import Assumption, Distributed, Labelled, Sourced, central


def validate_hidden_links(links) -> list[str]:
    problems = []
    for link in links:
        name = f"hidden link {link.product}/{link.origin} on {link.on_origin} {link.on_product or link.product}"
        if not (0.0 <= link.low <= link.mode <= link.high <= 1.0 and link.low < link.high):
            problems.append(f"{name}: need 0 <= low <= mode <= high <= 1 and low < high, got "
                            f"{link.low}, {link.mode}, {link.high}")
        if len(link.reason.strip()) < 10:
            problems.append(f"{name}: needs a reason")
        if link.origin == link.on_origin and link.on_product in (None, link.product):
            problems.append(f"{name}: a supply cannot depend on itself")
    return problems


def validate_assumptions(table: dict[str, Assumption]) -> list[str]:
    """Problems in the assumptions table: missing reasons, values outside their range."""
    problems = []
    for name, a in table.items():
        if not isinstance(a.value, (int, float)) or isinstance(a.value, bool) or not math.isfinite(a.value):
            problems.append(f"assumption {name}: value {a.value!r} is not a finite number")
        if not isinstance(a.reason, str) or len(a.reason.strip()) < 10:
            problems.append(f"assumption {name} = {a.value!r}: needs a reason (a sentence saying why)")
        if (a.low is None) != (a.high is None):
            problems.append(f"assumption {name}: give both ends of the range or neither")
        elif a.low is not None and not (a.low <= a.value <= a.high):
            problems.append(f"assumption {name} = {a.value!r} lies outside its range {a.low}-{a.high}")
    return problems


def source_problem(source) -> str | None:
    """Why ``source`` does not qualify, or None."""
    if not isinstance(source, str) or not source.strip():
        return "has no source"
    text = source.strip()
    if text.startswith("assumption:"):
        return None if len(text) > len("assumption:") + 10 else "is labelled 'assumption:' without a reason"
    if text.startswith(("data:", "computed:")):
        if any(name in text for name in DATA_FILES):
            return None
        return f"cites no file of models/data/ ({', '.join(DATA_FILES)})"
    return "source must start with 'data:', 'computed:' or 'assumption:'"


def validate_tree(tree, path: str = "") -> list[str]:
    """Every number in ``tree`` must be a :class:`Sourced` with a qualifying source.

    Returns one message per bad number, naming its path and value. Strings and booleans
    are labels, not numbers, and need no source.
    """
    problems = []
    if isinstance(tree, Sourced):
        why = source_problem(tree.source)
        if why:
            problems.append(f"{path} = {tree.value!r} {why}")
        if not isinstance(tree.value, (int, float)) or not math.isfinite(tree.value):
            problems.append(f"{path} = {tree.value!r} is not a finite number")
    elif isinstance(tree, Distributed):
        why = source_problem(tree.source)
        if why:
            problems.append(f"{path} = {tree.value!r} {why}")
        if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in (tree.low, tree.mode, tree.high)):
            problems.append(f"{path}: distribution ({tree.low!r}, {tree.mode!r}, {tree.high!r}) is not finite")
        elif not (tree.low <= tree.mode <= tree.high and tree.low < tree.high):
            problems.append(f"{path}: triangular needs low <= mode <= high and low < high, got "
                            f"({tree.low!r}, {tree.mode!r}, {tree.high!r})")
        elif not tree.source.strip().startswith("assumption:"):
            problems.append(f"{path}: a distribution's source must be an 'assumption: ... range ...' label")
    elif isinstance(tree, Labelled):
        why = source_problem(tree.source)
        if why:
            problems.append(f"{path} = {tree.value!r} {why}")
    elif isinstance(tree, dict):
        for key, value in tree.items():
            problems += validate_tree(value, f"{path}.{key}" if path else str(key))
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            label = value.get("name") if isinstance(value, dict) and isinstance(value.get("name"), str) else i
            problems += validate_tree(value, f"{path}[{label}]")
    elif isinstance(tree, bool) or isinstance(tree, str) or tree is None:
        pass
    elif isinstance(tree, (int, float)):
        problems.append(f"{path} = {tree!r} has no source (a bare number: wrap it in Sourced or an assumption)")
    else:
        problems.append(f"{path}: unexpected value {tree!r}")
    return problems


def check_shares(model: dict) -> list[str]:
    """Import shares + domestic share must be 1 for every product, world shares at most 1."""
    problems = []
    for prod in model["products"]:
        total = sum(central(v) for v in prod["import_share"].values()) + central(prod["domestic_share"])
        if abs(total - 1.0) > 1e-9:
            problems.append(f"products.{prod['name']}: import shares + domestic_share = {total!r}, not 1")
        ws = sum(central(v) for v in prod.get("world_share", {}).values())
        if ws > 1.0 + 1e-9:
            problems.append(f"products.{prod['name']}.world_share sums to {ws!r} > 1")
    return problems
