"""Regenerate the reference-universe tables from the vendored USGS MCS 2026 data release.

Usage (from the repository root, standard library only):

    python models/data/universe/extract.py

Reads  models/data/universe/source/MCS2026_Commodities_Data.csv.gz  (a byte-exact gzip of the
USGS file MCS2026_Commodities_Data.csv, Windows-1252, SHA-256 checked below) and writes:

    world_production.csv   one row per (series, country, year) production cell of the MCS 2026
                           world tables (2024 and 2025), world totals included as published
    us_salient.csv         every U.S. net-import-reliance and price cell (2021-2025) as published
    commodities.csv        one row per production series: unit, stage, year used, world total,
                           and, where the chapter gives one unambiguously, U.S. net import
                           reliance and a price (each with its own source column)

Nothing is estimated, interpolated or converted. Values are copied as published; `value` is the
numeric reading of `value_as_published` only when that is a plain number (commas removed) or the
USGS zero symbol "—" (defined as zero in the data release metadata); every other code
(W, NA, XX, s, E, <x, >x, ranges, words) leaves `value` empty and is kept verbatim.
Choices of one series among several (e.g. which price line of a chapter) are listed in
NIR_CHOICE / PRICE_CHOICE below with their reason, and repeated in the output rows.
"""

from __future__ import annotations

import csv
import gzip
import hashlib
import io
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "source", "MCS2026_Commodities_Data.csv.gz")
SRC_SHA256 = "582a0aa231aea53d8a97dc8d1cd3dfa5f885cf3760353e3d029d7f0ae4fbaaf5"  # of the .csv

RELEASE = (
    "USGS, Mineral Commodity Summaries 2026 Data Release (National Minerals Information Center, "
    "pub. 2026-02-06; doi:10.5066/P1WKQ63T; ScienceBase item 69837e43b66b01367d7ec7c7), "
    "file MCS2026_Commodities_Data.csv (sha256 582a0aa2...baaf5)"
)
VIA = (
    "read from github:therealjameswilson/critical-minerals-records-stage-v3 "
    "data/raw/usgs_mcs2026_commodities_data.csv @ a67e3d4 (byte copy; vendored as "
    "models/data/universe/source/MCS2026_Commodities_Data.csv.gz)"
)

YEAR_USED = "2024"  # latest year of the world tables not labelled as the publication-year estimate
YEAR_EST = "2025"

# ---------------------------------------------------------------------------------------------
# production series: chapters whose world table holds several distinct products are split by a
# keyword of Statistics_detail or by the Commodity column; every other chapter is one series.
# ---------------------------------------------------------------------------------------------
SPLIT_BY_DETAIL = {
    "COPPER": [("refinery", "refinery"), ("mine", "mine")],
    "CLAYS": [("bentonite", "bentonite"), ("fuller", "fullers_earth"), ("kaolin", "kaolin")],
    "IRON AND STEEL": [("pig iron", "pig_iron"), ("raw steel", "raw_steel")],
    "IRON ORE": [("usable ore", "usable_ore"), ("iron content", "iron_content")],
    "MICA (NATURAL)": [("scrap and flake", "scrap_flake"), ("sheet", "sheet")],
    "SILICON": [("ferrosilicon", "ferrosilicon"), ("silicon metal", "silicon_metal")],
    "TITANIUM MINERAL CONCENTRATES": [
        ("ilmenite and rutile", "ilmenite_and_rutile_total"),
        ("ilmenite", "ilmenite"),
        ("rutile", "rutile"),
    ],
    "SODA ASH": [
        ("natural and synthetic", "natural_and_synthetic_total"),
        ("natural", "natural"),
        ("synthetic", "synthetic"),
    ],
}
SPLIT_BY_COMMODITY = {"BAUXITE AND ALUMINA", "HELIUM AND RARE GASES", "PLATINUM-GROUP METALS"}

