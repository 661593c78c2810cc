"""Build the Japan critical-minerals reference model (and its two run configs) from data.

    python models/build_japan.py            # write the model and the two configs
    python models/build_japan.py --check    # exit 1 if the committed files are out of date

Inputs: the CSV rows in ``models/data/`` (copied verbatim from the team's shared dataset,
each with its ``source`` column; see ``models/data/SOURCES.md``) and the ASSUMPTIONS table
below (each with its reason and, where useful, a range).

Outputs (generated, do not edit by hand):

* ``models/japan_critical_minerals.toml``
* ``configs/japan_timeline.toml``  (2023-2025 control timeline replayed as given events)
* ``configs/japan_outlook.toml``   (three-year stochastic outlook with policy mixes)

Rule: every number written into the model is a :class:`Sourced` value whose ``source``
is either ``data: <file> ...`` / ``computed: ... <file> ...`` naming a file of
``models/data/`` or ``assumption: <reason>``. :func:`validate_tree` walks the model before
writing and the build FAILS (exit status 1, naming each number) if a number is bare or
its source does not qualify. :func:`validate_assumptions` checks the assumptions table
itself (a reason for each entry, the value inside its range).

Units: product quantities in each product's ``unit`` per day; prices in JPY million per
product unit (USD prices from ``prices.csv`` converted at the assumed exchange rate, see
``usd_jpy``), because the engine compares product spending with the IO table's sector
output, which is in JPY million per year.
"""

from __future__ import annotations

import argparse
import csv
import datetime as dt
import math
import sys
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "models" / "data"
MODEL_PATH = ROOT / "models" / "japan_critical_minerals.toml"
TIMELINE_PATH = ROOT / "configs" / "japan_timeline.toml"
OUTLOOK_PATH = ROOT / "configs" / "japan_outlook.toml"

ORIGINS = ["CN", "AU", "US", "MM", "VN", "RU", "KR", "EU", "AFR", "ROW"]
DATA_FILES = ("world_production_shares.csv", "japan_import_shares.csv", "prices.csv", "japan_io_sectors.csv",
              "stockpile_facts.csv", "control_timeline.csv", "critical_products.csv", "origin_groups.csv",
              "market_parameters.csv", "importers.csv")
LB_PER_T = 2204.62262  # pounds per metric tonne (definition: 1 lb = 0.45359237 kg)
DAYS_PER_YEAR = 365.0


class BuildError(Exception):
    """A number without a qualifying source, or an assumption without a reason."""


# --------------------------------------------------------------------------- sourced numbers
@dataclass(frozen=True)
class Sourced:
    """A number with where it comes from: ``data: ...``, ``computed: ...`` or ``assumption: ...``."""

    value: float
    source: str


@dataclass(frozen=True)
class Labelled:
    """A text value that is still a modelling choice (e.g. an essentiality level), with its source."""

    value: str
    source: str


@dataclass(frozen=True)
class Distributed:
    """An uncertain number: triangular ``{low, mode, high}`` drawn per scenario by the engine,
    with its source (an ``assumption: ... range ...`` label). ``value`` is the central value
    (the mode), which the model uses for normal times and ``simulate_given``."""

    low: float
    mode: float
    high: float
    source: str

    @property
    def value(self) -> float:
        return self.mode


@dataclass(frozen=True)
class HiddenLink:
    """A hidden supplier (tier 3 and below): ``share`` (triangular low/mode/high) of
    ``product``'s supply from ``origin`` depends on ``on_origin``'s supply of ``on_product``
    (None: the same product). Always a labelled assumption with its reason."""

    product: str
    origin: str
    on_origin: str
    on_product: str | None
    low: float
    mode: float
    high: float
    reason: str


@dataclass(frozen=True)
class Assumption:
    value: float
    reason: str
    low: float | None = None
    high: float | None = None

    def label(self) -> str:
        rng = f" (range {_fmt(self.low)}-{_fmt(self.high)})" if self.low is not None and self.high is not None else ""
        return f"assumption: {self.reason}{rng}"


def _fmt(x) -> str:
    if x is None:
        return ""
    if isinstance(x, float) and x.is_integer() and abs(x) < 1e15:
        return str(int(x))
    return f"{x:.6g}"


