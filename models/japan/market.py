"""The world market of every traded material (docs/model-japan.md, 'World market'): the
traded world shares (China's exports against the others' production), Japan's weight in
world demand, stocks outside China, demand and supply elasticities and the capacity a
high price brings on, built from ``market_parameters.csv`` and the assumptions table.
One function per material; the front-loading room before a control is in
``front_loading``."""

from __future__ import annotations

import math

from .assumptions import ASSUMPTIONS, U, scaled
from .base import DAYS_PER_YEAR, ORIGINS, BuildError
from .data import MP, ga_precontrol_month, mp, origin_groups, world_production
from .front_loading import front_loading
from .sourced import Sourced, central, drawn


MATERIALS = ("gallium", "germanium", "natural_graphite", "antimony", "tungsten", "tellurium", "ndpr_oxide",
             "dysprosium", "terbium", "samarium", "ndfeb_magnet", "ndfeb_magnet_direct", "smco_magnet")


def traded_world_share(material: str, cn_exports: float, cn_text: str) -> tuple[dict[str, Sourced], float]:
    """World shares of the TRADED market: China's exports against the other countries'
    production (2024, USGS). Returns the shares and the market size (China's exports +
    others' production, the production unit)."""
    production = world_production(material)
    groups = origin_groups()
    others = {o: 0.0 for o in ORIGINS if o != "CN"}
    japan = 0.0
    for country, value in production.items():
        group = groups[country]
        if group == "CN":
            continue
        if group.startswith("JP"):
            japan += value
        else:
            others[group] += value
    market = cn_exports + sum(others.values()) + japan
    src = (f"computed: share of the traded world market = China's exports {cn_exports:,.0f} ({cn_text}) and the "
           f"other countries' 2024 production (world_production_shares.csv, USGS MCS 2026, grouped by "
           f"origin_groups.csv) over their sum {market:,.0f}; Japan's own production ({japan:,.0f}) is left in the "
           f"rest of the world")
    shares = {"CN": cn_exports / market, **{o: v / market for o, v in others.items()}}
    return {o: Sourced(round(v, 4), src) for o, v in shares.items() if round(v, 4) > 0}, market


def world_market(products: list[dict]) -> None:
    """Give every material product the world-market fields (in place); see docs/model-japan.md,
    section 'World market'."""
    by_name = {p["name"]: p for p in products}
    common = {
        "world_storage_elasticity": U("world_storage_elasticity"),
        "world_precaution_days": U("world_precaution_days"),
        "world_price_elasticity": U("world_demand_elasticity_short"),
        "world_demand_elasticity_long": U("world_demand_elasticity_long"),
        "world_demand_adjust_days": U("world_demand_adjust_days"),
        "world_supply_elasticity": U("world_supply_elasticity"),
        "market_sourcing_share": U("market_sourcing_share"),
        "market_sourcing_days": U("market_sourcing_days"),
    }
    for name in MATERIALS:
        by_name[name].update(common)
    for material in (gallium, germanium, natural_graphite, antimony, tungsten, tellurium, rare_earths_and_magnets,
                     front_loading):
        material(by_name)


