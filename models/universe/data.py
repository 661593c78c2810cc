"""Readers of ``models/data/universe/``: one commodity row of ``commodities.csv``, the 2024
production of a series by origin group (``world_production.csv``, countries grouped by
``origin_groups.csv`` and ``universe/origin_groups_universe.csv``) and Japan's lithium trade
facts (``japan_trade_facts.csv``). Each reader raises :class:`BuildError` naming what is
missing."""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache

from japan.base import ORIGINS, BuildError
from japan.data import origin_groups

from .base import UNIVERSE_DATA

WP = "universe/world_production.csv"
COMMODITIES = "universe/commodities.csv"
GROUPS = "origin_groups.csv + universe/origin_groups_universe.csv"
EXCLUDED_COUNTRIES = ("Korea, North",)  # Japan bans imports from it (as the Japan build's import proxy)


@lru_cache(maxsize=None)
def read_universe(name: str) -> tuple[dict, ...]:
    with (UNIVERSE_DATA / name).open(newline="", encoding="utf-8") as f:
        return tuple(csv.DictReader(f))


def commodity(series_id: str) -> dict:
    for row in read_universe("commodities.csv"):
        if row["series_id"] == series_id:
            return row
    raise BuildError(f"{COMMODITIES} has no series {series_id}")


def number(text: str) -> float:
    """A verbatim USGS number ('1,150') as a float; raises on codes and bounds."""
    try:
        return float(text.replace(",", ""))
    except ValueError:
        raise BuildError(f"not a plain number: {text!r}") from None


def groups() -> dict[str, str]:
    out = origin_groups()
    out.update({r["country"]: r["origin"] for r in read_universe("origin_groups_universe.csv")})
    return out


def lines(rows) -> str:
    found = sorted({int(m.group(1)) for r in rows for m in [re.search(r"line (\d+)", r["source"])] if m})
    return f"lines {found[0]}-{found[-1]}" if found else "no line numbers"


@dataclass(frozen=True)
class Production:
    """2024 production of one series: by origin group (Japan apart), Japan's own, the listed
    total, North Korea's part of ROW, the countries skipped (codes W, NA, ...), the CSV lines."""

    series_id: str
    by_origin: dict[str, float]
    japan: float
    total: float
    north_korea: float
    skipped: tuple[str, ...]
    where: str
    unit: str

    def text(self) -> str:
        skipped = f"; cells without a number skipped: {', '.join(self.skipped)}" if self.skipped else ""
        return (f"2024 country and 'Other countries' rows of {WP} (series_id={self.series_id}, USGS MCS 2026 data "
                f"release, {self.where}), grouped by {GROUPS}; listed total {self.total:,.6g} {self.unit}{skipped}")


def production(series_id: str, year: str = "2024") -> Production:
    rows = [r for r in read_universe("world_production.csv")
            if r["series_id"] == series_id and r["year"] == year and r["row_kind"] != "world_total"]
    if not rows:
        raise BuildError(f"{WP} has no {year} rows for {series_id}")
    mapping = groups()
    by_origin = {o: 0.0 for o in ORIGINS}
    japan = north_korea = 0.0
    skipped = []
    for r in rows:
        if r["value"] == "":
            skipped.append(f"{r['country']} ({r['value_as_published']})")
            continue
        group = mapping.get(r["country"])
        if group is None:
            raise BuildError(f"{series_id}: country {r['country']!r} has no origin group ({GROUPS})")
        value = float(r["value"])
        if group.startswith("JP"):
            japan += value
        else:
            by_origin[group] += value
        if r["country"] in EXCLUDED_COUNTRIES:
            north_korea += value
    total = sum(by_origin.values()) + japan
    if total <= 0:
        raise BuildError(f"{series_id}: no production in {WP}")
    return Production(series_id, by_origin, japan, total, north_korea, tuple(skipped), lines(rows), rows[0]["unit"])


def import_mix(prod: Production, exclude: tuple[str, ...] = ()) -> dict[str, float]:
    """Non-Japanese production shares by origin, North Korea left out (Japan bans its
    imports): the world mix Japan is assumed to buy where its imports by origin are not in
    the data; ``exclude``: further countries (USGS names) left out, e.g. the partners whose
    shares are known."""
    mix = dict(prod.by_origin)
    mix["ROW"] -= prod.north_korea
    if exclude:
        mapping = groups()
        for r in read_universe("world_production.csv"):
            if (r["series_id"] == prod.series_id and r["year"] == "2024" and r["row_kind"] != "world_total"
                    and r["country"] in exclude and r["value"] and not mapping[r["country"]].startswith("JP")):
                mix[mapping[r["country"]]] -= float(r["value"])
    total = sum(mix.values())
    return {o: v / total for o, v in mix.items() if v > 1e-12 * total}


def trade_fact(fact_id: str) -> tuple[float, dict]:
    for row in read_universe("japan_trade_facts.csv"):
        if row["fact_id"] == fact_id:
            return float(row["quantity"]), row
    raise BuildError(f"universe/japan_trade_facts.csv has no fact {fact_id}")
