"""The magnets, the multi-tier products (oxides -> magnets): NdFeB made in Japan (with its
NdPr/Dy/Tb recipe), NdFeB bought abroad directly by Japanese users, and SmCo (recipe:
samarium). The two NdFeB groups become user segments of one product later
(``segments.magnet_user_segments``)."""

from __future__ import annotations

from ..assumptions import ASSUMPTIONS, A, U
from ..base import DAYS_PER_YEAR
from ..sourced import Distributed, Sourced, fmt, sig
from .common import mineral_common, round_shares, sourced_shares, usd_to_jpy_million


def magnets() -> list[dict]:
    """ndfeb_magnet, ndfeb_magnet_direct and smco_magnet, in this order."""
    products = []
    production = ASSUMPTIONS["ndfeb_production_t"].value * 1000.0  # kg/yr
    # Japan's NdFeB use (production / domestic share) splits into users of magnets MADE IN JAPAN
    # (ndfeb_magnet: domestic makers with their NdPr/Dy/Tb recipe) and users who buy imported,
    # mostly Chinese, magnets directly (ndfeb_magnet_direct). Together they keep today's totals:
    # demand, domestic share, China's import share and the exposure.
    nd_dom = ASSUMPTIONS["ndfeb_domestic_share"].value
    nd_use_kg = production / nd_dom
    cn_of_imports = ASSUMPTIONS["magnet_import_cn_of_imports"].value
    nd_imp = {"CN": cn_of_imports, "VN": (1 - cn_of_imports) / 2, "ROW": (1 - cn_of_imports) / 2}
    nd_rounded, _ = round_shares(nd_imp, 0.0)
    nd_src = (f"assumption: (derived) the direct buyers import all their magnets: China {cn_of_imports:g} of them "
              f"({A('magnet_import_cn_of_imports').source}); the rest split evenly between VN and ROW "
              f"(assumption: no magnet trade data); over both segments China's share of Japan's use is "
              f"(1 - {nd_dom:g}) x {cn_of_imports:g} = {(1 - nd_dom) * cn_of_imports:g}, as before the split")
    exp = ASSUMPTIONS["exp_ndfeb"]
    magnet_common = {
        "price": usd_to_jpy_million(ASSUMPTIONS["ndfeb_usd_per_kg"].value,
                                    f"{ASSUMPTIONS['ndfeb_usd_per_kg'].value:g} USD/kg "
                                    f"({A('ndfeb_usd_per_kg').source})", assumed=True),
        **mineral_common(),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_low")},
        "world_share": {"CN": A("magnet_world_cn"),
                        "ROW": Sourced(round((1 - ASSUMPTIONS["magnet_world_cn"].value) / 2, 6),
                                       A("magnet_world_cn").source + "; the rest split evenly between ROW and "
                                       "Japan (rest of world outside the origins): assumption, no magnet data")},
    }

    def segment_exposure(share, label):
        return {"manufacturing": Distributed(
            sig(exp.low * share, 8), sig(exp.value * share, 8), sig(exp.high * share, 8),
            f"assumption: (derived) {exp.reason} (assumption exp_ndfeb, range {fmt(exp.low)}-{fmt(exp.high)}) x "
            f"the {label} share {share:g} of Japan's magnet use (assumption ndfeb_domestic_share: {A('ndfeb_domestic_share').source}); "
            f"the users are assumed to split like the volumes; drawn per scenario: triangular")}

    products.append({
        "name": "ndfeb_magnet", "unit": "kg", "hs_code": "8505.11",
        "description": ("Sintered NdFeB permanent magnets made in Japan (kg), for the users of domestic magnets; "
                        "production needs NdPr, Dy, Tb oxide"),
        "demand_per_day": Sourced(production / DAYS_PER_YEAR,
                                  f"assumption: (derived) Japan's NdFeB production {ASSUMPTIONS['ndfeb_production_t'].value:,.0f} "
                                  f"t/yr ({A('ndfeb_production_t').source}), all used in Japan "
                                  f"({A('ndfeb_domestic_share').source}) / 365"),
        "inventory_days": A("inventory_days_magnets"),
        **magnet_common,
        "import_share": {},
        "domestic_share": Sourced(1.0, "assumption: (derived) this segment uses the magnets made in Japan; Japan's "
                                  "imported magnets are the segment ndfeb_magnet_direct (" + A("ndfeb_domestic_share").source + ")"),
        "recipe_inputs": ["ndpr_oxide", "dysprosium", "terbium"],
        "exposure": segment_exposure(nd_dom, "domestic"),
    })
    products.append({
        "name": "ndfeb_magnet_direct", "unit": "kg", "hs_code": "8505.11",
        "description": ("Sintered NdFeB permanent magnets bought abroad (kg), mostly from China, by the Japanese "
                        "users who import finished magnets directly"),
        "demand_per_day": Sourced((nd_use_kg - production) / DAYS_PER_YEAR,
                                  f"assumption: (derived) Japan's NdFeB use {nd_use_kg / 1000:,.0f} t/yr (production "
                                  f"{ASSUMPTIONS['ndfeb_production_t'].value:,.0f} t/yr / domestic share {nd_dom:g}; "
                                  f"{A('ndfeb_production_t').source}; {A('ndfeb_domestic_share').source}) less the "
                                  f"production used in Japan, / 365"),
        "inventory_days": U("magnets_direct_inventory_days"),
        **magnet_common,
        "import_share": sourced_shares(nd_rounded, nd_src),
        "domestic_share": Sourced(0.0, "assumption: (derived) the direct buyers import every magnet they use"),
        "exposure": segment_exposure(1 - nd_dom, "imported"),
    })
    sc_dom = ASSUMPTIONS["smco_domestic_share"].value
    sc_cn = ASSUMPTIONS["smco_import_cn_of_imports"].value
    sc_rounded, sc_dom_r = round_shares({"CN": (1 - sc_dom) * sc_cn, "ROW": (1 - sc_dom) * (1 - sc_cn)}, sc_dom)
    products.append({
        "name": "smco_magnet", "unit": "kg", "hs_code": "8505.11",
        "description": "Samarium-cobalt permanent magnets (kg); domestic production needs samarium oxide",
        "demand_per_day": Sourced(ASSUMPTIONS["smco_production_t"].value * 1000.0 / sc_dom / DAYS_PER_YEAR,
                                  f"assumption: (derived) Japan's SmCo production {ASSUMPTIONS['smco_production_t'].value:g} t/yr "
                                  f"/ domestic share {sc_dom:g} ({A('smco_production_t').source}; "
                                  f"{A('smco_domestic_share').source}) / 365"),
        "price": usd_to_jpy_million(ASSUMPTIONS["smco_usd_per_kg"].value,
                                    f"{ASSUMPTIONS['smco_usd_per_kg'].value:g} USD/kg ({A('smco_usd_per_kg').source})", assumed=True),
        "inventory_days": A("inventory_days_magnets"),
        **mineral_common(),
        "import_share": sourced_shares(sc_rounded, f"assumption: (derived) (1 - domestic share {sc_dom:g}) x "
                                       f"({A('smco_import_cn_of_imports').source}), rest ROW"),
        "domestic_share": Sourced(sc_dom_r, A("smco_domestic_share").source),
        "recipe_inputs": ["samarium"],
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_low")},
        "world_share": {"CN": A("smco_world_cn")},
        "exposure": {"manufacturing": A("exp_smco")},
    })
    return products