def gallium(by_name: dict[str, dict]) -> None:
    """Gallium: the traded market is China's exports + primary production outside China +
    secondary (scrap-refined) gallium outside China; Japan buys its IMPORTS on it."""
    ga_month = ga_precontrol_month()
    ga_exports = 12 * ga_month
    ga_text = (f"12 x the mean of China's pre-control monthly gallium exports, {mp('ga_cn_exports_2022_11'):,.0f} kg "
               f"(Nov 2022) and {mp('ga_cn_exports_2023_03'):,.0f} kg (Mar 2023), market_parameters.csv, China "
               f"customs; with the 2022 total of {mp('ga_cn_exports_2022'):,.0f} kg China's share would be higher")
    ga = by_name["gallium"]
    primary_shares, primary_market = traded_world_share("gallium", ga_exports, ga_text)
    refined_outside = mp("ga_world_refined_2024") * (1 - mp("ga_cn_refined_share"))
    if abs(refined_outside - mp("ga_refined_outside_cn")) > 1e-6:
        raise BuildError(f"{MP}: ga_refined_outside_cn is not ga_world_refined_2024 x (1 - ga_cn_refined_share)")
    scrap = ASSUMPTIONS["ga_scrap_feed_share_outside_cn"]
    if scrap.value != mp("ga_jp_refiner_feed_scrap"):
        raise BuildError(f"assumption ga_scrap_feed_share_outside_cn must be {MP} ga_jp_refiner_feed_scrap")
    ga_secondary = scrap.value * refined_outside
    ga_market = primary_market + ga_secondary
    src = (f"computed: share of the traded world market = (China's exports {ga_exports:,.0f} kg/yr; primary production "
           f"outside China {primary_market - ga_exports:,.0f} kg (2024, Russia 6,000 + Japan 3,000, "
           f"world_production_shares.csv, USGS MCS 2026; Japan's left in ROW); secondary gallium outside China "
           f"{ga_secondary:,.0f} kg = assumption ga_scrap_feed_share_outside_cn {scrap.value:g} x refined high-purity "
           f"gallium outside China {refined_outside:,.0f} kg (= {mp('ga_world_refined_2024'):,.0f} kg world 2024, USGS "
           f"MCS 2025 p.75, x (1 - China's share {mp('ga_cn_refined_share'):g}, CSIS July 2025), {MP} "
           f"ga_refined_outside_cn; no country split sourced, so in ROW)) / their sum {ga_market:,.0f} kg/yr; "
           f"CN = {ga_exports:,.0f} / {ga_market:,.0f}; China's exports: {ga_text}; "
           f"without the secondary supply China's share would be {primary_shares['CN'].value:g} (the previous "
           f"model)")
    # supply by origin: China's exports, primary production outside China (Japan's in ROW, as in
    # traded_world_share), secondary gallium outside China in ROW (no country split sourced)
    production = world_production("gallium")
    groups = origin_groups()
    supply = {"CN": ga_exports, "ROW": ga_secondary}
    for country, value in production.items():
        group = groups[country]
        if group == "CN" or not value:
            continue
        key = "ROW" if group.startswith("JP") else group
        supply[key] = supply.get(key, 0.0) + value
    ga["world_share"] = {o: Sourced(round(v / ga_market, 4), src) for o, v in supply.items()
                         if round(v / ga_market, 4) > 0}
    ga["world_demand_weight"] = Sourced(round(mp("ga_jp_imports_2021") / ga_market, 4), (
        f"computed: Japan's gallium IMPORTS {mp('ga_jp_imports_2021'):,.0f} kg/yr (2021, JOGMEC via The Japan Times "
        f"2025-08-05, {MP} ga_jp_imports_2021; Japan's own recycling is not bought on the market) / the traded "
        f"world market {ga_market:,.0f} kg/yr (China's exports + primary and secondary production outside China, "
        f"{MP}, world_production_shares.csv)"))
    running = mp("ga_idle_japan") + mp("ga_idle_russia")
    mothballed = mp("ga_idle_other")
    f = ASSUMPTIONS["ga_mothballed_usable"]
    ga.update({
        "world_stock_days": drawn(ASSUMPTIONS["world_stock_days_minor"].low, mp("ga_us_consumer_stock_days"),
                                  ASSUMPTIONS["world_stock_days_minor"].high,
                                  f"gallium stocks outside China: mode = US consumer stocks, "
                                  f"{mp('ga_us_consumer_stock_days'):g} days of reported consumption (2024, "
                                  f"{MP}, USGS MCS 2026); the range of world_stock_days_minor around it (traders "
                                  f"add stock, other importers may hold less)"),
        "world_supply_response": drawn(
            (running + f.low * mothballed) / ga_market, (running + f.value * mothballed) / ga_market,
            (running + f.high * mothballed) / ga_market,
            f"computed: (idle capacity of running plants, Japan {mp('ga_idle_japan'):,.0f} + Russia "
            f"{mp('ga_idle_russia'):,.0f} kg/yr, + assumption ga_mothballed_usable x {mothballed:,.0f} kg/yr "
            f"mothballed capacity; {MP}, USGS MCS 2026) / traded market {ga_market:,.0f} kg/yr; "
            f"ga_mothballed_usable: {f.reason}"),
        "world_supply_response_days": U("ga_supply_response_days"),
        "market_sourcing_share": U("market_sourcing_share_ga"),
    })


