"""One model product per commodity of ``commodities``: price, demand, Japan's domestic and
import shares, world shares, use and exposure, and the world-market fields, every number a
``Sourced`` (data rows of ``models/data/universe/``) or a labelled assumption (the Japan
build's generic mineral assumptions reused by name, or the universe's own)."""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

from japan.assumptions import ASSUMPTIONS, A, U
from japan.base import DAYS_PER_YEAR, BuildError
from japan.products.common import round_shares, sourced_shares, usd_to_jpy_million
from japan.sourced import Distributed, Labelled, Sourced, fmt, sig

from .commodities import PRICE_UNITS, Commodity, commodities
from .data import COMMODITIES, WP, Production, commodity, groups, import_mix, number, production, trade_fact

QUANTITY = {  # USGS production unit -> (product unit, product units per USGS unit)
    "metric tons": ("t", 1.0), "thousand metric tons": ("t", 1000.0), "thousand metric dry tons": ("t", 1000.0),
    "kilograms": ("kg", 1.0),
}
FACTS = "universe/japan_trade_facts.csv"
WORLD_MIX_RANGE = ("range: each origin's share 0.5-1.5 times its production share (renormalised); Japan's real "
                   "imports can differ far more (lithium: China 0.68 of Japan's imports against 0.19 of world mine "
                   "output), so read these links as the world's concentration, not Japan's contracts")


def _price_lines(row: dict) -> str:
    m = re.search(r"chapter '[^']+', Salient Statistics—United States, lines? [\d, ]+", row["price_source"])
    return m.group(0).rstrip(", ") if m else "Salient Statistics—United States"


def price(c: Commodity, row: dict, unit: str) -> Sourced:
    """The 2024 USGS price in JPY million per product unit (the Japan build's usd_jpy)."""
    price_unit = row["price_unit"]
    if "metric ton unit" in row["price_series"]:  # the unit column drops "unit" (e.g. manganese)
        price_unit = "dollars per metric ton unit"
    factor, unit_text = PRICE_UNITS[price_unit]
    usd_per_t = number(row["price_2024"]) * factor * c.content.factor
    per_kg = " / 1000 kg/t -> USD/kg" if unit == "kg" else " -> USD/t"
    basis = (f"{row['price_2024']} {price_unit} ({row['price_series']}; 2024, {COMMODITIES} row "
             f"{c.series_id}, USGS MCS 2026 data release, {_price_lines(row)}){unit_text}{c.content.text}{per_kg}")
    value = usd_to_jpy_million(usd_per_t / 1000.0 if unit == "kg" else usd_per_t, basis)
    if c.content.assumption is None:
        return value
    return Sourced(value.value, "assumption: (derived) " + value.source[len("computed: "):] + "; "
                   + A(c.content.assumption).source)


def world_share(prod: Production) -> dict[str, Sourced]:
    src = (f"computed: {prod.text()}; share = production / listed total, rounded down to 4 decimals; Japan "
           f"({prod.japan / prod.total:.4f}) and the rounding left in the rest of the world")
    shares = {o: math.floor(v / prod.total * 1e4) / 1e4 for o, v in prod.by_origin.items()}
    return {o: Sourced(v, src) for o, v in shares.items() if v > 0}


def assumed_demand(prod: Production, per_unit: float, unit: str) -> tuple[Distributed, float]:
    """Japan's use = the assumed share of world use x world production, drawn over the share's range."""
    a = ASSUMPTIONS["uv_japan_share_of_world_use"]
    world = prod.total * per_unit
    low, mode, high = (sig(world * s / DAYS_PER_YEAR, 10) for s in (a.low, a.value, a.high))
    return Distributed(low, mode, high, (
        f"assumption: Japan's use = assumption uv_japan_share_of_world_use {a.value:g} ({a.reason}) x world "
        f"production {world:,.6g} {unit} ({prod.text()}) / 365; drawn per scenario: triangular over the share's range "
        f"({fmt(a.low)}-{fmt(a.high)}): {sig(low, 6):g}-{sig(high, 6):g} {unit}/day")), mode * DAYS_PER_YEAR