# Every assumed number of the model, with its reason (and range where useful).
# Units are given in the name or the reason. Ranges are the plausible bands a user should
# vary in a sensitivity run; the central value is what the model file uses.
ASSUMPTIONS: dict[str, Assumption] = {
    # currency
    "usd_jpy": Assumption(151.5, "JPY per USD, approximately the 2024 annual average, used to convert the 2024 USD "
                          "prices into the IO table's JPY; the IO table itself is in 2011 JPY, so product cost shares "
                          "carry the 2011-2024 change in nominal output (roughly +20%) as an error", 140.0, 160.0),
    # demand: Japan's consumption where the data give no Japan volume
    "ga_inventory_days_low": Assumption(45.0, "low end of Japanese gallium users' stocks, days of use: the Yomiuri "
                                        "(Aug 2023, market_parameters.csv ga_jp_inventory_max_months) gives only the "
                                        "top ('up to about six months'); firms with less stock are taken to hold the "
                                        "generic mineral mode (inventory_days_minerals 45 days), below the US consumers' "
                                        "measured 67 days (ga_us_consumer_stock_days)"),
    "ga_inventory_days_mode": Assumption(90.0, "typical Japanese gallium user's stock, days of use: half of the reported "
                                         "maximum of about six months (180 days), above the US consumers' 67 days "
                                         "because Japanese firms had built stocks after China's 2023 announcement; "
                                         "no average figure found"),
    "ga_scrap_feed_share_outside_cn": Assumption(0.4, "share of the refined gallium made outside China (160 t/yr, "
                                                 "market_parameters.csv ga_refined_outside_cn) that is refined from "
                                                 "scrap, i.e. secondary supply: the CSIS figure for JAPANESE refiners' "
                                                 "feed (40% domestic scrap, 60% Chinese primary; ga_jp_refiner_feed_scrap) "
                                                 "applied to all refiners outside China for lack of other feed data; "
                                                 "low 0.2: part of the scrap is Japan's own in-house recycling, which "
                                                 "is not offered on the traded market (Japan's domestic supply of 70 t "
                                                 "is of the same order as 0.4 x 160 = 64 t); high 0.6: refiners in "
                                                 "Europe and North America rely more on scrap than on Chinese feed",
                                                 0.2, 0.6),
    "ge_demand_kg_per_year": Assumption(20000.0, "Japan's germanium use (fibre optics, infrared optics, GeO2 catalyst "
                                        "for PET) in kg/yr; no world production table and no Japan volume exist in the "
                                        "data (USGS MCS 2026 publishes no Ge country table), order of magnitude only",
                                        10000.0, 40000.0),
    "graphite_cn_share_applies_to_natural": Assumption(1.0, "the ~90% China share of Japan's graphite imports (Yomiuri, "
                                                       "c. 2023, natural vs synthetic not distinguished) is applied to "
                                                       "natural graphite (HS 2504.10) to scale the mirror flow up to "
                                                       "Japan's total", 1.0, 1.0),
    "sb_december_representative": Assumption(12.0, "months per year: the December 2024 ingot imports (~293 t, the only "
                                             "Japan-reported month in the data) are taken as a typical month; Argus "
                                             "calls December a surge, so annual imports may be lower (2020 China->Japan "
                                             "alone: 1,822 t unwrought + 2,524 t oxide)", 8.0, 12.0),
    "w_japan_share_of_world": Assumption(0.07, "Japan's share of world tungsten use: a large cemented-carbide and "
                                         "cutting-tool industry; no Japan import volume in the data (NOT FOUND row)",
                                         0.04, 0.10),
    "te_japan_share_of_world": Assumption(0.05, "Japan's share of world tellurium use (thermoelectric modules, "
                                          "electronics, metallurgy); no Japan volume in the data", 0.02, 0.10),
    "ndfeb_production_t": Assumption(10000.0, "Japan's sintered NdFeB magnet production in t/yr (several domestic "
                                     "makers); no production statistic in the data", 6000.0, 15000.0),
    "ndfeb_domestic_share": Assumption(0.6, "share of Japan's NdFeB magnet use made in Japan (the rest imported, mostly "
                                       "from China); production assumed to serve domestic use", 0.4, 0.8),
    "ndpr_oxide_per_magnet": Assumption(0.34, "kg NdPr oxide per kg sintered NdFeB: about 29-32 wt% rare-earth metal, "
                                        "mostly Nd+Pr, divided by the ~0.86 metal content of the oxide", 0.30, 0.38),
    "dy_oxide_per_magnet": Assumption(0.02, "kg Dy oxide per kg NdFeB, an average over grades (0 to ~4 wt% Dy; grain-"
                                      "boundary diffusion lowers it)", 0.005, 0.05),
    "tb_oxide_per_magnet": Assumption(0.004, "kg Tb oxide per kg NdFeB, an average over grades", 0.001, 0.01),
    "ndpr_magnet_use_share": Assumption(0.9, "share of Japan's NdPr oxide use that goes into magnets (rest: catalysts, "
                                        "glass, ceramics)", 0.8, 0.95),
    "dy_magnet_use_share": Assumption(0.95, "share of Japan's Dy use that goes into magnets", 0.85, 1.0),
    "tb_magnet_use_share": Assumption(0.8, "share of Japan's Tb use that goes into magnets (rest: phosphors)", 0.5, 0.95),
    "smco_production_t": Assumption(300.0, "Japan's SmCo magnet production in t/yr (niche: aerospace, defence, high-"
                                    "temperature sensors)", 100.0, 800.0),
    "smco_domestic_share": Assumption(0.8, "share of Japan's SmCo use made in Japan", 0.6, 0.95),
    "sm_oxide_per_magnet": Assumption(0.29, "kg Sm oxide per kg SmCo magnet (about 25 wt% Sm divided by the 0.86 metal "
                                      "content of the oxide)", 0.25, 0.40),
    "sm_magnet_use_share": Assumption(0.9, "share of Japan's Sm use that goes into magnets", 0.7, 1.0),
    "cable_ship_days_per_day": Assumption(2.0, "cable-repair ship-days Japan's submarine-cable network needs per day "
                                          "(about two ships on station on average)", 1.0, 4.0),
    "launches_per_year": Assumption(10.0, "launches of Japanese satellites per year (government and commercial, on "
                                    "domestic and foreign rockets)", 6.0, 15.0),
    # prices not in the data (USD)
    "sm_oxide_usd_per_kg": Assumption(5.0, "no samarium price in the data; samarium oxide is a low-value co-product of "
                                      "light rare-earth separation", 2.0, 30.0),
    "ndfeb_usd_per_kg": Assumption(50.0, "no magnet price in the data; the rare-earth content alone is worth about "
                                   "27 USD/kg at 2024 oxide prices (intensities above), plus iron, boron and processing",
                                   35.0, 90.0),
    "smco_usd_per_kg": Assumption(100.0, "no SmCo price in the data; cobalt-rich high-temperature magnets cost "
                                  "more than NdFeB", 60.0, 200.0),
    "cable_usd_per_ship_day": Assumption(100000.0, "no charter rate in the data; day rate of a cable-repair ship",
                                         50000.0, 200000.0),
    "launch_usd": Assumption(60e6, "no launch price in the data; price of one medium-lift launch", 30e6, 120e6),
    # import shares not in the data
    "ge_world_cn": Assumption(0.7, "China's share of world refined germanium (USGS MCS 2026 has no Ge country table); "
                              "the rest is grouped as ROW", 0.6, 0.9),
    "ndpr_non_cn_au": Assumption(0.25, "Australia's share of Japan's NdPr imports: Japan's main non-Chinese rare-earth "
                                 "source is Australian ore separated in Malaysia under Japanese-financed offtake",
                                 0.15, 0.30),
    "ndpr_non_cn_vn": Assumption(0.05, "Vietnam's share of Japan's NdPr imports (rare-earth processing serving "
                                 "Japanese magnet makers); the headline 70% China share leaves 30% for AU+VN",
                                 0.0, 0.10),
    "hree_separation_cn": Assumption(0.9, "China's share of world separated Dy, Tb and Sm: heavy and medium rare earths "
                                     "(including Myanmar's ionic-clay ore) are separated almost only in China; the "
                                     "USGS mine shares (CN 0.71, MM 0.07 of REO) understate it", 0.8, 0.99),
    "sm_import_cn": Assumption(0.9, "China's share of Japan's samarium imports; no Sm trade data, separation "
                               "concentrated in China", 0.8, 0.99),
    "magnet_world_cn": Assumption(0.9, "China's share of world sintered NdFeB production; not in the data", 0.8, 0.95),
    "magnet_import_cn_of_imports": Assumption(0.9, "China's share of Japan's NdFeB magnet imports; the rest split "
                                              "between Vietnam (magnet plants serving Japanese users) and ROW",
                                              0.7, 0.95),
    "smco_world_cn": Assumption(0.8, "China's share of world SmCo magnet production; not in the data", 0.6, 0.9),
    "smco_import_cn_of_imports": Assumption(0.75, "China's share of Japan's SmCo imports; rest ROW", 0.5, 0.9),
    "cable_domestic_share": Assumption(0.75, "share of Japan's cable-repair needs covered by Japanese-flagged ships; the "
                                       "rest chartered from Asian (ROW) and European fleets", 0.5, 0.9),
    "cable_import_eu_of_imports": Assumption(0.4, "European fleets' share of the chartered part", 0.2, 0.6),
    "launch_domestic_share": Assumption(0.5, "share of Japanese satellites launched on Japanese rockets; the rest mostly "
                                        "on US rockets, a few on European ones", 0.3, 0.7),
    "launch_import_us_of_imports": Assumption(0.9, "US share of foreign launches of Japanese satellites", 0.7, 1.0),
    # product behaviour
    "inventory_days_minerals": Assumption(45.0, "private inventories of refined minerals held by Japanese users and "
                                          "traders, days of use", 20.0, 90.0),
    "inventory_days_magnets": Assumption(30.0, "private inventories of magnets, days of use", 10.0, 60.0),
    "lead_time_days": Assumption(30.0, "days goods already shipped keep arriving after a cut (sea transit from East and "
                                 "South-East Asia plus customs; longer from Europe, Africa, the Americas)", 14.0, 60.0),
    "price_elasticity": Assumption(0.3, "short-run demand elasticity of critical minerals: small cost share, few "
                                   "substitutes; not yet calibrated to an episode", 0.1, 0.6),
    "price_cap_default": Assumption(10.0, "highest scarcity multiple of the baseline price; the observed 2023-2025 "
                                    "annual-average multiples in prices.csv are 1.6 (Ga 2025/2023), 2.9 (Ge), 4.6 (Sb), "
                                    "1.5 (W concentrate), 2.0 (Te), and annual averages hide the peaks", 3.0, 30.0),
    "price_cap_hree": Assumption(25.0, "highest scarcity multiple for Dy and Tb: the Dy oxide point quotes in prices.csv "
                                 "went from 91 USD/kg (2009-01) to 2,377 USD/kg (2011-08), a multiple of 26", 10.0, 30.0),
    "price_cap_service": Assumption(5.0, "highest scarcity multiple of a charter or launch price", 2.0, 10.0),
    "substitutable_low": Assumption(0.05, "share of use substitutable within months (magnet and device redesign takes "
                                    "years)", 0.0, 0.15),
    "substitutable_mineral": Assumption(0.1, "share of use substitutable within months", 0.0, 0.3),
    "substitutable_graphite": Assumption(0.2, "synthetic graphite can replace part of natural graphite in anodes and "
                                         "refractories within months", 0.1, 0.4),
    "substitutable_sb": Assumption(0.2, "other flame retardants and battery alloys replace part of antimony use",
                                   0.1, 0.4),
    "substitutable_cable": Assumption(0.3, "traffic rerouted over other cables and satellites while a cable waits for "
                                      "repair", 0.1, 0.6),
    "substitutable_launch": Assumption(0.2, "launches that can wait or move to another provider", 0.0, 0.5),
    # sectors: use, exposure (share of a sector's output that depends on the product)
    "use_manufacturing": Assumption(1.0, "all industrial use of these minerals and magnets is in Manufacturing (03) at "
                                    "the 13-sector level (metal refining, electronics, machinery and vehicles are all "
                                    "inside it); exports and households are not modelled", 0.9, 1.0),
    "use_launch_ict": Assumption(0.5, "share of launches bought for communication and broadcasting satellites (ICT); "
                                 "the rest for government satellites (Public administration)", 0.3, 0.7),
    "exp_gallium": Assumption(0.03, "share of Manufacturing output depending on gallium: compound-semiconductor devices "
                              "(GaAs RF, GaN power, LEDs, lasers) and the lines built on them", 0.01, 0.08),
    "exp_germanium": Assumption(0.01, "fibre optics, infrared optics, PET made with GeO2 catalyst", 0.003, 0.03),
    "exp_graphite": Assumption(0.06, "steelmaking (refractories) and lithium-ion cells (anodes)", 0.02, 0.12),
    "exp_antimony": Assumption(0.03, "flame-retarded plastics and textiles, lead-acid batteries, glass", 0.01, 0.06),
    "exp_tungsten": Assumption(0.10, "metalworking with cemented-carbide tools in machinery and vehicle making",
                               0.03, 0.25),
    "exp_tellurium": Assumption(0.005, "thermoelectric modules, some electronics and alloys", 0.001, 0.02),
    "exp_ree_direct": Assumption(0.002, "direct non-magnet uses of the rare-earth oxides (catalysts, glass, phosphors); "
                                 "the magnet path runs through the recipes of ndfeb_magnet and smco_magnet",
                                 0.0005, 0.01),
    "exp_ndfeb": Assumption(0.12, "motors in hybrid and electric vehicles and vehicle electrics, industrial robots, "
                            "servo motors of machine tools, compressors, drives", 0.05, 0.25),
    "exp_smco": Assumption(0.005, "aerospace, defence and high-temperature sensors", 0.001, 0.02),
    "exp_cable_ict": Assumption(0.10, "share of Information and communication output that depends on international "
                                "submarine cables being repaired in time (they carry 99% of international traffic, "
                                "policy-context.md)", 0.03, 0.30),
    "exp_launch_ict": Assumption(0.01, "satellite communication and broadcasting", 0.003, 0.05),
    "exp_launch_gov": Assumption(0.01, "government satellite services (earth observation, navigation, defence)",
                                 0.003, 0.05),
    # diversification policy (outlook config)
    "divert_fraction": Assumption(0.375, "share of the China import share a diversification programme moves to other "
                                  "origins: Korea's 2023 strategy cuts reliance on a few countries from 80% to 50% "
                                  "(stockpile_facts.csv / SOURCES.md), i.e. 1 - 50/80", 0.2, 0.6),
    # ---- world market (docs/model.md section 5; models/data/market_parameters.csv for the data rows)
    "world_stock_days_minor": Assumption(45.0, "stocks of a refined minor metal held outside China by traders, "
                                         "consumers and other importers, days of world-market demand; the only "
                                         "measured figure is US gallium consumer stocks of 67 days of use "
                                         "(market_parameters.csv ga_us_consumer_stock_days); no Ge, Sb, W, Te stock "
                                         "outside China was found (market/SOURCES.md NOT FOUND): weeks to a few "
                                         "months", 15.0, 120.0),
    "world_stock_days_graphite": Assumption(60.0, "natural-graphite stocks outside China (anode makers, refractory "
                                            "users, traders), days of world-market demand; consumers' stocks from the "
                                            "Nov-2023 surge covered early 2024 (episodes/facts.csv); no tonnage found",
                                            20.0, 120.0),
    "world_stock_days_ree": Assumption(60.0, "rare-earth oxide stocks outside China, days of world-market demand; "
                                       "upper end: METI said in Oct 2010 Japan's rare-earth stocks could last 5-6 "
                                       "months without Chinese imports (market_parameters.csv ree_jp_stock_months, "
                                       "165 days, with recycling and other sources)", 20.0, 165.0),
    "world_stock_days_magnets": Assumption(30.0, "magnet stocks outside China (users, distributors), days of world-"
                                           "market demand; users ran out within weeks in 2025 (Suzuki stopped 52 days "
                                           "after the controls, transit included: market_parameters.csv "
                                           "mag_suzuki_stop_days)", 10.0, 60.0),
    "world_storage_elasticity": Assumption(1.0, "eta of the supply-of-storage curve price = (stock / wanted)^(-1/eta): "
                                           "1 means halving stocks doubles the price; no estimate for these metals "
                                           "(market/SOURCES.md NOT FOUND); calibration is left to validation/",
                                           0.5, 3.0),
    "world_precaution_days": Assumption(45.0, "extra days of stock holders want per unit of announced gap: enough to "
                                        "bridge a licence review, officially 45 (working) days for Ga/Ge, Te and the "
                                        "2025 rare earths (market_parameters.csv ga_licence_days, te_licence_days, "
                                        "mag_licence_working_days)", 0.0, 90.0),
    "world_demand_elasticity_short": Assumption(0.1, "short-run price elasticity of world demand: small cost shares, "
                                                "few substitutes within months ('relatively inelastic' tungsten "
                                                "demand, market_facts.csv); no numeric estimate found", 0.03, 0.3),
    "world_demand_elasticity_long": Assumption(0.5, "long-run price elasticity of world demand (thrifting, "
                                               "substitution, redesign over a year or more); no numeric estimate "
                                               "found for these materials", 0.3, 1.0),
    "world_demand_adjust_days": Assumption(365.0, "time constant of the long-run demand response: redesign and "
                                           "qualification of substitutes take a year or more (Dy thrifting by "
                                           "grain-boundary diffusion and the NEDO project took years, market_facts.csv)",
                                           180.0, 1095.0),
    "world_supply_elasticity": Assumption(1.0, "price elasticity of the response of idle capacity outside China: "
                                          "the by-product metals are 'firmly in the elastic supply regime' where "
                                          "capacity, not geology, binds (Frenzel et al. 2016/2017, market_facts.csv); "
                                          "no numeric estimate", 0.5, 2.0),
    "ga_mothballed_usable": Assumption(0.1, "share of the 100 t/yr of mothballed gallium capacity (Germany, Hungary, "
                                       "Kazakhstan, Korea, Ukraine; market_parameters.csv ga_idle_other) that comes "
                                       "back within the response time: Germany announced a restart after the 2020-21 "
                                       "prices, yet these countries still produced 0 in 2025e (USGS)", 0.0, 0.5),
    "ga_supply_response_days": Assumption(540.0, "time to bring gallium capacity outside China on line: no restart "
                                          "time found (market/SOURCES.md NOT FOUND); the idle plants in Japan and "
                                          "Russia run below capacity, mothballed plants take years", 270.0, 1095.0),
    "ge_supply_response": Assumption(0.1, "germanium capacity outside China that a high price brings on, share of "
                                     "the traded market: no idle capacity found; Korea Zinc's 10 t/yr from 2028 is "
                                     "0.23 of China's 2022 exports (43.7 t, market_parameters.csv)", 0.02, 0.23),
    "ge_supply_response_days": Assumption(730.0, "germanium refining capacity outside China takes years (Korea "
                                          "Zinc: investment 2025, production from H1 2028)", 365.0, 1460.0),
    "graphite_idle_usable": Assumption(0.5, "share of Balama's idle nameplate capacity (350 kt/yr, run in campaign "
                                       "mode) the market can use within the response time: logistics, finished-"
                                       "product stocks to rebuild, anode-grade qualification", 0.2, 1.0),
    "graphite_supply_response_days": Assumption(120.0, "time to bring idle graphite capacity on line: Balama "
                                                "restarted 1.5 months (45 days) after site access was restored "
                                                "(market_parameters.csv gr_balama_restart_months); ramping and "
                                                "shipping take longer; mines restart in 6-24 months", 45.0, 365.0),
    "sb_supply_response": Assumption(0.1, "antimony capacity outside China a high price brings on, share of the "
                                     "market: new US mines (2025, no capacities) and small Laos/Cambodia lots of "
                                     "10-15 t/month to Europe (episodes/facts.csv); no idle-capacity figure", 0.03,
                                     0.3),
    "mine_supply_response_days": Assumption(365.0, "time to bring antimony/tungsten mine capacity on line: "
                                            "Kazakhstan's Boguty went from 0 (2024) to 2,400 t W (2025e); mines "
                                            "restart in 6-24 months", 180.0, 730.0),
    "te_supply_response_days": Assumption(180.0, "tellurium refineries outside China already run below capacity "
                                          "(USGS capacity table): raising throughput takes months, the by-product "
                                          "feed (copper anode slimes) exists", 90.0, 365.0),
    "ndpr_supply_response": Assumption(0.05, "NdPr separation capacity outside China a high price brings on, share "
                                       "of the market: Lynas ran 6,142 t against 10,500 t/yr capacity "
                                       "(market_parameters.csv), the only large separator outside China; world NdPr "
                                       "output is not in the data", 0.02, 0.15),
    "hree_supply_response": Assumption(0.02, "heavy rare-earth (Dy, Tb, Sm) separation outside China: Lynas made "
                                       "its first Dy in May 2025 and Tb in June 2025, 'the only commercial producer "
                                       "outside China' (market_facts.csv)", 0.0, 0.1),
    "magnet_supply_response": Assumption(0.05, "magnet capacity outside China a high price brings on: Japan has "
                                         "under 9% of world production (market_facts.csv), extra shifts need "
                                         "non-Chinese NdPr/Dy/Tb; no idle-capacity figure", 0.0, 0.15),
    "ree_supply_response_days": Assumption(365.0, "time to bring rare-earth separation or magnet capacity on line "
                                           "(Lynas' heavy rare-earth circuit: announced June 2024, first Dy May 2025)",
                                           180.0, 730.0),
    "market_sourcing_share": Assumption(0.5, "share of its lost Chinese imports a Japanese user can buy on the world "
                                        "market (traders, other origins' producers) as far as the market delivers; "
                                        "no data", 0.2, 0.8),
    "market_sourcing_share_ga": Assumption(0.6, "Japanese consumers outbid European buyers for gallium stocks in "
                                           "Europe (Fastmarkets Dec 2023, episodes/facts.csv); Japan holds long-"
                                           "standing supply contracts", 0.3, 0.9),
    "market_sourcing_share_magnets_direct": Assumption(0.1, "users buying finished Chinese magnets directly cannot "
                                                       "replace them quickly: magnets are customer-specific grades "
                                                       "that need qualification; Suzuki stopped 52 days after the "
                                                       "2025 controls (episodes/facts.csv)", 0.0, 0.3),
    "market_sourcing_days": Assumption(30.0, "days from the alarm until world-market purchases arrive in full: "
                                       "finding offers, contracts, sea transit", 14.0, 90.0),
    "market_sourcing_days_magnets": Assumption(60.0, "days until replacement magnets arrive: grade qualification "
                                               "with a new supplier on top of purchase and transit", 30.0, 120.0),
    "restock_headroom_unobserved": Assumption(0.25, "extra supply per day available for restocking where no "
                                              "front-loading was observed (W, Te, rare earths, magnets: NOT FOUND in "
                                              "market/SOURCES.md; their 2025 controls came without notice); the "
                                              "observed surges span 0.12 (Sb products, Aug 2024) to 2.9 (graphite to "
                                              "Japan, Nov 2023) of the normal flow (market_parameters.csv)", 0.1, 1.0),
    "input_overlap_manufacturing": Assumption(0.8, "how the exposed parts of Manufacturing that need different "
                                              "products overlap (0 nested, 1 disjoint): compound semiconductors (Ga), "
                                              "fibre and IR optics (Ge), battery anodes and refractories (graphite), "
                                              "flame retardants (Sb), carbide tools (W), thermoelectrics (Te) and "
                                              "motors with magnets are largely different product lines, so mostly "
                                              "disjoint; they meet in final assembly (vehicles, electronics)",
                                              0.5, 1.0),
    "magnet_tier_spread": Assumption(0.5, "how far each stock tier of the direct magnet buyers may lie from its "
                                     "level (a share of it): the tiers are read off an assumed range, not measured",
                                     0.25, 0.75),
    "magnets_direct_inventory_days": Assumption(21.0, "stocks of users who buy finished Chinese magnets directly, "
                                                "days of use: Suzuki stopped 52 days after the 2025-04 controls "
                                                "(market_parameters.csv mag_suzuki_stop_days), about 30 of them goods "
                                                "in transit (lead_time_days), so about three weeks of stock", 7.0,
                                                42.0),
    "japan_take_of_alt_output": Assumption(0.25, "most of an alternative producer's output Japan can buy; Japan took "
                                           "36% of China's natural-graphite exports (2025) and 22% of its unwrought "
                                           "antimony exports (2020)", 0.1, 0.4),
}


def A(name: str) -> Sourced:
    """The assumption ``name`` as a sourced number."""
    a = ASSUMPTIONS[name]
    return Sourced(a.value, a.label())


# ---- uncertainty the data cannot remove (issue 6)
# Assumptions drawn per scenario as triangular {low = range low, mode = central value,
# high = range high} wherever the model uses them for inventory_days, lead_time_days or
# exposure. The world-market parameters are drawn through U() / _drawn() in world_market().
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
_HREE = ("China separates about 90% of the world's Dy, Tb and Sm (assumption hree_separation_cn, range "
         "0.8-0.99), so material bought outside China is largely Chinese-separated oxide or metal traded on "
         "or processed elsewhere")
