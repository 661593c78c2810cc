"""Fan charts from the quantiles streamed over every scenario of a run.

A run with ``run.fan_quantiles = true`` stores the group ``daily_quantiles``
(:mod:`simcore.run.fans`): per policy, kept day and element, the 5, 25, 50, 75 and
95 % quantiles over **all** its scenarios of the user price change, the stocks
(private + government) and the sector output share. :func:`quantile_fan_figure` draws
them as small multiples (one row per element, one column per policy, y shared along a
row): the 5–95 % band, the 25–75 % band and the median, with the reference policy's
median in grey in the other panels of its row. :func:`fan_sections` picks these
figures where the store has the group, else the fans of the few stored trajectories
(:func:`simcore.report.figures.fan_figure`, labelled as such) for stores without it.
"""

from __future__ import annotations

import numpy as np
import xarray as xr
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from simcore.report import figures as F
from simcore.report.caption import place_caption

BANDS = ((0.05, 0.95, 0.15), (0.25, 0.75, 0.3))  # (low, high, alpha): outer band first


def _tag(level: float) -> str:
    return f"q{round(level * 100):02d}"


def quantile_fan_figure(q: xr.DataArray, *, element_dim: str, ylabel_of, caption: str, title: str,
                        n_scenarios: int, reference: str | None = "no-policy") -> Figure:
    """Small multiples of the streamed quantiles ``q`` ``(quantile, policy, day,
    element_dim)``. Lines: ``gid = "fan:<element>:<policy>:q50"`` (median), ``...:q05``,
    ``...:q25``, ``...:q75``, ``...:q95`` (the band edges, thin; bands filled between
    them) and ``"fan:<element>:<policy>:reference"`` (the reference's median)."""
    elements = [str(e) for e in q[element_dim].values]
    policies = [str(p) for p in q["policy"].values]
    levels = [float(v) for v in q["quantile"].values]
    rows, cols = len(elements), len(policies)
    what = f"quantiles over all {n_scenarios:,} scenarios"
    text = (f"Bands: 5–95 % and 25–75 %, line: median; {what} (streamed per day, run.fan_quantiles)"
            + (f"; grey: the {reference} median" if reference in policies else "") + ". " + caption)
    fig = Figure(figsize=(max(2.6 * cols, 6.0), 2.0 * rows + 1.2), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey="row")
    fig.suptitle(f"{title}: {what}")
    place_caption(fig, text)
    days = np.asarray(q["day"].values)
    day_attrs = q["day"].attrs
    xlabel = f"{day_attrs.get('long_name', 'day')} [{day_attrs.get('units', 'days since start')}]"
    for r, element in enumerate(elements):
        data = q.sel({element_dim: element})
        values = {policy: {level: np.asarray(data.sel(policy=policy, quantile=level).values, np.float64)
                           for level in levels} for policy in policies}
        for c, policy in enumerate(policies):
            ax = grid[r][c]
            color = f"C{c % 10}"
            mine = values[policy]
            if reference in values and policy != reference and 0.5 in values[reference]:
                ax.plot(days, values[reference][0.5], color="0.55", lw=1.0, ls="--",
                        gid=f"fan:{element}:{policy}:reference")
            for low, high, alpha in BANDS:
                if low in mine and high in mine:
                    ax.fill_between(days, mine[low], mine[high], color=color, alpha=alpha, linewidth=0)
            for level in levels:
                if level != 0.5:
                    ax.plot(days, mine[level], color=color, lw=0.4, gid=f"fan:{element}:{policy}:{_tag(level)}")
            if 0.5 in mine:
                ax.plot(days, mine[0.5], color=color, lw=1.5, gid=f"fan:{element}:{policy}:q50")
            F.fan_panel_labels(ax, f"{element} · {policy}", ylabel_of(element) if c == 0 else None,
                               xlabel if r == rows - 1 else None)
    return fig


def fan_sections(quantiles: xr.Dataset | None, daily: xr.Dataset | None, product_units: dict, unit,
                 caption: str) -> tuple[list[tuple[str, Figure, str]], list[str]]:
    """``([(figure name, figure, heading)], notes)`` of the fan charts: from the streamed
    quantiles where the store has them, else from the stored trajectories ``daily``
    (median and range of the few kept scenarios, labelled so), else none (a note).
    ``product_units``: product -> its unit; ``unit(var)``: a variable's unit."""
    if quantiles is not None:
        return _quantile_fans(quantiles, product_units, unit, caption), []
    if daily is None:
        return [], ["no daily trajectories nor streamed quantiles in the store (run.daily_scenarios = 0, "
                    "run.fan_quantiles = false): no fan charts"]
    return _trajectory_fans(daily, product_units, unit, caption), [
        "fan charts show the few stored trajectories (run.daily_scenarios); run with run.fan_quantiles = true "
        "for quantiles over all scenarios"]


def _quantile_fans(qs: xr.Dataset, product_units: dict, unit, caption: str) -> list:
    n = int(qs.attrs.get("n_scenarios", 0))
    what = f"5–95 %, 25–75 % and median over all {n:,} scenarios"
    out = []
    if "stock" in qs:
        fig = quantile_fan_figure(qs["stock"].load(), element_dim="product", caption=caption, n_scenarios=n,
                                  title="Stocks (private + government)",
                                  ylabel_of=lambda p: f"stock [{product_units.get(p) or unit(qs['stock'])}]")
        out.append(("fan_stocks", fig, f"Stocks over the days ({what})"))
    if "price_change" in qs:
        fig = quantile_fan_figure(qs["price_change"].load(), element_dim="product", caption=caption, n_scenarios=n,
                                  title="User price change (1 = +100 %)",
                                  ylabel_of=lambda p: f"price change [{unit(qs['price_change'])}]")
        out.append(("fan_prices", fig, f"User prices over the days ({what})"))
    if "sector_output_share" in qs:
        fig = quantile_fan_figure(qs["sector_output_share"].load(), element_dim="sector", caption=caption,
                                  n_scenarios=n, title="Sector output (share of baseline)",
                                  ylabel_of=lambda s: f"output [{unit(qs['sector_output_share'])}]")
        out.append(("fan_output", fig, f"Sector output over the days ({what})"))
    return out


def _trajectory_fans(daily: xr.Dataset, product_units: dict, unit, caption: str) -> list:
    n_kept = daily.sizes.get("scenario", 0)
    what = f"median and range of the {n_kept} stored scenarios"
    out = []
    if "private_stock" in daily and "gov_stock" in daily:
        fig = F.fan_figure((daily["private_stock"] + daily["gov_stock"]).load(), element_dim="product",
                           caption=caption, title="Stocks (private + government)",
                           ylabel_of=lambda p: f"stock [{product_units.get(p) or unit(daily['private_stock'])}]")
        out.append(("fan_stocks", fig, f"Stocks over the days ({what})"))
    if "price_change" in daily:
        fig = F.fan_figure(daily["price_change"].load(), element_dim="product", caption=caption,
                           title="User price change (1 = +100 %)",
                           ylabel_of=lambda p: f"price change [{unit(daily['price_change'])}]")
        out.append(("fan_prices", fig, f"User prices over the days ({what})"))
    if "sector_output_share" in daily:
        fig = F.fan_figure(daily["sector_output_share"].load(), element_dim="sector", caption=caption,
                           title="Sector output (share of baseline)",
                           ylabel_of=lambda s: f"output [{unit(daily['sector_output_share'])}]")
        out.append(("fan_output", fig, f"Sector output over the days ({what})"))
    return out
