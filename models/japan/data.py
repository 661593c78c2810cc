"""Readers of the CSV rows in ``models/data/`` (copied verbatim from the team's shared
dataset, each with its ``source`` column; see ``models/data/SOURCES.md``): prices, world
production by country and origin, Japan's import rows, stockpile facts and the
world-market parameters. Each reader raises :class:`BuildError` naming the missing row."""

from __future__ import annotations

import csv

from .base import DATA, ORIGINS, BuildError


def read_csv(name: str) -> list[dict]:
    """The rows of ``models/data/<name>``."""
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def short_source(row: dict) -> str:
    return row["source"].split(";")[0].strip()


def price_usd(material: str, series_prefix: str, year: str) -> tuple[float, dict]:
    for row in read_csv("prices.csv"):
        if row["material"] == material and row["series"].startswith(series_prefix) and row["year"] == year:
            return float(row["price"]), row
    raise BuildError(f"prices.csv has no row {material} / {series_prefix} / {year}")


def origin_groups() -> dict[str, str]:
    return {r["country"]: r["origin"] for r in read_csv("origin_groups.csv")}


def world_production(material: str, year: str = "2024") -> dict[str, float]:
    """Production by country (source unit) for the USGS table of ``material``; W/NA cells skipped."""
    out = {}
    for row in read_csv("world_production_shares.csv"):
        if row["material"] != material or row["year"] != year or row["country"].startswith("World total"):
            continue
        if row["production"] == "":
            continue
        out[row["country"]] = float(row["production"])
    if not out:
        raise BuildError(f"world_production_shares.csv has no {year} rows for {material}")
    return out


def world_shares_by_origin(material: str) -> tuple[dict[str, float], float, float]:
    """(origin -> share of the listed countries' total, Japan's share, listed total).

    Shares use the sum of the listed countries' production as denominator so that they
    add to one with Japan (USGS's rounded world total differs by rounding, 0.97-1.03)."""
    production = world_production(material)
    groups = origin_groups()
    total = sum(production.values())
    shares = {o: 0.0 for o in ORIGINS}
    japan = 0.0
    for country, value in production.items():
        group = groups[country]
        if group.startswith("JP"):
            japan += value / total
        else:
            shares[group] += value / total
    return shares, japan, total


def import_proxy(material: str, exclude_countries=("Korea, North",)) -> dict[str, float]:
    """Non-Japanese world production shares by origin, normalised to one: the proxy for
    Japan's import shares where no Japan import data exist. North Korea is left out
    because Japan bans imports from it (see ``import_ban_kp`` in the docs)."""
    production = world_production(material)
    groups = origin_groups()
    out = {o: 0.0 for o in ORIGINS}
    for country, value in production.items():
        group = groups[country]
        if group.startswith("JP") or country in exclude_countries:
            continue
        out[group] += value
    total = sum(out.values())
    return {o: v / total for o, v in out.items()}


def import_row(material: str, partner: str, period: str) -> dict:
    for row in read_csv("japan_import_shares.csv"):
        if row["material"] == material and row["partner"] == partner and row["period"] == period:
            return row
    raise BuildError(f"japan_import_shares.csv has no row {material} / {partner} / {period}")


def stockpile_fact(fact_id: str) -> tuple[float, dict]:
    for row in read_csv("stockpile_facts.csv"):
        if row["fact_id"] == fact_id:
            return float(row["value"]), row
    raise BuildError(f"stockpile_facts.csv has no fact {fact_id}")


MP = "market_parameters.csv"


def mp(param_id: str) -> float:
    """A number of ``models/data/market_parameters.csv`` (rows copied from models/data/market/
    and models/data/episodes/, each with its source)."""
    for row in read_csv(MP):
        if row["param_id"] == param_id:
            return float(row["value"])
    raise BuildError(f"{MP} has no row {param_id}")


def g_2023q(row: dict) -> float:
    """The quantity of a ``japan_import_shares.csv`` row (kg) in t."""
    return float(row["quantity"]) / 1000.0


def ga_precontrol_month() -> float:
    """China's mean monthly gallium exports before the 2023 control, kg: the mean of Nov 2022 and
    Mar 2023 (``market_parameters.csv``); the normal flow the market, front-loading and timeline
    regimes are measured against."""
    return (mp("ga_cn_exports_2022_11") + mp("ga_cn_exports_2023_03")) / 2