HIDDEN_LINKS = (
    HiddenLink("ndfeb_magnet_direct", "VN", "CN", "dysprosium", 0.2, 0.45, 0.8,
               "Vietnamese NdFeB plants serving Japanese users: the heat-resistant grades (about half of "
               "output, the weight 0.5 the configs give magnets in the 2025-04 rule) need Dy, and " + _HREE),
    HiddenLink("ndfeb_magnet_direct", "VN", "CN", "terbium", 0.05, 0.15, 0.4,
               "the top heat-resistant grades of Vietnamese NdFeB use Tb (grain-boundary diffusion) besides "
               "or instead of Dy; " + _HREE),
    HiddenLink("ndfeb_magnet_direct", "VN", "CN", "ndpr_oxide", 0.1, 0.3, 0.6,
               "every NdFeB magnet needs NdPr; Vietnam separates some light rare earths and buys Australian "
               "oxide separated in Malaysia, the rest is Chinese oxide, metal or alloy"),
    HiddenLink("ndfeb_magnet_direct", "ROW", "CN", "dysprosium", 0.2, 0.45, 0.8,
               "magnets from other origins (other Asian, European makers; ROW in the model) need Dy for "
               "the heat-resistant grades like Vietnam's; " + _HREE),
    HiddenLink("ndfeb_magnet_direct", "ROW", "CN", "ndpr_oxide", 0.1, 0.3, 0.6,
               "magnet makers outside China buy part of their NdPr metal and alloy from China (non-Chinese "
               "metal-making capacity is small)"),
    HiddenLink("smco_magnet", "ROW", "CN", "samarium", 0.3, 0.6, 0.9,
               "every SmCo magnet needs samarium, and " + _HREE),
    HiddenLink("dysprosium", "ROW", "CN", None, 0.2, 0.5, 0.8, "Dy imported from non-Chinese origins: " + _HREE),
    HiddenLink("terbium", "ROW", "CN", None, 0.2, 0.5, 0.8, "Tb imported from non-Chinese origins: " + _HREE),
    HiddenLink("samarium", "ROW", "CN", None, 0.2, 0.5, 0.8, "Sm imported from non-Chinese origins: " + _HREE),
    HiddenLink("germanium", "ROW", "CN", None, 0.05, 0.2, 0.5,
               "refiners outside China (Belgium, Canada, ... grouped as ROW) treat zinc concentrates, scrap and "
               "germanium concentrate, part of it of Chinese origin; no trade data on the feed in models/data"),
    HiddenLink("natural_graphite", "KR", "CN", None, 0.1, 0.3, 0.6,
               "graphite bought from Korea is mostly processed (anode) material, and Korea's anode makers "
               "depend on Chinese spherical graphite; Korea's own mine output (the proxy share) is small"),
)


# Candidate links left OUT of the model: Korean (0.2/0.5/0.8: Korea mines no antimony, its
# ingot is refined from imported, historically largely Chinese feed) and Vietnamese (0.1/0.3/
# 0.6) antimony on Chinese antimony. They act on the 2024-09 Sb episode itself (through
# Japan's weight in world demand), which validation/ uses to calibrate the world market;
# adding them should go together with that calibration (not done yet).
NOT_MODELLED_LINKS = (
    HiddenLink("antimony", "KR", "CN", None, 0.2, 0.5, 0.8,
               "Korea mines no antimony (not in the USGS table); its ingot is refined from imported concentrate "
               "and crude antimony, historically largely from China"),
    HiddenLink("antimony", "VN", "CN", None, 0.1, 0.3, 0.6,
               "Vietnamese smelters treat domestic and imported concentrate, part of it traded through or from "
               "China"),
)


def U(name: str) -> Distributed:
    """The assumption ``name`` as an uncertain number: triangular over its range, mode = central."""
    a = ASSUMPTIONS[name]
    if a.low is None or not a.low < a.high:
        raise BuildError(f"assumption {name} has no range to draw from")
    return Distributed(a.low, a.value, a.high, a.label() + "; drawn per scenario: triangular (low, mode, high) = "
                       f"({_fmt(a.low)}, {_fmt(a.value)}, {_fmt(a.high)})")


def _uncertain_demand(demand: Sourced, driver: str, offset: float = 0.0) -> Distributed:
    """``demand`` = offset + slope x assumption ``driver`` -> triangular over the driver's range."""
    a = ASSUMPTIONS[driver]
    slope = (demand.value - offset) / a.value
    # at the range's ends the demand is the central one exactly (no rounding past the mode)
    low = demand.value if a.low == a.value else offset + slope * a.low
    high = demand.value if a.high == a.value else offset + slope * a.high
    text = demand.source if demand.source.startswith("assumption:") else "assumption: (derived) " + demand.source
    return Distributed(low, demand.value, high, (
        f"{text}; drawn per scenario: triangular over the range of assumption {driver} ({_fmt(a.low)}-"
        f"{_fmt(a.high)}, other inputs central): range {_sig(low, 6):g}-{_sig(high, 6):g} per day"))


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
            f"(range {_fmt(link.low)}-{_fmt(link.high)}, triangular mode {_fmt(link.mode)}; tier 3 and below, no data)"))
        entry["description"] = f"{link.product} from {link.origin} depends on {upstream}"
        prod.setdefault("hidden_dependence", []).append(entry)


def validate_hidden_links(links) -> list[str]:
    problems = []
    for link in links:
        name = f"hidden link {link.product}/{link.origin} on {link.on_origin} {link.on_product or link.product}"
        if not (0.0 <= link.low <= link.mode <= link.high <= 1.0 and link.low < link.high):
            problems.append(f"{name}: need 0 <= low <= mode <= high <= 1 and low < high, got "
                            f"{link.low}, {link.mode}, {link.high}")
        if len(link.reason.strip()) < 10:
            problems.append(f"{name}: needs a reason")
        if link.origin == link.on_origin and link.on_product in (None, link.product):
            problems.append(f"{name}: a supply cannot depend on itself")
    return problems


def validate_assumptions(table: dict[str, Assumption]) -> list[str]:
    """Problems in the assumptions table: missing reasons, values outside their range."""
    problems = []
    for name, a in table.items():
        if not isinstance(a.value, (int, float)) or isinstance(a.value, bool) or not math.isfinite(a.value):
            problems.append(f"assumption {name}: value {a.value!r} is not a finite number")
        if not isinstance(a.reason, str) or len(a.reason.strip()) < 10:
            problems.append(f"assumption {name} = {a.value!r}: needs a reason (a sentence saying why)")
        if (a.low is None) != (a.high is None):
            problems.append(f"assumption {name}: give both ends of the range or neither")
        elif a.low is not None and not (a.low <= a.value <= a.high):
            problems.append(f"assumption {name} = {a.value!r} lies outside its range {a.low}-{a.high}")
    return problems


def source_problem(source) -> str | None:
    """Why ``source`` does not qualify, or None."""
    if not isinstance(source, str) or not source.strip():
        return "has no source"
    text = source.strip()
    if text.startswith("assumption:"):
        return None if len(text) > len("assumption:") + 10 else "is labelled 'assumption:' without a reason"
    if text.startswith(("data:", "computed:")):
        if any(name in text for name in DATA_FILES):
            return None
        return f"cites no file of models/data/ ({', '.join(DATA_FILES)})"
    return "source must start with 'data:', 'computed:' or 'assumption:'"


def validate_tree(tree, path: str = "") -> list[str]:
    """Every number in ``tree`` must be a :class:`Sourced` with a qualifying source.

    Returns one message per bad number, naming its path and value. Strings and booleans
    are labels, not numbers, and need no source.
    """
    problems = []
    if isinstance(tree, Sourced):
        why = source_problem(tree.source)
        if why:
            problems.append(f"{path} = {tree.value!r} {why}")
        if not isinstance(tree.value, (int, float)) or not math.isfinite(tree.value):
            problems.append(f"{path} = {tree.value!r} is not a finite number")
    elif isinstance(tree, Distributed):
        why = source_problem(tree.source)
        if why:
            problems.append(f"{path} = {tree.value!r} {why}")
        if not all(isinstance(x, (int, float)) and math.isfinite(x) for x in (tree.low, tree.mode, tree.high)):
            problems.append(f"{path}: distribution ({tree.low!r}, {tree.mode!r}, {tree.high!r}) is not finite")
        elif not (tree.low <= tree.mode <= tree.high and tree.low < tree.high):
            problems.append(f"{path}: triangular needs low <= mode <= high and low < high, got "
                            f"({tree.low!r}, {tree.mode!r}, {tree.high!r})")
        elif not tree.source.strip().startswith("assumption:"):
            problems.append(f"{path}: a distribution's source must be an 'assumption: ... range ...' label")
    elif isinstance(tree, Labelled):
        why = source_problem(tree.source)
        if why:
            problems.append(f"{path} = {tree.value!r} {why}")
    elif isinstance(tree, dict):
        for key, value in tree.items():
            problems += validate_tree(value, f"{path}.{key}" if path else str(key))
    elif isinstance(tree, (list, tuple)):
        for i, value in enumerate(tree):
            label = value.get("name") if isinstance(value, dict) and isinstance(value.get("name"), str) else i
            problems += validate_tree(value, f"{path}[{label}]")
    elif isinstance(tree, bool) or isinstance(tree, str) or tree is None:
        pass
    elif isinstance(tree, (int, float)):
        problems.append(f"{path} = {tree!r} has no source (a bare number: wrap it in Sourced or an assumption)")
    else:
        problems.append(f"{path}: unexpected value {tree!r}")
    return problems


