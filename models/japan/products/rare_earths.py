"""The four rare-earth oxides: NdPr, dysprosium, terbium and samarium. Japan's use follows
from the magnets it makes (production x content per kg of magnet / the magnet share of
use, all assumptions); import shares from Japan's rare-earth import rows, China's share
of separation from the labelled assumption."""

from __future__ import annotations

from ..assumptions import ASSUMPTIONS, A
from ..base import DAYS_PER_YEAR
from ..data import import_row, short_source, world_production
from ..sourced import Sourced
from .common import mineral_common, price, ree_world_share, usd_to_jpy_million


def rare_earths() -> list[dict]:
    """NdPr, Dy, Tb and Sm oxide, in this order."""
    products = []
    re_h1 = import_row("rare earths", "World", "2024-01..2024-06")
    re_cn_2024 = import_row("rare earths", "China", "2024")
    y_oxide = import_row("rare earths (yttrium oxide)", "China", "2024-01..2024-06")
    reo_prod = world_production("rare earths (REO)")
    re_weight = float(re_h1["quantity"]) * 2 / sum(reo_prod.values())
    re_weight_src = (f"computed: (proxy for every rare-earth product) Japan's rare-earth imports H1 2024 "
                     f"{float(re_h1['quantity']):,.0f} t metal-equivalent x 2 / world mine production 2024 "
                     f"{sum(reo_prod.values()):,.0f} t REO (japan_import_shares.csv, {short_source(re_h1)}; "
                     f"world_production_shares.csv); mixes metal-equivalent and oxide bases")
    production = ASSUMPTIONS["ndfeb_production_t"].value * 1000.0  # kg/yr

    def re_demand(intensity, use_share, label):
        kg = production * ASSUMPTIONS[intensity].value / ASSUMPTIONS[use_share].value
        return Sourced(kg / DAYS_PER_YEAR,
                       f"computed: Japan's NdFeB production {ASSUMPTIONS['ndfeb_production_t'].value:,.0f} t/yr "
                       f"({A('ndfeb_production_t').source}) x {ASSUMPTIONS[intensity].value:g} kg {label} per kg "
                       f"magnet ({A(intensity).source}) / magnet share of use {ASSUMPTIONS[use_share].value:g} "
                       f"({A(use_share).source}) = {kg / 1000:,.0f} t/yr / 365; cross-check: Japan's rare-earth "
                       f"imports were {float(re_h1['quantity']) * 2:,.0f} t/yr (H1 2024 x 2, japan_import_shares.csv)")

    ndpr_cn = float(re_cn_2024["share"])
    ndpr_imports = {"CN": Sourced(ndpr_cn, f"data: China ~{ndpr_cn:g} of Japan's rare-earth imports in 2024 "
                                  f"(japan_import_shares.csv, {short_source(re_cn_2024)}, attributed to JOGMEC; "
                                  f"other readings: 0.796 H1 2024, 0.60 reported 2026-01), applied to NdPr"),
                    "AU": A("ndpr_non_cn_au"), "VN": A("ndpr_non_cn_vn")}
    ree_common = {
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common(),
        "domestic_share": Sourced(0.0, "computed: no Japanese rare-earth mine or separation output in the USGS table "
                                  "(world_production_shares.csv)"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_low")},
        "world_demand_weight": Sourced(round(re_weight, 4), re_weight_src),
        "exposure": {"manufacturing": A("exp_ree_direct")},
    }
    products.append({
        "name": "ndpr_oxide", "unit": "kg", "hs_code": "2846.90",
        "description": "Neodymium-praseodymium oxide (kg)",
        "demand_per_day": re_demand("ndpr_oxide_per_magnet", "ndpr_magnet_use_share", "NdPr oxide"),
        "price": price("rare earths", "NdPr oxide", "2024"),
        "import_share": ndpr_imports,
        "price_cap": A("price_cap_default"),
        "world_share": ree_world_share(),
        **ree_common,
    })
    y_share = float(y_oxide["share"])
    hree_imports = {"CN": Sourced(y_share, f"data: (proxy) China's share {y_share:g} of Japan's yttrium-oxide imports "
                                  f"H1 2024, the only heavy rare earth in japan_import_shares.csv "
                                  f"({short_source(y_oxide)})"),
                    "ROW": Sourced(round(1.0 - y_share, 6), "computed: 1 - China's proxy share "
                                   "(japan_import_shares.csv yttrium oxide H1 2024)")}
    hree_world = {"CN": A("hree_separation_cn"),
                  "ROW": Sourced(round(1.0 - ASSUMPTIONS["hree_separation_cn"].value, 6),
                                 A("hree_separation_cn").source + "; ROW = 1 - CN")}
    for name, intensity, use_share, label, price_prefix, desc in (
            ("dysprosium", "dy_oxide_per_magnet", "dy_magnet_use_share", "Dy oxide", "Dy oxide, 99.5%",
             "Dysprosium oxide (kg)"),
            ("terbium", "tb_oxide_per_magnet", "tb_magnet_use_share", "Tb oxide", "Tb oxide", "Terbium oxide (kg)")):
        products.append({
            "name": name, "unit": "kg", "hs_code": "2846.90", "description": desc,
            "demand_per_day": re_demand(intensity, use_share, label),
            "price": price("rare earths", price_prefix, "2024"),
            "import_share": dict(hree_imports),
            "price_cap": A("price_cap_hree"),
            "world_share": dict(hree_world),
            **ree_common,
        })
    sm_kg = (ASSUMPTIONS["smco_production_t"].value * 1000.0 * ASSUMPTIONS["sm_oxide_per_magnet"].value
             / ASSUMPTIONS["sm_magnet_use_share"].value)
    sm_cn = ASSUMPTIONS["sm_import_cn"].value
    products.append({
        "name": "samarium", "unit": "kg", "hs_code": "2846.90", "description": "Samarium oxide (kg)",
        "demand_per_day": Sourced(sm_kg / DAYS_PER_YEAR,
                                  f"assumption: (derived) Japan's SmCo production {ASSUMPTIONS['smco_production_t'].value:g} t/yr "
                                  f"({A('smco_production_t').source}) x {ASSUMPTIONS['sm_oxide_per_magnet'].value:g} "
                                  f"({A('sm_oxide_per_magnet').source}) / {ASSUMPTIONS['sm_magnet_use_share'].value:g} "
                                  f"({A('sm_magnet_use_share').source}) / 365"),
        "price": usd_to_jpy_million(ASSUMPTIONS["sm_oxide_usd_per_kg"].value,
                                    f"{ASSUMPTIONS['sm_oxide_usd_per_kg'].value:g} USD/kg "
                                    f"({A('sm_oxide_usd_per_kg').source})", assumed=True),
        "import_share": {"CN": A("sm_import_cn"),
                         "ROW": Sourced(round(1.0 - sm_cn, 6), A("sm_import_cn").source + "; ROW = 1 - CN")},
        "price_cap": A("price_cap_default"),
        "world_share": dict(hree_world),
        **ree_common,
    })
    return products
