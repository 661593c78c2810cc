"""The NdFeB magnet users as user segments of one product (docs/model.md section 4e): the
users of magnets made in Japan, and the direct importers of finished magnets in three
stock tiers (the first firm to stop is the one with the least stock, not the average
user)."""

from __future__ import annotations

from .assumptions import ASSUMPTIONS, A, U
from .sourced import Distributed, Sourced, fmt, sig


MAGNET_STOCK_TIERS = (("direct_lean", "low"), ("direct_typical", "value"), ("direct_stocked", "high"))


def magnet_user_segments(products: list[dict]) -> list[dict]:
    """The two NdFeB user groups of ``products.magnets`` (users of magnets made in Japan,
    ``ndfeb_magnet``; users who import finished magnets directly, ``ndfeb_magnet_direct``)
    as user segments of one product ``ndfeb_magnet`` (docs/model.md section 4e), the direct
    buyers in three equal stock tiers.

    Why tiers: the first firm to stop is the one with the least stock, not the average
    user (Suzuki stopped 52 days after the 2025-04 controls while others ran on). The
    assumed range of the direct buyers' stocks (``magnets_direct_inventory_days``, low /
    mode / high) is read as their spread across firms: a third at each, each tier's level
    drawn within +-50 % (assumption ``magnet_tier_spread``). The product keeps the totals:
    demand (one draw for all segments), China's share of use, the exposure (split like
    the volumes) and the direct buyers' hidden suppliers."""
    by_name = {p["name"]: p for p in products}
    made, direct = by_name["ndfeb_magnet"], by_name["ndfeb_magnet_direct"]
    nd_dom = ASSUMPTIONS["ndfeb_domestic_share"].value
    total = made["demand_per_day"]
    scale = 1.0 / nd_dom
    demand = Distributed(total.low * scale, total.mode * scale, total.high * scale,
                         f"{direct['demand_per_day'].source.split('; drawn per scenario')[0]} + the production used "
                         f"in Japan = Japan's NdFeB use; drawn per scenario: triangular over the range of assumption "
                         f"ndfeb_production_t")
    direct_imports = {o: v.value for o, v in direct["import_share"].items()}
    imp_source = next(iter(direct["import_share"].values())).source
    exp = ASSUMPTIONS["exp_ndfeb"]
    parent = dict(made)
    parent.update({
        "description": ("Sintered NdFeB permanent magnets (kg): users of magnets made in Japan (production needs "
                        "NdPr, Dy, Tb oxide) and users who import finished magnets directly, as user segments"),
        "demand_per_day": demand,
        "import_share": {o: Sourced(round((1 - nd_dom) * v, 6), f"assumption: (derived) the direct buyers' share "
                                    f"{1 - nd_dom:g} x their import shares ({imp_source})")
                         for o, v in direct_imports.items()},
        "domestic_share": Sourced(nd_dom, A("ndfeb_domestic_share").source),
        "exposure": {"manufacturing": Distributed(exp.low, exp.value, exp.high, U("exp_ndfeb").source)},
        "hidden_dependence": direct.get("hidden_dependence", []),
    })
    spread = ASSUMPTIONS["magnet_tier_spread"].value
    direct_range = ASSUMPTIONS["magnets_direct_inventory_days"]
    tier_share = round((1 - nd_dom) / len(MAGNET_STOCK_TIERS), 6)
    segments = [{
        "name": "made_in_japan",
        "description": "users of magnets made in Japan (domestic makers with their NdPr/Dy/Tb recipe)",
        "demand_share": Sourced(round(1 - len(MAGNET_STOCK_TIERS) * tier_share, 6), A("ndfeb_domestic_share").source),
        "import_share": {},
        "domestic_share": Sourced(1.0, "assumption: (derived) these users buy the magnets made in Japan"),
    }]
    for name, end in MAGNET_STOCK_TIERS:
        level = getattr(direct_range, end)
        segments.append({
            "name": name,
            "description": f"users who import finished magnets directly, the third with {end} stocks",
            "demand_share": Sourced(tier_share, f"assumption: (derived) a third of the direct buyers' share "
                                    f"{1 - nd_dom:g} ({A('ndfeb_domestic_share').source})"),
            "import_share": direct["import_share"],
            "domestic_share": direct["domestic_share"],
            "inventory_days": Distributed(
                sig(level * (1 - spread)), level, sig(level * (1 + spread)),
                f"assumption: (derived) the {end} end of the direct buyers' stocks {fmt(level)} days "
                f"({direct_range.label()}, range {fmt(direct_range.low)}-{fmt(direct_range.high)}) read as the "
                f"spread across firms, a third of them at each end and the mode; +-{spread:g} "
                f"({A('magnet_tier_spread').source}); drawn per scenario: triangular"),
            "market_sourcing_share": direct["market_sourcing_share"],
        })
    parent["segments"] = segments
    return [parent if p is made else p for p in products if p is not direct]
