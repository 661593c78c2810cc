"""``configs/japan_timeline.toml``: China's 2023-2025 export-control timeline
(``control_timeline.csv``) replayed as given events against the Japan model, each
control's regime (licence delay, severity, easing) computed from the export series in
``market_parameters.csv``, with Japan's published stockpile policy and a partly filled
one. The text is ``templates/timeline.toml.in``."""

from __future__ import annotations

import datetime as dt

from .data import ga_precontrol_month, import_row, mp, read_csv, stockpile_fact
from .fill import fill, stockpile_block
from .policy import high_risk_metals, stockpile_days


TIMELINE_START = dt.date(2023, 7, 1)
TIMELINE_END = dt.date(2026, 1, 1)  # exclusive: the replay covers 2023-07-01 .. 2025-12-31


def day_of(month: str, day: int = 1) -> int:
    """The replay's day number of ``day`` in ``month`` (YYYY-MM)."""
    y, m = (int(x) for x in month.split("-"))
    return (dt.date(y, m, day) - TIMELINE_START).days


def control_months() -> dict[str, str]:
    return {r["month"]: r["what"] for r in read_csv("control_timeline.csv")}


def render_timeline(model: dict) -> str:
    """The text of ``configs/japan_timeline.toml``."""
    months = control_months()
    horizon = (TIMELINE_END - TIMELINE_START).days
    g23 = import_row("graphite (natural)", "Japan", "2023")
    g24 = import_row("graphite (natural)", "Japan", "2024")
    graphite_fall = 1.0 - float(g24["quantity"]) / float(g23["quantity"])
    high = high_risk_metals(model)
    target = stockpile_days(model, high)
    filled, _ = stockpile_fact("jp_2006_actual")
    base, _ = stockpile_fact("jp_target_baseline")
    partial = stockpile_days(model, high, filled / base)
    ga_on, gr_on, sb_on = day_of("2023-08"), day_of("2023-12"), day_of("2024-09")
    wt_on, re_on = day_of("2025-02"), day_of("2025-04")
    # regimes (models/data/market_parameters.csv)
    ga_delay = (dt.date(2023, 10, 1) - dt.date(2023, 8, 1)).days
    ga_month = ga_precontrol_month()
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
    return fill("timeline.toml.in",
                start=TIMELINE_START.isoformat(), end=TIMELINE_END.isoformat(), horizon=horizon, ga_delay=ga_delay,
                ga_month=f"{ga_month:,.0f}", ga_nov=f"{ga_nov:.2f}", ga_janfeb=f"{ga_janfeb:.2f}",
                ga_mar=f"{ga_mar:.2f}", ga_sev=f"{ga_sev:.3f}", ga_2024=f"{ga_2024:,.0f}",
                ga_2024_ratio=f"{ga_2024_ratio:.2f}", ga_easing=f"{ga_easing:.3f}", ga_on=ga_on,
                ga_duration=horizon - ga_on, ge_oct=f"{ge_oct:.2f}", ge_nov=f"{ge_nov:.2f}", ge_sev=f"{ge_sev:.3f}",
                ge_2024=f"{ge_2024:,.0f}", ge_2024_ratio=f"{ge_2024_ratio:.2f}", ge_2022=f"{ge_2022:,.0f}",
                ge_easing=f"{ge_easing:.3f}", ge_left=f"{ge_left:.2f}", gr_dec=f"{gr_dec:.0f}",
                gr_jan=f"{gr_jan:,.0f}", gr_norm=f"{gr_norm:,.0f}", gr_sev=f"{gr_sev:.3f}", gr_feb=f"{gr_feb:.2f}",
                gr_mar=f"{gr_mar:.2f}", graphite_fall=f"{graphite_fall:.3f}",
                gr_2023_t=f"{float(g23['quantity'])/1000:,.0f}", gr_2024_t=f"{float(g24['quantity'])/1000:,.0f}",
                gr_on=gr_on, gr_duration=horizon - gr_on, sb_loss=f"{sb_loss:g}", sb_leak=f"{sb_leak:.3f}",
                sb_th=f"{sb_th:,.0f}", sb_month_2023=f"{sb_month_2023:,.0f}", sb_on=sb_on,
                sb_duration=horizon - sb_on, wt_on=wt_on, wt_duration=horizon - wt_on, re_delay=re_delay,
                re_easing=f"{re_easing:.3f}", re_on=re_on, re_duration=horizon - re_on,
                high_risk=', '.join(sorted(high)), fill=f"{filled:g}", base=f"{base:g}",
                target_stock=stockpile_block(target), partial_stock=stockpile_block(partial))
