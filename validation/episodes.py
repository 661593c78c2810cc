"""The historical episodes the Japan model is compared with: what was observed (with its
source), the event that replays it, the model quantity of the same kind, and the band.

Roles: ONE calibration episode (antimony 2024-09: its observed 2025 price multiple fixes
``world_price_elasticity`` in ``models/build_japan.py``); the others are out of sample.

Day 0 of every episode is its own start date (``Episode.day0``); onsets are days after it.
Price multiples are annual averages over annual averages where the source is annual (USGS
salient statistics), compared with the model's mean import-price multiple over the same
calendar year; the Dy episode uses point quotes and is compared with the model's peak.

Numbers the model data (``models/data/``) hold are read from there; numbers found for the
validation (export falls, dates of stoppages) carry their source here. Nothing is invented:
where a source gives a range or conflicting readings, the event's severity is a Beta
distribution spanning them, labelled as such.
"""

from __future__ import annotations

import csv
import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
PRICES = ROOT / "models" / "data" / "prices.csv"

# Bands (fixed before looking at the model results).
PRICE_FACTOR = 1.25  # price multiples: model 5-95% range widened by x/÷ 1.25 (annual averages, unit values,
#                      secondary point quotes and the choice of base year move a multiple by about this much)
DAYS_SLACK = 14.0  # days: model 5-95% range widened by two weeks (weekly news, one firm vs a national aggregate)
CALIBRATION_TOLERANCE = 0.02  # the calibration episode must be reproduced within 2% (rounding of inputs)


@dataclass(frozen=True)
class Observed:
    """One observed number with where it comes from."""

    value: float
    unit: str
    source: str
    arithmetic: str = ""


@dataclass(frozen=True)
class Check:
    """One comparison: an observed number against the model's distribution of the same quantity.

    ``measure(daily, metrics, products, day0) -> [scenario]`` computes the model quantity
    per scenario from the no-policy run (``daily``: fields ``[scenario, day, product]``,
    ``metrics``: fields ``[scenario, product]``). ``kind``: "calibration" (median within
    ``CALIBRATION_TOLERANCE``), "price" (``PRICE_FACTOR`` band) or "days" (``DAYS_SLACK``).
    """

    key: str
    quantity: str
    observed: Observed
    measure: object
    kind: str
    used_for_calibration: bool = False


@dataclass(frozen=True)
class Episode:
    key: str
    title: str
    role: str  # "calibration" | "validation" | "side-by-side"
    day0: dt.date
    horizon_days: int
    events: list
    checks: list = field(default_factory=list)
    notes: str = ""


# ------------------------------------------------------------------ data helpers
def price(material: str, series_prefix: str, year: str) -> tuple[float, str]:
    """(price, short source) of a row of models/data/prices.csv."""
    with PRICES.open(newline="", encoding="utf-8") as f:
        for row in csv.DictReader(f):
            if row["material"] == material and row["series"].startswith(series_prefix) and row["year"] == year:
                return float(row["price"]), f"prices.csv: {row['series']} {row['period']} {year} = {row['price']} " \
                                            f"{row['unit'].split(' (')[0]} ({row['status']}; {row['source'].split(';')[0]})"
    raise KeyError(f"prices.csv has no row {material} / {series_prefix} / {year}")


def ratio(material: str, prefix: str, year: str, base_year: str, unit: str = "x") -> Observed:
    top, top_src = price(material, prefix, year)
    base, base_src = price(material, prefix, base_year)
    return Observed(top / base, unit, f"{top_src}; {base_src}", f"{top:g} / {base:g} = {top / base:.3f}")


def day_of(day0: dt.date, when: dt.date) -> int:
    return (when - day0).days


def _year_days(day0: dt.date, year: int) -> slice:
    return slice(day_of(day0, dt.date(year, 1, 1)), day_of(day0, dt.date(year + 1, 1, 1)))