# stage of each series (mine / refinery / smelter / plant / other), by the MCS section and
# detail wording; STAGE_OVERRIDE where the wording does not say it.
STAGE_OVERRIDE = {
    "gallium": "refinery",  # "Primary production" of low-purity gallium (section title)
    "arsenic": "plant",  # "Production (arsenic trioxide, gross weight)"
    "boron": "mixed",  # countries report crude ore, refined borates, B2O3 equivalent ...
    "bromine": "plant",
    "cement": "plant",
    "helium": "plant",
    "neon": "plant",
    "krypton": "plant",
    "xenon": "plant",
    "iron_and_steel_pig_iron": "plant",
    "iron_and_steel_raw_steel": "plant",
    "iron_and_steel_slag": "plant",
    "lime": "plant",
    "nitrogen_fixed_ammonia": "plant",
    "sulfur": "plant",
    "silicon_ferrosilicon": "smelter",
    "silicon_silicon_metal": "smelter",
    "titanium_sponge_metal": "smelter",
    "scandium": "other",
    "perlite": "mine",  # section "World Mine Production and Reserves"
    "soda_ash_synthetic": "plant",  # USGS detail reads "Mine production: synthetic" (judgement)
    "soda_ash_natural_and_synthetic_total": "mixed",
}

# U.S. net import reliance: chapters with several NIR lines -> which line serves which series.
# (series_id -> exact Commodity or detail substring, reason). Absent: the series gets the
# chapter's NIR line when there is exactly one for its Commodity; otherwise left empty.
NIR_CHOICE = {
    "rare_earths": ("Mineral concentrates", "stage match: mine production = mineral concentrates; "
                    "the compounds-and-metals line is in us_salient.csv"),
    "zinc": ("Ores and concentrates", "stage match: mine production = ores and concentrates; "
             "refined-zinc line is in us_salient.csv"),
    "silicon_ferrosilicon": ("Ferrosilicon, all grades", "same product"),
    "silicon_silicon_metal": ("Silicon metal", "same product"),
    "zirconium": ("Zirconium ores and concentrates", "same product"),
    "titanium_sponge_metal": ("Titanium sponge metal", "same product"),
}

# price line for series whose chapter gives several (series_id -> detail substring, reason)
PRICE_CHOICE = {
    "chromium": ("Chromite ore", "stage match (mine production of chromite)"),
    "cobalt": ("U.S. spot, cathode", "first line of the chapter"),
    "copper_mine": ("U.S. producer, cathode", "first line of the chapter (cathode price)"),
    "copper_refinery": ("U.S. producer, cathode", "first line of the chapter (cathode price)"),
    "nickel": ("Dollars per metric ton", "same LME series, metric-ton unit"),
    "graphite_natural": ("Flake", "first line of the chapter (flake)"),
    "gypsum": ("Crude", "stage match (mine production, crude)"),
    "indium": ("U.S. warehouse", "first line of the chapter"),
    "selenium": ("United States", "first line of the chapter"),
    "tellurium": ("United States", "first line of the chapter"),
    "tin": ("New York dealer", "first line of the chapter"),
    "zinc": ("North American", "first line of the chapter"),
    "magnesium_metal": ("U.S. spot Western", "first line of the chapter"),
    "rhenium": ("Metal, 99.99% pure", "first line of the chapter"),
    "yttrium": ("Y2O3", "stage match (oxide equivalent in concentrates)"),
    "fluorspar": ("Acid grade", "first line of the chapter"),
    "potash": ("All products", "first line of the chapter"),
    "lime": ("Quicklime", "first line of the chapter"),
    "soda_ash_natural": ("Dollars per metric ton", "metric-ton unit"),
    "titanium_mineral_concentrates_ilmenite": ("Ilmenite and leucoxene", "same product, f.o.b. Australia"),
    "titanium_mineral_concentrates_rutile": ("Rutile, bulk", "same product"),
    "zirconium": ("Premium grade", "first line of the chapter (zircon)"),
    "clays_bentonite": ("Bentonite", "same product"),
    "clays_fullers_earth": ("Fuller", "same product"),
    "clays_kaolin": ("Kaolin", "same product"),
    "silicon_ferrosilicon": ("Ferrosilicon, 75% silicon", "the 50% line is NA"),
    "silicon_silicon_metal": ("Silicon metal", "same product"),
    "mica_natural_scrap_flake": ("Scrap and flake", "same product"),
    "germanium": ("Germanium metal", "first line of the chapter"),
    "rare_earths": ("Neodymium-praseodymium (NdPr) oxide", "judgement: magnet-relevant mixed "
                    "oxide; mischmetal and the element oxides are in us_salient.csv"),
}

