"""Waterfall of an attribution: from no policy to all players, with the interaction bars.

An exact attribution's all-players effect splits, by the Harsanyi dividends, into the
single-player effects, the pairwise interactions, the three-way interaction and (with
more than three players) higher-order terms: ``v(N) = sum_i v({i}) + sum_{|S|=2} m(S) +
sum_{|S|=3} m(S) + ...``. The waterfall draws that sum as floating bars starting at the
baseline (no policy, a reduction of 0): one bar per player alone, one for the sum of the
pairwise interactions, one for the three-way term (and one for higher orders), ending
at the all-players bar. With pillars that substitute for each other the interaction
bars go down: the pillars together avoid less than their single effects added up.

Every bar carries its 90 % interval as an error bar (paired over scenarios, from the
attribution's ``*_se`` variables) and a ``gid`` — ``waterfall:<metric>:<step>`` with
step ``single:<player>``, ``interaction:2``, ``interaction:3``, ``interaction:4+``,
``all`` — so its height (the term) and bottom (the running total before it) can be read
back against the store. Per-product metrics are summed over products.

Wiring into ``simcore report`` (``simcore/report/__init__.py``, ``_attribution_section``)::

    from simcore.report.attribution import waterfall_figure
    report.figures["waterfall"] = waterfall_figure(attribution, "expected_shortage_days_total",
                                                   caption=caption)
    sections.append(_figure_md("waterfall", "From no policy to all pillars, with interactions"))
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)  # headless; harmless if a backend is already chosen

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simcore.analysis.intervals import Z  # noqa: E402
from simcore.report.caption import place_caption  # noqa: E402

ORDER_NAMES = {2: "pairwise interactions", 3: "three-way interaction"}


def waterfall_steps(attribution: xr.Dataset, metric: str) -> list[tuple[str, str, float, float]]:
    """The waterfall's bars ``(gid step, label, value, se)`` in drawing order, the last
    one the all-players effect; the other values add up to it (up to rounding).

    Needs an exact attribution (the interaction terms); raises ``ValueError`` otherwise,
    in one line naming the metric and the method."""
    if metric not in attribution:
        raise ValueError(f"attribution has no metric {metric!r}; has "
                         f"{', '.join(m for m in attribution.attrs.get('metrics', '').split(',') if m)}")
    if f"{metric}_interaction_order" not in attribution:
        raise ValueError(f"the waterfall of {metric} needs an exact attribution (interaction terms), got method "
                         f"{attribution.attrs.get('method')!r}")

    def summed(name):
        value = attribution[name]
        se_name = f"{name}_summed_se" if "product" in value.dims else f"{name}_se"
        se = attribution[se_name] if se_name in attribution else xr.full_like(value.astype(float), np.nan)
        return (value.sum("product") if "product" in value.dims else value), se

    single, single_se = summed(f"{metric}_single")
    order, order_se = summed(f"{metric}_interaction_order")
    everything, everything_se = summed(f"{metric}_all")
    steps = [(f"single:{p}", f"{p} alone", float(single.sel(player=p)), float(single_se.sel(player=p)))
             for p in [str(x) for x in attribution["player"].values]]
    orders = [int(k) for k in order["order"].values]
    for k in [k for k in orders if k <= 3]:
        steps.append((f"interaction:{k}", ORDER_NAMES[k], float(order.sel(order=k)), float(order_se.sel(order=k))))
    higher = [k for k in orders if k > 3]
    if higher:
        value = float(order.sel(order=higher).sum())
        se = float(np.sqrt((order_se.sel(order=higher) ** 2).sum()))  # as if independent: a guide only
        steps.append(("interaction:4+", "higher-order interactions", value, se))
    steps.append(("all", "all together", float(everything), float(everything_se)))
    return steps


def waterfall_figure(attribution: xr.Dataset, metric: str = "expected_shortage_days_total", *,
                     caption: str = "") -> Figure:
    """The waterfall of ``metric`` (see the module doc) as a matplotlib Figure (Agg canvas).

    Bars of a step start where the previous ended (``bottom``) and rise by its term
    (``height``; a negative term hangs down); the all-players bar starts at 0. Error bars
    are 90 % intervals of each term. The y axis is the reduction against no policy in the
    metric's unit."""
    steps = waterfall_steps(attribution, metric)
    unit = attribution[metric].attrs.get("units", "")
    fig = Figure(figsize=(1.2 * len(steps) + 2.5, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    running = 0.0
    for x, (step, label, value, se) in enumerate(steps):
        if step == "all":
            bottom, color = 0.0, "0.3"
        else:
            bottom = running
            running += value
            color = "C0" if step.startswith("single") else ("C3" if value < 0 else "C2")
        ax.bar(x, value, bottom=bottom, color=color, gid=f"waterfall:{metric}:{step}")
        if np.isfinite(se):
            ax.errorbar(x, bottom + value, yerr=Z * se, color="k", capsize=3, lw=1,
                        gid=f"waterfall_interval:{metric}:{step}")
        if step != "all" and x + 1 < len(steps):
            ax.plot([x + 0.4, x + 0.6], [running, running], color="0.5", lw=0.8)
    ax.axhline(0, color="k", lw=0.5)
    ax.set_xticks(np.arange(len(steps)), [label for _, label, _, _ in steps], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel(f"reduction against no policy [{unit}]")
    ax.grid(alpha=0.3, axis="y")
    ax.set_title(f"{metric}: {attribution.attrs.get('policy', '')} from no policy to all players "
                 "(bars: 90 % intervals)", fontsize=9)
    place_caption(fig, caption)  # wrapped to the width, below the axes
    return fig