def mean_import_multiple(product: str, year: int):
    """Model quantity: mean import-price multiple of ``product`` over calendar ``year``."""
    def measure(daily, metrics, products, day0):
        p = products.index(product)
        days = _year_days(day0, year)
        return 1.0 + np.asarray(daily["import_price_change"])[:, days, p].mean(axis=1)
    measure.__doc__ = f"mean import-price multiple of {product} over {year}"
    return measure


def peak_import_multiple(product: str):
    def measure(daily, metrics, products, day0):
        return 1.0 + np.asarray(daily["import_price_change"])[:, :, products.index(product)].max(axis=1)
    measure.__doc__ = f"peak daily import-price multiple of {product}"
    return measure


def first_shortage_day(product_names: list[str]):
    """Model quantity: days from the episode's day 0 (the control) to the first shortage day
    of any of ``product_names`` (inf: none within the horizon)."""
    def measure(daily, metrics, products, day0):
        idx = [products.index(p) for p in product_names]
        tts = np.asarray(metrics["time_to_survive"])[:, idx]  # alarm (= onset, no announcement) to shortage
        return np.min(np.where(np.isnan(tts), np.inf, tts), axis=1)
    measure.__doc__ = f"days from the control to the first shortage of {', '.join(product_names)}"
    return measure


# ------------------------------------------------------------------ sources found for the validation
SB_EXPORT_FALL = Observed(
    0.74, "share",
    "rawmaterials.net, 'Chinese Antimony Exports Plummet in First Half of the Year' (2025-07-22), citing Chinese "
    "customs data: China's antimony shipments in H1 2025 were roughly 74% below H1 2024 (June 2025: 107 t vs "
    "3,199 t); Reuters (2025-03-20) adds that 2024 exports fell 24.1% to 38,632 t with no shipments to the EU "
    "since October 2024")
SB_ANNOUNCED = ("rawmaterials.net (2025-07-22): announced in August 2024, licences required 'since mid-September' "
                "2024 (onset 2024-09-15; announcement taken as 2024-08-15, the middle of the month)")
GAGE_EXPORT_FALLS = (
    "China customs via germanium.com/rawmaterials.net (2024-04-22): March 2024 vs March 2023 Ga -81% (1,214 vs "
    "6,480 kg), Ge -32% (3,206 vs 4,702 kg); rawmaterials.net: November 2023 vs November 2022 Ga -73% (1,530 vs "
    "5,611 kg), Ge -87% (721 vs 5,488 kg); rohstoff.net (2025-01): 2024 Ga exports 69,440 kg, +55% on 2023, Ge "
    "29,389 kg, -30% on 2023; FT via supplychainreport.org: Japan's Ga imports from China -85% in the year after "
    "Aug-2023 (japan_import_shares.csv)")
# The annual 2024 export volume against the pre-control monthly rate (x 12):
#   Ga: 69,440 kg in 2024 vs 12 x 5,611 (Nov 2022) = 67,332 and 12 x 6,480 (Mar 2023) = 77,760 -> fall -0.03..0.11
#   Ge: 29,389 kg in 2024 vs 12 x 5,488 (Nov 2022) = 65,856 and 12 x 4,702 (Mar 2023) = 56,424 -> fall 0.48..0.55
GAGE_ANNUAL_FALLS = (
    "Ga: 69,440 kg exported in 2024 (rohstoff.net, Chinese customs) vs 12 x 5,611 kg (Nov 2022, rawmaterials.net) "
    "= 67,332 and 12 x 6,480 kg (Mar 2023, germanium.com) = 77,760 kg/yr before the controls: a fall of -3% to 11%; "
    "Ge: 29,389 kg in 2024 vs 12 x 5,488 = 65,856 and 12 x 4,702 = 56,424 kg/yr: a fall of 48% to 55%")