def germanium(by_name: dict[str, dict]) -> None:
    """Germanium: no world production table; China's share stays the labelled assumption."""
    ge = by_name["germanium"]
    ge.update({
        "world_stock_days": U("world_stock_days_minor"),
        "world_supply_response": U("ge_supply_response"),
        "world_supply_response_days": U("ge_supply_response_days"),
    })


def natural_graphite(by_name: dict[str, dict]) -> None:
    """Natural graphite: China's exports against production outside China."""
    gr_exports = 12 * mp("gr_cn_exports_avg_2023")
    gr = by_name["natural_graphite"]
    gr["world_share"], gr_market = traded_world_share(
        "graphite (natural)", gr_exports,
        f"12 x China's average monthly natural-graphite exports Jan-Oct 2023, ~{mp('gr_cn_exports_avg_2023'):,.0f} t "
        f"(Bloomberg, {MP}); 2024 Jan-Sep: 109,000 t (USGS), i.e. about 145,000 t/yr")
    gr_use = central(gr["demand_per_day"]) * DAYS_PER_YEAR
    gr["world_demand_weight"] = Sourced(round(gr_use / gr_market, 4), (
        f"computed: Japan's use {gr_use:,.0f} t/yr / the traded world market {gr_market:,.0f} t/yr (China's "
        f"exports + production outside China, {MP}, world_production_shares.csv)"))
    mozambique = world_production("graphite (natural)")["Mozambique"]
    balama_idle = mp("gr_balama_capacity") - mozambique
    gr.update({
        "world_stock_days": U("world_stock_days_graphite"),
        "world_supply_response": scaled(
            "graphite_idle_usable", balama_idle / gr_market,
            f"computed: Balama's idle nameplate capacity ({mp('gr_balama_capacity'):,.0f} t/yr, {MP}, less "
            f"Mozambique's 2024 output {mozambique:,.0f} t, world_production_shares.csv) / traded market "
            f"{gr_market:,.0f} t/yr = {balama_idle / gr_market:.3f}"),
        "world_supply_response_days": U("graphite_supply_response_days"),
    })


def antimony(by_name: dict[str, dict]) -> None:
    """Antimony: production shares kept (the caveat is in the source)."""
    sb = by_name["antimony"]
    sb_2023 = mp("sb_cn_exports_2024") / (1 + mp("sb_cn_exports_fall_2024"))
    sb_prod = world_production("antimony")
    sb_others = sum(v for c, v in sb_prod.items() if c != "China")
    sb["world_share"] = {o: Sourced(v.value, v.source + (
        f"; CAVEAT: a production share; China's exports ({sb_2023:,.0f} t of antimony products in 2023 = 2024 "
        f"{mp('sb_cn_exports_2024'):,.0f} t / (1 - 0.241), {MP}, gross weight) against the others' production "
        f"give {sb_2023 / (sb_2023 + sb_others):.2f} for China, close to it"))
        for o, v in sb["world_share"].items()}
    sb.update({
        "world_stock_days": U("world_stock_days_minor"),
        "world_supply_response": U("sb_supply_response"),
        "world_supply_response_days": U("mine_supply_response_days"),
    })


