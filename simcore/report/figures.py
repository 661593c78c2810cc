"""Figures of a results store (matplotlib, headless: no pyplot, Agg canvas).

Every function takes datasets read from a store and returns a
:class:`matplotlib.figure.Figure` whose artists hold exactly the numbers of the store:
lines carry a ``label`` (policy / mix) and a ``gid`` saying what they show, so tests
and users can read them back (``Line2D.get_xydata()``). Every axis names its unit and
every figure carries a caption (model, config, scenario count, seed) as a figure text,
wrapped to the figure's width (:mod:`simcore.report.caption`). Exceedance curves are
drawn in :mod:`simcore.report.exceedance` (re-exported here).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)  # headless; harmless if a backend is already chosen

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simcore.report.caption import place_caption  # noqa: E402
from simcore.report.exceedance import (  # noqa: E402,F401  (re-exported: the names of earlier releases)
    QUANTILE_STATS,
    exceedance,
    exceedance_figure,
    quantile_exceedance,
)

def caption_text(attrs: dict) -> str:
    """``model M · config C · N scenarios · seed S`` from store attributes."""
    config = attrs.get("config") or "(no config file)"
    n = attrs.get("n_scenarios", attrs.get("scenarios", "?"))
    return f"model {attrs.get('model', '?')} · config {config} · {n} scenarios · seed {attrs.get('seed', '?')}"


def _figure(n_panels: int, caption: str, title: str, width: float = 4.2, height: float = 3.2) -> tuple[Figure, list]:
    """A constrained-layout figure of ``n_panels`` axes (at most 3 a row, ``width`` x
    ``height`` inches each), the title above and the caption wrapped below
    (:func:`simcore.report.caption.place_caption`)."""
    cols = min(n_panels, 3)
    rows = -(-n_panels // cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    fig.suptitle(title)
    place_caption(fig, caption)
    fig.get_layout_engine().set(h_pad=0.15)
    return fig, axes[:n_panels]


def fan_figure(daily: xr.DataArray, *, element_dim: str | None, ylabel_of, caption: str, title: str,
               reference: str | None = "no-policy") -> Figure:
    """Small multiples of the daily trajectories: one row per element, one column per
    policy (y shared along a row), each panel the median and the full range (min to
    max) of the **stored** scenarios, so nothing overlaps and nothing claims more than
    the few trajectories show; the ``reference`` policy's median is repeated in grey in
    the other panels of its row.

    ``daily``: ``(policy, scenario, day[, element_dim])`` (a store's ``daily`` group holds
    the first ``run.daily_scenarios`` scenarios). Lines: ``gid =
    "fan:<element>:<policy>:q50"`` (median over the stored scenarios), ``...:min`` and
    ``...:max`` (the range's edges, thin; the band is filled between them),
    ``"fan:<element>:<policy>:reference"`` (the reference's median)."""
    elements = list(daily[element_dim].values) if element_dim else [None]
    policies = [str(p) for p in daily["policy"].values]
    n_kept = daily.sizes["scenario"]
    rows, cols = len(elements), len(policies)
    text = (f"Median and range (min to max) of the {n_kept} stored scenarios (run.daily_scenarios), not quantiles "
            f"of the run's distribution; grey: the {reference} median. " if reference in policies else
            f"Median and range (min to max) of the {n_kept} stored scenarios (run.daily_scenarios). ") + caption
    fig = Figure(figsize=(max(2.6 * cols, 6.0), 2.0 * rows + 1.2), layout="constrained")
    FigureCanvasAgg(fig)
    grid = fig.subplots(rows, cols, squeeze=False, sharex=True, sharey="row")
    fig.suptitle(f"{title}: median and range of the {n_kept} stored scenarios")
    place_caption(fig, text)
    days = daily["day"].values
    day_attrs = daily["day"].attrs  # the store's attributes (a store of format 1 has none)
    xlabel = f"{day_attrs.get('long_name', 'day')} [{day_attrs.get('units', 'days since start')}]"
    for r, element in enumerate(elements):
        data = daily.sel({element_dim: element}) if element_dim else daily
        medians = {}
        for policy in policies:
            values = np.asarray(data.sel(policy=policy).transpose("scenario", "day").values, np.float64)
            medians[policy] = (np.median(values, axis=0), values.min(axis=0), values.max(axis=0))
        for c, policy in enumerate(policies):
            ax = grid[r][c]
            mid, low, high = medians[policy]
            color = f"C{c % 10}"
            if reference in medians and policy != reference:
                ax.plot(days, medians[reference][0], color="0.55", lw=1.0, ls="--",
                        gid=f"fan:{element}:{policy}:reference")
            ax.fill_between(days, low, high, color=color, alpha=0.2, linewidth=0)
            ax.plot(days, low, color=color, lw=0.5, gid=f"fan:{element}:{policy}:min")
            ax.plot(days, high, color=color, lw=0.5, gid=f"fan:{element}:{policy}:max")
            ax.plot(days, mid, color=color, lw=1.5, gid=f"fan:{element}:{policy}:q50")
            fan_panel_labels(ax, f"{element} · {policy}" if element is not None else policy,
                             ylabel_of(element) if c == 0 else None, xlabel if r == rows - 1 else None)
    return fig


def fan_panel_labels(ax, title: str, ylabel: str | None, xlabel: str | None) -> None:
    """A fan chart panel's title, ticks and grid; the y label in the first column, the x
    label in the last row (None elsewhere)."""
    ax.set_title(title, fontsize=8)
    ax.tick_params(labelsize=7)
    ax.grid(alpha=0.3)
    if ylabel is not None:
        ax.set_ylabel(ylabel, fontsize=7)
    if xlabel is not None:
        ax.set_xlabel(xlabel, fontsize=7)


def bars_figure(table: dict, *, caption: str, title: str) -> Figure:
    """Grouped bars: ``table`` metric -> (unit, {label: value}); one panel per metric.
    Bar containers get ``gid = "bars:<metric>"`` and the labels as tick labels."""
    fig, axes = _figure(len(table), caption, title)
    for ax, (metric, (unit, values)) in zip(axes, table.items()):
        labels = list(values)
        ax.bar(np.arange(len(labels)), [values[k] for k in labels], gid=f"bars:{metric}", color="C0")
        ax.set_xticks(np.arange(len(labels)), labels, rotation=30, ha="right", fontsize=7)
        ax.set_ylabel(f"reduction vs no policy [{unit}]")
        ax.set_title(metric, fontsize=9)
        ax.axhline(0, color="k", lw=0.5)
        ax.grid(alpha=0.3, axis="y")
    return fig


def shapley_figure(attribution: xr.Dataset, metrics: list[str], *, caption: str) -> Figure:
    """Per metric: stacked Shapley values per player (one bar, gid ``shapley:<metric>:<player>``),
    the single-player effects beside it (gid ``single:<metric>``) and the all-players
    effect as a line (gid ``all:<metric>``). Per-product metrics are summed over products."""
    fig, axes = _figure(len(metrics), caption, f"Shapley split of {attribution.attrs.get('policy')}'s risk reduction "
                        f"({attribution.attrs.get('method')})")
    players = [str(p) for p in attribution["player"].values]
    for ax, metric in zip(axes, metrics):
        phi = _total(attribution[metric])
        single = _total(attribution[f"{metric}_single"])
        everything = float(_total(attribution[f"{metric}_all"]))
        bottom_pos = bottom_neg = 0.0
        for k, player in enumerate(players):
            value = float(phi.sel(player=player))
            bottom = bottom_pos if value >= 0 else bottom_neg
            ax.bar(0, value, bottom=bottom, color=f"C{k}", label=player, gid=f"shapley:{metric}:{player}")
            if value >= 0:
                bottom_pos += value
            else:
                bottom_neg += value
        ax.bar(np.arange(1, len(players) + 1), [float(single.sel(player=p)) for p in players],
               color=[f"C{k}" for k in range(len(players))], alpha=0.5, gid=f"single:{metric}")
        ax.plot([-0.5, len(players) + 0.5], [everything, everything], "k--", lw=1, gid=f"all:{metric}",
                label="all together")
        ax.set_xticks(np.arange(len(players) + 1), ["Shapley"] + [f"{p} alone" for p in players], rotation=30,
                      ha="right", fontsize=7)
        ax.set_title(metric, fontsize=9)
        ax.set_ylabel(f"reduction [{attribution[metric].attrs.get('units', '')}]")
        ax.grid(alpha=0.3, axis="y")
    if axes:
        axes[0].legend(fontsize=7)
    return fig


def _total(var: xr.DataArray) -> xr.DataArray:
    return var.sum("product") if "product" in var.dims else var


LABEL_OFFSETS = ((6, 6), (6, -12), (-6, 6), (-6, -12), (10, -3), (-10, -3))  # points; cycled along the front


def pareto_figure(cost: np.ndarray, risks: dict, reference: dict, *, cost_unit: str, caption: str,
                  labels: list[str] | None = None, label_key: str = "", intervals: dict | None = None,
                  label_all_up_to: int = 12) -> Figure:
    """Cost–risk scatter of every mix with its Pareto front, one panel per risk.

    ``cost`` [M] total cost per mix; ``risks``: name -> (unit, values [M]);
    ``reference``: name -> no-policy value (cost 0); ``labels`` [M]: each mix's name or
    sweep coordinates (``label_key`` says what they list, e.g. the lever names), written
    next to the front's points (every point when there are at most ``label_all_up_to``),
    offset in turn in :data:`LABEL_OFFSETS` so that neighbours do not overlap;
    ``intervals``: name -> half-widths [M] of each mix's 90 % interval (its paired
    interval against no policy), drawn as vertical bars.

    Artists: the scatter (``gid = "mixes:<risk>"``), the front as a line through the
    non-dominated mixes sorted by cost (``gid = "front:<risk>"``), the reference point
    (``gid = "reference:<risk>"``), the intervals (``gid = "interval:<risk>"``, a
    LineCollection of one vertical segment per mix) and each label, a text with ``gid = "label:<risk>:<mix index>"``
    anchored at its point."""
    from simcore.analysis.costs import pareto_front

    text = caption
    if labels is not None:
        text = (f"Labels{' (' + label_key + ')' if label_key else ''}: "
                f"{'every mix' if len(labels) <= label_all_up_to else 'the mixes on the front'}. ") + text
    if intervals:
        text = "Bars: 90 % interval of each mix's paired difference from no policy. " + text
    fig, axes = _figure(len(risks), text, "Cost–risk trade-off of the sweep (each point a mix)", width=5.0,
                        height=3.8)
    for ax, (name, (unit, risk)) in zip(axes, risks.items()):
        ax.scatter(cost, risk, s=10, alpha=0.6, gid=f"mixes:{name}", label="mixes")
        if intervals and name in intervals:
            bars = ax.errorbar(cost, risk, yerr=np.asarray(intervals[name], np.float64), fmt="none", ecolor="0.6",
                               elinewidth=0.8, capsize=2, label="90 % interval")
            bars.lines[2][0].set_gid(f"interval:{name}")  # the vertical bars' LineCollection
        front = pareto_front(cost, risk)
        order = np.argsort(cost[front], kind="stable")
        ax.plot(cost[front][order], risk[front][order], "r-o", ms=3, gid=f"front:{name}", label="Pareto front")
        ax.plot([0.0], [reference[name]], "k*", ms=9, gid=f"reference:{name}", label="no policy")
        if labels is not None:
            shown = np.arange(cost.size) if cost.size <= label_all_up_to else np.flatnonzero(front)[order]
            for k, i in enumerate(shown):
                dx, dy = LABEL_OFFSETS[k % len(LABEL_OFFSETS)]
                ax.annotate(labels[i], (cost[i], risk[i]), xytext=(dx, dy), textcoords="offset points", fontsize=6,
                            ha="left" if dx > 0 else "right", gid=f"label:{name}:{i}",
                            arrowprops={"arrowstyle": "-", "color": "0.6", "lw": 0.5})
        ax.set_xlabel(f"total cost [{cost_unit}]")
        ax.set_ylabel(f"{name} [{unit}]")
        ax.grid(alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7)
    return fig


def response_levels(table: xr.Dataset, dims: list[str], fixed: dict | None = None) -> tuple[dict, str]:
    """The levels at which :func:`response_figure` holds the levers it does not show
    (``dims[2:]``), and where they come from: ``fixed`` (lever -> value, the user's
    choice) where given, else the sweep's base mix (``attrs["base_levels"]``, JSON lever ->
    value), each moved to the nearest value of the grid; for a store without base levels,
    the lever's first grid value. Raises ValueError naming every lever of ``fixed`` that
    is not a hidden lever of the sweep."""
    import json

    fixed = dict(fixed or {})
    unknown = [name for name in fixed if name not in dims[2:]]
    if unknown:
        raise ValueError(f"cannot fix {', '.join(unknown)}: the levers held fixed in the response are "
                         f"{', '.join(dims[2:]) or '(none: the sweep has at most two levers)'}")
    base = json.loads(table.attrs.get("base_levels", "{}") or "{}")
    levels, sources = {}, set()
    for dim in dims[2:]:
        grid = np.asarray(table[dim].values, np.float64)
        if dim in fixed:
            wanted, sources = float(fixed[dim]), sources | {"chosen"}
        elif dim in base:
            wanted, sources = float(base[dim]), sources | {f"base mix {table.attrs.get('base', '')}".strip()}
        else:
            wanted, sources = grid[0], sources | {"first grid value (the store names no base mix levels)"}
        levels[dim] = float(grid[np.argmin(np.abs(grid - wanted))])
    return levels, ", ".join(sorted(sources))


def response_figure(table: xr.Dataset, metric: str, dims: list[str], *, caption: str, lever_units: dict,
                    fixed: dict | None = None) -> Figure:
    """A grid sweep's ``metric`` (summed over products) against its first lever, one line
    per value of the second, the other levers held at :func:`response_levels` (the base
    mix's by default, or ``fixed``), named in the title and on the axes.

    Lines ``gid = "response:<second value>"`` (``"response:all"`` for a one-lever sweep),
    x the first lever's values, y the metric."""
    var = _total(table[metric])
    first = dims[0]
    levels, source = response_levels(table, dims, fixed)
    var = var.sel(levels) if levels else var
    held = "; ".join(f"{d} = {v:g} {lever_units.get(d, '')}".rstrip() for d, v in levels.items())
    title = f"{metric} along the sweep" + (f"\nother levers held at {held} ({source})" if levels else "")
    fig, axes = _figure(1, caption, title, width=6.0, height=4.0)
    ax = axes[0]
    if len(dims) > 1:
        for value in var[dims[1]].values:
            line = var.sel({dims[1]: value})
            ax.plot(line[first].values, line.values, marker="o", ms=3,
                    label=f"{dims[1]} = {value:g} {lever_units.get(dims[1], '')}".rstrip(), gid=f"response:{value:g}")
    else:
        ax.plot(var[first].values, var.values, marker="o", ms=3, gid="response:all")
    ax.set_xlabel(f"{first} [{lever_units.get(first, '')}]")
    ax.set_ylabel(f"{metric} [{table[metric].attrs.get('units', '')}]")
    ax.grid(alpha=0.3)
    if len(dims) > 1:
        ax.legend(fontsize=7)
    return fig


def optimize_figure(result: xr.Dataset, *, caption: str) -> Figure:
    """Cost–risk of the optimised mixes across the budgets (the Pareto front of the
    optimisation) and of the search's best points, both evaluated out of sample on the
    exact engine, with 2 standard-error bars. Lines: ``gid = "optimize:optax"`` /
    ``"optimize:search"`` (x: standing cost, y: expected value-added loss), the budgets
    as ``gid = "optimize:budget"``; each optimised point labelled with its probability of
    lying on the front (``optax_p_pareto``, ``gid = "optimize:p_pareto"``) where stored."""
    fig, axes = _figure(1, caption, "Optimised mixes: cost against risk\n(exact engine, fresh scenarios, ± 2 SE)",
                        width=7.0, height=4.2)
    ax = axes[0]
    cost_unit = result["budget"].attrs.get("units", "currency / year")
    io_unit = result["optax_test_mean_loss"].attrs.get("units", "")
    for who, colour in (("optax", "C3"), ("search", "C0")):
        cost = np.asarray(result[f"{who}_standing_cost"].values, np.float64)
        risk = np.asarray(result[f"{who}_test_mean_loss"].values, np.float64)
        se = np.asarray(result[f"{who}_test_se"].values, np.float64)
        ax.errorbar(cost, risk, yerr=2 * se, fmt="o-" if who == "optax" else "s--", color=colour, ms=4,
                    label=f"best of the {result.attrs.get('search', '')} search" if who == "search" else "optax (Adam)",
                    gid=f"optimize:{who}")
    budgets = np.asarray(result["budget"].values, np.float64)
    ax.plot(budgets, np.asarray(result["optax_test_mean_loss"].values, np.float64), ls="none", marker="|", ms=12,
            color="0.5", gid="optimize:budget", label="budget")
    if "optax_p_pareto" in result:  # how sure the front is: P(on the front) under resampling
        for x, y, p in zip(np.asarray(result["optax_standing_cost"].values, np.float64),
                           np.asarray(result["optax_test_mean_loss"].values, np.float64),
                           np.asarray(result["optax_p_pareto"].values, np.float64)):
            if np.isfinite(p):
                ax.annotate(f"P(front) {p:.2f}", (x, y), textcoords="offset points", xytext=(4, 4), fontsize=6,
                            color="C3", gid="optimize:p_pareto")
    ax.set_xlabel(f"standing cost (fiscal + normal-time price side effect) [{cost_unit}]")
    ax.set_ylabel(f"expected value-added loss over the horizon [{io_unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig
