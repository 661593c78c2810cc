"""The policy numbers both configs share: which metals get the 180-day stockpile target,
the stockpile days per product at the published targets, and the import shares after
a diversification programme moves part of China's share to the other origins."""

from __future__ import annotations

from .assumptions import ASSUMPTIONS
from .base import DAYS_PER_YEAR, ORIGINS
from .data import origin_groups, stockpile_fact, world_production
from .sourced import central


REE_PRODUCTS = ("ndpr_oxide", "dysprosium", "terbium", "samarium")
MINERALS = ["gallium", "germanium", "natural_graphite", "antimony", "tungsten", "tellurium", "ndpr_oxide",
            "dysprosium", "terbium", "samarium"]


def stockpile_days(model: dict, high_risk: set[str], scale: float = 1.0) -> dict[str, float]:
    """National stock days per mineral at the published targets (60 days, 180 for ``high_risk``) x ``scale``."""
    base, _ = stockpile_fact("jp_target_baseline")
    high, _ = stockpile_fact("jp_target_high_risk")
    out = {}
    for prod in model["products"]:
        name = prod["name"]
        if name in MINERALS:
            out[name] = round((high if name in high_risk else base) * scale)
    out["*"] = 0
    return out


def high_risk_metals(model: dict) -> set[str]:
    """Metals given the 180-day target: China >= 80% of world supply in the model's world
    shares (USGS 2024 where available, the labelled assumptions for Ge, Dy, Tb, Sm)."""
    out = set()
    for prod in model["products"]:
        ws = prod.get("world_share", {})
        if prod["name"] in MINERALS and ws.get("CN") is not None and central(ws["CN"]) >= 0.8:
            out.add(prod["name"])
    return out


def diversified_imports(model: dict) -> tuple[dict[str, dict[str, float]], list[str]]:
    """Import shares after moving ``divert_fraction`` of China's share to the other origins
    of the data, each in proportion to its world production share and capped at
    ``japan_take_of_alt_output`` of its output where production is in the data in the
    product's own unit. Same import total as the model. Returns shares and notes."""
    divert = ASSUMPTIONS["divert_fraction"].value
    take = ASSUMPTIONS["japan_take_of_alt_output"].value
    usgs = {"gallium": "gallium", "natural_graphite": "graphite (natural)", "antimony": "antimony",
            "tungsten": "tungsten", "tellurium": "tellurium"}
    out, notes = {}, []
    for prod in model["products"]:
        name = prod["name"]
        if name not in MINERALS + ["ndfeb_magnet", "ndfeb_magnet_direct", "smco_magnet"]:
            continue
        shares = {o: float(central(v)) for o, v in prod["import_share"].items()}
        cn = shares.get("CN", 0.0)
        if cn < 0.3:
            continue
        world = {o: float(central(v)) for o, v in prod.get("world_share", {}).items() if o != "CN"}
        if not world or sum(world.values()) <= 0:
            continue
        move = divert * cn
        demand_year = float(central(prod["demand_per_day"])) * DAYS_PER_YEAR
        if name in usgs:
            production = world_production(usgs[name])
            groups = origin_groups()
            by_origin = {o: 0.0 for o in ORIGINS}
            for country, value in production.items():
                g = groups[country]
                if not g.startswith("JP") and country != "Korea, North":
                    by_origin[g] += value
            room = {o: max(0.0, take * by_origin[o] / demand_year - shares.get(o, 0.0)) for o in world}
            wsum = sum(world.values())
            want = {o: move * w / wsum for o, w in world.items()}
            got = {o: min(want[o], room[o]) for o in world}
            moved = sum(got.values())
            if moved < move - 1e-9:
                notes.append(f"{name}: only {moved:.3f} of the {move:.3f} share to move fits into "
                             f"{take:g} x the alternative producers' 2024 output")
        else:
            if name in REE_PRODUCTS:
                # USGS fn12: Burma's rare-earth output is estimated from China's import data,
                # i.e. it is shipped to China for separation - not an alternative to China.
                world.pop("MM", None)
            wsum = sum(world.values())
            got = {o: move * w / wsum for o, w in world.items()}
            moved = move
        new = dict(shares)
        new["CN"] = cn - moved
        for o, v in got.items():
            new[o] = new.get(o, 0.0) + v
        total_before = sum(shares.values())
        rounded = {o: round(v, 4) for o, v in new.items() if round(v, 4) > 0}
        top = max(rounded, key=rounded.get)
        rounded[top] = round(rounded[top] + total_before - sum(rounded.values()), 6)
        out[name] = rounded
    return out, notes
