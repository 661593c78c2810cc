"""The universe's own assumptions (each with its reason and range), added to the Japan
build's table for the time of a universe build (``base.japan_hooks``). Everything else a
new commodity assumes is a Japan assumption reused by name (``docs/model-universe.md``)."""

from __future__ import annotations

from japan.sourced import Assumption

UNIVERSE_ASSUMPTIONS: dict[str, Assumption] = {
    "uv_japan_share_of_world_use": Assumption(
        0.05, "Japan's share of world use of a mineral commodity for which no Japanese consumption figure is in the "
        "data (demand = this share x USGS 2024 world production): the Japan build's own shares of world use for "
        "tungsten (w_japan_share_of_world 0.07) and tellurium (te_japan_share_of_world 0.05) and Japan's 2024 "
        "lithium imports (about 0.04 of world mine output, universe/japan_trade_facts.csv) lie in this band; a "
        "generic figure: Japan's real share differs by commodity (higher for indium, cobalt, PGMs used by its "
        "electronics and car makers, lower for fertilizer inputs); no figure of Japan's share of world "
        "manufacturing was found in the data", 0.02, 0.12),
    "uv_exp_broad": Assumption(
        0.05, "share of Manufacturing output depending on a base or steel-alloying material used across vehicles, "
        "machinery, electrical equipment and metal products (aluminium and its ores, copper, nickel, chromium, "
        "manganese, ferrosilicon); between the Japan build's graphite (0.06) and gallium (0.03) exposures", 0.02,
        0.12),
    "uv_exp_medium": Assumption(
        0.02, "share of Manufacturing output depending on a material with several important but narrower end uses "
        "(battery, alloy, catalyst, solder, fertilizer and chemical inputs); between the Japan build's germanium "
        "(0.01) and antimony (0.03) exposures", 0.005, 0.05),
    "uv_exp_narrow": Assumption(
        0.005, "share of Manufacturing output depending on a material with niche end uses (specialty alloys, "
        "compound semiconductors, pigments, chemicals, abrasives); below the Japan build's germanium exposure (0.01)",
        0.001, 0.015),
    "uv_chromite_cr_content": Assumption(
        0.30, "chromium content of chromite ore, to value the USGS chromium production (chromium content) at the "
        "chromite-ore price (gross weight): traded chromite holds about 40-46% Cr2O3, i.e. 0.27-0.31 Cr (Cr2O3 is "
        "68.4% Cr); a judgement, no grade in the data", 0.25, 0.33),
    "uv_mn_ore_grade": Assumption(
        0.44, "manganese content of manganese ore, to value the USGS production (gross weight) at the USGS price "
        "(per metric ton unit of manganese content): 44% Mn is the usual benchmark grade of ore quoted CIF China; "
        "ores run from about 30% to 50% Mn", 0.30, 0.50),
    "uv_fenb_nb_content": Assumption(
        0.65, "niobium content of ferroniobium, to value the USGS production (niobium content) at the USGS "
        "ferroniobium price (per kilogram; the series does not say 'contained niobium', so it is read as gross "
        "weight): standard ferroniobium holds about 65% Nb (range 0.60-0.70; if the price were per kg of "
        "contained Nb the factor would be 1)", 0.60, 1.0),
    "uv_lioh_li_content": Assumption(
        0.1654, "lithium content of Japan's lithium hydroxide imports (HS 2825.20 'lithium oxide and hydroxide'): "
        "battery-grade hydroxide is traded as LiOH.H2O (6.94 / 41.96 = 0.1654 Li); anhydrous LiOH would be "
        "0.2898, lithium oxide 0.4645 (a small part of the trade)", 0.1654, 0.2898),
    "uv_mop_k2o_content": Assumption(
        0.60, "K2O content of Japan's potassium chloride imports, to express them in the USGS potash unit (K2O "
        "equivalent): standard muriate of potash is sold at 60% K2O (about 95% KCl); pure KCl is 0.6317 K2O "
        "(94.2 / (2 x 74.55))", 0.60, 0.6317),
}
