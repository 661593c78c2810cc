"""The other importing regions on each traded world market (the United States, the EU,
Korea/Taiwan, the rest of the world): their shares of the market's demand and of China's
exports, from ``models/data/importers.csv``, turned into each region's demand share and
origin mix (docs/model-japan.md)."""

from __future__ import annotations

from .data import read_csv
from .sourced import Sourced, central


IMPORTER_REGIONS = ("united_states", "european_union", "korea_taiwan", "rest_of_world")
IMPORTER_MATERIAL = {  # product -> material of models/data/importers.csv
    "gallium": "gallium", "germanium": "germanium", "natural_graphite": "graphite (natural)",
    "antimony": "antimony", "tungsten": "tungsten", "tellurium": "tellurium", "ndpr_oxide": "rare earths",
    "dysprosium": "rare earths", "terbium": "rare earths", "samarium": "rare earths",
    "ndfeb_magnet": "NdFeB magnets", "ndfeb_magnet_direct": "NdFeB magnets",
}
IMPORTERS_CSV = "models/data/importers.csv"


def _importer_rows() -> dict[tuple[str, str, str], dict]:
    return {(r["material"], r["region"], r["quantity"]): r for r in read_csv("importers.csv")}


def build_importers(products: list[dict]) -> list[dict]:
    """The other importing regions of every traded material (docs/model-japan.md).

    Demand: the market's demand not Japan's (``1 - world_demand_weight``) split over the
    regions by their sourced or assumed shares of the traded market's demand
    (``share_of_market_demand`` without Japan's row: Japan's own share is the model's).
    Purchases from China: what China sells on the traded market beyond Japan's purchases
    (``world_share[CN] - world_demand_weight x Japan's CN share of imports``), split over
    the regions by their shares of China's exports (``share_of_china_exports``); the
    rest of a region's purchases at the market's mix of the other origins. World stocks
    stay in ``world_stock_days`` (drawn and calibrated as one total), so no region gives
    ``stock_days``."""
    rows = _importer_rows()
    tables = {region: {"demand_share": {}, "origin_share": {}} for region in IMPORTER_REGIONS}
    where = (f"{IMPORTERS_CSV} (rows share_of_market_demand and share_of_china_exports of the region and material; "
             "each row gives its status and source, or the reason and range of its assumption)")
    demand_text = (f"computed: (1 - Japan's world_demand_weight) x the region's share of the traded market's demand "
                   f"among the non-Japanese regions, {where}")
    origin_text = (f"computed: China's traded sales beyond Japan's purchases (world_share CN - world_demand_weight x "
                   f"Japan's CN share of imports) x the region's share of China's exports among the non-Japanese "
                   f"regions / its demand share, capped at 1; the rest at the market's mix of the other origins; "
                   f"{where}")
    for product in products:
        material = IMPORTER_MATERIAL.get(product["name"])
        if material is None:
            continue
        weight = float(central(product.get("world_demand_weight", 0.0)) or 0.0)
        world = {o: float(central(v)) for o, v in product.get("world_share", product["import_share"]).items()}
        imports = {o: float(central(v)) for o, v in product["import_share"].items()}
        japan_cn = imports.get("CN", 0.0) / max(sum(imports.values()), 1e-12)
        demand = {r: float(rows[(material, r, "share_of_market_demand")]["value"]) for r in IMPORTER_REGIONS}
        exports = {r: float(rows[(material, r, "share_of_china_exports")]["value"]) for r in IMPORTER_REGIONS}
        left_cn = max(world.get("CN", 0.0) - weight * japan_cn, 0.0)
        others = {o: v for o, v in world.items() if o != "CN"}
        for region in IMPORTER_REGIONS:
            d = (1.0 - weight) * demand[region] / sum(demand.values())
            cn = min(1.0, exports[region] / sum(exports.values()) * left_cn / max(d, 1e-12))
            mix = {"CN": cn, **{o: v / max(sum(others.values()), 1e-12) * (1.0 - cn) for o, v in others.items()}}
            mix = {o: round(v, 4) for o, v in mix.items()}
            largest = max(mix, key=mix.get)  # rounding must not lift the sum above 1
            mix[largest] = round(mix[largest] - max(sum(mix.values()) - 1.0, 0.0), 4)
            tables[region]["demand_share"][product["name"]] = Sourced(round(d, 4), demand_text)
            tables[region]["origin_share"][product["name"]] = {o: Sourced(round(v, 4), origin_text)
                                                               for o, v in mix.items() if v > 0}
    return [{"name": region, "description": f"{region.replace('_', ' ')} as an importer on the traded world markets",
             **tables[region]} for region in IMPORTER_REGIONS]