# --------------------------------------------------------------------------- data access
def read_csv(name: str) -> list[dict]:
    with (DATA / name).open(newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


def _short_source(row: dict) -> str:
    return row["source"].split(";")[0].strip()


def price_usd(material: str, series_prefix: str, year: str) -> tuple[float, dict]:
    for row in read_csv("prices.csv"):
        if row["material"] == material and row["series"].startswith(series_prefix) and row["year"] == year:
            return float(row["price"]), row
    raise BuildError(f"prices.csv has no row {material} / {series_prefix} / {year}")


def origin_groups() -> dict[str, str]:
    return {r["country"]: r["origin"] for r in read_csv("origin_groups.csv")}


def world_production(material: str, year: str = "2024") -> dict[str, float]:
    """Production by country (source unit) for the USGS table of ``material``; W/NA cells skipped."""
    out = {}
    for row in read_csv("world_production_shares.csv"):
        if row["material"] != material or row["year"] != year or row["country"].startswith("World total"):
            continue
        if row["production"] == "":
            continue
        out[row["country"]] = float(row["production"])
    if not out:
        raise BuildError(f"world_production_shares.csv has no {year} rows for {material}")
    return out


def world_shares_by_origin(material: str) -> tuple[dict[str, float], float, float]:
    """(origin -> share of the listed countries' total, Japan's share, listed total).

    Shares use the sum of the listed countries' production as denominator so that they
    add to one with Japan (USGS's rounded world total differs by rounding, 0.97-1.03)."""
    production = world_production(material)
    groups = origin_groups()
    total = sum(production.values())
    shares = {o: 0.0 for o in ORIGINS}
    japan = 0.0
    for country, value in production.items():
        group = groups[country]
        if group.startswith("JP"):
            japan += value / total
        else:
            shares[group] += value / total
    return shares, japan, total


def import_proxy(material: str, exclude_countries=("Korea, North",)) -> dict[str, float]:
    """Non-Japanese world production shares by origin, normalised to one: the proxy for
    Japan's import shares where no Japan import data exist. North Korea is left out
    because Japan bans imports from it (see ``import_ban_kp`` in the docs)."""
    production = world_production(material)
    groups = origin_groups()
    out = {o: 0.0 for o in ORIGINS}
    for country, value in production.items():
        group = groups[country]
        if group.startswith("JP") or country in exclude_countries:
            continue
        out[group] += value
    total = sum(out.values())
    return {o: v / total for o, v in out.items()}


def import_row(material: str, partner: str, period: str) -> dict:
    for row in read_csv("japan_import_shares.csv"):
        if row["material"] == material and row["partner"] == partner and row["period"] == period:
            return row
    raise BuildError(f"japan_import_shares.csv has no row {material} / {partner} / {period}")


def stockpile_fact(fact_id: str) -> tuple[float, dict]:
    for row in read_csv("stockpile_facts.csv"):
        if row["fact_id"] == fact_id:
            return float(row["value"]), row
    raise BuildError(f"stockpile_facts.csv has no fact {fact_id}")


# --------------------------------------------------------------------------- shares
def _round_shares(shares: dict[str, float], domestic: float, digits: int = 6) -> tuple[dict[str, float], float]:
    """Round import shares and the domestic share so that they sum to exactly one; the
    rounding residual goes to the largest entry."""
    rounded = {o: round(v, digits) for o, v in shares.items() if round(v, digits) > 0}
    dom = round(domestic, digits)
    residual = round(1.0 - dom - sum(rounded.values()), digits + 2)
    if rounded and abs(residual) > 0:
        top = max(rounded, key=rounded.get)
        rounded[top] = round(rounded[top] + residual, digits + 2)
    elif not rounded:
        dom = 1.0
    return rounded, dom


def sourced_shares(shares: dict[str, float], source: str) -> dict[str, Sourced]:
    return {o: Sourced(v, source) for o, v in shares.items()}


# --------------------------------------------------------------------------- IO table
SECTOR_NAMES = {
    "01": "agriculture", "02": "mining", "03": "manufacturing", "04": "construction", "05": "utilities",
    "06": "commerce", "07": "finance", "08": "real_estate", "09": "transport", "10": "ict",
    "11": "public_admin", "12": "services", "13": "other",
}


def io_table() -> dict:
    """Domestic-coefficient form of the 2011 Japan table (competitive-import type).

    Japan's table records imports as a negative final-demand column, so ``A = Z / X``
    includes imported inputs and ``f`` (final demand + exports - imports) is negative for
    Mining. The model uses the standard import-adjusted form instead::

        m_i   = M_i / (sum_j Z_ij + Fd_i)          import ratio of domestic demand
        A_d   = (I - diag(m)) Z / X                 domestic input coefficients
        f_d   = (I - diag(m)) Fd + E                domestic final demand + exports
        X     = (I - A_d)^-1 f_d                    exactly the table's gross output

    Values in JPY million per year (2011 prices). Value added = rows 71 + 91..95.
    """
    rows = read_csv("japan_io_sectors.csv")
    codes = sorted({r["row_sector"][:2] for r in rows if r["row_type"] == "industry"})
    index = {c: i for i, c in enumerate(codes)}
    n = len(codes)
    z = [[0.0] * n for _ in range(n)]
    final_domestic, exports, imports, value_added, gross = ([0.0] * n for _ in range(5))
    va_parts: dict[str, float] = {}
    for r in rows:
        v = float(r["value_jpy_million"])
        if r["row_type"] == "industry" and r["col_type"] == "industry":
            z[index[r["row_sector"][:2]]][index[r["col_sector"][:2]]] += v
        elif r["row_type"] == "industry" and r["col_type"] == "finaldemand":
            final_domestic[index[r["row_sector"][:2]]] += v
        elif r["row_type"] == "industry" and r["col_type"] == "export":
            exports[index[r["row_sector"][:2]]] += v
        elif r["row_type"] == "industry" and r["col_type"] == "import":
            imports[index[r["row_sector"][:2]]] -= v  # stored negative in the table
        elif r["row_type"] == "valueadded":
            value_added[index[r["col_sector"][:2]]] += v
            va_parts[r["row_sector"][:2]] = va_parts.get(r["row_sector"][:2], 0.0) + v
        elif r["row_type"] == "derived":
            gross[index[r["col_sector"][:2]]] = v
    domestic_demand = [sum(z[i]) + final_domestic[i] for i in range(n)]
    m = [imports[i] / domestic_demand[i] for i in range(n)]
    a_dom = [[(1.0 - m[i]) * z[i][j] / gross[j] for j in range(n)] for i in range(n)]
    f_dom = [(1.0 - m[i]) * final_domestic[i] + exports[i] for i in range(n)]
    return {"codes": codes, "sectors": [SECTOR_NAMES[c] for c in codes], "a": a_dom, "f": f_dom,
            "value_added": value_added, "gross_output": gross, "import_ratio": m, "va_parts": va_parts}


IO_SOURCE = ("japan_io_sectors.csv (2011 Input-Output Tables for Japan, 13 sectors, producers' prices, JPY million, "
             "e-Stat sid=0003119272, via github:UchidaMizuki/blog-ioanalysis-in-r)")


# --------------------------------------------------------------------------- products
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


def _usd_to_jpy_million(usd: float, basis: str, assumed: bool = False) -> Sourced:
    """USD per unit -> JPY million per unit at the assumed exchange rate. ``assumed``:
    the USD price itself is an assumption (the label then starts with 'assumption:')."""
    rate = ASSUMPTIONS["usd_jpy"].value
    prefix = "assumption: (price assumed) " if assumed else "computed: "
    return Sourced(usd * rate / 1e6, f"{prefix}{basis} x {rate:g} JPY/USD (assumption usd_jpy: "
                                     f"{ASSUMPTIONS['usd_jpy'].reason}) / 1e6 -> JPY million")


def _price(material, prefix, year, unit_factor=1.0, factor_text="") -> Sourced:
    usd, row = price_usd(material, prefix, year)
    basis = (f"{usd:g} {row['unit'].split(' (')[0]} ({row['series']}, {year}, prices.csv; "
             f"{_short_source(row)}){factor_text}")
    return _usd_to_jpy_million(usd * unit_factor, basis)


def _world_share_sourced(material: str) -> dict[str, Sourced]:
    shares, japan, total = world_shares_by_origin(material)
    src = (f"computed: 2024 production by country / sum of listed countries ({total:g}), countries grouped by "
           f"origin_groups.csv; Japan ({japan:.4f}) left in the rest of the world; world_production_shares.csv "
           f"(USGS MCS 2026)")
    return {o: Sourced(round(v, 4), src) for o, v in shares.items() if round(v, 4) > 0}


def _ree_world_share() -> dict[str, Sourced]:
    shares, japan, total = world_shares_by_origin("rare earths (REO)")
    src = ("computed: (proxy: mine output of all rare earths, REO, not separated NdPr; China's share of separation is "
           f"higher): 2024 production by country / sum of listed countries ({total:g} t REO), grouped by "
           "origin_groups.csv; world_production_shares.csv (USGS MCS 2026)")
    return {o: Sourced(round(v, 4), src) for o, v in shares.items() if round(v, 4) > 0}


def _proxy_imports(material: str, domestic: float, fixed: dict[str, float] | None = None,
                   fixed_source: str = "") -> tuple[dict[str, Sourced], Sourced]:
    """Import shares = (1 - domestic) x [fixed origins + the rest by world production proxy]."""
    proxy = import_proxy(material)
    fixed = fixed or {}
    rest = 1.0 - sum(fixed.values())
    others = {o: v for o, v in proxy.items() if o not in fixed}
    norm = sum(others.values())
    shares = dict(fixed)
    for o, v in others.items():
        shares[o] = shares.get(o, 0.0) + rest * v / norm
    scaled = {o: (1.0 - domestic) * v for o, v in shares.items()}
    rounded, dom = _round_shares(scaled, domestic)
    src = ("computed: (proxy) Japan's import shares where Japan-reported imports by origin are NOT FOUND "
           "(japan_import_shares.csv) = non-Japanese 2024 world production shares of the origins "
           f"(world_production_shares.csv, USGS MCS 2026; North Korea left out: Japan bans its imports) x (1 - domestic)")
    if fixed:
        src = f"{fixed_source}; the remainder: " + src
    return sourced_shares(rounded, src), Sourced(dom, src if domestic else
                                                    "computed: no Japanese production in the USGS table "
                                                    "(world_production_shares.csv), so domestic share 0")


# --------------------------------------------------------------------------- world market
MP = "market_parameters.csv"


def mp(param_id: str) -> float:
    """A number of ``models/data/market_parameters.csv`` (rows copied from models/data/market/
    and models/data/episodes/, each with its source)."""
    for row in read_csv(MP):
        if row["param_id"] == param_id:
            return float(row["value"])
    raise BuildError(f"{MP} has no row {param_id}")


def _drawn(low: float, mode: float, high: float, text: str) -> Distributed:
    """A triangular draw whose mode (and possibly ends) are computed from data rows; the
    label says which ends are data and which are assumed."""
    low, mode, high = (_sig(x, 6) for x in (low, mode, high))
    return Distributed(low, mode, high, f"assumption: {text} (range {_fmt(low)}-{_fmt(high)}, triangular mode "
                                        f"{_fmt(mode)}); drawn per scenario")


def _scaled(name: str, factor: float, text: str) -> Distributed:
    """Assumption ``name`` drawn per scenario, scaled by a computed ``factor``."""
    a = ASSUMPTIONS[name]
    return _drawn(a.low * factor, a.value * factor, a.high * factor,
                  f"{text} x assumption {name} ({a.reason})")


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

    # ---- gallium: the traded market is China's exports + primary production outside China +
    # secondary (scrap-refined) gallium outside China; Japan buys its IMPORTS on it
    ga_month = (mp("ga_cn_exports_2022_11") + mp("ga_cn_exports_2023_03")) / 2
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
        "world_stock_days": _drawn(ASSUMPTIONS["world_stock_days_minor"].low, mp("ga_us_consumer_stock_days"),
                                   ASSUMPTIONS["world_stock_days_minor"].high,
                                   f"gallium stocks outside China: mode = US consumer stocks, "
                                   f"{mp('ga_us_consumer_stock_days'):g} days of reported consumption (2024, "
                                   f"{MP}, USGS MCS 2026); the range of world_stock_days_minor around it (traders "
                                   f"add stock, other importers may hold less)"),
        "world_supply_response": _drawn(
            (running + f.low * mothballed) / ga_market, (running + f.value * mothballed) / ga_market,
            (running + f.high * mothballed) / ga_market,
            f"computed: (idle capacity of running plants, Japan {mp('ga_idle_japan'):,.0f} + Russia "
            f"{mp('ga_idle_russia'):,.0f} kg/yr, + assumption ga_mothballed_usable x {mothballed:,.0f} kg/yr "
            f"mothballed capacity; {MP}, USGS MCS 2026) / traded market {ga_market:,.0f} kg/yr; "
            f"ga_mothballed_usable: {f.reason}"),
        "world_supply_response_days": U("ga_supply_response_days"),
        "market_sourcing_share": U("market_sourcing_share_ga"),
    })

    # ---- germanium: no world production table; China's share stays the labelled assumption
    ge = by_name["germanium"]
    ge.update({
        "world_stock_days": U("world_stock_days_minor"),
        "world_supply_response": U("ge_supply_response"),
        "world_supply_response_days": U("ge_supply_response_days"),
    })

    # ---- natural graphite: China's exports vs production outside China
    gr_exports = 12 * mp("gr_cn_exports_avg_2023")
    gr = by_name["natural_graphite"]
    gr["world_share"], gr_market = traded_world_share(
        "graphite (natural)", gr_exports,
        f"12 x China's average monthly natural-graphite exports Jan-Oct 2023, ~{mp('gr_cn_exports_avg_2023'):,.0f} t "
        f"(Bloomberg, {MP}); 2024 Jan-Sep: 109,000 t (USGS), i.e. about 145,000 t/yr")
    gr_use = _central(gr["demand_per_day"]) * DAYS_PER_YEAR
    gr["world_demand_weight"] = Sourced(round(gr_use / gr_market, 4), (
        f"computed: Japan's use {gr_use:,.0f} t/yr / the traded world market {gr_market:,.0f} t/yr (China's "
        f"exports + production outside China, {MP}, world_production_shares.csv)"))
    mozambique = world_production("graphite (natural)")["Mozambique"]
    balama_idle = mp("gr_balama_capacity") - mozambique
    gr.update({
        "world_stock_days": U("world_stock_days_graphite"),
        "world_supply_response": _scaled(
            "graphite_idle_usable", balama_idle / gr_market,
            f"computed: Balama's idle nameplate capacity ({mp('gr_balama_capacity'):,.0f} t/yr, {MP}, less "
            f"Mozambique's 2024 output {mozambique:,.0f} t, world_production_shares.csv) / traded market "
            f"{gr_market:,.0f} t/yr = {balama_idle / gr_market:.3f}"),
        "world_supply_response_days": U("graphite_supply_response_days"),
    })

    # ---- antimony: production shares kept (caveat in the source)
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

    # ---- tungsten, tellurium: production shares kept (no China export figures in the data)
    w = by_name["tungsten"]
    w_world = sum(world_production("tungsten").values())
    new_w = mp("w_sangdong") + mp("w_boguty")
    w["world_share"] = {o: Sourced(v.value, v.source + "; CAVEAT: a production share (China is also the largest "
                                   "importer and consumer of tungsten concentrate, USGS); no China export figure in "
                                   "models/data, so China's share of the traded market may be lower")
                        for o, v in w["world_share"].items()}
    w.update({
        "world_stock_days": U("world_stock_days_minor"),
        "world_supply_response": _drawn(
            0.5 * new_w / w_world, new_w / w_world, 1.5 * new_w / w_world,
            f"computed mode: new mines outside China, Sangdong {mp('w_sangdong'):,.0f} t W/yr + Boguty "
            f"{mp('w_boguty'):,.0f} t W ({MP}) / world mine production 2024 {w_world:,.0f} t W "
            f"(world_production_shares.csv); range x0.5-1.5 assumed (ramp-up, phase 2)"),
        "world_supply_response_days": U("mine_supply_response_days"),
    })
    te = by_name["tellurium"]
    te_world = sum(world_production("tellurium").values())
    te_idle = mp("te_idle_outside_cn")
    te["world_share"] = {o: Sourced(v.value, v.source + "; CAVEAT: a production share; no China export figure "
                                    "in models/data") for o, v in te["world_share"].items()}
    te.update({
        "world_stock_days": U("world_stock_days_minor"),
        "world_supply_response": _drawn(
            0.5 * te_idle / te_world, te_idle / te_world, 1.2 * te_idle / te_world,
            f"computed mode: idle refinery capacity outside China {te_idle:g} t/yr (capacity - 2025e production, "
            f"7 countries, {MP}, USGS MCS 2026) / world refinery production 2024 {te_world:g} t "
            f"(world_production_shares.csv); range x0.5-1.2 assumed (not all capacity has feed)"),
        "world_supply_response_days": U("te_supply_response_days"),
    })

    # ---- rare earths and magnets: long-run demand from Japan's 2007-2013 response
    fall = mp("ree_jp_demand_fall_2007_2013")
    e_hi = -math.log(1 + fall) / math.log(mp("ree_price_rise_2011_low"))
    e_lo = -math.log(1 + fall) / math.log(mp("ree_price_rise_2011_high"))
    ree_long = _drawn(
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

    # ---- front-loading room (announcement lead): the observed export surges before controls
    ga_low = max(0.0, 5150 / 7670 - 1)
    by_name["gallium"]["restock_headroom"] = _drawn(
        ga_low, mp("ga_cn_exports_2023_07") / ga_month - 1, 4.726 - 1,
        f"computed from China's gallium exports in July 2023, the month before licensing ({MP}): mode = "
        f"{mp('ga_cn_exports_2023_07'):,.0f} kg / the pre-control monthly mean {ga_month:,.0f} kg - 1; high = the "
        f"July/June ratio 4.726 - 1 (a low June); low 0 (wrought gallium 5.15 t in July 2023 was below July 2022's "
        f"7.67 t)")
    by_name["gallium"]["storage_room_days"] = _drawn(
        0.0, 31 * (mp("ga_cn_exports_2023_07") / ga_month - 1), 31 * 1.0,
        "computed: the July-2023 surge above the normal flow x 31 days (what importers stored in the month before "
        "the control); high = one extra month of flow (assumed)")
    by_name["germanium"]["restock_headroom"] = _drawn(
        mp("ge_jul2023_products_mm") - 1, mp("ge_jul2023_yy") - 1, mp("ge_jul2023_mm") - 1,
        f"computed from China's germanium exports in July 2023 ({MP}): low = products +25.3% m/m, mode = +41% y/y, "
        f"high = 'more than double' June")
    by_name["germanium"]["storage_room_days"] = _drawn(
        31 * (mp("ge_jul2023_products_mm") - 1), 31 * (mp("ge_jul2023_yy") - 1), 31 * (mp("ge_jul2023_mm") - 1),
        "computed: the July-2023 germanium surge above the normal flow (same rows) x 31 days")
    jp_normal = sum(mp(f"gr_jp_2023_{m:02d}") for m in range(6, 11)) / 5
    jp_surge = mp("gr_jp_2023_11") / jp_normal - 1
    cn_share = _central(gr["import_share"]["CN"])
    by_name["natural_graphite"]["restock_headroom"] = _drawn(
        mp("gr_nov2023_surge") - 1, jp_surge * cn_share, jp_surge,
        f"computed from the Nov-2023 graphite surge ({MP}): low = China's exports +161.9% on the Jan-Oct average "
        f"(S&P); mode = China's HS 250410 exports to Japan in Nov 2023 {mp('gr_jp_2023_11') / 1000:,.0f} t over the "
        f"Jun-Oct 2023 mean {jp_normal / 1000:,.0f} t, minus 1, x China's import share {cn_share:g} (Comtrade); high "
        f"= the same without the share")
    gr_days = 30 * jp_surge * cn_share
    by_name["natural_graphite"]["storage_room_days"] = _drawn(
        30 * (mp("gr_nov2023_surge") - 1), gr_days, 1.5 * gr_days,
        f"computed: the Nov-2023 surge of China's graphite to Japan above its normal flow x 30 days, in days of "
        f"Japan's use (mode {gr_days:.0f}); low = the world surge (S&P) x 30; high = 1.5 x mode (assumed: a longer "
        f"announcement lead)")
    by_name["antimony"]["restock_headroom"] = _drawn(
        mp("sb_aug2024_products") - 1, mp("sb_aug2024_oxide") - 1, mp("sb_aug2024_metal") - 1,
        f"computed from China's antimony exports in Aug 2024, the month before licensing ({MP}): products +12%, "
        f"oxide x1.21, metal x1.584 on July")
    by_name["antimony"]["storage_room_days"] = _drawn(
        31 * (mp("sb_aug2024_products") - 1), 31 * (mp("sb_aug2024_oxide") - 1), 31 * (mp("sb_aug2024_metal") - 1),
        "computed: the Aug-2024 antimony surge above the normal flow (same rows) x 31 days")
    for name in ("tungsten", "tellurium", "ndpr_oxide", "dysprosium", "terbium", "samarium", "ndfeb_magnet",
                 "ndfeb_magnet_direct", "smco_magnet"):
        by_name[name]["restock_headroom"] = U("restock_headroom_unobserved")


MATERIALS = ("gallium", "germanium", "natural_graphite", "antimony", "tungsten", "tellurium", "ndpr_oxide",
             "dysprosium", "terbium", "samarium", "ndfeb_magnet", "ndfeb_magnet_direct", "smco_magnet")


def build_products() -> list[dict]:
    products = []
    mineral_common = {
        "lead_time_days": A("lead_time_days"),
        "price_elasticity": A("price_elasticity"),
    }

    def exposure(name, assumption):
        return {"manufacturing": A(assumption)}

    # ---------------- gallium: Japan's use, imports and domestic supply from JOGMEC (2021)
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
    ga_rounded, ga_dom_rounded = _round_shares({"CN": ga_cn_year / ga_demand_year,
                                                "ROW": (ga_imports_year - ga_cn_year) / ga_demand_year},
                                               ga_domestic_year / ga_demand_year)
    ga_share_src = (f"computed: Japan's 2021 gallium imports by origin over its use {ga_demand_year:,.0f} kg ({ga_jogmec}): "
                    f"CN = {ga_cn_year:,.0f} / {ga_demand_year:,.0f}; the other {ga_imports_year - ga_cn_year:,.0f} kg "
                    f"of the {ga_imports_year:,.0f} kg imported have no sourced origin split and are put in ROW "
                    f"(the world-production proxy would give them all to Russia, the only other primary producer in "
                    f"world_production_shares.csv, but they are mostly refined and recycled gallium from refiners "
                    f"outside China)")
    products.append({
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
        "price": _price("gallium", "Ga metal", "2024"),
        "inventory_days": _drawn(
            ASSUMPTIONS["ga_inventory_days_low"].value, ASSUMPTIONS["ga_inventory_days_mode"].value,
            30 * mp("ga_jp_inventory_max_months"),
            f"Japanese gallium users' stocks, days of use: high = 'up to about six months' "
            f"({mp('ga_jp_inventory_max_months'):g} months x 30 days; Yomiuri 2023-08-04, {MP} "
            f"ga_jp_inventory_max_months); low = assumption ga_inventory_days_low "
            f"({ASSUMPTIONS['ga_inventory_days_low'].reason}); mode = assumption ga_inventory_days_mode "
            f"({ASSUMPTIONS['ga_inventory_days_mode'].reason})"),
        **mineral_common,
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
        "world_share": _world_share_sourced("gallium"),  # replaced by the traded market in world_market()
        "world_demand_weight": Sourced(0.0, "computed: set in world_market() from market_parameters.csv"),
        "exposure": exposure("gallium", "exp_gallium"),
    })

    # ---------------- germanium
    ge_world = {"CN": ASSUMPTIONS["ge_world_cn"].value, "ROW": 1.0 - ASSUMPTIONS["ge_world_cn"].value}
    ge_src = A("ge_world_cn").source + "; ROW = 1 - CN"
    products.append({
        "name": "germanium", "unit": "kg", "hs_code": "8112.92",
        "description": "Germanium metal (kg Ge)",
        "demand_per_day": Sourced(ASSUMPTIONS["ge_demand_kg_per_year"].value / DAYS_PER_YEAR,
                                  A("ge_demand_kg_per_year").source + " / 365"),
        "price": _price("germanium", "Ge metal", "2024"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common,
        "import_share": {o: Sourced(round(v, 6), "assumption: (proxy) Japan's import shares = the assumed world "
                                    "shares; " + ge_src) for o, v in ge_world.items()},
        "domestic_share": Sourced(0.0, "computed: no Japanese germanium production in the data "
                                  "(world_production_shares.csv has a NOT FOUND row for germanium); recycling is a "
                                  "policy lever"),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_mineral")},
        "world_share": {o: Sourced(round(v, 6), ge_src) for o, v in ge_world.items()},
        "exposure": exposure("germanium", "exp_germanium"),
    })

    # ---------------- natural graphite
    g2023 = import_row("graphite (natural)", "Japan", "2023")
    g_cn = import_row("graphite", "China", "c. 2023")
    g_cn_share = float(g_cn["share"])
    g_demand_t = float(g2023["quantity"]) / 1000.0 / g_cn_share
    g_prod = world_production("graphite (natural)")
    g_imports, g_dom = _proxy_imports(
        "graphite (natural)", 0.0, fixed={"CN": g_cn_share},
        fixed_source=f"data: China ~{g_cn_share:g} of Japan's graphite imports (japan_import_shares.csv; "
                     f"{_short_source(g_cn)})")
    products.append({
        "name": "natural_graphite", "unit": "t", "hs_code": "2504.10",
        "description": "Natural graphite, powder or flakes (t)",
        "demand_per_day": Sourced(g_demand_t / DAYS_PER_YEAR,
                                  f"computed: China->Japan HS 2504.10 mirror quantity 2023 ({float(g_2023q(g2023)):,.0f} t, "
                                  f"japan_import_shares.csv, UN Comtrade; 2023 = year before the Dec-2023 control) / "
                                  f"China's share {g_cn_share:g} of Japan's graphite imports = {g_demand_t:,.0f} t/yr / "
                                  f"365; {A('graphite_cn_share_applies_to_natural').source}; an upper reference is "
                                  f"Japan's 36% of China's 115,000 t natural-graphite exports in Jan-Sep 2025 "
                                  f"(about 55,000 t/yr from China)"),
        "price": _price("graphite (natural)", "Flake", "2024"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common,
        "import_share": g_imports,
        "domestic_share": g_dom,
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_graphite")},
        "world_share": _world_share_sourced("graphite (natural)"),
        "world_demand_weight": Sourced(round(g_demand_t / sum(g_prod.values()), 4),
                                       f"computed: Japan's use {g_demand_t:,.0f} t / world production "
                                       f"{sum(g_prod.values()):,.0f} t (2024, world_production_shares.csv)"),
        "exposure": exposure("natural_graphite", "exp_graphite"),
    })

    # ---------------- antimony
    sb_total = import_row("antimony (ingot)", "World", "2024-12")
    sb_tonnes = {"MM": float(import_row("antimony (ingot)", "Myanmar", "2024-12")["quantity"]),
                 "VN": float(import_row("antimony (ingot)", "Vietnam", "2024-12")["quantity"]),
                 "KR": float(import_row("antimony (ingot)", "Korea, Republic of", "2024-12")["quantity"]),
                 "CN": float(import_row("antimony (ingot)", "China", "2024-12")["quantity"])}
    sb_month = float(sb_total["quantity"])
    sb_shares = {o: t / sb_month for o, t in sb_tonnes.items()}
    sb_shares["ROW"] = 1.0 - sum(sb_shares.values())
    sb_rounded, sb_dom = _round_shares(sb_shares, 0.0)
    sb_src = (f"computed: Japan's December 2024 antimony ingot imports by origin (MM 167, VN 62, KR 61, CN 0 of "
              f"~{sb_month:g} t; ROW = the unattributed remainder), japan_import_shares.csv ({_short_source(sb_total)}, "
              f"citing Japan's Ministry of Finance); one month, AFTER China's Sep-2024 controls (Dec 2023: China "
              f"174 t, Thailand 60 t)")
    sb_year = sb_month * ASSUMPTIONS["sb_december_representative"].value
    sb_prod = world_production("antimony")
    products.append({
        "name": "antimony", "unit": "t", "hs_code": "8110",
        "description": "Antimony metal (t Sb)",
        "demand_per_day": Sourced(sb_year / DAYS_PER_YEAR,
                                  f"computed: Japan's ingot imports December 2024 ~{sb_month:g} t "
                                  f"(japan_import_shares.csv) x {ASSUMPTIONS['sb_december_representative'].value:g} "
                                  f"({A('sb_december_representative').source}) / 365"),
        "price": _price("antimony", "Sb metal", "2024", LB_PER_T,
                        f" x {LB_PER_T} lb/t (1 lb = 0.45359237 kg) -> USD/t"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common,
        "import_share": sourced_shares({o: v for o, v in sb_rounded.items() if v > 0}, sb_src),
        "domestic_share": Sourced(sb_dom, "computed: no Japanese antimony mine production in the USGS table "
                                  "(world_production_shares.csv)"),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_sb")},
        "world_share": _world_share_sourced("antimony"),
        "world_demand_weight": Sourced(round(sb_year / sum(sb_prod.values()), 4),
                                       f"computed: Japan's use {sb_year:,.0f} t / world production "
                                       f"{sum(sb_prod.values()):,.0f} t (2024, excl. US, world_production_shares.csv)"),
        "exposure": exposure("antimony", "exp_antimony"),
    })

    # ---------------- tungsten
    w_prod = world_production("tungsten")
    w_world = sum(w_prod.values())
    w_year = w_world * ASSUMPTIONS["w_japan_share_of_world"].value
    w_imports, w_dom = _proxy_imports("tungsten", 0.0)
    products.append({
        "name": "tungsten", "unit": "t", "hs_code": "8101",
        "description": "Tungsten (t W content)",
        "demand_per_day": Sourced(w_year / DAYS_PER_YEAR,
                                  f"computed: world mine production 2024 {w_world:,.0f} t W "
                                  f"(world_production_shares.csv) x Japan's share of world use "
                                  f"{ASSUMPTIONS['w_japan_share_of_world'].value:g} "
                                  f"({A('w_japan_share_of_world').source}) / 365"),
        "price": _price("tungsten", "WO3 concentrate", "2024", 1000.0 / 7.93,
                        " / 7.93 kg W per mtu WO3 (prices.csv unit note) x 1000 kg/t -> USD/t W; a CONCENTRATE "
                        "price: refined products (APT, carbide) cost more, no APT price was found"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common,
        "import_share": w_imports,
        "domestic_share": w_dom,
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_mineral")},
        "world_share": _world_share_sourced("tungsten"),
        "world_demand_weight": A("w_japan_share_of_world"),
        "exposure": exposure("tungsten", "exp_tungsten"),
    })

    # ---------------- tellurium
    te_prod = world_production("tellurium")
    te_world = sum(te_prod.values())
    te_year = te_world * ASSUMPTIONS["te_japan_share_of_world"].value
    te_domestic = min(1.0, te_prod["Japan"] / te_year)
    te_imports, te_dom = _proxy_imports("tellurium", te_domestic)
    products.append({
        "name": "tellurium", "unit": "t", "hs_code": "2804.50",
        "description": "Refined tellurium (t Te)",
        "demand_per_day": Sourced(te_year / DAYS_PER_YEAR,
                                  f"computed: world refinery production 2024 {te_world:,.0f} t (excl. US, "
                                  f"world_production_shares.csv) x Japan's share of world use "
                                  f"{ASSUMPTIONS['te_japan_share_of_world'].value:g} "
                                  f"({A('te_japan_share_of_world').source}) / 365"),
        "price": _price("tellurium", "Te min 99.99%", "2024", 1000.0, " x 1000 kg/t -> USD/t"),
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common,
        "import_share": te_imports,
        "domestic_share": Sourced(te_dom.value,
                                  f"computed: min(1, Japan's refinery output {te_prod['Japan']:g} t (2024, "
                                  f"world_production_shares.csv) / use {te_year:.1f} t): Japan produces more "
                                  f"tellurium than the assumed use, so the model has no tellurium imports at the "
                                  f"central assumption (imports appear if use exceeds 70 t/yr)"),
        "price_cap": A("price_cap_default"),
        "use": {"manufacturing": A("use_manufacturing")},
        "substitutable": {"manufacturing": A("substitutable_mineral")},
        "world_share": _world_share_sourced("tellurium"),
        "world_demand_weight": A("te_japan_share_of_world"),
        "exposure": exposure("tellurium", "exp_tellurium"),
    })

    # ---------------- rare earths
    re_h1 = import_row("rare earths", "World", "2024-01..2024-06")
    re_cn_2024 = import_row("rare earths", "China", "2024")
    y_oxide = import_row("rare earths (yttrium oxide)", "China", "2024-01..2024-06")
    reo_prod = world_production("rare earths (REO)")
    re_weight = float(re_h1["quantity"]) * 2 / sum(reo_prod.values())
    re_weight_src = (f"computed: (proxy for every rare-earth product) Japan's rare-earth imports H1 2024 "
                     f"{float(re_h1['quantity']):,.0f} t metal-equivalent x 2 / world mine production 2024 "
                     f"{sum(reo_prod.values()):,.0f} t REO (japan_import_shares.csv, {_short_source(re_h1)}; "
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
                                  f"(japan_import_shares.csv, {_short_source(re_cn_2024)}, attributed to JOGMEC; "
                                  f"other readings: 0.796 H1 2024, 0.60 reported 2026-01), applied to NdPr"),
                    "AU": A("ndpr_non_cn_au"), "VN": A("ndpr_non_cn_vn")}
    ree_common = {
        "inventory_days": A("inventory_days_minerals"),
        **mineral_common,
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
        "price": _price("rare earths", "NdPr oxide", "2024"),
        "import_share": ndpr_imports,
        "price_cap": A("price_cap_default"),
        "world_share": _ree_world_share(),
        **ree_common,
    })
    y_share = float(y_oxide["share"])
    hree_imports = {"CN": Sourced(y_share, f"data: (proxy) China's share {y_share:g} of Japan's yttrium-oxide imports "
                                  f"H1 2024, the only heavy rare earth in japan_import_shares.csv "
                                  f"({_short_source(y_oxide)})"),
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
            "price": _price("rare earths", price_prefix, "2024"),
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
        "price": _usd_to_jpy_million(ASSUMPTIONS["sm_oxide_usd_per_kg"].value,
                                     f"{ASSUMPTIONS['sm_oxide_usd_per_kg'].value:g} USD/kg "
                                     f"({A('sm_oxide_usd_per_kg').source})", assumed=True),
        "import_share": {"CN": A("sm_import_cn"),
                         "ROW": Sourced(round(1.0 - sm_cn, 6), A("sm_import_cn").source + "; ROW = 1 - CN")},
        "price_cap": A("price_cap_default"),
        "world_share": dict(hree_world),
        **ree_common,
    })

    # ---------------- magnets (multi-tier: oxides -> magnets), two user segments
    # Japan's NdFeB use (production / domestic share) splits into users of magnets MADE IN JAPAN
    # (ndfeb_magnet: domestic makers with their NdPr/Dy/Tb recipe) and users who buy imported,
    # mostly Chinese, magnets directly (ndfeb_magnet_direct). Together they keep today's totals:
    # demand, domestic share, China's import share and the exposure.
    nd_dom = ASSUMPTIONS["ndfeb_domestic_share"].value
    nd_use_kg = production / nd_dom
    cn_of_imports = ASSUMPTIONS["magnet_import_cn_of_imports"].value
    nd_imp = {"CN": cn_of_imports, "VN": (1 - cn_of_imports) / 2, "ROW": (1 - cn_of_imports) / 2}
    nd_rounded, _ = _round_shares(nd_imp, 0.0)
    nd_src = (f"assumption: (derived) the direct buyers import all their magnets: China {cn_of_imports:g} of them "
              f"({A('magnet_import_cn_of_imports').source}); the rest split evenly between VN and ROW "
              f"(assumption: no magnet trade data); over both segments China's share of Japan's use is "
              f"(1 - {nd_dom:g}) x {cn_of_imports:g} = {(1 - nd_dom) * cn_of_imports:g}, as before the split")
    exp = ASSUMPTIONS["exp_ndfeb"]
    magnet_common = {
        "price": _usd_to_jpy_million(ASSUMPTIONS["ndfeb_usd_per_kg"].value,
                                     f"{ASSUMPTIONS['ndfeb_usd_per_kg'].value:g} USD/kg "
                                     f"({A('ndfeb_usd_per_kg').source})", assumed=True),
        **mineral_common,
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
            _sig(exp.low * share, 8), _sig(exp.value * share, 8), _sig(exp.high * share, 8),
            f"assumption: (derived) {exp.reason} (assumption exp_ndfeb, range {_fmt(exp.low)}-{_fmt(exp.high)}) x "
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
    sc_rounded, sc_dom_r = _round_shares({"CN": (1 - sc_dom) * sc_cn, "ROW": (1 - sc_dom) * (1 - sc_cn)}, sc_dom)
    products.append({
        "name": "smco_magnet", "unit": "kg", "hs_code": "8505.11",
        "description": "Samarium-cobalt permanent magnets (kg); domestic production needs samarium oxide",
        "demand_per_day": Sourced(ASSUMPTIONS["smco_production_t"].value * 1000.0 / sc_dom / DAYS_PER_YEAR,
                                  f"assumption: (derived) Japan's SmCo production {ASSUMPTIONS['smco_production_t'].value:g} t/yr "
                                  f"/ domestic share {sc_dom:g} ({A('smco_production_t').source}; "
                                  f"{A('smco_domestic_share').source}) / 365"),
        "price": _usd_to_jpy_million(ASSUMPTIONS["smco_usd_per_kg"].value,
                                     f"{ASSUMPTIONS['smco_usd_per_kg'].value:g} USD/kg ({A('smco_usd_per_kg').source})", assumed=True),
        "inventory_days": A("inventory_days_magnets"),
        **mineral_common,
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

    # ---------------- services (not storable)
    cb_dom = ASSUMPTIONS["cable_domestic_share"].value
    cb_eu = ASSUMPTIONS["cable_import_eu_of_imports"].value
    cb_rounded, cb_dom_r = _round_shares({"EU": (1 - cb_dom) * cb_eu, "ROW": (1 - cb_dom) * (1 - cb_eu)}, cb_dom)
    products.append({
        "name": "cable_repair_vessel", "unit": "ship-day", "storable": False,
        "description": "Submarine-cable laying and repair ship capacity (a service: cannot be stockpiled)",
        "demand_per_day": A("cable_ship_days_per_day"),
        "price": _usd_to_jpy_million(ASSUMPTIONS["cable_usd_per_ship_day"].value,
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
    ln_rounded, ln_dom_r = _round_shares({"US": (1 - ln_dom) * ln_us, "EU": (1 - ln_dom) * (1 - ln_us)}, ln_dom)
    products.append({
        "name": "satellite_launch", "unit": "launch", "storable": False,
        "description": "Satellite launch capacity (a service: cannot be stockpiled)",
        "demand_per_day": Sourced(ASSUMPTIONS["launches_per_year"].value / DAYS_PER_YEAR,
                                  A("launches_per_year").source + " / 365"),
        "price": _usd_to_jpy_million(ASSUMPTIONS["launch_usd"].value,
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

    # essentiality (labels) + the links to the specified critical products
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
    make_uncertain(products)
    world_market(products)
    if CALIBRATED:
        apply_calibration(products)
    return products


# ---- the calibrated market factors (validation/calibration.py, docs/validation.md)
CALIBRATION_PATH = DATA / "market_calibration.csv"
CALIBRATED = True  # False: the model as the sources give it (what the calibration itself scales)
CALIBRATED_FIELDS = {"stock": "world_stock_days", "eta": "world_storage_elasticity",
                     "short": "world_price_elasticity", "precaution": "world_precaution_days"}


def calibration_posterior() -> dict[str, tuple[float, float, float]] | None:
    """``{factor: (5 %, 50 %, 95 %)}`` of the accepted ABC draws in market_calibration.csv
    (None if the file is absent)."""
    if not CALIBRATION_PATH.exists():
        return None
    with CALIBRATION_PATH.open(newline="", encoding="utf-8") as f:
        rows = [r for r in csv.DictReader(f) if r["accepted"] == "1"]
    if not rows:
        raise BuildError(f"{CALIBRATION_PATH.name} has no accepted draw")

    def quantile(values, q):
        values = sorted(values)
        pos = q * (len(values) - 1)
        lo, hi = math.floor(pos), math.ceil(pos)
        return values[lo] + (values[hi] - values[lo]) * (pos - lo)

    out = {}
    for name in CALIBRATED_FIELDS:
        values = [float(r[name]) for r in rows]
        out[name] = tuple(round(quantile(values, q), 4) for q in (0.05, 0.5, 0.95))
    return out


def apply_calibration(products: list[dict]) -> None:
    """Scale every material's calibrated world-market number by the posterior of its global
    factor: triangular (low x f5, mode x f50, high x f95), so the posterior (not a point)
    feeds the Monte Carlo together with the sourced range."""
    posterior = calibration_posterior()
    if posterior is None:
        return
    for product in products:
        if product["name"] not in MATERIALS and not product["name"].startswith("ndfeb_magnet"):
            continue
        for name, field in CALIBRATED_FIELDS.items():
            value = product.get(field)
            if value is None:
                continue
            f5, f50, f95 = posterior[name]
            text = (f"; x the calibrated factor {name} (posterior 5/50/95 % = {f5:g}/{f50:g}/{f95:g}: computed by "
                    f"rejection ABC on the calibration episodes, validation/calibration.py, "
                    f"{CALIBRATION_PATH.name})")
            if isinstance(value, Distributed):
                product[field] = Distributed(_sig(value.low * f5, 6), _sig(value.mode * f50, 6),
                                             _sig(value.high * f95, 6), value.source + text)
            else:
                product[field] = Distributed(_sig(value.value * f5, 6), _sig(value.value * f50, 6),
                                             _sig(value.value * f95, 6), value.source + text)


def g_2023q(row: dict) -> float:
    return float(row["quantity"]) / 1000.0


# --------------------------------------------------------------------------- importers
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
        weight = float(_central(product.get("world_demand_weight", 0.0)) or 0.0)
        world = {o: float(_central(v)) for o, v in product.get("world_share", product["import_share"]).items()}
        imports = {o: float(_central(v)) for o, v in product["import_share"].items()}
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


MAGNET_STOCK_TIERS = (("direct_lean", "low"), ("direct_typical", "value"), ("direct_stocked", "high"))


def magnet_user_segments(products: list[dict]) -> list[dict]:
    """The two NdFeB user groups built above (users of magnets made in Japan,
    ``ndfeb_magnet``; users who import finished magnets directly, ``ndfeb_magnet_direct``)
    as user segments of one product ``ndfeb_magnet`` (docs/model.md section 4e), the direct
    buyers in three equal stock tiers.

    Why tiers: the first firm to stop is the one with the least stock, not the average
    user (Suzuki stopped 52 days after the 2025-04 controls while others ran on). The
    assumed range of the direct buyers' stocks (``magnets_direct_inventory_days``, low /
    mode / high) is read as their spread across firms: a third at each, each tier's level
    drawn within +-50 % (assumption ``magnet_tier_spread``). The product keeps the totals:
    demand (one draw for all segments), China's share of use, the exposure (split like
    the volumes) and the direct buyers' hidden suppliers."""
    by_name = {p["name"]: p for p in products}
    made, direct = by_name["ndfeb_magnet"], by_name["ndfeb_magnet_direct"]
    nd_dom = ASSUMPTIONS["ndfeb_domestic_share"].value
    total = made["demand_per_day"]
    scale = 1.0 / nd_dom
    demand = Distributed(total.low * scale, total.mode * scale, total.high * scale,
                         f"{direct['demand_per_day'].source.split('; drawn per scenario')[0]} + the production used "
                         f"in Japan = Japan's NdFeB use; drawn per scenario: triangular over the range of assumption "
                         f"ndfeb_production_t")
    direct_imports = {o: v.value for o, v in direct["import_share"].items()}
    imp_source = next(iter(direct["import_share"].values())).source
    exp = ASSUMPTIONS["exp_ndfeb"]
    parent = dict(made)
    parent.update({
        "description": ("Sintered NdFeB permanent magnets (kg): users of magnets made in Japan (production needs "
                        "NdPr, Dy, Tb oxide) and users who import finished magnets directly, as user segments"),
        "demand_per_day": demand,
        "import_share": {o: Sourced(round((1 - nd_dom) * v, 6), f"assumption: (derived) the direct buyers' share "
                                    f"{1 - nd_dom:g} x their import shares ({imp_source})")
                         for o, v in direct_imports.items()},
        "domestic_share": Sourced(nd_dom, A("ndfeb_domestic_share").source),
        "exposure": {"manufacturing": Distributed(exp.low, exp.value, exp.high, U("exp_ndfeb").source)},
        "hidden_dependence": direct.get("hidden_dependence", []),
    })
    spread = ASSUMPTIONS["magnet_tier_spread"].value
    direct_range = ASSUMPTIONS["magnets_direct_inventory_days"]
    tier_share = round((1 - nd_dom) / len(MAGNET_STOCK_TIERS), 6)
    segments = [{
        "name": "made_in_japan",
        "description": "users of magnets made in Japan (domestic makers with their NdPr/Dy/Tb recipe)",
        "demand_share": Sourced(round(1 - len(MAGNET_STOCK_TIERS) * tier_share, 6), A("ndfeb_domestic_share").source),
        "import_share": {},
        "domestic_share": Sourced(1.0, "assumption: (derived) these users buy the magnets made in Japan"),
    }]
    for name, end in MAGNET_STOCK_TIERS:
        level = getattr(direct_range, end)
        segments.append({
            "name": name,
            "description": f"users who import finished magnets directly, the third with {end} stocks",
            "demand_share": Sourced(tier_share, f"assumption: (derived) a third of the direct buyers' share "
                                    f"{1 - nd_dom:g} ({A('ndfeb_domestic_share').source})"),
            "import_share": direct["import_share"],
            "domestic_share": direct["domestic_share"],
            "inventory_days": Distributed(
                _sig(level * (1 - spread)), level, _sig(level * (1 + spread)),
                f"assumption: (derived) the {end} end of the direct buyers' stocks {_fmt(level)} days "
                f"({direct_range.label()}, range {_fmt(direct_range.low)}-{_fmt(direct_range.high)}) read as the "
                f"spread across firms, a third of them at each end and the mode; +-{spread:g} "
                f"({A('magnet_tier_spread').source}); drawn per scenario: triangular"),
            "market_sourcing_share": direct["market_sourcing_share"],
        })
    parent["segments"] = segments
    return [parent if p is made else p for p in products if p is not direct]


def build_model() -> dict:
    io = io_table()
    n = len(io["sectors"])
    io_src_a = (f"computed: domestic input coefficients (1 - m_j) z_js / X_s with import ratio m_j = imports_j / "
                f"(intermediate + final domestic demand)_j, from {IO_SOURCE}; reproduces the table's gross output "
                f"exactly as (I - A)^-1 f")
    io_src_f = (f"computed: (1 - m_j) x final domestic demand (columns 71-77) + exports (81), JPY million per year, "
                f"from {IO_SOURCE}; imports (84-86) enter through m_j")
    io_src_va = (f"computed: gross value added per sector = rows 71 (consumption expenditure outside households, "
                 f"counted in gross value added by the Japanese table) + 91-95 (compensation, operating surplus, "
                 f"consumption of fixed capital, indirect taxes, less subsidies), JPY million per year, from {IO_SOURCE}")
    model = {
        "model": {
            "name": "japan-critical-minerals",
            "description": ("Japan's exposure to export controls on gallium, germanium, natural graphite, antimony, "
                            "tungsten, tellurium and rare earths (NdPr, Dy, Tb, Sm) and on NdFeB/SmCo magnets, plus two "
                            "non-storable services; 13-sector 2011 Japan input-output table. Generated by "
                            "models/build_japan.py from models/data/ - see docs/model-japan.md."),
            "currency": "JPY million",
            "io_value_unit": "JPY million",
            "allocation": "proportional",
            "origins": list(ORIGINS),
            "sources": {
                "origins": ("grouping of the USGS producer countries (models/data/origin_groups.csv): CN China, AU "
                            "Australia, US United States, MM Myanmar (Burma), VN Vietnam, RU Russia, KR Korea (Rep.), "
                            "EU member states, AFR African producers, ROW all others; Japan's own production is each "
                            "product's domestic_share"),
                "currency": ASSUMPTIONS["usd_jpy"].label(),
            },
        },
        "products": (products := magnet_user_segments(build_products())),
        "importers": build_importers(products),
        "io": {
            "sectors": io["sectors"],
            "technical_coefficients": [[Sourced(_sig(io["a"][i][j]), io_src_a) for j in range(n)] for i in range(n)],
            "final_demand": [Sourced(_sig(v), io_src_f) for v in io["f"]],
            "value_added": [Sourced(v, io_src_va) for v in io["value_added"]],
            "input_overlap": {"manufacturing": A("input_overlap_manufacturing")},
        },
    }
    return model


def _sig(x: float, digits: int = 10) -> float:
    return float(f"{x:.{digits}g}")


# --------------------------------------------------------------------------- TOML writing
def _central(value):
    """The model's own (central) value: the mode of a distribution, else the plain number."""
    if isinstance(value, Distributed):
        return value.mode
    return _plain(value)


def _plain(value):
    if isinstance(value, Distributed):
        return {"low": value.low, "mode": value.mode, "high": value.high}
    if isinstance(value, (Sourced, Labelled)):
        return value.value
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def _sources_of(value) -> list[str]:
    if isinstance(value, (Sourced, Labelled, Distributed)):
        return [value.source]
    if isinstance(value, dict):
        out = []
        for v in value.values():
            out += _sources_of(v)
        return out
    if isinstance(value, list):
        out = []
        for v in value:
            out += _sources_of(v)
        return out
    return []


def field_sources(table: dict) -> dict[str, str]:
    """One sources entry per numeric field: the distinct sources of its numbers, joined."""
    out = {}
    for key, value in table.items():
        texts = list(dict.fromkeys(_sources_of(value)))
        if texts:
            out[key] = texts[0] if len(texts) == 1 else " | ".join(f"{i + 1}) {t}" for i, t in enumerate(texts))
    return out


def _toml_value(v) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        if v == 0:
            return "0.0"
        text = f"{v:.10g}"
        if "e" not in text and "." not in text and "inf" not in text and "nan" not in text:
            text += ".0"
        return text
    if isinstance(v, str):
        return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_toml_value(x)}" for k, x in v.items()) + " }"
    raise BuildError(f"cannot write {v!r} to TOML")


def _key(k: str) -> str:
    return k if k.replace("_", "").replace("-", "").isalnum() else _toml_value(k)


def _table_lines(table: dict, skip=("sources",)) -> list[str]:
    return [f"{_key(k)} = {_toml_value(v)}" for k, v in table.items() if k not in skip]


MODEL_HEADER = """\
# GENERATED by models/build_japan.py from models/data/ - do not edit; change the data or the
# ASSUMPTIONS table in the script and rerun it (`python models/build_japan.py`).
#
# Japan critical-minerals reference model. Units: product quantities in each product's
# `unit` per day; prices in JPY million per unit (USD prices of USGS MCS 2026 / 2025
# converted at the assumed exchange rate); IO values in JPY million per year (2011 table).
# Every number has an entry in the `sources` table beside it: `data:`/`computed:` cite
# models/data/ (and through it the original source), `assumption:` gives the reason and a
# range. See docs/model-japan.md for what the numbers mean and what not to conclude.
"""


def render_model(model: dict) -> str:
    lines = [MODEL_HEADER, "[model]"]
    meta = _plain(model["model"])
    lines += _table_lines(meta)
    lines += ["", "[model.sources]"] + [f"{k} = {_toml_value(v)}" for k, v in meta["sources"].items()]
    for prod in model["products"]:
        lines += ["", "[[products]]"] + _table_lines(_plain(prod), skip=("sources", "hidden_dependence", "segments"))
        lines += ["[products.sources]"] + [f"{k} = {_toml_value(v)}" for k, v in field_sources(
            {k: v for k, v in prod.items() if k != "segments"}).items()]
        for link in prod.get("hidden_dependence", []):
            lines += ["[[products.hidden_dependence]]"] + _table_lines(_plain(link))
        for segment in prod.get("segments", []):
            lines += ["[[products.segments]]"] + _table_lines(_plain(segment))
            lines += ["[products.segments.sources]"] + [f"{k} = {_toml_value(v)}"
                                                        for k, v in field_sources(segment).items()]
    for importer in model.get("importers", []):
        lines += ["", "[[importers]]"] + _table_lines(_plain(importer))
        lines += ["[importers.sources]"] + [f"{k} = {_toml_value(v)}" for k, v in field_sources(importer).items()]
    io = model["io"]
    plain_io = _plain(io)
    lines += ["", "[io]", f"sectors = {_toml_value(plain_io['sectors'])}",
              "# technical_coefficients[j][s]: domestic input from sector j per unit of output of sector s",
              "technical_coefficients = ["]
    lines += [f"  {_toml_value(row)}," for row in plain_io["technical_coefficients"]]
    lines += ["]", f"final_demand = {_toml_value(plain_io['final_demand'])}",
              f"value_added = {_toml_value(plain_io['value_added'])}",
              f"input_overlap = {_toml_value(plain_io['input_overlap'])}", "", "[io.sources]"]
    lines += [f"{k} = {_toml_value(v)}" for k, v in field_sources(io).items()]
    return "\n".join(lines) + "\n"


# --------------------------------------------------------------------------- configs
TIMELINE_START = dt.date(2023, 7, 1)
TIMELINE_END = dt.date(2026, 1, 1)  # exclusive: the replay covers 2023-07-01 .. 2025-12-31


def day_of(month: str, day: int = 1) -> int:
    y, m = (int(x) for x in month.split("-"))
    return (dt.date(y, m, day) - TIMELINE_START).days


def control_months() -> dict[str, str]:
    return {r["month"]: r["what"] for r in read_csv("control_timeline.csv")}


def stockpile_days(model: dict, high_risk: set[str], scale: float = 1.0) -> dict[str, float]:
    base, _ = stockpile_fact("jp_target_baseline")
    high, _ = stockpile_fact("jp_target_high_risk")
    out = {}
    for prod in model["products"]:
        name = prod["name"]
        if name in MINERALS:
            out[name] = round((high if name in high_risk else base) * scale)
    out["*"] = 0
    return out


REE_PRODUCTS = ("ndpr_oxide", "dysprosium", "terbium", "samarium")
MINERALS = ["gallium", "germanium", "natural_graphite", "antimony", "tungsten", "tellurium", "ndpr_oxide",
            "dysprosium", "terbium", "samarium"]


def high_risk_metals(model: dict) -> set[str]:
    """Metals given the 180-day target: China >= 80% of world supply in the model's world
    shares (USGS 2024 where available, the labelled assumptions for Ge, Dy, Tb, Sm)."""
    out = set()
    for prod in model["products"]:
        ws = prod.get("world_share", {})
        if prod["name"] in MINERALS and ws.get("CN") is not None and _central(ws["CN"]) >= 0.8:
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
        shares = {o: float(_central(v)) for o, v in prod["import_share"].items()}
        cn = shares.get("CN", 0.0)
        if cn < 0.3:
            continue
        world = {o: float(_central(v)) for o, v in prod.get("world_share", {}).items() if o != "CN"}
        if not world or sum(world.values()) <= 0:
            continue
        move = divert * cn
        demand_year = float(_central(prod["demand_per_day"])) * DAYS_PER_YEAR
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


def _inline(d: dict) -> str:
    return _toml_value(d)


def render_timeline(model: dict) -> str:
    months = control_months()
    horizon = (TIMELINE_END - TIMELINE_START).days
    g23 = import_row("graphite (natural)", "Japan", "2023")
    g24 = import_row("graphite (natural)", "Japan", "2024")
    graphite_fall = 1.0 - float(g24["quantity"]) / float(g23["quantity"])
    high = high_risk_metals(model)
    target = stockpile_days(model, high)
    fill, _ = stockpile_fact("jp_2006_actual")
    base, _ = stockpile_fact("jp_target_baseline")
    partial = stockpile_days(model, high, fill / base)
    ga_on, gr_on, sb_on = day_of("2023-08"), day_of("2023-12"), day_of("2024-09")
    wt_on, re_on = day_of("2025-02"), day_of("2025-04")
    # regimes (models/data/market_parameters.csv)
    ga_delay = (dt.date(2023, 10, 1) - dt.date(2023, 8, 1)).days
    ga_month = (mp("ga_cn_exports_2022_11") + mp("ga_cn_exports_2023_03")) / 2
    ga_nov = mp("ga_cn_exports_2023_11") / ga_month
    ga_janfeb = mp("ga_cn_exports_2024_01_02") / (2 * ga_month)
    ga_mar = mp("ga_cn_exports_2024_03") / ga_month
    ga_sev = 1 - (ga_nov + ga_janfeb + ga_mar) / 3
    ga_2024 = mp("ga_cn_exports_2024")
    ga_2024_ratio = ga_2024 / (12 * ga_month)
    ga_easing = 1 - max(0.0, 1 - ga_2024_ratio) / ga_sev
    ge_oct = mp("ge_cn_exports_2023_10") / mp("ge_cn_exports_2022_10")
    ge_nov = mp("ge_cn_exports_2023_11") / mp("ge_cn_exports_2022_11")
    ge_sev = 1 - (ge_oct + ge_nov) / 2
    ge_2022 = mp("ge_cn_exports_2022")
    ge_2024 = mp("ge_cn_exports_2024")
    ge_2024_ratio = ge_2024 / ge_2022
    ge_left = 1 - ge_2024_ratio
    ge_easing = 1 - ge_left / ge_sev
    gr_norm = sum(mp(f"gr_jp_2023_{m:02d}") for m in range(6, 11)) / 5 / 1000
    gr_dec, gr_jan = mp("gr_jp_2023_12") / 1000, mp("gr_jp_2024_01") / 1000
    gr_sev = 1 - gr_jan / gr_norm
    gr_feb, gr_mar = mp("gr_jp_2024_02") / 1000 / gr_norm, mp("gr_jp_2024_03") / 1000 / gr_norm
    sb_loss = -mp("sb_cn_exports_fall_h1_2025")
    sb_month_2023 = mp("sb_cn_exports_2024") / (1 + mp("sb_cn_exports_fall_2024")) / 12
    sb_th = mp("sb_transship_th_mx")
    sb_leak = (sb_th / 5) / (sb_month_2023 * sb_loss)
    re_delay = int(mp("mag_first_approvals_days"))
    re_easing = 1 - (1 - mp("mag_approval_late")) / (1 - mp("mag_approval_early"))
    assert {"2023-08", "2023-12", "2024-09", "2024-12", "2025-02", "2025-04", "2025-10"} <= set(months)
    assert 0 < ga_easing <= 1 and 0 < ge_easing <= 1 and 0 < sb_leak < 1
    return f"""\
# GENERATED by models/build_japan.py - do not edit; rerun the script.
#
# Replay of China's 2023-2025 export-control timeline (models/data/control_timeline.csv,
# from a 2026 government briefing) against the Japan model, with Japan's stockpile policy
# as published and without it. Day 0 = {TIMELINE_START.isoformat()}; each control starts on the
# FIRST DAY of the month the briefing gives (assumption: the briefing gives months only).
# The horizon ends {TIMELINE_END.isoformat()} (day {horizon}). All events are given (fixed onset,
# duration and severity and regime); scenarios differ only by the model's uncertain parameters
# (world market, inventories, exposure: triangular draws), so a few dozen scenarios suffice.
# Severities: from data where the data show the fall of supply to Japan, otherwise labelled
# assumptions with their reasons. See docs/model-japan.md.

[run]
model = "../models/japan_critical_minerals.toml"
scenarios = 20
horizon_days = {horizon}
chunk_size = 20
seed = 20230701
daily_scenarios = 1

# 2023-08 gallium: licensing. Regime from China's gallium exports (models/data/market_parameters.csv,
# China customs via episodes/series.csv): zero in Aug and Sep 2023, 250 kg in Oct -> licence_delay_days
# {ga_delay} (no licence before October; Reuters/TRADIUM: ~60 days, 45 working days). Then about a quarter of the
# pre-control flow (mean {ga_month:,.0f} kg/month: Nov 2023 {ga_nov:.2f}, Jan-Feb 2024 {ga_janfeb:.2f}, Mar 2024 {ga_mar:.2f}
# of it) -> severity {ga_sev:.3f} = 1 - their mean. By 2024 exports were back: {ga_2024:,.0f} kg in 2024 = {ga_2024_ratio:.2f}
# of the pre-control rate (record months in Jul-Aug 2024) -> approval_easing {ga_easing:.3f} (what is left withheld:
# 1 - {ga_2024_ratio:.2f}) over easing_days 270 (Oct 2023 -> Jul 2024, computed from the record month).
# CHECK, not used: Japan's gallium imports from China fell 85% in the year after the controls (FT,
# japan_import_shares.csv), more than this regime gives (the 2024 recovery went to Japan and Korea among
# others: Dec 2024 exports went only to them). announcement_lead_days 29: assumption - the rules were
# published about a month before they took effect (public reporting; the date is not in models/data).
[[events]]
name = "CN licensing Ga (2023-08)"
origin = "CN"
products = ["gallium"]
onset_day = {ga_on}
duration_days = {horizon - ga_on}
severity = {ga_sev:.3f}
announcement_lead_days = 29
licence_delay_days = {ga_delay}
approval_easing = {ga_easing:.3f}
easing_days = 270

# 2023-08 germanium: same rule, its own regime (market_parameters.csv): 0 kg in Aug, 1 kg in Sep, 648 kg in
# Oct 2023 -> licence_delay_days {ga_delay}; Oct and Nov 2023 at {ge_oct:.2f} and {ge_nov:.2f} of the year before ->
# severity {ge_sev:.3f} = 1 - their mean; 2024: {ge_2024:,.0f} kg = {ge_2024_ratio:.2f} of the 2022 exports
# ({ge_2022:,.0f} kg) -> approval_easing {ge_easing:.3f} (to a withheld share of {ge_left:.2f}) over easing_days 270
# (assumption: as gallium). The 2025 collapse after the anti-transshipment campaign (-95% Jun vs Jan 2025,
# market_facts.csv) is not in this event.
[[events]]
name = "CN licensing Ge (2023-08)"
origin = "CN"
products = ["germanium"]
onset_day = {ga_on}
duration_days = {horizon - ga_on}
severity = {ge_sev:.3f}
announcement_lead_days = 29
licence_delay_days = {ga_delay}
approval_easing = {ge_easing:.3f}
easing_days = 270

# 2023-12 graphite: licensing, announced 2023-10-20 (episodes/facts.csv) -> announcement_lead_days 42.
# Regime from China's HS 250410 exports to Japan (Comtrade, market_parameters.csv): Dec 2023 {gr_dec:.0f} t
# (about 0) -> licence_delay_days 31; Jan 2024 {gr_jan:,.0f} t against the Jun-Oct 2023 mean {gr_norm:,.0f} t -> severity
# {gr_sev:.3f}; Feb {gr_feb:.2f}, Mar 2024 {gr_mar:.2f} of the mean -> approval_easing 1.0 over easing_days 59 (Jan -> Mar,
# exports resumed Jan-Feb 2024: episodes/facts.csv). Before: severity {graphite_fall:.3f}, the fall of the annual mirror
# flow 2023 -> 2024 ({float(g23['quantity'])/1000:,.0f} t -> {float(g24['quantity'])/1000:,.0f} t), which counts the Nov-2023 surge in 2023.
[[events]]
name = "CN licensing graphite (2023-12)"
origin = "CN"
products = ["natural_graphite"]
onset_day = {gr_on}
duration_days = {horizon - gr_on}
severity = {gr_sev:.3f}
announcement_lead_days = 42
licence_delay_days = 31
approval_easing = 1.0
easing_days = 59

# 2024-09 antimony: severity 1.0 = data: China shipped 174 t of antimony ingot to Japan in
# Dec 2023 and 0 t in Dec 2024 (Argus citing Japan's MoF, japan_import_shares.csv).
# NOTE: the model's antimony import shares are the Dec-2024 (post-control) shares with China
# at 0: Japan had already moved to Myanmar, Vietnam and Korea. The event acts only through the
# world price. world_loss_share {sb_loss:g}: China's antimony exports fell 74% (H1 2025 vs H1 2024,
# market_parameters.csv), the rest went on to other buyers. licence_delay_days 60: licences expected to take
# two to three months (60-90 days, episodes/facts.csv). leakage_share {sb_leak:.3f}: US imports of antimony
# oxides from Thailand and Mexico, {sb_th:,.0f} t in Dec 2024-Apr 2025 (Reuters, market_parameters.csv), per
# month over China's withheld flow ({sb_month_2023:,.0f} t/month of 2023 exports x 0.74); leakage_delay_days 45:
# assumption (re-export through a third country, about 1.5 months); a crackdown stopped it from Jul 2025
# (market_facts.csv), not modelled. announcement_lead_days 31: the rule was published in August and took
# effect on 2024-09-15 (Aug exports surged, market_parameters.csv).
[[events]]
name = "CN licensing antimony (2024-09)"
origin = "CN"
products = ["antimony"]
onset_day = {sb_on}
duration_days = {horizon - sb_on}
severity = 1.0
tightening_days = 15
announcement_lead_days = 31
world_loss_share = {sb_loss:g}
licence_delay_days = 60
leakage_share = {sb_leak:.3f}
leakage_delay_days = 45

# 2024-12 tightening toward the US (Ga, Ge, Sb): aimed at the US, not at Japan; it acts on
# Japan only through world prices, so it is not an event on Japan's supply here.

# 2025-02 tungsten, tellurium: licensing. severity 0.5: assumption (range 0.3-0.85, the upper
# end being the observed gallium fall) - no Japan data for these flows. licence_delay_days 45: typical
# tellurium export-licence issuance time (USGS MCS 2026, market_parameters.csv), assumed for tungsten too.
# Tellurium has no imports in the model at the central assumption (Japan refines more than it uses).
[[events]]
name = "CN licensing W/Te (2025-02)"
origin = "CN"
products = ["tungsten", "tellurium"]
onset_day = {wt_on}
duration_days = {horizon - wt_on}
severity = 0.5
tightening_days = 30
licence_delay_days = 45

# 2025-04 seven medium/heavy rare earths incl. samarium (and Dy, Tb) and magnets containing
# them: licensing without announcement lead. Regime (market_parameters.csv, episodes/facts.csv): no licence
# until MOFCOM's first approvals on 2025-06-12, {re_delay} days after the 2025-04-04 rule (licences of 45 working
# days) -> licence_delay_days {re_delay}; then 25% of applications approved, rising to 60% (CLEPA, ~June 2025) ->
# severity 0.75, approval_easing {re_easing:.3f} (to 0.40 withheld) over easing_days 30 (assumption: 'rose' within
# about a month). CHECK, not used: China's magnet exports were back above the year before by July 2025
# (5,577 t, +5.7% y/y). Both NdFeB user segments (domestic-made and directly imported magnets) are named;
# NdFeB weighted 0.5: assumption - only the heat-resistant grades contain Dy/Tb.
[[events]]
name = "CN licensing medium/heavy REE and magnets (2025-04)"
origin = "CN"
products = {{ dysprosium = 1.0, terbium = 1.0, samarium = 1.0, smco_magnet = 1.0, ndfeb_magnet = 0.5 }}
onset_day = {re_on}
duration_days = {horizon - re_on}
severity = 0.75
tightening_days = 7
licence_delay_days = {re_delay}
approval_easing = {re_easing:.3f}
easing_days = 30

# 2025-10 five more rare earths (holmium ...), technology and re-export rules: none of the five
# elements is in the model, and the re-export rules were suspended before they applied
# (public reporting), so no event. The outlook config covers such rules stochastically.

# Japan's policy as published: 60 days of consumption for the rare metals, 180 days for the
# high-risk ones (stockpile_facts.csv: IEA Policies DB 16639; Sankei 2020). Which metals
# get 180 days is undisclosed - assumption: those whose world supply is >= 80% Chinese in
# the model's world shares ({', '.join(sorted(high))}). Natural graphite is not one of
# the 34 rare metals; assumption: stocked under the same rule. Magnets and services: no
# national stock.
# release_delay_days 14: assumption (Korea's emergency release takes 8 days,
# stockpile_facts.csv; Japan's procedure is undisclosed). refill_rate 0.02, carrying_cost 0.05:
# assumptions (buy back 2% of daily use per day after the crisis; 5%/yr storage + financing).
[[policies]]
name = "japan-stockpile-target"
description = "National stock at the published targets: 60 days, 180 for high-risk metals"
[policies.stockpile]
gov_stock_days = {_inline(target)}
release_rate = 1.0
release_delay_days = 14
refill_rate = 0.02
carrying_cost = 0.05

# The same targets filled to {fill:g}/{base:g} (computed: the 2006-07 stock was {fill:g} days against the
# 60-day target, stockpile_facts.csv) - actual holdings are secret, this shows the cost of a
# partly filled stockpile.
[[policies]]
name = "japan-stockpile-partly-filled"
description = "Published targets filled as in 2006-07 ({fill:g} of {base:g} days)"
[policies.stockpile]
gov_stock_days = {_inline(partial)}
release_rate = 1.0
release_delay_days = 14
refill_rate = 0.02
carrying_cost = 0.05
"""


def render_outlook(model: dict) -> str:
    months = control_months()
    years = (dt.date(2025, 10, 1) - dt.date(2023, 8, 1)).days / DAYS_PER_YEAR

    def rate(keys):
        count = sum(1 for m, what in months.items() if m >= "2023-08" and any(k in what for k in keys))
        return count, count / years

    ga_n, ga_rate = rate(["gallium", "Ga"])
    gr_n, gr_rate = rate(["graphite"])
    sb_n, sb_rate = rate(["antimony", "Sb"])
    wt_n, wt_rate = rate(["tungsten"])
    re_n, re_rate = rate(["rare earth"])
    half = 0.5
    high = high_risk_metals(model)
    target = stockpile_days(model, high)
    uniform = stockpile_days(model, set())
    diversified, notes = diversified_imports(model)
    div_notes = "\n".join(f"#   {n}" for n in notes) or "#   (none)"
    div_table = "{ " + ", ".join(f"{p} = {_inline(s)}" for p, s in diversified.items()) + " }"
    stock = f"""[policies.stockpile]
gov_stock_days = {_inline(target)}
release_rate = 1.0
release_delay_days = 14
refill_rate = 0.02
carrying_cost = 0.05"""
    diversify = f"""[policies.diversification]
import_share = {div_table}
qualification_lag_days = 90
ramp_days = 60
premium = 0.1
spare_capacity = {{ gallium = {{ EU = 0.1, KR = 0.05 }} }}
spare_premium = 0.3
reservation_fee = 0.02"""
    recycle = """[policies.recycling]
share = { gallium = 0.2, germanium = 0.2, tungsten = 0.3, antimony = 0.1, ndfeb_magnet = 0.05, ndpr_oxide = 0.05, dysprosium = 0.05, terbium = 0.05, "*" = 0 }
ramp_days = 365
premium = 0.2
efficiency_cut = { dysprosium = 0.3, terbium = 0.3, ndpr_oxide = 0.05, natural_graphite = 0.05, tungsten = 0.05, "*" = 0 }
efficiency_ramp_days = 365
efficiency_cost = 0.1"""
    return f"""\
# GENERATED by models/build_japan.py - do not edit; rerun the script.
#
# Three-year stochastic outlook (1095 days from an unspecified "today") of FURTHER Chinese
# export controls on the Japan model, with the policy mixes a ministry would compare. All
# hazards, durations and severities are ASSUMPTIONS; the reasons are next to each event.
# Base rates: control rules per product group in the 2023-08..2025-10 briefing timeline
# (models/data/control_timeline.csv, {years:.2f} years): Ga/Ge {ga_n}, graphite {gr_n}, antimony {sb_n},
# W/Te {wt_n}, rare earths {re_n}. Hazard = {half:g} x that rate (assumption, range 0.25-1 x): not
# every rule cut Japan's supply (the 2024-12 rule aimed at the US; the 2025-10 rules were
# suspended). max_occurrences 3: at most three episodes per group in three years.
# Severities are Beta draws whose means follow the observed falls where known.
# 1000 scenarios x 8 policy mixes: about 8 minutes on two shared cores (2000: about 15).

[run]
model = "../models/japan_critical_minerals.toml"
scenarios = 1000
horizon_days = 1095
chunk_size = 1000
seed = 20260101
daily_scenarios = 10

# Ga/Ge: severity mean 0.8 (Beta 8,2) near the observed 85% fall of gallium from China;
# duration median 365 days (the 2023 controls were still in force two years later), sigma 0.7.
[[events]]
name = "CN escalation Ga/Ge"
origin = "CN"
products = ["gallium", "germanium"]
hazard_per_year = {ga_rate * half:.3f}
max_occurrences = 3
duration_median_days = 365
duration_sigma = 0.7
severity_alpha = 8.0
severity_beta = 2.0
tightening_days = 45
announcement_lead_days = 14

# Graphite: severity mean 0.25 (Beta 2,6) near the observed 21% fall of China->Japan
# natural graphite 2023->2024; duration median 180 days.
[[events]]
name = "CN escalation graphite"
origin = "CN"
products = ["natural_graphite"]
hazard_per_year = {gr_rate * half:.3f}
max_occurrences = 3
duration_median_days = 180
duration_sigma = 0.7
severity_alpha = 2.0
severity_beta = 6.0
tightening_days = 30

# Antimony: Japan's imports now come from Myanmar, Vietnam and Korea (Dec-2024 shares), whose
# smelters may use Chinese feed (a hidden dependence left out of the model until the world price
# elasticity is re-calibrated with it; see NOT_MODELLED_LINKS in the script).
# Modelled as a disruption of Myanmar supply (border and conflict risk): severity mean 0.5
# (Beta 3,3); assumption, no data on such episodes in models/data.
[[events]]
name = "MM antimony disruption"
origin = "MM"
products = ["antimony"]
hazard_per_year = {sb_rate * half:.3f}
max_occurrences = 3
duration_median_days = 120
duration_sigma = 0.7
severity_alpha = 3.0
severity_beta = 3.0
tightening_days = 15

# W/Te: severity mean 0.5 (Beta 3,3), duration median 180 days.
[[events]]
name = "CN escalation W/Te"
origin = "CN"
products = ["tungsten", "tellurium"]
hazard_per_year = {wt_rate * half:.3f}
max_occurrences = 3
duration_median_days = 180
duration_sigma = 0.7
severity_alpha = 3.0
severity_beta = 3.0
tightening_days = 30

# Rare earths and magnets: severity mean 0.75 (Beta 6,2) like the acute phase of 2025-04;
# duration median 75 days (that phase lasted about two and a half months), sigma 0.7; NdPr
# included (the next list may reach light rare earths), weights are assumptions.
[[events]]
name = "CN escalation rare earths/magnets"
origin = "CN"
products = {{ ndpr_oxide = 0.5, dysprosium = 1.0, terbium = 1.0, samarium = 1.0, ndfeb_magnet = 0.5, smco_magnet = 1.0 }}
hazard_per_year = {re_rate * half:.3f}
max_occurrences = 3
duration_median_days = 75
duration_sigma = 0.7
severity_alpha = 6.0
severity_beta = 2.0
tightening_days = 7

# Services (cannot be stockpiled): foreign repair ships unavailable (e.g. busy on other
# breaks in the region) and foreign launch capacity unavailable (e.g. a fleet grounded after a
# failure). Hazards, durations and severities: assumptions.
[[events]]
name = "ROW cable-repair ships unavailable"
origin = "ROW"
products = ["cable_repair_vessel"]
hazard_per_year = 0.3
max_occurrences = 3
duration_median_days = 30
duration_sigma = 0.5
severity = 1.0

[[events]]
name = "US launch capacity unavailable"
origin = "US"
products = ["satellite_launch"]
hazard_per_year = 0.1
max_occurrences = 2
duration_median_days = 90
duration_sigma = 0.5
severity = 1.0

# ---- policy mixes (a no-policy baseline is added first) ----
# Stockpile: published targets, 60 days and 180 for high-risk metals ({', '.join(sorted(high))}:
# China >= 80% of world supply in the model); stockpile_facts.csv. Release and refill
# parameters: assumptions as in japan_timeline.toml.
[[policies]]
name = "stockpile-60-180"
description = "National stock at the published targets: 60 days, 180 for high-risk metals"
{stock}

[[policies]]
name = "stockpile-60"
description = "60 days for every rare metal in the model (the uniform pre-2020 target)"
[policies.stockpile]
gov_stock_days = {_inline(uniform)}
release_rate = 1.0
release_delay_days = 14
refill_rate = 0.02
carrying_cost = 0.05

# Diversification (computed by models/build_japan.py): {ASSUMPTIONS['divert_fraction'].value:g} of China's import share
# moves to the other origins of the data in proportion to their world production share
# (USGS 2024), each capped at {ASSUMPTIONS['japan_take_of_alt_output'].value:g} of its output where the data give it (assumptions:
# divert_fraction, japan_take_of_alt_output in the script). Where the cap binds:
{div_notes}
# Gallium: the alternative producers in the data are tiny, so the programme also contracts
# idle capacity that USGS says Germany, Hungary, Kazakhstan, Korea and Ukraine retain
# (spare_capacity EU 0.1, KR 0.05 of Japan's use: assumptions). Lags, ramps, premiums:
# assumptions (qualifying a new supplier takes about a quarter; 10% premium on moved volume).
[[policies]]
name = "diversify"
description = "Move part of China's share to the other suppliers in the data; contract idle gallium capacity"
{diversify}

# Recycling and reduce (in place from day 0, ramping over a year): secondary supply shares
# and efficiency cuts are assumptions (Ga/Ge from process scrap, tungsten from carbide scrap,
# antimony from lead-acid batteries; Dy/Tb cut by grain-boundary diffusion).
[[policies]]
name = "recycle-reduce"
description = "Secondary supply and material-efficiency cuts, ramping over a year"
{recycle}

[[policies]]
name = "stockpile+diversify"
description = "Published stockpile targets and diversification"
{stock}
{diversify}

[[policies]]
name = "stockpile+recycle"
description = "Published stockpile targets and recycling/reduce"
{stock}
{recycle}

[[policies]]
name = "all-three"
description = "Stockpile, diversification and recycling/reduce together"
{stock}
{diversify}
{recycle}
"""


# --------------------------------------------------------------------------- main
def build() -> dict[Path, str]:
    """Validate everything and return the generated files' texts. Raises BuildError."""
    problems = validate_assumptions(ASSUMPTIONS) + validate_hidden_links(HIDDEN_LINKS)
    model = build_model()
    problems += validate_tree(model)
    problems += check_shares(model)
    if problems:
        raise BuildError("the model has numbers without a qualifying source or bad shares:\n  - "
                         + "\n  - ".join(problems))
    return {MODEL_PATH: render_model(model), TIMELINE_PATH: render_timeline(model),
            OUTLOOK_PATH: render_outlook(model)}


def check_shares(model: dict) -> list[str]:
    problems = []
    for prod in model["products"]:
        total = sum(_central(v) for v in prod["import_share"].values()) + _central(prod["domestic_share"])
        if abs(total - 1.0) > 1e-9:
            problems.append(f"products.{prod['name']}: import shares + domestic_share = {total!r}, not 1")
        ws = sum(_central(v) for v in prod.get("world_share", {}).values())
        if ws > 1.0 + 1e-9:
            problems.append(f"products.{prod['name']}.world_share sums to {ws!r} > 1")
    return problems


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--check", action="store_true", help="exit 1 if the committed files differ from a fresh build")
    args = parser.parse_args(argv)
    try:
        outputs = build()
    except BuildError as exc:
        print(f"build_japan: FAILED: {exc}", file=sys.stderr)
        return 1
    stale = []
    for path, text in outputs.items():
        if args.check:
            if not path.exists() or path.read_text(encoding="utf-8") != text:
                stale.append(str(path.relative_to(ROOT)))
        else:
            path.write_text(text, encoding="utf-8")
            print(f"wrote {path.relative_to(ROOT)}")
    if stale:
        print("build_japan: out of date (rerun `python models/build_japan.py`): " + ", ".join(stale), file=sys.stderr)
        return 1
    if args.check:
        print("build_japan: up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