# editorial tags (no number; a reading aid for the later screen, not a sourced fact)
TAGS = {
    "lithium": "battery", "cobalt": "battery", "nickel": "battery", "manganese": "battery",
    "graphite_natural": "battery", "phosphate_rock": "fertilizer;battery(LFP)",
    "potash": "fertilizer", "nitrogen_fixed_ammonia": "fertilizer", "sulfur": "fertilizer",
    "gallium": "semiconductor", "indium": "semiconductor", "arsenic": "semiconductor",
    "silicon_silicon_metal": "semiconductor", "helium": "semiconductor", "neon": "semiconductor",
    "krypton": "semiconductor", "xenon": "semiconductor", "tantalum": "semiconductor",
    "tungsten": "semiconductor;machine_tools", "fluorspar": "semiconductor",
    "rare_earths": "permanent_magnets", "yttrium": "permanent_magnets;phosphors",
    "antimony": "critical_minerals", "tellurium": "semiconductor",
}

CODE_MEANING = {  # from the data release metadata (attribute Value, edomvd)
    "XX": "world total cannot be calculated", "W": "withheld", "s": "small",
    "NA": "not available", "E": "net exporter", "—": "zero",
}


def slug(s: str) -> str:
    s = s.lower().replace("’", "").replace("'", "")
    s = re.sub(r"\(.*?\)", lambda m: " " + m.group(0)[1:-1] + " ", s)
    return re.sub(r"[^a-z0-9]+", "_", s).strip("_")


def load_rows():
    raw = gzip.open(SRC, "rb").read()
    digest = hashlib.sha256(raw).hexdigest()
    if digest != SRC_SHA256:
        sys.exit(f"source checksum mismatch: {digest}")
    text = raw.decode("cp1252")
    rows = list(csv.DictReader(io.StringIO(text, newline="")))
    for i, r in enumerate(rows, start=2):  # line 1 is the header
        r["_line"] = i
        for k in list(r):
            if isinstance(r[k], str):
                r[k] = r[k].replace("\xa0", " ").strip()
    return rows


def parse_value(s: str):
    """Numeric reading of a published cell, or '' when it is not a plain number."""
    if s == "—":
        return "0", "zero (— in source)"
    if s in CODE_MEANING:
        return "", CODE_MEANING[s]
    t = s.replace(",", "")
    if re.fullmatch(r"-?\d+(\.\d+)?", t):
        return t, ""
    return "", "not a plain number (kept as published)"


def series_of(r) -> tuple[str, str]:
    ch, com, det = r["MCS chapter"], r["Commodity"], r["Statistics_detail"]
    base = slug(com)
    if ch in SPLIT_BY_COMMODITY:
        return base, com
    if ch in SPLIT_BY_DETAIL:
        d = det.lower()
        for key, name in SPLIT_BY_DETAIL[ch]:
            if key in d:
                return f"{base}_{name}", f"{com}: {name.replace('_', ' ')}"
        return f"{base}_unassigned", com
    return base, com


def stage_of(sid: str, r) -> str:
    if sid in STAGE_OVERRIDE:
        return STAGE_OVERRIDE[sid]
    for text in (r["Statistics_detail"], r["Section"]):  # the detail wording first
        for word in ("refinery", "smelter", "mine", "plant"):
            if word in text.lower():
                return word
    return "other"


def row_kind(country: str) -> str:
    c = country.lower()
    if c.startswith("world total"):
        return "world_total"
    if c.startswith("other countries"):
        return "other_countries"
    return "country"


