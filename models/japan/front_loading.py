"""Front-loading room before a control (its announcement lead): how much extra supply a
material's importers could buy and store, read off the export surges observed in the
month before China's controls (``market_parameters.csv``), or assumed where none was
observed."""

from __future__ import annotations

from .assumptions import U
from .data import MP, ga_precontrol_month, mp
from .sourced import central, drawn


def front_loading(by_name: dict[str, dict]) -> None:
    """``restock_headroom`` (supply above need available for restocking) and, where a surge was
    observed, ``storage_room_days`` of every material (in place)."""
    ga_month = ga_precontrol_month()
    gr = by_name["natural_graphite"]
    ga_low = max(0.0, 5150 / 7670 - 1)
    by_name["gallium"]["restock_headroom"] = drawn(
        ga_low, mp("ga_cn_exports_2023_07") / ga_month - 1, 4.726 - 1,
        f"computed from China's gallium exports in July 2023, the month before licensing ({MP}): mode = "
        f"{mp('ga_cn_exports_2023_07'):,.0f} kg / the pre-control monthly mean {ga_month:,.0f} kg - 1; high = the "
        f"July/June ratio 4.726 - 1 (a low June); low 0 (wrought gallium 5.15 t in July 2023 was below July 2022's "
        f"7.67 t)")
    by_name["gallium"]["storage_room_days"] = drawn(
        0.0, 31 * (mp("ga_cn_exports_2023_07") / ga_month - 1), 31 * 1.0,
        "computed: the July-2023 surge above the normal flow x 31 days (what importers stored in the month before "
        "the control); high = one extra month of flow (assumed)")
    by_name["germanium"]["restock_headroom"] = drawn(
        mp("ge_jul2023_products_mm") - 1, mp("ge_jul2023_yy") - 1, mp("ge_jul2023_mm") - 1,
        f"computed from China's germanium exports in July 2023 ({MP}): low = products +25.3% m/m, mode = +41% y/y, "
        f"high = 'more than double' June")
    by_name["germanium"]["storage_room_days"] = drawn(
        31 * (mp("ge_jul2023_products_mm") - 1), 31 * (mp("ge_jul2023_yy") - 1), 31 * (mp("ge_jul2023_mm") - 1),
        "computed: the July-2023 germanium surge above the normal flow (same rows) x 31 days")
    jp_normal = sum(mp(f"gr_jp_2023_{m:02d}") for m in range(6, 11)) / 5
    jp_surge = mp("gr_jp_2023_11") / jp_normal - 1
    cn_share = central(gr["import_share"]["CN"])
    by_name["natural_graphite"]["restock_headroom"] = drawn(
        mp("gr_nov2023_surge") - 1, jp_surge * cn_share, jp_surge,
        f"computed from the Nov-2023 graphite surge ({MP}): low = China's exports +161.9% on the Jan-Oct average "
        f"(S&P); mode = China's HS 250410 exports to Japan in Nov 2023 {mp('gr_jp_2023_11') / 1000:,.0f} t over the "
        f"Jun-Oct 2023 mean {jp_normal / 1000:,.0f} t, minus 1, x China's import share {cn_share:g} (Comtrade); high "
        f"= the same without the share")
    gr_days = 30 * jp_surge * cn_share
    by_name["natural_graphite"]["storage_room_days"] = drawn(
        30 * (mp("gr_nov2023_surge") - 1), gr_days, 1.5 * gr_days,
        f"computed: the Nov-2023 surge of China's graphite to Japan above its normal flow x 30 days, in days of "
        f"Japan's use (mode {gr_days:.0f}); low = the world surge (S&P) x 30; high = 1.5 x mode (assumed: a longer "
        f"announcement lead)")
    by_name["antimony"]["restock_headroom"] = drawn(
        mp("sb_aug2024_products") - 1, mp("sb_aug2024_oxide") - 1, mp("sb_aug2024_metal") - 1,
        f"computed from China's antimony exports in Aug 2024, the month before licensing ({MP}): products +12%, "
        f"oxide x1.21, metal x1.584 on July")
    by_name["antimony"]["storage_room_days"] = drawn(
        31 * (mp("sb_aug2024_products") - 1), 31 * (mp("sb_aug2024_oxide") - 1), 31 * (mp("sb_aug2024_metal") - 1),
        "computed: the Aug-2024 antimony surge above the normal flow (same rows) x 31 days")
    for name in ("tungsten", "tellurium", "ndpr_oxide", "dysprosium", "terbium", "samarium", "ndfeb_magnet",
                 "ndfeb_magnet_direct", "smco_magnet"):
        by_name[name]["restock_headroom"] = U("restock_headroom_unobserved")