def domestic_share(prod: Production, per_unit: float, use_year: float) -> Sourced:
    if prod.japan <= 0:
        return Sourced(0.0, f"computed: no Japanese production in the USGS 2024 table ({WP}, series_id="
                            f"{prod.series_id}: no Japan row), so domestic share 0")
    japan = prod.japan * per_unit
    return Sourced(round(min(1.0, japan / use_year), 6), (
        f"assumption: (derived) min(1, Japan's 2024 production {japan:,.6g} ({WP}, series_id={prod.series_id}, Japan "
        f"row) / Japan's assumed use {use_year:,.6g} per year (demand_per_day x 365, central)); the demand draw "
        f"keeps this share, so a higher use is met by the same share of home output"))


def world_mix_imports(prod: Production, domestic: float) -> dict[str, Sourced]:
    mix = import_mix(prod)
    rounded, _ = round_shares({o: (1.0 - domestic) * v for o, v in mix.items()}, domestic)
    return sourced_shares(rounded, (
        f"assumption: Japan buys the world mix: no Japanese imports by origin for this commodity are in the data "
        f"(no public Japanese trade table was found for it), so the shares are the non-Japanese 2024 production "
        f"shares of the origins ({prod.text()}; North Korea left out: Japan bans its imports) x (1 - domestic share "
        f"{domestic:g}); {WORLD_MIX_RANGE}"))


# The fields a new commodity takes from the Japan build as they are: field -> the Japan
# assumption it carries in the Japan build's tungsten product, which keeps the generic
# minor-metal value in each of them (world_supply_response and its days, tungsten-specific,
# are not taken; the calibrated factors of the world-market fields come along).
TEMPLATE = "tungsten"
GENERIC = {
    "inventory_days": "inventory_days_minerals", "lead_time_days": "lead_time_days",
    "price_elasticity": "price_elasticity", "price_cap": "price_cap_default",
    "use": "use_manufacturing", "substitutable": "substitutable_mineral",
    "world_storage_elasticity": "world_storage_elasticity", "world_precaution_days": "world_precaution_days",
    "world_price_elasticity": "world_demand_elasticity_short",
    "world_demand_elasticity_long": "world_demand_elasticity_long",
    "world_demand_adjust_days": "world_demand_adjust_days", "world_supply_elasticity": "world_supply_elasticity",
    "market_sourcing_share": "market_sourcing_share", "market_sourcing_days": "market_sourcing_days",
    "world_stock_days": "world_stock_days_minor", "restock_headroom": "restock_headroom_unobserved",
}


def generic_fields(template: dict) -> dict:
    """The GENERIC fields of the Japan build's template product; refuses any whose source is not
    the generic assumption's own label (a material-specific value would not carry over)."""
    out = {}
    for field, name in GENERIC.items():
        value = template[field]
        for part in value.values() if isinstance(value, dict) else [value]:
            if not part.source.startswith(ASSUMPTIONS[name].label()):
                raise BuildError(f"{template['name']}.{field} no longer carries the generic assumption {name}")
        out[field] = value
    return out


