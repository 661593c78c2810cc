"""Figures of a results store (matplotlib, headless: no pyplot, Agg canvas).

Every function takes datasets read from a store and returns a
:class:`matplotlib.figure.Figure` whose artists hold exactly the numbers of the store:
lines carry a ``label`` (policy / mix) and a ``gid`` saying what they show, so tests
and users can read them back (``Line2D.get_xydata()``). Every axis names its unit and
every figure carries a caption (model, config, scenario count, seed) as a figure text.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)  # headless; harmless if a backend is already chosen

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

FAN_LEVELS = (0.05, 0.5, 0.95)
QUANTILE_STATS = {"q05": 0.05, "q10": 0.10, "q50": 0.5, "q90": 0.9, "q95": 0.95, "q99": 0.99}


def caption_text(attrs: dict) -> str:
    """``model M · config C · N scenarios · seed S`` from store attributes."""
    config = attrs.get("config") or "(no config file)"
    n = attrs.get("n_scenarios", attrs.get("scenarios", "?"))
    return f"model {attrs.get('model', '?')} · config {config} · {n} scenarios · seed {attrs.get('seed', '?')}"


def _figure(n_panels: int, caption: str, title: str, width: float = 4.2, height: float = 3.2) -> tuple[Figure, list]:
    cols = min(n_panels, 3)
    rows = -(-n_panels // cols)
    fig = Figure(figsize=(width * cols, height * rows + 0.8), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n_panels:]:
        ax.set_visible(False)
    fig.suptitle(title)
    fig.text(0.5, 0.002, caption, ha="center", va="bottom", fontsize=7, gid="caption")
    fig.get_layout_engine().set(h_pad=0.15)
    return fig, axes[:n_panels]


def exceedance(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical exceedance curve: the distinct finite values ``x`` and ``P(X > x)``."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    xs = np.unique(values)
    return xs, (values[None, :] > xs[:, None]).mean(axis=1)


def quantile_exceedance(summary_var: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Exceedance points from a summary's quantiles: ``x = q_level``, ``P(X > x) ~ 1 - level``."""
    stats = [s for s in QUANTILE_STATS if s in summary_var["statistic"].values]
    xs = np.array([float(summary_var.sel(statistic=s)) for s in stats])
    return xs, np.array([1.0 - QUANTILE_STATS[s] for s in stats])


def exceedance_figure(per_element: dict, *, element_dim: str, xlabel: str, caption: str, title: str,
                      source: str) -> Figure:
    """One panel per element (product / sector), one line per policy.

    ``per_element``: element -> {policy: (x, P(X > x))}; ``source`` says where the
    points come from (``per-scenario`` or ``summary quantiles``)."""
    fig, axes = _figure(len(per_element), caption, title)
    for ax, (element, curves) in zip(axes, per_element.items()):
        for policy, (xs, ps) in curves.items():
            drawstyle = "steps-post" if source == "per-scenario" else "default"
            ax.plot(xs, ps, label=str(policy), gid=f"exceedance:{element}:{policy}", drawstyle=drawstyle,
                    marker=None if source == "per-scenario" else "o", ms=3)
        ax.set_title(f"{element}" if element_dim else "")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("P(X > x) [share of scenarios]")
        ax.set_ylim(0, 1.02)
        ax.grid(alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7, title=f"policy ({source})", title_fontsize=7)
    return fig


def fan_figure(daily: xr.DataArray, *, element_dim: str | None, ylabel_of, caption: str, title: str) -> Figure:
    """Median and 5–95 % band over the kept scenarios, per element and policy.

    ``daily``: ``(policy, scenario, day[, element_dim])``. Lines: ``gid =
    "fan:<element>:<policy>:q50"`` (median) and ``...:q05`` / ``...:q95`` (band edges, thin);
    the band is a filled area between them."""
    elements = list(daily[element_dim].values) if element_dim else [None]
    fig, axes = _figure(len(elements), caption, title)
    days = daily["day"].values
    day_attrs = daily["day"].attrs  # the store's attributes (a store of format 1 has none)
    xlabel = f"{day_attrs.get('long_name', 'day')} [{day_attrs.get('units', 'days since start')}]"
    for ax, element in zip(axes, elements):
        data = daily.sel({element_dim: element}) if element_dim else daily
        for k, policy in enumerate(data["policy"].values):
            values = np.asarray(data.sel(policy=policy).transpose("scenario", "day").values, np.float64)
            low, mid, high = np.quantile(values, FAN_LEVELS, axis=0)
            color = f"C{k % 10}"
            ax.fill_between(days, low, high, color=color, alpha=0.15, linewidth=0)
            ax.plot(days, low, color=color, lw=0.5, gid=f"fan:{element}:{policy}:q05")
            ax.plot(days, high, color=color, lw=0.5, gid=f"fan:{element}:{policy}:q95")
            ax.plot(days, mid, color=color, lw=1.5, label=str(policy), gid=f"fan:{element}:{policy}:q50")
        ax.set_title(str(element) if element is not None else "")
        ax.set_xlabel(xlabel)
        ax.set_ylabel(ylabel_of(element))
        ax.grid(alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7, title="policy: median, 5–95 %", title_fontsize=7)
    return fig


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


def pareto_figure(cost: np.ndarray, risks: dict, reference: dict, *, cost_unit: str, caption: str) -> Figure:
    """Cost–risk scatter of every mix with its Pareto front, one panel per risk.

    ``risks``: name -> (unit, values [M]); ``reference``: name -> no-policy value (cost 0).
    Artists: the scatter (``gid = "mixes:<risk>"``), the front as a line through the
    non-dominated mixes sorted by cost (``gid = "front:<risk>"``), the reference point
    (``gid = "reference:<risk>"``)."""
    from simcore.analysis.costs import pareto_front

    fig, axes = _figure(len(risks), caption, "Cost–risk trade-off of the sweep (each point a mix)")
    for ax, (name, (unit, risk)) in zip(axes, risks.items()):
        ax.scatter(cost, risk, s=8, alpha=0.5, gid=f"mixes:{name}", label="mixes")
        front = pareto_front(cost, risk)
        order = np.argsort(cost[front], kind="stable")
        ax.plot(cost[front][order], risk[front][order], "r-o", ms=3, gid=f"front:{name}", label="Pareto front")
        ax.plot([0.0], [reference[name]], "k*", ms=9, gid=f"reference:{name}", label="no policy")
        ax.set_xlabel(f"total cost [{cost_unit}]")
        ax.set_ylabel(f"{name} [{unit}]")
        ax.grid(alpha=0.3)
    if axes:
        axes[0].legend(fontsize=7)
    return fig


def response_figure(table: xr.Dataset, metric: str, dims: list[str], *, caption: str, lever_units: dict) -> Figure:
    """A grid sweep's metric against its first lever, one line per value of the second
    (the other levers at their first value). Lines ``gid = "response:<second value>"``."""
    var = _total(table[metric])
    first = dims[0]
    rest = {d: 0 for d in dims[2:]}
    var = var.isel(rest) if rest else var
    fig, axes = _figure(1, caption, f"{metric} along the sweep")
    ax = axes[0]
    if len(dims) > 1:
        for value in var[dims[1]].values:
            line = var.sel({dims[1]: value})
            ax.plot(line[first].values, line.values, marker="o", ms=3, label=f"{dims[1]} = {value:g}",
                    gid=f"response:{value:g}")
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
    as ``gid = "optimize:budget"``."""
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
    ax.set_xlabel(f"standing cost (fiscal + normal-time price side effect) [{cost_unit}]")
    ax.set_ylabel(f"expected value-added loss over the horizon [{io_unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    return fig
