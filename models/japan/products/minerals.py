"""The six minerals of the model, one builder each: gallium, germanium, natural graphite,
antimony, tungsten and tellurium. Each returns the product's table of sourced numbers
(demand, price, import and domestic shares, world shares, use and exposure) as the data
give it; the world-market fields and the draws are added later (``market``,
``uncertainty``)."""

from __future__ import annotations

from ..assumptions import ASSUMPTIONS, A
from ..base import DAYS_PER_YEAR, LB_PER_T, BuildError
from ..data import MP, g_2023q, import_proxy, import_row, mp, short_source, world_production
from ..sourced import Sourced, drawn
from .common import exposure, mineral_common, price, proxy_imports, round_shares, sourced_shares, world_share_sourced


def gallium() -> dict:
    """Gallium: Japan's use, imports and domestic supply from JOGMEC (2021)."""
    mirror = import_row("gallium/germanium (mixed)", "Japan", "2022")
    ga_japan_kg = world_production("gallium")["Japan"]
    ga_demand_year = mp("ga_jp_use_2021")
    ga_imports_year = mp("ga_jp_imports_2021")
    ga_cn_year = mp("ga_jp_imports_cn_2021")
    ga_domestic_year = mp("ga_jp_domestic_2021")
    if abs(ga_demand_year - ga_imports_year - ga_domestic_year) > 1e-6:
        raise BuildError(f"{MP}: ga_jp_domestic_2021 is not ga_jp_use_2021 - ga_jp_imports_2021")
    ga_jogmec = (f"JOGMEC via The Japan Times 2025-08-05 and the Yomiuri 2025-08-03, {MP} rows ga_jp_use_2021, "
                 f"ga_jp_imports_2021, ga_jp_imports_cn_2021")
    ga_rounded, ga_dom_rounded = round_shares({"CN": ga_cn_year / ga_demand_year,
                                               "ROW": (ga_imports_year - ga_cn_year) / ga_demand_year},
                                              ga_domestic_year / ga_demand_year)
    ga_share_src = (f"computed: Japan's 2021 gallium imports by origin over its use {ga_demand_year:,.0f} kg ({ga_jogmec}): "
                    f"CN = {ga_cn_year:,.0f} / {ga_demand_year:,.0f}; the other {ga_imports_year - ga_cn_year:,.0f} kg "
                    f"of the {ga_imports_year:,.0f} kg imported have no sourced origin split and are put in ROW "
                    f"(the world-production proxy would give them all to Russia, the only other primary producer in "
                    f"world_production_shares.csv, but they are mostly refined and recycled gallium from refiners "
                    f"outside China)")
    return {
        "name": "gallium", "unit": "kg", "hs_code": "8112.92",
        "description": "Gallium metal, primary and refined/recycled (kg Ga)",
        "demand_per_day": Sourced(ga_demand_year / DAYS_PER_YEAR,
                                  f"data: Japan's gallium use {ga_demand_year:,.0f} kg in 2021 ({ga_jogmec}) / 365; "
                                  f"cross-check: China's reported 2022 exports to Japan under HS 8112.92 (mixed Ga/Ge/"
                                  f"In/Nb) were {float(mirror['quantity']):,.0f} kg (japan_import_shares.csv, UN "
                                  f"Comtrade mirror), against JOGMEC's {ga_cn_year:,.0f} kg from China in 2021; the "
                                  f"previous mirror-derived use ({float(mirror['quantity']):,.0f} kg / China's proxy share "
                                  f"{import_proxy('gallium')['CN']:.4f} + "
                                  f"{ga_japan_kg:,.0f} kg primary = about 48,500 kg/yr) missed Japan's scrap recycling"),
        "price": price("gallium", "Ga metal", "2024"),
        "inventory_days": drawn(
            ASSUMPTIONS["ga_inventory_days_low"].value, ASSUMPTIONS["ga_inventory_days_mode"].value,
            30 * mp("ga_jp_inventory_max_months"),
            f"Japanese gallium users' stocks, days of use: high = 'up to about six months' "
            f"({mp('ga_jp_inventory_max_months'):g} months x 30 days; Yomiuri 2023-08-04, {MP} "
            f"ga_jp_inventory_max_months); low = assumption ga_inventory_days_low "
            f"({ASSUMPTIONS['ga_inventory_days_low'].reason}); mode = assumption ga_inventory_days_mode "
            f"({ASSUMPTIONS['ga_inventory_days_mode'].reason})"),
        **mineral_common(),
        "import_share": sourced_shares(ga_rounded, ga_share_src),
        "domestic_share": Sourced(ga_dom_rounded,
                                  f"computed: Japan's domestic gallium supply (scrap recycling + about "
                                  f"{ga_japan_kg:,.0f} kg primary, world_production_shares.csv, + stock changes) = use "
                                  f"{ga_demand_year:,.0f} - imports {ga_imports_year:,.0f} = {ga_domestic_year:,.0f} kg "
                                  f"(2021, {ga_jogmec}, ga_jp_domestic_2021) / use {ga_demand_year:,.0f} kg; cross-check: "
                                  f"'about half ... supplied by recycling from scrap' (Yomiuri 2023-08-04, {MP} "
                                  f"ga_jp_recycling_share {mp('ga_jp_recycling_share'):g})"),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_low")},
        "world_share": world_share_sourced("gallium"),  # replaced by the traded market in world_market()
        "world_demand_weight": Sourced(0.0, "computed: set in world_market() from market_parameters.csv"),
        "exposure": exposure("exp_gallium"),
    }


