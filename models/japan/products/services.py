"""The two non-storable services: cable-repair ship capacity and satellite launches. No
inventory and nothing in transit; every number is a labelled assumption."""

from __future__ import annotations

from ..assumptions import ASSUMPTIONS, A
from ..base import DAYS_PER_YEAR
from ..sourced import Sourced
from .common import round_shares, sourced_shares, usd_to_jpy_million


def services() -> list[dict]:
    """cable_repair_vessel and satellite_launch, in this order."""
    products = []
    cb_dom = ASSUMPTIONS["cable_domestic_share"].value
    cb_eu = ASSUMPTIONS["cable_import_eu_of_imports"].value
    cb_rounded, cb_dom_r = round_shares({"EU": (1 - cb_dom) * cb_eu, "ROW": (1 - cb_dom) * (1 - cb_eu)}, cb_dom)
    products.append({
        "name": "cable_repair_vessel", "unit": "ship-day", "storable": False,
        "description": "Submarine-cable laying and repair ship capacity (a service: cannot be stockpiled)",
        "demand_per_day": A("cable_ship_days_per_day"),
        "price": usd_to_jpy_million(ASSUMPTIONS["cable_usd_per_ship_day"].value,
                                    f"{ASSUMPTIONS['cable_usd_per_ship_day'].value:g} USD/ship-day "
                                    f"({A('cable_usd_per_ship_day').source})", assumed=True),
        "inventory_days": Sourced(0.0, "assumption: a service holds no inventory (policy-context.md: services "
                                  "cannot be stockpiled)"),
        "lead_time_days": Sourced(0.0, "assumption: chartered capacity acts at once; nothing is in transit"),
        "price_elasticity": A("price_elasticity"),
        "import_share": sourced_shares(cb_rounded, f"assumption: (derived) (1 - domestic share {cb_dom:g}) split by "
                                       f"{A('cable_import_eu_of_imports').source}"),
        "domestic_share": Sourced(cb_dom_r, A("cable_domestic_share").source),
        "price_cap": A("price_cap_service"),
        "use": {"ict": Sourced(1.0, "assumption: repair ships are chartered by the cable owners (telecom carriers, "
                               "Information and communication)")},
        "substitutable": {"ict": A("substitutable_cable")},
        "exposure": {"ict": A("exp_cable_ict")},
    })
    ln_dom = ASSUMPTIONS["launch_domestic_share"].value
    ln_us = ASSUMPTIONS["launch_import_us_of_imports"].value
    ln_rounded, ln_dom_r = round_shares({"US": (1 - ln_dom) * ln_us, "EU": (1 - ln_dom) * (1 - ln_us)}, ln_dom)
    products.append({
        "name": "satellite_launch", "unit": "launch", "storable": False,
        "description": "Satellite launch capacity (a service: cannot be stockpiled)",
        "demand_per_day": Sourced(ASSUMPTIONS["launches_per_year"].value / DAYS_PER_YEAR,
                                  A("launches_per_year").source + " / 365"),
        "price": usd_to_jpy_million(ASSUMPTIONS["launch_usd"].value,
                                    f"{ASSUMPTIONS['launch_usd'].value:g} USD/launch ({A('launch_usd').source})", assumed=True),
        "inventory_days": Sourced(0.0, "assumption: a service holds no inventory (policy-context.md: services "
                                  "cannot be stockpiled)"),
        "lead_time_days": Sourced(0.0, "assumption: a launch slot lost is lost; nothing is in transit"),
        "price_elasticity": A("price_elasticity"),
        "import_share": sourced_shares(ln_rounded, f"assumption: (derived) (1 - domestic share {ln_dom:g}) split by "
                                       f"{A('launch_import_us_of_imports').source}"),
        "domestic_share": Sourced(ln_dom_r, A("launch_domestic_share").source),
        "price_cap": A("price_cap_service"),
        "use": {"ict": A("use_launch_ict"),
                "public_admin": Sourced(round(1.0 - ASSUMPTIONS["use_launch_ict"].value, 6),
                                        A("use_launch_ict").source + "; public_admin = 1 - ict")},
        "substitutable": {"ict": A("substitutable_launch"), "public_admin": A("substitutable_launch")},
        "exposure": {"ict": A("exp_launch_ict"), "public_admin": A("exp_launch_gov")},
    })
    return products