def tungsten(by_name: dict[str, dict]) -> None:
    """Tungsten: production shares kept (no China export figure in the data)."""
    w = by_name["tungsten"]
    w_world = sum(world_production("tungsten").values())
    new_w = mp("w_sangdong") + mp("w_boguty")
    w["world_share"] = {o: Sourced(v.value, v.source + "; CAVEAT: a production share (China is also the largest "
                                   "importer and consumer of tungsten concentrate, USGS); no China export figure in "
                                   "models/data, so China's share of the traded market may be lower")
                        for o, v in w["world_share"].items()}
    w.update({
        "world_stock_days": U("world_stock_days_minor"),
        "world_supply_response": drawn(
            0.5 * new_w / w_world, new_w / w_world, 1.5 * new_w / w_world,
            f"computed mode: new mines outside China, Sangdong {mp('w_sangdong'):,.0f} t W/yr + Boguty "
            f"{mp('w_boguty'):,.0f} t W ({MP}) / world mine production 2024 {w_world:,.0f} t W "
            f"(world_production_shares.csv); range x0.5-1.5 assumed (ramp-up, phase 2)"),
        "world_supply_response_days": U("mine_supply_response_days"),
    })


def tellurium(by_name: dict[str, dict]) -> None:
    """Tellurium: production shares kept (no China export figure in the data)."""
    te = by_name["tellurium"]
    te_world = sum(world_production("tellurium").values())
    te_idle = mp("te_idle_outside_cn")
    te["world_share"] = {o: Sourced(v.value, v.source + "; CAVEAT: a production share; no China export figure "
                                    "in models/data") for o, v in te["world_share"].items()}
    te.update({
        "world_stock_days": U("world_stock_days_minor"),
        "world_supply_response": drawn(
            0.5 * te_idle / te_world, te_idle / te_world, 1.2 * te_idle / te_world,
            f"computed mode: idle refinery capacity outside China {te_idle:g} t/yr (capacity - 2025e production, "
            f"7 countries, {MP}, USGS MCS 2026) / world refinery production 2024 {te_world:g} t "
            f"(world_production_shares.csv); range x0.5-1.2 assumed (not all capacity has feed)"),
        "world_supply_response_days": U("te_supply_response_days"),
    })


def rare_earths_and_magnets(by_name: dict[str, dict]) -> None:
    """Rare earths and magnets: long-run demand from Japan's 2007-2013 response."""
    fall = mp("ree_jp_demand_fall_2007_2013")
    e_hi = -math.log(1 + fall) / math.log(mp("ree_price_rise_2011_low"))
    e_lo = -math.log(1 + fall) / math.log(mp("ree_price_rise_2011_high"))
    ree_long = drawn(
        ASSUMPTIONS["world_demand_elasticity_long"].low * 2 / 3, (e_lo + e_hi) / 2,
        ASSUMPTIONS["world_demand_elasticity_long"].high * 0.8,
        f"computed mode: Japan's rare-earth use fell {-fall:g} from 2007 to 2013 while Nd and Dy prices rose "
        f"{mp('ree_price_rise_2011_low'):g}-{mp('ree_price_rise_2011_high'):g}x ({MP}): -ln(1 {fall:+g}) / "
        f"ln(20..10) = {e_lo:.3f}-{e_hi:.3f}, midpoint; it mixes thrifting (Dy -40..-50% per magnet) with "
        f"offshoring, so the range (0.2-0.8) is wide")
    for name in ("ndpr_oxide", "dysprosium", "terbium", "samarium"):
        by_name[name].update({
            "world_stock_days": U("world_stock_days_ree"),
            "world_demand_elasticity_long": ree_long,
            "world_supply_response": U("ndpr_supply_response" if name == "ndpr_oxide" else "hree_supply_response"),
            "world_supply_response_days": U("ree_supply_response_days"),
        })
    for name in ("ndfeb_magnet", "ndfeb_magnet_direct", "smco_magnet"):
        by_name[name].update({
            "world_stock_days": U("world_stock_days_magnets"),
            "world_demand_elasticity_long": ree_long,
            "world_supply_response": U("magnet_supply_response"),
            "world_supply_response_days": U("ree_supply_response_days"),
            "market_sourcing_days": U("market_sourcing_days_magnets"),
        })
    by_name["ndfeb_magnet_direct"]["market_sourcing_share"] = U("market_sourcing_share_magnets_direct")