GA_SEVERITY_BETA = (2.0, 40.0)  # mean 0.048, 90% range about 0.009-0.11
GE_SEVERITY_BETA = (52.0, 48.0)  # mean 0.52, 90% range about 0.44-0.60
REE_2010_FALLS = (
    "Reuters via metal.com (2010-08-11): China cut its 2010 rare-earth export quota by 40% (30,258 t issued by "
    "end-July vs 50,145 t in 2009); WSJ via reactionsearch.com (2011-01): 2010 exports actually fell 9.3% to "
    "39,813 t; Reuters (2011-12-27): in the first three quarters of 2011 exports were only 40% of the allowed "
    "volume (2011 quota 30,184 t)")
REE_2025_CONTROL = ("Holland & Knight alert (2025-04-04): MOFCOM/GAC Announcement No. 18 of 2025 put Sm, Gd, Tb, Dy, "
                    "Lu, Sc, Y and their oxides, alloys and SmCo magnet materials under licensing, effective "
                    "immediately on 2025-04-04")
REE_2025_FALLS = ("Chinese customs via shchangjiuglobal.com (2025-06): rare-earth magnet exports -48% in April 2025 "
                  "vs March (3,056 vs 5,842 t); Reuters via yliwu.com (2025-06/07): magnet exports down about 75% "
                  "since April; rawmaterials.net (2025-07-21): Dy and Tb exports near zero in June 2025")
SUZUKI_STOP = Observed(
    (dt.date(2025, 5, 26) - dt.date(2025, 4, 4)).days, "days",
    "Reuters via Yomiuri Shimbun / The Japan News (2025-06-06) and Business Recorder (2025-06-05, citing Nikkei): "
    "Suzuki halted Swift production from 2025-05-26 because of China's rare-earth restrictions, 'the first "
    "Japanese automaker to be affected'; control date: " + REE_2025_CONTROL,
    "2025-04-04 -> 2025-05-26 = 52 days")
USGS_GAGE = Observed(
    3.4, "USD bn",
    "USGS Open-File Report 2024-1057 (Nassar et al., 2024, doi:10.3133/ofr20241057), abstract: a complete "
    "restriction of China's net exports of Ga and Ge could decrease US GDP by $3.4 bn ($1.7-9.0 bn); Ga alone "
    "$3.1 bn ($1.7-8.2), Ge alone $0.4 bn ($0.01-1.1); USGS release via greencarcongress.com (2024-11-20): Ga "
    "prices could rise more than 150% and Ge 26% in a total ban")


def _event(name, products, onset, duration, *, origin="CN", severity=None, beta=None, lead=0, tightening=0):
    ev = {"name": name, "origin": origin, "products": products, "onset_day": onset, "duration_days": duration,
          "announcement_lead_days": lead, "tightening_days": tightening}
    if beta is not None:
        ev["severity_alpha"], ev["severity_beta"] = beta
    else:
        ev["severity"] = severity
    return ev


# Every episode uses the same horizon and two events so that the engine compiles once.
HORIZON = 731


def _pad(name="(none: keeps the run shape of the other episodes)"):
    return _event(name, ["satellite_launch"], 0, 1, origin="US", severity=0.0)