def germanium() -> dict:
    """Germanium: no Japan volume and no world table, so use and China's share are assumptions."""
    ge_world = {"CN": ASSUMPTIONS["ge_world_cn"].value, "ROW": 1.0 - ASSUMPTIONS["ge_world_cn"].value}
    ge_src = A("ge_world_cn").source + "; ROW = 1 - CN"
    return {
        "name": "germanium", "unit": "kg", "hs_code": "8112.92",
        "description": "Germanium metal (kg Ge)",
        "demand_per_day": Sourced(ASSUMPTIONS["ge_demand_kg_per_year"].value / DAYS_PER_YEAR,
                                  A("ge_demand_kg_per_year").source + " / 365"),
        "price": price("germanium", "Ge metal", "2024"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common(),
        "import_share": {o: Sourced(round(v, 6), "assumption: (proxy) Japan's import shares = the assumed world "
                                    "shares; " + ge_src) for o, v in ge_world.items()},
        "domestic_share": Sourced(0.0, "computed: no Japanese germanium production in the data "
                                  "(world_production_shares.csv has a NOT FOUND row for germanium); recycling is a "
                                  "policy lever"),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_mineral")},
        "world_share": {o: Sourced(round(v, 6), ge_src) for o, v in ge_world.items()},
        "exposure": exposure("exp_germanium"),
    }


def natural_graphite() -> dict:
    """Natural graphite: the China->Japan mirror flow scaled by China's import share."""
    g2023 = import_row("graphite (natural)", "Japan", "2023")
    g_cn = import_row("graphite", "China", "c. 2023")
    g_cn_share = float(g_cn["share"])
    g_demand_t = float(g2023["quantity"]) / 1000.0 / g_cn_share
    g_prod = world_production("graphite (natural)")
    g_imports, g_dom = proxy_imports(
        "graphite (natural)", 0.0, fixed={"CN": g_cn_share},
        fixed_source=f"data: China ~{g_cn_share:g} of Japan's graphite imports (japan_import_shares.csv; "
                     f"{short_source(g_cn)})")
    return {
        "name": "natural_graphite", "unit": "t", "hs_code": "2504.10",
        "description": "Natural graphite, powder or flakes (t)",
        "demand_per_day": Sourced(g_demand_t / DAYS_PER_YEAR,
                                  f"computed: China->Japan HS 2504.10 mirror quantity 2023 ({float(g_2023q(g2023)):,.0f} t, "
                                  f"japan_import_shares.csv, UN Comtrade; 2023 = year before the Dec-2023 control) / "
                                  f"China's share {g_cn_share:g} of Japan's graphite imports = {g_demand_t:,.0f} t/yr / "
                                  f"365; {A('graphite_cn_share_applies_to_natural').source}; an upper reference is "
                                  f"Japan's 36% of China's 115,000 t natural-graphite exports in Jan-Sep 2025 "
                                  f"(about 55,000 t/yr from China)"),
        "price": price("graphite (natural)", "Flake", "2024"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common(),
        "import_share": g_imports,
        "domestic_share": g_dom,
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_graphite")},
        "world_share": world_share_sourced("graphite (natural)"),
        "world_demand_weight": Sourced(round(g_demand_t / sum(g_prod.values()), 4),
                                       f"computed: Japan's use {g_demand_t:,.0f} t / world production "
                                       f"{sum(g_prod.values()):,.0f} t (2024, world_production_shares.csv)"),
        "exposure": exposure("exp_graphite"),
    }


def antimony() -> dict:
    """Antimony: Japan's December 2024 ingot imports by origin."""
    sb_total = import_row("antimony (ingot)", "World", "2024-12")
    sb_tonnes = {"MM": float(import_row("antimony (ingot)", "Myanmar", "2024-12")["quantity"]),
                 "VN": float(import_row("antimony (ingot)", "Vietnam", "2024-12")["quantity"]),
                 "KR": float(import_row("antimony (ingot)", "Korea, Republic of", "2024-12")["quantity"]),
                 "CN": float(import_row("antimony (ingot)", "China", "2024-12")["quantity"])}
    sb_month = float(sb_total["quantity"])
    sb_shares = {o: t / sb_month for o, t in sb_tonnes.items()}
    sb_shares["ROW"] = 1.0 - sum(sb_shares.values())
    sb_rounded, sb_dom = round_shares(sb_shares, 0.0)
    sb_src = (f"computed: Japan's December 2024 antimony ingot imports by origin (MM 167, VN 62, KR 61, CN 0 of "
              f"~{sb_month:g} t; ROW = the unattributed remainder), japan_import_shares.csv ({short_source(sb_total)}, "
              f"citing Japan's Ministry of Finance); one month, AFTER China's Sep-2024 controls (Dec 2023: China "
              f"174 t, Thailand 60 t)")
    sb_year = sb_month * ASSUMPTIONS["sb_december_representative"].value
    sb_prod = world_production("antimony")
    return {
        "name": "antimony", "unit": "t", "hs_code": "8110",
        "description": "Antimony metal (t Sb)",
        "demand_per_day": Sourced(sb_year / DAYS_PER_YEAR,
                                  f"computed: Japan's ingot imports December 2024 ~{sb_month:g} t "
                                  f"(japan_import_shares.csv) x {ASSUMPTIONS['sb_december_representative'].value:g} "
                                  f"({A('sb_december_representative').source}) / 365"),
        "price": price("antimony", "Sb metal", "2024", LB_PER_T,
                       f" x {LB_PER_T} lb/t (1 lb = 0.45359237 kg) -> USD/t"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common(),
        "import_share": sourced_shares({o: v for o, v in sb_rounded.items() if v > 0}, sb_src),
        "domestic_share": Sourced(sb_dom, "computed: no Japanese antimony mine production in the USGS table "
                                  "(world_production_shares.csv)"),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_sb")},
        "world_share": world_share_sourced("antimony"),
        "world_demand_weight": Sourced(round(sb_year / sum(sb_prod.values()), 4),
                                       f"computed: Japan's use {sb_year:,.0f} t / world production "
                                       f"{sum(sb_prod.values()):,.0f} t (2024, excl. US, world_production_shares.csv)"),
        "exposure": exposure("exp_antimony"),
    }


def tungsten() -> dict:
    """Tungsten: Japan's assumed share of world mine production."""
    w_prod = world_production("tungsten")
    w_world = sum(w_prod.values())
    w_year = w_world * ASSUMPTIONS["w_japan_share_of_world"].value
    w_imports, w_dom = proxy_imports("tungsten", 0.0)
    return {
        "name": "tungsten", "unit": "t", "hs_code": "8101",
        "description": "Tungsten (t W content)",
        "demand_per_day": Sourced(w_year / DAYS_PER_YEAR,
                                  f"computed: world mine production 2024 {w_world:,.0f} t W "
                                  f"(world_production_shares.csv) x Japan's share of world use "
                                  f"{ASSUMPTIONS['w_japan_share_of_world'].value:g} "
                                  f"({A('w_japan_share_of_world').source}) / 365"),
        "price": price("tungsten", "WO3 concentrate", "2024", 1000.0 / 7.93,
                       " / 7.93 kg W per mtu WO3 (prices.csv unit note) x 1000 kg/t -> USD/t W; a CONCENTRATE "
                       "price: refined products (APT, carbide) cost more, no APT price was found"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common(),
        "import_share": w_imports,
        "domestic_share": w_dom,
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_mineral")},
        "world_share": world_share_sourced("tungsten"),
        "world_demand_weight": A("w_japan_share_of_world"),
        "exposure": exposure("exp_tungsten"),
    }


def tellurium() -> dict:
    """Tellurium: Japan's assumed share of world refinery production; Japan refines more."""
    te_prod = world_production("tellurium")
    te_world = sum(te_prod.values())
    te_year = te_world * ASSUMPTIONS["te_japan_share_of_world"].value
    te_domestic = min(1.0, te_prod["Japan"] / te_year)
    te_imports, te_dom = proxy_imports("tellurium", te_domestic)
    return {
        "name": "tellurium", "unit": "t", "hs_code": "2804.50",
        "description": "Refined tellurium (t Te)",
        "demand_per_day": Sourced(te_year / DAYS_PER_YEAR,
                                  f"computed: world refinery production 2024 {te_world:,.0f} t (excl. US, "
                                  f"world_production_shares.csv) x Japan's share of world use "
                                  f"{ASSUMPTIONS['te_japan_share_of_world'].value:g} "
                                  f"({A('te_japan_share_of_world').source}) / 365"),
        "price": price("tellurium", "Te min 99.99%", "2024", 1000.0, " x 1000 kg/t -> USD/t"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common(),
        "import_share": te_imports,
        "domestic_share": Sourced(te_dom.value,
                                  f"computed: min(1, Japan's refinery output {te_prod['Japan']:g} t (2024, "
                                  f"world_production_shares.csv) / use {te_year:.1f} t): Japan produces more "
                                  f"tellurium than the assumed use, so the model has no tellurium imports at the "
                                  f"central assumption (imports appear if use exceeds 70 t/yr)"),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_mineral")},
        "world_share": world_share_sourced("tellurium"),
        "world_demand_weight": A("te_japan_share_of_world"),
        "exposure": exposure("exp_tellurium"),
    }
