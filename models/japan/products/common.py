"""Helpers the product builders share: the fields every mineral has in common, the
Manufacturing exposure, USD prices converted to the model's JPY million, and import and
world shares taken from the data (rounded to sum to one, or by the world-production
proxy where Japan's imports by origin are not in the data)."""

from __future__ import annotations

from ..assumptions import ASSUMPTIONS, A
from ..data import import_proxy, price_usd, short_source, world_shares_by_origin
from ..sourced import Sourced


def mineral_common() -> dict[str, Sourced]:
    """The behaviour fields every mineral and magnet shares (assumptions)."""
    return {
        "lead_time_days": A("lead_time_days"),
        "price_elasticity": A("price_elasticity"),
    }


def exposure(assumption: str) -> dict[str, Sourced]:
    """The share of Manufacturing's output that depends on the product: the assumption ``assumption``."""
    return {"manufacturing": A(assumption)}


def round_shares(shares: dict[str, float], domestic: float, digits: int = 6) -> tuple[dict[str, float], float]:
    """Round import shares and the domestic share so that they sum to exactly one; the
    rounding residual goes to the largest entry."""
    rounded = {o: round(v, digits) for o, v in shares.items() if round(v, digits) > 0}
    dom = round(domestic, digits)
    residual = round(1.0 - dom - sum(rounded.values()), digits + 2)
    if rounded and abs(residual) > 0:
        top = max(rounded, key=rounded.get)
        rounded[top] = round(rounded[top] + residual, digits + 2)
    elif not rounded:
        dom = 1.0
    return rounded, dom


def sourced_shares(shares: dict[str, float], source: str) -> dict[str, Sourced]:
    return {o: Sourced(v, source) for o, v in shares.items()}


def usd_to_jpy_million(usd: float, basis: str, assumed: bool = False) -> Sourced:
    """USD per unit -> JPY million per unit at the assumed exchange rate. ``assumed``:
    the USD price itself is an assumption (the label then starts with 'assumption:')."""
    rate = ASSUMPTIONS["usd_jpy"].value
    prefix = "assumption: (price assumed) " if assumed else "computed: "
    return Sourced(usd * rate / 1e6, f"{prefix}{basis} x {rate:g} JPY/USD (assumption usd_jpy: "
                                     f"{ASSUMPTIONS['usd_jpy'].reason}) / 1e6 -> JPY million")


def price(material, prefix, year, unit_factor=1.0, factor_text="") -> Sourced:
    usd, row = price_usd(material, prefix, year)
    basis = (f"{usd:g} {row['unit'].split(' (')[0]} ({row['series']}, {year}, prices.csv; "
             f"{short_source(row)}){factor_text}")
    return usd_to_jpy_million(usd * unit_factor, basis)


def world_share_sourced(material: str) -> dict[str, Sourced]:
    shares, japan, total = world_shares_by_origin(material)
    src = (f"computed: 2024 production by country / sum of listed countries ({total:g}), countries grouped by "
           f"origin_groups.csv; Japan ({japan:.4f}) left in the rest of the world; world_production_shares.csv "
           f"(USGS MCS 2026)")
    return {o: Sourced(round(v, 4), src) for o, v in shares.items() if round(v, 4) > 0}


def ree_world_share() -> dict[str, Sourced]:
    shares, japan, total = world_shares_by_origin("rare earths (REO)")
    src = ("computed: (proxy: mine output of all rare earths, REO, not separated NdPr; China's share of separation is "
           f"higher): 2024 production by country / sum of listed countries ({total:g} t REO), grouped by "
           "origin_groups.csv; world_production_shares.csv (USGS MCS 2026)")
    return {o: Sourced(round(v, 4), src) for o, v in shares.items() if round(v, 4) > 0}


def proxy_imports(material: str, domestic: float, fixed: dict[str, float] | None = None,
                  fixed_source: str = "") -> tuple[dict[str, Sourced], Sourced]:
    """Import shares = (1 - domestic) x [fixed origins + the rest by world production proxy]."""
    proxy = import_proxy(material)
    fixed = fixed or {}
    rest = 1.0 - sum(fixed.values())
    others = {o: v for o, v in proxy.items() if o not in fixed}
    norm = sum(others.values())
    shares = dict(fixed)
    for o, v in others.items():
        shares[o] = shares.get(o, 0.0) + rest * v / norm
    scaled = {o: (1.0 - domestic) * v for o, v in shares.items()}
    rounded, dom = round_shares(scaled, domestic)
    src = ("computed: (proxy) Japan's import shares where Japan-reported imports by origin are NOT FOUND "
           "(japan_import_shares.csv) = non-Japanese 2024 world production shares of the origins "
           f"(world_production_shares.csv, USGS MCS 2026; North Korea left out: Japan bans its imports) x (1 - domestic)")
    if fixed:
        src = f"{fixed_source}; the remainder: " + src
    return sourced_shares(rounded, src), Sourced(dom, src if domestic else
                                                    "computed: no Japanese production in the USGS table "
                                                    "(world_production_shares.csv), so domestic share 0")
