"""How essential each product is to the sectors that use it, and which of the specified
critical products (Economic Security Promotion Act, ``critical_products.csv``) it goes
into: one labelled assumption per product."""

from __future__ import annotations

from ..base import BuildError
from ..data import read_csv
from ..sourced import Labelled


CRITICAL_PRODUCT_LINKS = {
    # product -> the specified critical products (critical_products.csv) it goes into
    "gallium": ["semiconductors", "advanced electronic components", "critical minerals"],
    "germanium": ["advanced electronic components", "critical minerals"],
    "natural_graphite": ["storage batteries", "critical minerals"],
    "antimony": ["storage batteries", "critical minerals"],
    "tungsten": ["machine tools and industrial robots", "aircraft parts", "critical minerals"],
    "tellurium": ["advanced electronic components", "critical minerals"],
    "ndpr_oxide": ["permanent magnets", "critical minerals"],
    "dysprosium": ["permanent magnets", "critical minerals"],
    "terbium": ["permanent magnets", "critical minerals"],
    "samarium": ["permanent magnets", "critical minerals"],
    "ndfeb_magnet": ["permanent magnets", "machine tools and industrial robots"],
    "ndfeb_magnet_direct": ["permanent magnets", "machine tools and industrial robots"],
    "smco_magnet": ["permanent magnets", "aircraft parts"],
    "cable_repair_vessel": ["cloud programs"],
    "satellite_launch": [],
}
# Essentiality of each product to its using sectors: "critical" where the product is a
# non-substitutable input of a specified critical product, "important" where it enters one
# but alternatives exist for part of the use, else "non-critical".
ESSENTIALITY = {
    "gallium": ("critical", "GaAs/GaN devices have no short-run substitute and feed semiconductors"),
    "germanium": ("important", "Ti/Sb catalysts and other optics replace part of the use"),
    "natural_graphite": ("critical", "anode material of storage batteries; refractories of steelmaking"),
    "antimony": ("important", "other flame retardants and battery alloys exist for part of the use"),
    "tungsten": ("critical", "cemented-carbide tools of machine tools and aircraft-part machining"),
    "tellurium": ("important", "thermoelectric and electronic uses, small and partly substitutable"),
    "ndpr_oxide": ("critical", "no substitute in NdFeB permanent magnets"),
    "dysprosium": ("critical", "heat resistance of NdFeB magnets for motors"),
    "terbium": ("critical", "heat resistance of NdFeB magnets for motors"),
    "samarium": ("critical", "no substitute in SmCo magnets"),
    "ndfeb_magnet": ("critical", "permanent magnets are a specified critical product"),
    "ndfeb_magnet_direct": ("critical", "permanent magnets are a specified critical product"),
    "smco_magnet": ("critical", "permanent magnets are a specified critical product"),
    "cable_repair_vessel": ("critical", "international data traffic (cloud programs) depends on cable repair"),
    "satellite_launch": ("important", "satellite services can be delayed or moved to other providers"),
}


def label_essentiality(products: list[dict]) -> None:
    """Give every product its essentiality label per exposed sector (in place); refuse a
    link to a critical product that ``critical_products.csv`` does not list."""
    specified = {r["specified_critical_product"] for r in read_csv("critical_products.csv")}
    for prod in products:
        links = CRITICAL_PRODUCT_LINKS[prod["name"]]
        unknown = [x for x in links if x not in specified]
        if unknown:
            raise BuildError(f"{prod['name']}: {unknown} not in critical_products.csv")
        level, why = ESSENTIALITY[prod["name"]]
        label = (f"assumption: {level} - {why}; goes into these specified critical products: "
                 f"{', '.join(links) or 'none'} (critical_products.csv, policy-context.md)")
        prod["essentiality"] = {sector: Labelled(level, label) for sector in prod["exposure"]}
