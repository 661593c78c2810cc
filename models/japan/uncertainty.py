"""Uncertainty the data cannot remove (issue 6): which assumptions the model draws per
scenario (inventory days, lead times, exposure, and demand where it rests on an
assumption), and the hidden-supplier links added to the products. ``make_uncertain``
turns the central values the product builders wrote into those draws, in place."""

from __future__ import annotations

from .assumptions import ASSUMPTIONS, A, U
from .base import BuildError
from .hidden_links import HIDDEN_LINKS
from .sourced import Distributed, Sourced, fmt, sig


# Assumptions drawn per scenario as triangular {low = range low, mode = central value,
# high = range high} wherever the model uses them for inventory_days, lead_time_days or
# exposure. The world-market parameters are drawn through U() / drawn() in market.py.
UNCERTAIN_ASSUMPTIONS = ("inventory_days_minerals", "inventory_days_magnets", "lead_time_days",
                         "exp_gallium", "exp_germanium", "exp_graphite", "exp_antimony", "exp_tungsten",
                         "exp_tellurium", "exp_ree_direct", "exp_ndfeb", "exp_smco", "exp_cable_ict",
                         "exp_launch_ict", "exp_launch_gov")
UNCERTAIN_FIELDS = ("inventory_days", "lead_time_days", "exposure")
# Demand where it rests on an assumption: demand_per_day = offset + slope x assumption, so
# the triangular draw spans the demand at the assumption's range (other inputs central).
# Tellurium is left exact: its domestic share (not drawable) is derived from the same
# assumption, and a drawn demand would silently keep Japan self-sufficient.
DEMAND_DRIVERS = {
    "germanium": "ge_demand_kg_per_year",
    "antimony": "sb_december_representative", "tungsten": "w_japan_share_of_world",
    "ndpr_oxide": "ndfeb_production_t", "dysprosium": "ndfeb_production_t", "terbium": "ndfeb_production_t",
    "ndfeb_magnet": "ndfeb_production_t", "ndfeb_magnet_direct": "ndfeb_production_t", "samarium": "smco_production_t", "smco_magnet": "smco_production_t",
    "cable_repair_vessel": "cable_ship_days_per_day", "satellite_launch": "launches_per_year",
}


def _uncertain_demand(demand: Sourced, driver: str, offset: float = 0.0) -> Distributed:
    """``demand`` = offset + slope x assumption ``driver`` -> triangular over the driver's range."""
    a = ASSUMPTIONS[driver]
    slope = (demand.value - offset) / a.value
    # at the range's ends the demand is the central one exactly (no rounding past the mode)
    low = demand.value if a.low == a.value else offset + slope * a.low
    high = demand.value if a.high == a.value else offset + slope * a.high
    text = demand.source if demand.source.startswith("assumption:") else "assumption: (derived) " + demand.source
    return Distributed(low, demand.value, high, (
        f"{text}; drawn per scenario: triangular over the range of assumption {driver} ({fmt(a.low)}-"
        f"{fmt(a.high)}, other inputs central): range {sig(low, 6):g}-{sig(high, 6):g} per day"))


def make_uncertain(products: list[dict]) -> None:
    """Turn the main assumption ranges into triangular distributions and add the hidden links (in place)."""
    central = {name: A(name) for name in UNCERTAIN_ASSUMPTIONS}
    for prod in products:
        for field in UNCERTAIN_FIELDS:
            value = prod.get(field)
            if isinstance(value, dict):
                prod[field] = {k: next((U(n) for n, c in central.items() if c == v), v) for k, v in value.items()}
            elif value is not None:
                prod[field] = next((U(n) for n, c in central.items() if c == value), value)
        driver = DEMAND_DRIVERS.get(prod["name"])
        if driver:
            prod["demand_per_day"] = _uncertain_demand(prod["demand_per_day"], driver)
    by_name = {p["name"]: p for p in products}
    for link in HIDDEN_LINKS:
        prod = by_name[link.product]
        supplied = set(prod.get("import_share", {})) | set(prod.get("world_share", {}))
        if link.origin not in supplied:
            raise BuildError(f"hidden link {link.product}/{link.origin}: {link.origin} does not supply "
                             f"{link.product} in the model")
        entry = {"origin": link.origin, "on_origin": link.on_origin}
        if link.on_product:
            entry["on_product"] = link.on_product
        upstream = f"{link.on_origin} {link.on_product or link.product}"
        entry["share"] = Distributed(link.low, link.mode, link.high, (
            f"assumption: hidden dependence of {link.product} from {link.origin} on {upstream}: {link.reason} "
            f"(range {fmt(link.low)}-{fmt(link.high)}, triangular mode {fmt(link.mode)}; tier 3 and below, no data)"))
        entry["description"] = f"{link.product} from {link.origin} depends on {upstream}"
        prod.setdefault("hidden_dependence", []).append(entry)
