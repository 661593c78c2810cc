"""The config files' text: the TOML templates in ``templates/`` (``string.Template``:
``$name`` is a value the filler computes, lines starting with ``##`` are the template's
own comments and are dropped) and the policy tables both configs share."""

from __future__ import annotations

from pathlib import Path
from string import Template

from .render import toml_value

TEMPLATES = Path(__file__).resolve().parent / "templates"


def fill(name: str, **values) -> str:
    """The template ``templates/<name>`` with every ``$name`` replaced (a missing value is an error)."""
    lines = (TEMPLATES / name).read_text(encoding="utf-8").splitlines(keepends=True)
    text = "".join(line for line in lines if not line.startswith("##"))
    return Template(text).substitute(values)


def inline(d: dict) -> str:
    """``d`` as a TOML inline table."""
    return toml_value(d)


def stockpile_block(gov_stock_days: dict[str, float]) -> str:
    """A ``[policies.stockpile]`` table with these national stock days (release and refill: assumptions)."""
    return fill("policy_stockpile.toml.in", gov_stock_days=inline(gov_stock_days)).removesuffix("\n")


def diversification_block(import_share: dict[str, dict[str, float]]) -> str:
    """A ``[policies.diversification]`` table with these import shares per product."""
    table = "{ " + ", ".join(f"{p} = {inline(s)}" for p, s in import_share.items()) + " }"
    return fill("policy_diversification.toml.in", import_share=table).removesuffix("\n")


def recycling_block() -> str:
    """The ``[policies.recycling]`` table (secondary supply and efficiency cuts: assumptions)."""
    return fill("policy_recycling.toml.in").removesuffix("\n")