def lithium_trade(prod: Production, per_unit: float) -> tuple[Sourced, dict[str, Sourced], Sourced, float]:
    """Lithium: Japan's 2024 imports of lithium carbonate and hydroxide by origin (Ministry of Finance via
    metalnomist, japan_trade_facts.csv), in lithium content."""
    carb = (2 * 6.94) / (2 * 6.94 + 12.011 + 3 * 15.999)
    hyd = ASSUMPTIONS["uv_lioh_li_content"].value
    c_tot, _ = trade_fact("li2co3_jp_imports_2024")
    h_tot, _ = trade_fact("lioh_jp_imports_2024")
    cn = trade_fact("li2co3_jp_imports_cn_2024")[0] * carb + trade_fact("lioh_jp_imports_cn_2024")[0] * hyd
    us = trade_fact("lioh_jp_imports_us_2024")[0] * hyd
    total = c_tot * carb + h_tot * hyd
    rounded, dom = round_shares({"CN": cn / total, "US": us / total, "ROW": 1.0 - (cn + us) / total}, 0.0)
    how = (f"Japan's 2024 imports (Ministry of Finance via metalnomist.com 2025-03, SECONDARY; {FACTS}): lithium "
           f"carbonate {c_tot:,.0f} t (China {trade_fact('li2co3_jp_imports_cn_2024')[0]:,.0f}, Chile "
           f"{trade_fact('li2co3_jp_imports_cl_2024')[0]:,.0f}) x {carb:.4f} t Li/t (stoichiometric) + lithium oxide "
           f"and hydroxide {h_tot:,.0f} t (China {trade_fact('lioh_jp_imports_cn_2024')[0]:,.0f}, United States "
           f"{trade_fact('lioh_jp_imports_us_2024')[0]:,.0f}, Chile {trade_fact('lioh_jp_imports_cl_2024')[0]:,.0f}) x "
           f"{hyd:g} t Li/t ({A('uv_lioh_li_content').source}) = {total:,.0f} t Li")
    demand = Sourced(total / DAYS_PER_YEAR, f"computed: {how} / 365 (imports taken as use: Japan has no lithium "
                                            f"production in the USGS table and no stock change is known)")
    shares = sourced_shares(rounded, f"computed: lithium content by origin over the total, {how}; CN and US as "
                                     f"reported, ROW = the rest (Chile, Argentina and others, all ROW origins)")
    weight = Sourced(round(total / (prod.total * per_unit), 4), f"computed: Japan's lithium imports {total:,.0f} t Li "
                                                               f"({FACTS}) / world mine production ({prod.text()})")
    return demand, shares, weight, dom


@dataclass(frozen=True)
class Use:
    """Japan's yearly use from measured figures (facts of ``japan_trade_facts.csv``), in product
    units: ``mode`` (None: the midpoint of low and high, an assumption), ``low``/``high`` (None:
    the mode; SHARE_OF_WORLD: the universe's share-of-world assumption); ``plus_domestic``: the facts are
    imports, so Japan's own 2024 output (USGS) is added; ``content``: a universe assumption that
    converts the facts' gross weight to the product unit."""

    what: str
    mode: str | None
    low: str | None = None
    high: str | None = None
    plus_domestic: bool = False
    content: str | None = None  # universe assumption converting the facts' quantity to the product unit


SHARE_OF_WORLD = "share_of_world"
# Japan's use from measured figures instead of the share-of-world assumption
SOURCED_USE = {
    "magnesium": Use("Japan's 2022 imports of pure magnesium ingot taken as its use (no primary magnesium in Japan: "
                     "no Japan row in the USGS table; alloy ingot imports come on top, so this reads low)",
                     "mg_jp_imports_2022"),
    "cobalt": Use("Japan's cobalt input in 2013 (substance-flow analysis; an old year: Li-ion batteries 7,839 t), "
                  "drawn up to the same study's projection for 2020", "co_jp_input_2013",
                  high="co_jp_demand_2020_projection"),
    "platinum": Use("Japan's platinum consumption in 2013 (substance-flow analysis, jewellery included), drawn from "
                    "the same study's 2025 forecast to its highest year 2001-2013", "pt_jp_consumption_2013",
                    low="pt_jp_demand_2025_forecast", high="pt_jp_consumption_max_2001_2013"),
    "palladium": Use("Japan's palladium consumption, the range of 2001-2013 (substance-flow analysis; no single "
                     "recent year found): mode = assumption: the midpoint of the range", None,
                     low="pd_jp_consumption_min_2001_2013", high="pd_jp_consumption_max_2001_2013"),
    "indium": Use("Japan's indium imports in 2007 (the lower of the two years found) plus Japan's 2024 primary "
                  "output, drawn up to the 2011 record imports; Japan's use has fallen since 2012 (recycling, ITO "
                  "target making moved to Korea and China) by an amount not found, so the low end is the universe's "
                  "generic share of world use", "in_jp_imports_2007", low=SHARE_OF_WORLD, high="in_jp_imports_2011",
                  plus_domestic=True),
    "potash": Use("Japan's 2020 imports of potassium chloride (Japan has no potash production: no Japan row in the "
                  "USGS table) in K2O; potassium sulfate and compound fertilizers come on top, so this reads low",
                  "kcl_jp_imports_2020", content="uv_mop_k2o_content"),
    "aluminum": Use("Japan's 2024 imports of primary aluminium (Japan has no primary smelter: no Japan row in the "
                    "USGS table); its secondary aluminium and alloy-ingot imports come on top", "al_jp_imports_2024"),
    "phosphate_rock": Use("Japan's 2020 imports of phosphate rock (no Japanese production); Japan imports more "
                          "phosphate already processed, about 490,000 t of ammonium phosphate, nine tenths from China "
                          "(same source), which this product does not cover", "pr_jp_imports_2020"),
}
# Japan's imports by partner (facts of japan_trade_facts.csv): product -> (fact of the total
# or None where the partners' rows are shares, the partners' facts); the rest at the world mix
SOURCED_IMPORTS = {
    "magnesium": ("mg_jp_imports_2011", ("mg_jp_imports_cn_2011",)),
    "potash": ("kcl_jp_imports_2019_20", ("kcl_jp_imports_ca_2019_20", "kcl_jp_imports_by_2019_20",
                                          "kcl_jp_imports_ru_2019_20")),
    "phosphate_rock": (None, ("pr_jp_imports_cn_2020", "pr_jp_imports_za_2020", "pr_jp_imports_ma_2020")),
    "aluminum": ("al_jp_imports_2024", ("al_jp_imports_au_2024", "al_jp_imports_br_2024", "al_jp_imports_ae_2024",
                                        "al_jp_imports_in_2024", "al_jp_imports_ru_2024")),
    # concentrate weight: the partners' copper grades are taken as equal (no grade by partner in the data)
    "copper": ("cu_conc_jp_imports_2011", ("cu_conc_jp_imports_cl_2011", "cu_conc_jp_imports_pe_2011",
                                           "cu_conc_jp_imports_ca_2011", "cu_conc_jp_imports_id_2011")),
}


