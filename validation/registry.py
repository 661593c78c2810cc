"""PRE-REGISTRATION of the validation (issue 16, item 8): every observation, how its
episode becomes model inputs (one mapping per observation), and its acceptance band.

This file is committed on its own before any calibration or validation run; the run
records the hash of the commit that last changed it (``docs/validation.md``). Changing
an observation, a mapping or a band after a run is a new registration and must say so.

Observations come from ``models/data/episodes/series.csv`` and ``facts.csv`` (each row
with its source; ``models/data/episodes/SOURCES.md``). Nothing here is tuned to model
output: bands are fixed around the observed value from the quality of the observation
alone (price basis, a quoted range, a date known to the month, weekly news), never from
the model's spread.

Roles
    ``calibration``: antimony 2024-09 and the rare-earth quotas 2010-2011. Their price
    observations fit the global market parameters (:mod:`validation.calibration`).
    ``held-out``: gallium/germanium 2023-08, graphite 2023-12, magnets and heavy rare
    earths 2025-04, tungsten 2025-02 and the 2010 halt of shipments to Japan. Never used
    in calibration.

Verdicts (:mod:`validation.run`)
    * a number: ``inside90`` when the observed value lies in the model's central 90 %
      predictive interval (the headline criterion); ``band`` when the pre-registered
      band around the observation overlaps that interval; CRPS of the predictive sample.
    * "no shortage was reported": PASS when the model's P(shortage) in the window is at
      most ``NO_SHORTAGE_MAX_P``; scored with the Brier score.

Dates: ``Episode.day0`` is day 0 of the run (before any announcement); every model
quantity is read at calendar dates converted to run days.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

NO_SHORTAGE_MAX_P = 0.3  # "no observed 'no shortage' predicted with P(shortage) above 0.3" (issue 16)
HORIZON = 1110  # days: every episode runs this long (one compiled shape); the longest window needs 1,108
EVENTS_PER_EPISODE = 2  # episodes with one event carry a zero placeholder (one compiled shape)


@dataclass(frozen=True)
class Observation:
    """One observed number (or a reported absence of shortage) and its mapping.

    ``kind``:
      ``price_ratio``: the world (import) price multiple of ``product`` on ``date`` over
      its multiple on ``base_date`` (None: the pre-control baseline, multiple 1);
      ``peak_fall``: the multiple on ``date`` over the highest multiple between
      ``base_date`` and ``date`` (a price that peaked and fell);
      ``first_shortage_days``: days from ``base_date`` to the first shortage day of any
      of ``products``;
      ``no_shortage``: P(any shortage of ``products`` between ``base_date`` and ``date``).
    """

    key: str
    episode: str
    kind: str
    products: tuple[str, ...]
    date: dt.date
    value: float | None  # None for no_shortage
    band: tuple[float, float] | None  # pre-registered acceptance band (None for no_shortage)
    base_date: dt.date | None
    source: str
    arithmetic: str
    band_reason: str


@dataclass(frozen=True)
class Episode:
    key: str
    title: str
    role: str  # "calibration" | "held-out"
    day0: dt.date
    events: list = field(default_factory=list)
    mapping: str = ""  # how the episode becomes model inputs, with the sources of each number


def day(episode: Episode, when: dt.date) -> int:
    return (when - episode.day0).days


def _event(name, products, episode_day0, onset: dt.date, end: dt.date | None, *, origin="CN", severity=None,
           beta=None, announced: dt.date | None = None, **regime):
    onset_day = (onset - episode_day0).days
    duration = ((end - onset).days if end is not None else HORIZON - onset_day)
    ev = {"name": name, "origin": origin, "products": list(products), "onset_day": onset_day,
          "duration_days": max(duration, 1),
          "announcement_lead_days": (onset - announced).days if announced is not None else 0}
    if beta is not None:
        ev["severity_alpha"], ev["severity_beta"] = beta
    else:
        ev["severity"] = severity
    ev.update(regime)
    return ev


def _placeholder():
    return {"name": "(placeholder: keeps one compiled shape)", "origin": "US", "products": ["satellite_launch"],
            "onset_day": 0, "duration_days": 1, "severity": 0.0}


# ---------------------------------------------------------------------------- episodes

def episodes() -> list[Episode]:
    out = []

    # ---- antimony licensing, 2024-09-15 (calibration)
    d0 = dt.date(2024, 8, 1)
    out.append(Episode(
        key="antimony2024", title="Antimony licensing, 2024-09-15 (China)", role="calibration", day0=d0,
        events=[_event("CN licensing antimony", ["antimony"], d0, dt.date(2024, 9, 15), None,
                       beta=(7.4, 2.6), announced=dt.date(2024, 8, 15), licence_delay_days=60.0,
                       leakage_share=0.1, leakage_delay_days=60.0),
                _placeholder()],
        mapping=("Onset 2024-09-15, announced mid-August 2024 (metalswire.net; Reuters 2024-11-20: exports peaked at "
                 "6,533 t in Sep 2024, +12% m/m in Aug). Licence delay 60 days: 'two to three months to secure' "
                 "(metalswire.net), Oct 2024 exports 190 t (Reuters 2024-11-20). Severity after the delay ~ Beta(7.4, "
                 "2.6), mean 0.74: H1 2025 shipments about 74% below H1 2024 (rawmaterials.net 2025-07-22), Dec 2024 "
                 "1,721 t against 38,632 t / 12 = 3,219 t/month in 2024 (-47%). Leakage 0.1 after 60 days: small lots "
                 "via Thailand/Mexico (3,834 t of oxides to the US Dec 2024-Apr 2025, a volume, not a share) and "
                 "Laos/Cambodia 10-15 t/month to Europe (Argus 2025-06-24): an assumption, no share found."),
    ))

    # ---- rare-earth export quotas, 2010-2011 (calibration)
    d0 = dt.date(2010, 7, 1)
    out.append(Episode(
        key="ree2010", title="Rare-earth export quotas, 2010-2013 (China)", role="calibration", day0=d0,
        events=[_event("CN quota cut, heavy REE", ["dysprosium", "terbium", "samarium"], d0, dt.date(2010, 7, 1), None,
                       beta=(6.0, 4.0), tightening_days=180.0, leakage_share=0.3, leakage_delay_days=60.0),
                _event("CN quota cut, light REE", ["ndpr_oxide"], d0, dt.date(2010, 7, 1), None, beta=(6.0, 4.0),
                       tightening_days=180.0, leakage_share=0.3, leakage_delay_days=60.0)],
        mapping=("Onset 2010-07-01 (the July 2010 quota batch, 40% below 2009: Reuters via metal.com 2010-08-11), "
                 "tightening over 180 days (2010 exports fell only 9.3%, WSJ; the 2011 quota of 30,184 t was filled "
                 "to 40% in Q1-Q3 2011, Reuters 2011-12-27; legal 2011 exports 18,600 t against about 50,000 t before, "
                 "-63%). Severity ~ Beta(6, 4), mean 0.6. Quotas stay in force over the whole window (until the "
                 "WTO ruling of 2014). Leakage 0.3 of the withheld volume after 60 days: smuggling estimates range "
                 "from 1.2x China's export figure in foreign customs data (about 12% of the withheld volume) to "
                 "21,000 t smuggled against 18,600 t legal in 2011 (China Daily; about 67%): a central assumption "
                 "between them. The model's structure (2024 shares and uses) is applied to 2010."),
    ))

    # ---- gallium and germanium licensing, 2023-08-01 (held out)
    d0 = dt.date(2023, 6, 15)
    out.append(Episode(
        key="gaGe2023", title="Gallium and germanium licensing, 2023-08-01 (China)", role="held-out", day0=d0,
        events=[_event("CN licensing gallium", ["gallium"], d0, dt.date(2023, 8, 1), None, beta=(7.5, 2.5),
                       announced=dt.date(2023, 7, 3), licence_delay_days=60.0, approval_easing=0.9,
                       easing_days=300.0),
                _event("CN licensing germanium", ["germanium"], d0, dt.date(2023, 8, 1), None, beta=(8.5, 1.5),
                       announced=dt.date(2023, 7, 3), licence_delay_days=60.0, approval_easing=0.4,
                       easing_days=240.0)],
        mapping=("Announced 2023-07-03, effective 2023-08-01. No exports in Aug-Sep 2023 (Reuters 2023-09-20); "
                 "licences take 30-80 days (several sources in facts.csv), first granted early Nov 2023: licence "
                 "delay 60 days. Then Ga exports -73% (Nov 2023 vs Nov 2022) and -81% (Mar 2024 vs Mar 2023): "
                 "severity ~ Beta(7.5, 2.5), mean 0.75, easing by 0.9 over 300 days, since 2024 Ga exports were "
                 "69,440 kg, about the pre-control rate (12 x 5,611-6,480 kg/month). Ge: -87% (Nov 2023), -32% (Mar "
                 "2024), 2024 -48% to -55% on the pre-control rate: Beta(8.5, 1.5), mean 0.85, easing by 0.4 over 240 "
                 "days. The Dec 2024 ban on the US is not modelled (after the observation window of Ga)."),
    ))

    # ---- graphite licensing, 2023-12-01 (held out)
    d0 = dt.date(2023, 10, 1)
    out.append(Episode(
        key="graphite2023", title="Graphite licensing, 2023-12-01 (China)", role="held-out", day0=d0,
        events=[_event("CN licensing graphite", ["natural_graphite"], d0, dt.date(2023, 12, 1), None,
                       beta=(4.0, 6.0), announced=dt.date(2023, 10, 20), licence_delay_days=20.0,
                       approval_easing=0.75, easing_days=60.0),
                _placeholder()],
        mapping=("Announced 2023-10-20, effective 2023-12-01 (forexlive). Exports surged in Nov 2023 (+162% on the "
                 "Jan-Oct average, S&P) and collapsed in Dec (flake 1,427 t vs 23,502 t in Nov; to Japan -42% m/m, "
                 "Yomiuri); first licences in the second half of December (Fastmarkets, MOFCOM 2023-12-15): licence "
                 "delay 20 days, then severity ~ Beta(4, 6), mean 0.4, easing by 0.75 over 60 days (exports to "
                 "Japan, the US, Korea and Europe gradually resumed in Jan-Feb 2024, SEE Mining News)."),
    ))

    # ---- heavy rare earths and magnets licensing, 2025-04-04 (held out)
    d0 = dt.date(2025, 4, 4)
    out.append(Episode(
        key="magnets2025", title="Medium/heavy rare-earth and magnet licensing, 2025-04-04 (China)", role="held-out",
        day0=d0,
        events=[_event("CN licensing Dy/Tb/Sm", ["dysprosium", "terbium", "samarium"], d0, dt.date(2025, 4, 4), None,
                       beta=(9.0, 1.0), licence_delay_days=63.0, approval_easing=0.3, easing_days=180.0),
                _event("CN licensing magnets", ["ndfeb_magnet", "smco_magnet"], d0, dt.date(2025, 4, 4), None,
                       beta=(7.0, 3.0), approval_easing=0.9, easing_days=120.0)],
        mapping=("Effective 2025-04-04 without notice (MOFCOM/GAC No. 18). Oxides: licences of 45 working days (63 "
                 "calendar days) before any export, Dy and Tb exports near zero in June 2025 (rawmaterials.net): "
                 "severity ~ Beta(9, 1), mean 0.9, easing by 0.3 over 180 days. Magnets: exports -48% in April and "
                 "-74% in May (1,238 t), then 3,188 t (Jun), 5,577 t (Jul), 6,146 t (Aug): severity ~ Beta(7, 3), mean "
                 "0.7, easing by 0.9 over 120 days (approval rate 25% -> 60%, CLEPA ~June 2025). Where the model "
                 "splits magnet users into segments, every NdFeB magnet product gets the magnet event."),
    ))

    # ---- tungsten controls, 2025-02-04 (held out)
    d0 = dt.date(2025, 2, 1)
    out.append(Episode(
        key="tungsten2025", title="Tungsten export controls, 2025-02-04 (China)", role="held-out", day0=d0,
        events=[_event("CN licensing tungsten", ["tungsten"], d0, dt.date(2025, 2, 4), None, beta=(2.0, 2.0),
                       licence_delay_days=45.0),
                _placeholder()],
        mapping=("Controls on APT and other tungsten items from 2025-02-04 (CTIA). China's 2025 tungsten export "
                 "volumes: NOT FOUND, so the severity is wide: Beta(2, 2), mean 0.5, an assumption; licence delay 45 "
                 "days (the MOFCOM limit of 45 working days is the rule for the 2025 controls)."),
    ))

    # ---- the 2010 halt of rare-earth shipments to Japan (held out)
    d0 = dt.date(2010, 9, 1)
    out.append(Episode(
        key="japanHalt2010", title="Halt of rare-earth shipments to Japan, 2010-09-21 to 2010-11-19 (China)",
        role="held-out", day0=d0,
        events=[_event("CN halt to Japan, light REE", ["ndpr_oxide"], d0, dt.date(2010, 9, 21), dt.date(2010, 11, 19),
                       beta=(6.0, 4.0), destinations="country"),
                _event("CN halt to Japan, heavy REE", ["dysprosium", "terbium", "samarium"], d0, dt.date(2010, 9, 21),
                       dt.date(2010, 11, 19), beta=(6.0, 4.0), destinations="country")],
        mapping=("Customs blocked Japan-bound shipments from 2010-09-21 (domain-b, AP: 100% inspection), resumed "
                 "2010-11-19 (NYT/Reuters via worldal.com). Japan's imports from China: 2,246 t (Sep), 1,278 t (Oct), "
                 "634 t (Nov), 4,080 t (Dec) (MOF via Reuters): severity ~ Beta(6, 4), mean 0.6, for Japan only; "
                 "diverted to other buyers, so nothing is lost to the world market (destinations = country)."),
    ))
    return out


# ---------------------------------------------------------------------------- observations

def observations() -> list[Observation]:
    D = dt.date
    return [
        # -- antimony 2024 (calibration)
        Observation(
            "sb-dec2024", "antimony2024", "price_ratio", ("antimony",), D(2024, 12, 31), 39750 / 22000,
            (1.45, 2.25), None,
            "Reuters 2025-01-06 (ANT-LON, Rotterdam): 39,500-40,000 USD/t on 2024-12-31; Reuters 2024-08-15: "
            ">22,000 USD/t before the control (series.csv)",
            "mid 39,750 / 22,000 = 1.81", "the base is a lower bound ('>22,000') and the top a range: +-20%"),
        Observation(
            "sb-jun2025", "antimony2024", "price_ratio", ("antimony",), D(2025, 6, 17), 60500 / 22000,
            (2.2, 3.45), None,
            "Argus 2025-06-17 (regulus grade II, Rotterdam): 60,000-61,000 USD/t; base as sb-dec2024",
            "60,500 / 22,000 = 2.75", "different assessments at the two dates: +-20%"),
        # -- rare earths 2010-2013 (calibration)
        Observation(
            "dy-peak2011", "ree2010", "price_ratio", ("dysprosium",), D(2011, 11, 15), 2800 / 370, (5.3, 10.6), None,
            "Japan Metal Bulletin international price survey: Dy metal ~370 USD/kg (2010-07) and ~2,800 USD/kg "
            "(2011-11) (series.csv)",
            "2,800 / 370 = 7.57", "approximate survey quotes ('~'), metal for oxide: x/÷ 1.4"),
        Observation(
            "dy-fall2013", "ree2010", "peak_fall", ("dysprosium",), D(2013, 7, 13), 500 / 2300, (0.12, 0.40),
            D(2010, 7, 1),
            "mining.com: Dy oxide export (FOB) 2,300 USD/kg in 2011-10 (the peak); abrasivesunion.com 2013-07-13: Dy "
            "export price 500 USD/kg, quotas still in force (series.csv)",
            "500 / 2,300 = 0.22", "two sources, the 2013 form not stated: 0.12-0.40"),
        Observation(
            "nd-peak2011", "ree2010", "price_ratio", ("ndpr_oxide",), D(2011, 11, 15), 250 / 60, (2.9, 5.9), None,
            "Japan Metal Bulletin: Nd metal >60 USD/kg excl. licence premium (2010-08), ~250 USD/kg (2011-11)",
            "250 / 60 = 4.17", "a lower-bound base ('>60') and survey quotes: x/÷ 1.4"),
        # -- gallium / germanium 2023 (held out)
        Observation(
            "ga-jul2023", "gaGe2023", "price_ratio", ("gallium",), D(2023, 7, 31), 326 / 257.5, (1.05, 1.5), None,
            "Fastmarkets Rotterdam 99.99%: 250-265 USD/kg on 2023-06-30; 326 USD/kg in July 2023 (Reuters quoting "
            "Fastmarkets, via eurochallenges.com) (series.csv)",
            "326 / 257.5 = 1.27", "the July quote is not dated within the month: 1.05-1.5"),
        Observation(
            "ga-oct2023", "gaGe2023", "price_ratio", ("gallium",), D(2023, 10, 27), 1.60, (1.35, 1.9), None,
            "Morgan Stanley via Market Index (2023-10-27): Ga prices about +60% since the July announcement (facts.csv)",
            "1 + 0.60", "a rounded analyst figure: +-15%"),
        Observation(
            "ga-dec2023", "gaGe2023", "price_ratio", ("gallium",), D(2023, 12, 13), 550 / 257.5, (1.75, 2.6), None,
            "Fastmarkets Rotterdam 500-600 USD/kg (2023-12-13); base 250-265 (2023-06-30)",
            "550 / 257.5 = 2.14", "quoted ranges at both dates: +-20%"),
        Observation(
            "ga-mar2024", "gaGe2023", "price_ratio", ("gallium",), D(2024, 3, 31), 575 / 257.5, (1.85, 2.7), None,
            "Bloomberg 2024-04-03 (Fastmarkets, in-warehouse Rotterdam): 575 USD/kg at end-March 2024",
            "575 / 257.5 = 2.23", "+-20%"),
        Observation(
            "ge-oct2023", "gaGe2023", "price_ratio", ("germanium",), D(2023, 10, 27), 1.06, (0.9, 1.25), None,
            "Morgan Stanley via Market Index (2023-10-27): Ge prices about +6% since the July announcement",
            "1 + 0.06", "a rounded analyst figure: 0.9-1.25"),
        Observation(
            "ga-no-shortage", "gaGe2023", "no_shortage", ("gallium", "germanium"), D(2024, 12, 31), None, None,
            D(2023, 8, 1),
            "No Japanese gallium or germanium stoppage in the sources read; Japanese consumers outbid European "
            "buyers for gallium stocks held in Europe (Fastmarkets, Dec 2023): they bought, they did not stop",
            "reported absence (weaker than a report of normal supply)", "P(shortage) <= 0.3"),
        # -- graphite 2023 (held out)
        Observation(
            "graphite-may2024", "graphite2023", "price_ratio", ("natural_graphite",), D(2024, 5, 31), 456 / 532,
            (0.7, 1.15), D(2023, 12, 31),
            "IndexBox: China's export unit value of natural graphite 532 USD/t (2023-12) and 456 USD/t (2024-05); "
            "Morgan Stanley (2023-10): limited price impact of the announced controls",
            "456 / 532 = 0.86", "unit values move with the product mix: 0.7-1.15"),
        Observation(
            "graphite-no-shortage", "graphite2023", "no_shortage", ("natural_graphite",), D(2024, 6, 30), None, None,
            D(2023, 12, 1),
            "SEE Mining News (2024-03): consumers had inventory from the November surge to cover early 2024, no "
            "shortage reported; exports to Japan resumed Jan-Feb 2024",
            "reported", "P(shortage) <= 0.3"),
        # -- magnets and heavy rare earths 2025 (held out)
        Observation(
            "magnet-stop", "magnets2025", "first_shortage_days", ("ndfeb_magnet*",), D(2025, 12, 31), 52.0, (38.0, 66.0),
            D(2025, 4, 4),
            "Reuters via Yomiuri / The Japan News (2025-06-06): Suzuki halted Swift production from 2025-05-26, the "
            "first Japanese automaker hit by the curbs of 2025-04-04",
            "2025-04-04 -> 2025-05-26 = 52 days",
            "one firm's stoppage against the first shortage of any magnet segment, weekly news: +-14 days"),
        Observation(
            "dy-may2025", "magnets2025", "price_ratio", ("dysprosium",), D(2025, 5, 6), 850 / 280, (2.2, 4.2), None,
            "Argus via gmteight.com (2025-05-09): Dy oxide 99.5% Europe 250-310 USD/kg (April 2025), 700-1,000 "
            "USD/kg (2025-05-06)",
            "mid 850 / mid 280 = 3.04", "wide quoted ranges, thin trade (Adamas): 2.2-4.2"),
        # -- tungsten 2025 (held out)
        Observation(
            "w-dec2025", "tungsten2025", "price_ratio", ("tungsten",), D(2025, 12, 12), 850 / 400, (1.6, 2.7),
            D(2025, 5, 15),
            "Reuters 2025-05-15: APT Europe 400 USD/mtu; SMM 2025-12-12: APT CIF Rotterdam 830-870 USD/mtu",
            "850 / 400 = 2.13", "two assessors: 1.6-2.7"),
        # -- the 2010 halt to Japan (held out)
        Observation(
            "halt-no-shortage", "japanHalt2010", "no_shortage",
            ("ndpr_oxide", "dysprosium", "terbium", "samarium"), D(2010, 12, 31), None, None, D(2010, 9, 21),
            "METI via AFP/Jiji (2010-10-21): Japan's rare-earth stocks could last until March or April 2011; no "
            "dated Japanese line stoppage found (facts.csv, NOT FOUND row)",
            "reported stock cover and absence of stoppage reports", "P(shortage) <= 0.3"),
    ]
