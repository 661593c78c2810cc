"""Figures of the chokepoint screen (group ``screen`` of a store, :mod:`simcore.analysis.screen`).

* :func:`criticality_figure`: the criticality matrix: per unit its supply risk (the
  largest share of a product's supply that fails with it) against its economic impact
  (expected value-added loss under the ranking disruption, first mix), point size the
  probability of the unit's own hazard within a year (smallest size: no hazard given),
  colour its kind, single points of failure ringed.
* :func:`ranking_figure`: the top units' expected losses with their 90 % intervals
  (bars) and their 90 % bootstrap rank intervals written beside.
* :func:`dependency_figure`: the dependency graph of the top units, drawn with plain
  matplotlib in columns: hidden upstream supplies (tier 3, dashed edges; every hidden
  link of the products shown) -> the units' supplies -> products -> sectors (edge width:
  the sector's exposure to the product).

Every point, bar and edge has a ``gid`` (``unit:<name>``, ``bar:<name>``,
``edge:<from>-><to>``) and plots the stored value, so a test can read it back.
:func:`screen_sections` is the hook of ``simcore report`` (:mod:`simcore.report.build`).
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402

from simcore.report.caption import place_caption  # noqa: E402

Z = 1.6448536269514722  # simcore.analysis.intervals.Z (90 %)
KIND_COLOURS = {"product": "C0", "service": "C2", "link": "C1", "hidden": "C3"}


def _view(ds: xr.Dataset) -> xr.Dataset:
    return ds.isel(policy=0).sel(disruption=ds.attrs["rank_by"])


def _top(ds: xr.Dataset, n: int) -> list[int]:
    view = _view(ds)
    order = np.argsort(view["rank"].values, kind="stable")
    return [int(i) for i in order if np.isfinite(view["expected_loss"].values[i])][:n]


def criticality_figure(ds: xr.Dataset, caption: str = "") -> Figure:
    view = _view(ds)
    fig = Figure(figsize=(9, 6.5), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    names = [str(u) for u in ds["unit"].values]
    loss = view["expected_loss"].values
    risk = ds["supply_share"].values
    prob = ds["hazard_probability"].values
    positive = loss[np.isfinite(loss) & (loss > 0)]
    floor = positive.min() / 10 if positive.size else 1.0
    for i, name in enumerate(names):
        if not np.isfinite(loss[i]):
            continue
        kind = str(ds["kind"].values[i])
        size = 20 + 400 * float(prob[i])
        ax.scatter(risk[i], max(loss[i], floor), s=size, color=KIND_COLOURS.get(kind, "C7"), alpha=0.6,
                   edgecolors="k" if bool(ds["spof"].values[i]) else "none", linewidths=1.5, gid=f"unit:{name}")
    for i in _top(ds, 10):
        ax.annotate(names[i], (risk[i], max(loss[i], floor)), fontsize=7, xytext=(4, 4), textcoords="offset points")
    ax.set_yscale("log")
    ax.set_xlabel("supply risk: largest share of a product's supply that fails with the unit", fontsize=9)
    ax.set_ylabel(f"economic impact: E[value-added loss] under {ds.attrs['rank_by']} [{ds.attrs.get('units', '')}]"
                  f"\n(zero plotted at the floor)", fontsize=9)
    handles = [Line2D([], [], marker="o", ls="", color=c, label=k) for k, c in KIND_COLOURS.items()]
    handles += [Line2D([], [], marker="o", ls="", color="w", markeredgecolor="k", label="single point of failure"),
                Line2D([], [], marker="o", ls="", color="0.6", markersize=12,
                       label="size: P(own hazard within a year)")]
    ax.legend(handles=handles, fontsize=7, loc="lower right")
    ax.set_title(f"Criticality matrix: {ds.attrs['model']}, {str(ds['policy'].values[0])}", fontsize=10)
    place_caption(fig, caption)
    return fig


def ranking_figure(ds: xr.Dataset, caption: str = "", top: int = 25) -> Figure:
    view = _view(ds)
    idx = _top(ds, top)
    fig = Figure(figsize=(10, 0.32 * max(len(idx), 1) + 2.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    y = np.arange(len(idx))[::-1]
    for yy, i in zip(y, idx):
        name = str(ds["unit"].values[i])
        mean, se = float(view["expected_loss"][i]), float(view["expected_loss_se"][i])
        kind = str(ds["kind"].values[i])
        ax.barh(yy, mean, color=KIND_COLOURS.get(kind, "C7"), gid=f"bar:{name}")
        if np.isfinite(se) and se > 0:
            ax.errorbar(mean, yy, xerr=[[min(Z * se, mean)], [Z * se]], color="k", capsize=2, lw=0.8)
        lo, hi = float(view["rank_low"][i]), float(view["rank_high"][i])
        text = f"#{float(view['rank'][i]):.0f}" + (f" [{lo:.0f}-{hi:.0f}]" if np.isfinite(lo) else "")
        ax.text(mean + (Z * se if np.isfinite(se) else 0), yy, "  " + text, va="center", fontsize=7)
    ax.set_yticks(y, [str(ds["unit"].values[i])[:40] for i in idx], fontsize=7)
    ax.set_xlabel(f"E[value-added loss] under {ds.attrs['rank_by']} [{ds.attrs.get('units', '')}], 90 % interval; "
                  f"rank and 90 % bootstrap rank interval beside", fontsize=8)
    ax.set_title(f"Ranked units: {ds.attrs['model']}, {str(ds['policy'].values[0])}", fontsize=10)
    place_caption(fig, caption)
    return fig


def dependency_edges(ds: xr.Dataset, top: int = 12) -> list[tuple[str, str, str, float]]:
    """``[(from, to, style, width)]`` of the top units' graph: style ``hidden`` (a
    tier-3 upstream supply to the supply depending on it: every hidden link of the
    products shown), ``supply`` (a unit's supply to its product) or ``use`` (a product
    to a sector with an exposure, width = the exposure summed over the product's rows)."""
    edges, products = [], []
    exposure = ds["exposure"].values
    rows = [str(p) for p in ds["product"].values]
    for i in _top(ds, top):
        kind = str(ds["kind"].values[i])
        product = str(ds["unit_product"].values[i])
        origin = str(ds["unit_origin"].values[i])
        supply = f"{product} from {origin}" if origin else f"{product} (imports)"
        if kind == "hidden":
            edges.append((str(ds["upstream"].values[i]) + " (tier 3)", supply, "hidden", 1.0))
        edges.append((supply, product, "supply", 1.0))
        if product not in products:
            products.append(product)
    for i in range(ds.sizes["unit"]):  # the hidden tiers of the products shown, ranked or not
        if str(ds["kind"].values[i]) == "hidden" and str(ds["unit_product"].values[i]) in products:
            product, origin = str(ds["unit_product"].values[i]), str(ds["unit_origin"].values[i])
            edges.append((str(ds["upstream"].values[i]) + " (tier 3)", f"{product} from {origin}", "hidden", 1.0))
            edges.append((f"{product} from {origin}", product, "supply", 1.0))
    for product in products:
        mine = [k for k, r in enumerate(rows) if r == product or r.startswith(product + ".")]
        for s, sector in enumerate(ds["sector"].values):
            width = float(exposure[mine, s].sum())
            if width > 0:
                edges.append((product, str(sector), "use", width))
    seen, out = set(), []
    for e in edges:
        if (e[0], e[1]) not in seen:
            seen.add((e[0], e[1]))
            out.append(e)
    return out


def dependency_figure(ds: xr.Dataset, caption: str = "", top: int = 12) -> Figure:
    edges = dependency_edges(ds, top)
    column = {}
    for a, b, style, _ in edges:  # columns: 0 upstream (tier 3), 1 supplies, 2 products, 3 sectors
        if style == "hidden":
            column.setdefault(a, 0)
            column[b] = 1
        elif style == "supply":
            column.setdefault(a, 1)
            column[b] = 2
        else:
            column[b] = 3
    nodes = {c: [n for n, k in column.items() if k == c] for c in range(4)}
    height = max([len(v) for v in nodes.values()] + [1])
    fig = Figure(figsize=(13, 0.42 * height + 2.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax = fig.subplots()
    pos = {}
    for c, names in nodes.items():
        for k, name in enumerate(names):
            y = (height - 1) / 2 if len(names) == 1 else (height - 1) * (1 - k / (len(names) - 1))
            pos[name] = (c, y)
    widest = max([e[3] for e in edges if e[2] == "use"] + [1e-9])
    for a, b, style, width in edges:
        (x0, y0), (x1, y1) = pos[a], pos[b]
        if style == "hidden":
            kw = dict(color="C3", ls="--", lw=1.2)
        elif style == "supply":
            kw = dict(color="C0", ls="-", lw=1.2)
        else:
            kw = dict(color="0.4", ls="-", lw=0.5 + 4.0 * width / widest)
        ax.plot([x0 + 0.05, x1 - 0.05], [y0, y1], gid=f"edge:{a}->{b}", **kw)
    for name, (x, y) in pos.items():
        c = column[name]
        ax.text(x, y, name, fontsize=7, ha="center", va="center",
                bbox=dict(boxstyle="round,pad=0.2", fc=("mistyrose" if c == 0 else "aliceblue" if c == 1 else
                                                        "lightyellow" if c == 2 else "honeydew"),
                          ec="C3" if c == 0 else "0.5", ls="--" if c == 0 else "-"))
    ax.set_xlim(-0.6, 3.6)
    ax.set_ylim(-1, height)
    ax.set_xticks(range(4), ["hidden upstream (tier 3)", "supply that fails", "product", "sector (width: exposure)"],
                  fontsize=8)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_title(f"Dependency graph of the top {top} units: {ds.attrs['model']}", fontsize=10)
    place_caption(fig, caption)
    return fig


def screen_sections(open_group, caption_of, report) -> list[str]:
    """The report's screen sections (``open_group(name)``: a group of the store or None;
    ``caption_of(attrs)``: a caption; figures go into ``report.figures``)."""
    from simcore.analysis.screen_table import format_screen

    group = open_group("screen")
    if group is None or "expected_loss" not in group:
        return []
    ds = group.load()
    caption = caption_of(ds.attrs)
    report.figures["screen_matrix"] = criticality_figure(ds, caption)
    report.figures["screen_ranking"] = ranking_figure(ds, caption)
    report.figures["screen_graph"] = dependency_figure(ds, caption)
    return ["## Chokepoint screen: criticality matrix\n\n![screen_matrix](screen_matrix.png)\n",
            "## Chokepoint screen: ranked units\n\n![screen_ranking](screen_ranking.png)\n",
            "## Chokepoint screen: dependency graph of the top units\n\n![screen_graph](screen_graph.png)\n",
            "```\n" + format_screen(ds) + "\n```\n"]