def build_episodes() -> list[Episode]:
    # ---- calibration: antimony 2024-09
    d0 = dt.date(2024, 1, 1)
    onset = day_of(d0, dt.date(2024, 9, 15))
    sb = Episode(
        key="sb-2024", role="calibration", day0=d0, horizon_days=HORIZON,
        title="Antimony licensing, 2024-09 (China)",
        events=[_event("CN licensing antimony (2024-09-15)", ["antimony"], onset, HORIZON - onset,
                       severity=SB_EXPORT_FALL.value, lead=day_of(d0, dt.date(2024, 9, 15)) - day_of(d0, dt.date(2024, 8, 15)),
                       tightening=15),
                _pad()],
        checks=[
            Check("sb-2025", "Sb price, mean 2025 / mean 2023 (last pre-control year)",
                  ratio("antimony", "Sb metal", "2025", "2023"), mean_import_multiple("antimony", 2025),
                  "calibration", used_for_calibration=True),
            Check("sb-2024", "Sb price, mean 2024 / mean 2023 (timing: announcement Aug, licences mid-Sep 2024)",
                  ratio("antimony", "Sb metal", "2024", "2023"), mean_import_multiple("antimony", 2024), "price"),
        ],
        notes=("World gap = China's 2024 share of world mine production (world_production_shares.csv) x China's "
               "export fall " + f"{SB_EXPORT_FALL.value:g} ({SB_EXPORT_FALL.source}). {SB_ANNOUNCED}. The Japan model's "
               "antimony imports are the post-control (Dec-2024) shares with China at 0, so only the import "
               "(world) price moves."),
    )

    # ---- validation: gallium / germanium 2023-08
    d0 = dt.date(2023, 1, 1)
    onset = day_of(d0, dt.date(2023, 8, 1))
    gage = Episode(
        key="gage-2023", role="validation", day0=d0, horizon_days=HORIZON,
        title="Gallium and germanium licensing, 2023-08 (China)",
        events=[_event("CN licensing Ga (2023-08)", ["gallium"], onset, HORIZON - onset, beta=GA_SEVERITY_BETA,
                       lead=29, tightening=45),
                _event("CN licensing Ge (2023-08)", ["germanium"], onset, HORIZON - onset, beta=GE_SEVERITY_BETA,
                       lead=29, tightening=45)],
        checks=[
            Check("ga-2024", "Ga price (US import unit value), mean 2024 / mean 2022 (last pre-control year)",
                  ratio("gallium", "Ga metal", "2024", "2022"), mean_import_multiple("gallium", 2024), "price"),
            Check("ge-2024", "Ge price (Argus Europe), mean 2024 / mean 2022 (last pre-control year)",
                  ratio("germanium", "Ge metal", "2024", "2022"), mean_import_multiple("germanium", 2024), "price"),
        ],
        notes=("Severity = the fall of China's 2024 exports against the pre-control rate (the compared price is a "
               "2024 annual average): " + GAGE_ANNUAL_FALLS + ". Ga ~ Beta" + str(GA_SEVERITY_BETA) + " (mean "
               f"{GA_SEVERITY_BETA[0] / sum(GA_SEVERITY_BETA):.2f}), Ge ~ Beta" + str(GE_SEVERITY_BETA) + " (mean "
               f"{GE_SEVERITY_BETA[0] / sum(GE_SEVERITY_BETA):.2f}). Other readings: " + GAGE_EXPORT_FALLS +
               ". Onset 2023-08-01, announced 29 days earlier (as configs/japan_timeline.toml). World shares: Ga "
               "from USGS (China 0.989), Ge assumed (China 0.7)."),
    )

    # ---- validation: rare-earth export quotas 2010-2011
    d0 = dt.date(2010, 1, 1)
    onset = day_of(d0, dt.date(2010, 7, 1))
    ree10 = Episode(
        key="ree-2010", role="validation", day0=d0, horizon_days=HORIZON,
        title="Rare-earth export quotas, 2010-2011 (China)",
        events=[_event("CN quota cut, heavy REE (2010-07)", ["dysprosium", "terbium", "samarium"], onset,
                       HORIZON - onset, beta=(4.0, 6.0)),
                _event("CN quota cut, light REE (2010-07)", ["ndpr_oxide"], onset, HORIZON - onset, beta=(4.0, 6.0))],
        checks=[
            Check("dy-peak", "Dy oxide, peak point quote 2011-08 / point quote 2009-01",
                  Observed(2377.0 / 91.0, "x",
                           "prices.csv: Dy oxide point quotes 91 USD/kg (2009-01) and 2,377 USD/kg (2011-08), "
                           "questmetals.com blog (SECONDARY, original price source not stated)",
                           f"2377 / 91 = {2377 / 91:.2f}"),
                  peak_import_multiple("dysprosium"), "price"),
        ],
        notes=("Severity ~ Beta(4, 6) (mean 0.4, 90% range 0.17-0.66), an assumption spanning " + REE_2010_FALLS +
               ". Onset 2010-07-01: assumption, the cut became visible with the July 2010 quota batch. NOT fully "
               "out of sample: the Dy/Tb price cap (25) was set from this episode's 26-fold move (build_japan.py, "
               "price_cap_hree); the elasticity was not. The model's structure (2024 shares, Japan's 2024 use) is "
               "applied to 2010."),
    )

    # ---- validation: rare-earth licensing 2025-04 -> first production stoppage in Japan
    d0 = dt.date(2025, 4, 4)
    ree25 = Episode(
        key="ree-2025", role="validation", day0=d0, horizon_days=HORIZON,
        title="Medium/heavy rare-earth and magnet licensing, 2025-04-04 (China)",
        events=[_event("CN licensing Dy/Tb/Sm (2025-04-04)", ["dysprosium", "terbium", "samarium"], 0, 75,
                       beta=(9.0, 1.0)),
                _event("CN licensing magnets (2025-04-04)", ["ndfeb_magnet", "smco_magnet"], 0, 75, beta=(6.0, 3.0))],
        checks=[
            Check("ree-stop", "days from the control to the first production stoppage in Japan (model: first "
                  "shortage of NdFeB or SmCo magnets, no policy)",
                  SUZUKI_STOP, first_shortage_day(["ndfeb_magnet", "smco_magnet"]), "days"),
            Check("ree-stop-any", "the same, other mapping (model: first shortage of any rare-earth product, "
                  "oxides included)", SUZUKI_STOP,
                  first_shortage_day(["ndpr_oxide", "dysprosium", "terbium", "samarium", "ndfeb_magnet",
                                      "smco_magnet"]), "days"),
        ],
        notes=("Oxides: severity ~ Beta(9, 1) (mean 0.9, 90% range 0.72-0.99); magnets: ~ Beta(6, 3) (mean 0.67, 90% range 0.40-0.89); "
               "both assumptions spanning " + REE_2025_FALLS + ". Acute phase 75 days (as configs/japan_timeline.toml: "
               "licences began to be granted about two months later). No policy: the national stock holds oxides, "
               "not magnets, and the model's magnets have no national stock in any case."),
    )

    # ---- side by side: the USGS estimate for the US (a different model and country)
    d0 = dt.date(2025, 1, 1)
    usgs = Episode(
        key="usgs-gage", role="side-by-side", day0=d0, horizon_days=HORIZON,
        title="Complete stop of China's Ga and Ge exports for one year (USGS estimate for the US, side by side)",
        events=[_event("CN stop Ga (1 year)", ["gallium"], 0, 365, severity=1.0),
                _event("CN stop Ge (1 year)", ["germanium"], 0, 365, severity=1.0)],
        checks=[],
        notes=USGS_GAGE.source,
    )
    return [sb, gage, ree10, ree25, usgs]


def band(check: Check, values: np.ndarray) -> tuple[float, float]:
    """The accepted band ``(low, high)`` for the observed value given the model's per-scenario values."""
    p5, p95 = np.quantile(values, [0.05, 0.95], method="inverted_cdf")
    if check.kind == "calibration":
        mid = float(np.median(values))
        return mid * (1 - CALIBRATION_TOLERANCE), mid * (1 + CALIBRATION_TOLERANCE)
    if check.kind == "price":
        return float(p5) / PRICE_FACTOR, float(p95) * PRICE_FACTOR
    if check.kind == "days":
        return float(p5) - DAYS_SLACK, float(p95) + DAYS_SLACK
    raise ValueError(f"unknown check kind {check.kind!r}")