def sourced_use(name: str, prod: Production, per_unit: float, unit: str) -> tuple[Sourced | Distributed, float]:
    """Japan's use per day from the facts of ``SOURCED_USE[name]``, and the central use per year."""
    spec = SOURCED_USE[name]
    extra = prod.japan * per_unit if spec.plus_domestic else 0.0
    parts, values = [], {}
    for end in ("low", "mode", "high"):
        fact = getattr(spec, end)
        if fact == SHARE_OF_WORLD:
            values[end] = assumed_demand(prod, per_unit, unit)[1]
            parts.append(f"{end} = assumption uv_japan_share_of_world_use x world production, {values[end]:,.6g}")
        elif fact is not None:
            value, row = trade_fact(fact)
            factor = ASSUMPTIONS[spec.content].value if spec.content else 1.0
            values[end] = value * factor + extra
            citation = row["source"].split(": '")[0]
            plus = f" + Japan's 2024 output {extra:,.6g} ({WP} Japan row)" if extra else ""
            conv = f" x {factor:g} ({A(spec.content).source})" if spec.content else ""
            parts.append(f"{end} = {value:,.6g} {row['unit']} ({row['period']}; {FACTS} {fact}; {citation}; "
                         f"{row['status']}){conv}{plus}")
    if "mode" not in values:
        values["mode"] = (values["low"] + values["high"]) / 2
        parts.append(f"mode = the midpoint {values['mode']:,.6g}")
    low, high = values.get("low", values["mode"]), values.get("high", values["mode"])
    text = f"{spec.what}: " + "; ".join(parts) + f" {unit}/yr / 365"
    if low == high:
        label = "assumption: (derived)" if spec.content else "data:"
        return Sourced(values["mode"] / DAYS_PER_YEAR, f"{label} {text}"), values["mode"]
    return Distributed(low / DAYS_PER_YEAR, values["mode"] / DAYS_PER_YEAR, high / DAYS_PER_YEAR, (
        f"assumption: (data) {text}; drawn per scenario, triangular (range {low / DAYS_PER_YEAR:.6g}-"
        f"{high / DAYS_PER_YEAR:.6g} {unit}/day)")), values["mode"]