def src(r) -> str:
    return (f"{RELEASE}, chapter '{r['MCS chapter']}', section '{r['Section']}', "
            f"line {r['_line']}; {VIA}")


def main():
    rows = load_rows()
    prod = [r for r in rows if r["Section"].startswith("World") and r["Statistics"] == "Production"
            and r["Year"] in (YEAR_USED, YEAR_EST)]

    # ---------------------------------------------------------------- world_production.csv
    out = []
    series_meta: dict[str, dict] = {}
    for r in prod:
        sid, sname = series_of(r)
        val, flag = parse_value(r["Value"])
        stage = stage_of(sid, r)
        out.append({
            "series_id": sid, "commodity": sname, "mcs_chapter": r["MCS chapter"],
            "country": r["Country"], "row_kind": row_kind(r["Country"]), "year": r["Year"],
            "value": val, "value_as_published": r["Value"], "value_flag": flag,
            "unit": r["Unit"], "stage": stage, "statistics_detail": r["Statistics_detail"],
            "notes": r["Notes"], "is_critical_mineral_2025": r["Is critical mineral 2025"],
            "source": src(r),
        })
        m = series_meta.setdefault(sid, {"commodity": sname, "chapter": r["MCS chapter"],
                                          "mcs_commodity": r["Commodity"], "units": set(),
                                          "stages": set(), "details": set(), "crit": set(),
                                          "rows": []})
        m["units"].add(r["Unit"]); m["stages"].add(stage); m["details"].add(r["Statistics_detail"])
        m["crit"].add(r["Is critical mineral 2025"]); m["rows"].append(r)

    cols = list(out[0])
    with open(os.path.join(HERE, "world_production.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=cols); w.writeheader(); w.writerows(out)

    # ---------------------------------------------------------------- us_salient.csv
    sal = [r for r in rows if r["Section"].startswith("Salient")
           and r["Statistics"] in ("Net import reliance", "Price")]
    sal_out = []
    for r in sal:
        val, flag = parse_value(r["Value"])
        sal_out.append({
            "mcs_chapter": r["MCS chapter"], "commodity": r["Commodity"],
            "statistic": r["Statistics"], "statistics_detail": r["Statistics_detail"],
            "unit": r["Unit"], "year": r["Year"], "value": val, "value_as_published": r["Value"],
            "value_flag": flag, "notes": r["Notes"], "source": src(r),
        })
    with open(os.path.join(HERE, "us_salient.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(sal_out[0])); w.writeheader(); w.writerows(sal_out)

    # ---------------------------------------------------------------- commodities.csv
    def pick(chapter, mcs_commodity, statistic, sid, choice_map):
        cand = [r for r in sal if r["MCS chapter"] == chapter and r["Statistics"] == statistic]
        if sid in choice_map:
            key, why = choice_map[sid]
            sel = [r for r in cand if key.lower() in (r["Commodity"] + " " + r["Statistics_detail"]).lower()]
            details = {r["Statistics_detail"] for r in sel}
            return (sel, f"chosen among {len({r['Statistics_detail'] + r['Commodity'] for r in cand})} "
                         f"lines: {why}") if len(details) == 1 else ([], "choice key matched no single line")
        same = [r for r in cand if r["Commodity"].lower() == mcs_commodity.lower()] or (
            cand if len({r["Commodity"] for r in cand}) == 1 else [])
        keys = {(r["Commodity"], r["Statistics_detail"]) for r in same}
        if len(keys) == 1 and len([r for r in same if r["Year"] == YEAR_USED]) <= 1:
            return same, "only line of the chapter for this commodity"
        if not cand:
            return [], "chapter gives none"
        nlines = len({(r["Commodity"], r["Statistics_detail"]) for r in cand})
        if len(keys) == 1:
            return [], ("several values under one identical line label (products not named); "
                        "none chosen; see us_salient.csv")
        return [], f"{nlines} lines in the chapter, none chosen; see us_salient.csv"

    com_out = []
    for sid, m in series_meta.items():
        rows_s = m["rows"]
        tot = {y: [r for r in rows_s if row_kind(r["Country"]) == "world_total" and r["Year"] == y]
               for y in (YEAR_USED, YEAR_EST)}
        ncountry = len({r["Country"] for r in rows_s if row_kind(r["Country"]) == "country"
                        and r["Year"] == YEAR_USED and parse_value(r["Value"])[0] != ""})
        rec = {
            "series_id": sid, "commodity": m["commodity"], "mcs_chapter": m["chapter"],
            "unit": ";".join(sorted(m["units"])), "stage": ";".join(sorted(m["stages"])),
            "year_used": YEAR_USED,
            "world_total_year_used": tot[YEAR_USED][0]["Value"] if len(tot[YEAR_USED]) == 1 else "",
            "world_total_2025e": tot[YEAR_EST][0]["Value"] if len(tot[YEAR_EST]) == 1 else "",
            "world_total_detail": (tot[YEAR_USED] or tot[YEAR_EST] or [{"Statistics_detail": ""}])[0]["Statistics_detail"],
            "world_total_notes": (tot[YEAR_USED] or tot[YEAR_EST] or [{"Notes": ""}])[0]["Notes"],
            "countries_with_value_year_used": ncountry,
            "is_critical_mineral_2025": ";".join(sorted(x for x in m["crit"] if x)),
            "production_source": f"{RELEASE}, chapter '{m['chapter']}', world production table; {VIA}; "
                                 f"rows in world_production.csv (series_id={sid})",
        }
        if len(tot[YEAR_USED]) > 1 or len(tot[YEAR_EST]) > 1:
            rec["world_total_notes"] = "several world-total lines; see world_production.csv"
        for stat, prefix, cmap in (("Net import reliance", "us_nir", NIR_CHOICE),
                                   ("Price", "price", PRICE_CHOICE)):
            sel, why = pick(m["chapter"], m["mcs_commodity"], stat, sid, cmap)
            by_year = {r["Year"]: r for r in sel}
            r24, r25 = by_year.get(YEAR_USED), by_year.get(YEAR_EST)
            any_r = r24 or r25
            rec[f"{prefix}_{YEAR_USED}"] = r24["Value"] if r24 else ""
            rec[f"{prefix}_{YEAR_EST}e"] = r25["Value"] if r25 else ""
            if prefix == "price":
                rec["price_unit"] = any_r["Unit"] if any_r else ""
            rec[f"{prefix}_series"] = (any_r["Commodity"] + ": " + any_r["Statistics_detail"]) if any_r else ""
            rec[f"{prefix}_choice"] = why
            rec[f"{prefix}_source"] = (
                f"{RELEASE}, chapter '{m['chapter']}', Salient Statistics—United States, lines "
                f"{', '.join(str(r['_line']) for r in sel if r['Year'] in (YEAR_USED, YEAR_EST))}; {VIA}"
                if any_r else "")
        rec["screen_tags"] = TAGS.get(sid, "")
        com_out.append(rec)

    com_out.sort(key=lambda d: d["series_id"])
    with open(os.path.join(HERE, "commodities.csv"), "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=list(com_out[0])); w.writeheader(); w.writerows(com_out)

    chapters = {m["chapter"] for m in series_meta.values()
                if any(parse_value(r["Value"])[0] not in ("",) for r in m["rows"])}
    print(f"world_production.csv: {len(out)} rows, {len(series_meta)} series, "
          f"{len(chapters)} MCS chapters with a numeric production value")
    print(f"us_salient.csv: {len(sal_out)} rows")
    print(f"commodities.csv: {len(com_out)} rows; with NIR {YEAR_USED}: "
          f"{sum(1 for d in com_out if d['us_nir_' + YEAR_USED])}; with price {YEAR_USED}: "
          f"{sum(1 for d in com_out if d['price_' + YEAR_USED])}")


if __name__ == "__main__":
    main()
