"""The assumptions table: every assumed number of the Japan model, with its reason and
(where useful) the range a sensitivity run should vary it over, and the two ways the
builders use an entry: ``A(name)`` (the central value, a :class:`Sourced` labelled
``assumption: ...``) and ``U(name)`` (drawn per scenario, triangular over the range).
``scaled`` draws an assumption multiplied by a factor computed from the data."""

from __future__ import annotations

from .base import BuildError
from .sourced import Assumption, Distributed, Sourced, drawn, fmt


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


def U(name: str) -> Distributed:
    """The assumption ``name`` as an uncertain number: triangular over its range, mode = central."""
    a = ASSUMPTIONS[name]
    if a.low is None or not a.low < a.high:
        raise BuildError(f"assumption {name} has no range to draw from")
    return Distributed(a.low, a.value, a.high, a.label() + "; drawn per scenario: triangular (low, mode, high) = "
                       f"({fmt(a.low)}, {fmt(a.value)}, {fmt(a.high)})")


def scaled(name: str, factor: float, text: str) -> Distributed:
    """Assumption ``name`` drawn per scenario, scaled by a computed ``factor``."""
    a = ASSUMPTIONS[name]
    return drawn(a.low * factor, a.value * factor, a.high * factor,
                 f"{text} x assumption {name} ({a.reason})")