def imports_by_partner(name: str, prod: Production, domestic: float) -> dict[str, Sourced]:
    """The partners' measured shares of Japan's imports; the unattributed rest at the world mix of
    the other countries."""
    total_fact, partner_facts = SOURCED_IMPORTS[name]
    total = trade_fact(total_fact)[0] if total_fact else None
    mapping = groups()
    shares: dict[str, float] = {}
    named, periods, statuses = [], set(), set()
    for fact in partner_facts:
        quantity, row = trade_fact(fact)
        share = quantity if row["unit"] == "share of imports" else quantity / total
        origin = mapping[row["partner"]]
        shares[origin] = shares.get(origin, 0.0) + share
        named.append(f"{row['partner']} {share:.4g} ({origin})")
        periods.add(row["period"])
        statuses.add(row["status"].split(";")[0])
    rest = 1.0 - sum(shares.values())
    mix = import_mix(prod, exclude=tuple(trade_fact(f)[1]["partner"] for f in partner_facts))
    for origin, v in mix.items():
        shares[origin] = shares.get(origin, 0.0) + rest * v
    rounded, _ = round_shares({o: (1.0 - domestic) * v for o, v in shares.items()}, domestic)
    ids = ", ".join(((total_fact,) if total_fact else ()) + tuple(partner_facts))
    return sourced_shares(rounded, (
        f"data: Japan's imports by origin, {', '.join(named)} ({', '.join(sorted(periods))}; {FACTS} {ids}; "
        f"{'; '.join(sorted(statuses))}); the unattributed rest {rest:.4g}: assumption: at the world mix of the "
        f"other countries (2024 production shares, {prod.text()}); {WORLD_MIX_RANGE}"))


def product(c: Commodity, generic: dict) -> dict:
    row = commodity(c.series_id)
    prod = production(c.series_id)
    if prod.unit not in QUANTITY:
        raise BuildError(f"{c.series_id}: production unit {prod.unit!r} has no product unit")
    unit, per_unit = QUANTITY[prod.unit]
    if c.name == "lithium":
        demand, imports, weight, dom = lithium_trade(prod, per_unit)
        domestic = Sourced(dom, f"computed: no Japanese production in the USGS 2024 table ({WP}, series_id=lithium: "
                                f"no Japan row), so domestic share 0")
    else:
        measured = c.name in SOURCED_USE
        demand, use_year = (sourced_use(c.name, prod, per_unit, unit) if measured
                            else assumed_demand(prod, per_unit, unit))
        domestic = domestic_share(prod, per_unit, use_year)
        imports = (imports_by_partner(c.name, prod, domestic.value) if c.name in SOURCED_IMPORTS
                   else world_mix_imports(prod, domestic.value))
        share = use_year / (prod.total * per_unit)
        weight = Sourced(round(share * (1.0 - domestic.value), 4), (
            f"computed: Japan's imports = its central use {use_year:,.6g} {unit}/yr ({FACTS}, see demand_per_day) x "
            f"(1 - domestic share {domestic.value:g}) / world production ({prod.text()})" if measured else
            f"assumption: (derived) Japan's imports over world production = assumption uv_japan_share_of_world_use "
            f"{share:g} x (1 - domestic share {domestic.value:g}); {WP} series_id={c.series_id}"))
    exposure = U(f"uv_exp_{c.tier}")
    critical = row["is_critical_mineral_2025"] == "Yes"
    return {
        "name": c.name, "unit": unit, "description": c.description + " [USGS MCS 2026 series " + c.series_id + "]",
        "demand_per_day": demand,
        "price": price(c, row, unit),
        "import_share": imports,
        "domestic_share": domestic,
        "world_share": world_share(prod),
        "world_demand_weight": weight,
        "exposure": {"manufacturing": Distributed(exposure.low, exposure.mode, exposure.high, (
            f"{exposure.source}; end uses of {c.name} (not in the USGS data release, which has no end-use text; "
            f"the commodity's main uses): {c.end_use}"))},
        "essentiality": {"manufacturing": Labelled("critical" if critical else "important", (
            f"assumption: {'critical' if critical else 'important'} - {'on' if critical else 'not on'} the USGS 2025 "
            f"list of critical minerals ({COMMODITIES} is_critical_mineral_2025 = {row['is_critical_mineral_2025']}); "
            f"no per-commodity judgement of substitutes was made"))},
        **generic,
    }


def universe_products(japan_products: list[dict]) -> list[dict]:
    """The new products (inside ``japan_hooks``); ``japan_products``: the Japan build's products."""
    generic = generic_fields(next(p for p in japan_products if p["name"] == TEMPLATE))
    return [product(c, generic) for c in commodities()]
