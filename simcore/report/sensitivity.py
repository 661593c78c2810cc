"""Figures of the sensitivities (:mod:`simcore.analysis.sensitivity`): the tornado over
each model-file number's own uncertainty range, and the elasticities with the method
that gave each.

Tornado (:func:`tornado_figure`), one panel per metric: for every number with a
distribution in the model file, two horizontal bars from the central expected metric
(exact engine, ``value_exact``) to the expected metric with the number at the low end
of its range (``gid = "tornado_low:<metric>"``) and at the high end
(``gid = "tornado_high:<metric>"``), same scenarios, every other number central; the
widest span on top (:func:`tornado_order`). The ends are the distribution's 5th and 95th
percentiles (the dataset's ``range_percentiles``). Numbers given as plain numbers have
**no range in the model file**: they are not drawn, and the caption names them.

Elasticities (:func:`elasticity_figure`), one panel per metric: the reported elasticity
per number as a bar (``gid = "elasticity:<metric>"``; red where the gradient agreed
with the finite difference and is used, grey where the finite difference is used),
and the smoothed engine's gradient as a cross (``gid = "elasticity_gradient:<metric>"``).

Bar rectangles carry the plotted numbers exactly, so a test can read them back.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)  # headless; harmless if a backend is already chosen

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simcore.analysis.sensitivity import GRADIENT  # noqa: E402
from simcore.analysis.tornado import NO_RANGE  # noqa: E402
from simcore.report.caption import place_caption  # noqa: E402


def _panels(n: int, title: str, caption: str, top: int) -> tuple[Figure, list]:
    cols = min(max(n, 1), 3)
    rows = -(-max(n, 1) // cols)
    height = max(2.6, 0.3 * top + 1.2)
    fig = Figure(figsize=(5.2 * cols, height * rows + 1.2), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(title)
    place_caption(fig, caption, fontsize=6.5)  # wrapped to the width, below the axes
    return fig, axes[:n]


def _unit(ds: xr.Dataset, metric: str) -> str:
    return str(ds["metric_units"].sel(metric=metric).values) if "metric_units" in ds else ""


def percentiles(ds: xr.Dataset) -> tuple[str, str]:
    """The two range percentiles of the dataset, as text (``"5"``, ``"95"``)."""
    low, high = str(ds.attrs.get("range_percentiles", "5 95")).split()
    return low, high


def without_range(ds: xr.Dataset) -> list[str]:
    """The numbers with no range in the model file (no distribution)."""
    kinds = ds["range_kind"].values if "range_kind" in ds else np.full(ds.sizes["parameter"], NO_RANGE)
    return [str(p) for p, kind in zip(ds["parameter"].values, kinds) if str(kind) == NO_RANGE]


def tornado_caption(ds: xr.Dataset, caption: str = "", listed: int = 8) -> str:
    """The tornado's caption: what the bars are, and which numbers have no range."""
    low, high = percentiles(ds)
    missing = without_range(ds)
    names = ", ".join(missing[:listed]) + (f" and {len(missing) - listed} more" if len(missing) > listed else "")
    text = (f"Bars: expected metric (exact engine, the same {ds.attrs.get('n_scenarios', '?')} scenarios) with one "
            f"model-file number at the {low}th / {high}th percentile of its own distribution in the model file, the "
            "others central; the line is the central value.")
    if missing:
        text += f" No range in the model file (not drawn): {names}."
    return text + (f"\n{caption}" if caption else "")


def tornado_order(ds: xr.Dataset, metric: str, top: int = 12) -> np.ndarray:
    """Indices of the numbers drawn for ``metric``: those with a range, by increasing
    span ``|tornado_high - tornado_low|`` (the widest is drawn at the top), at most
    ``top``."""
    if "tornado_low" not in ds:
        return np.zeros(0, int)
    low = np.asarray(ds["tornado_low"].sel(metric=metric).values, np.float64)
    high = np.asarray(ds["tornado_high"].sel(metric=metric).values, np.float64)
    ranged = np.isfinite(low) & np.isfinite(high)
    span = np.where(ranged, np.abs(high - low), -1.0)
    chosen = [j for j in np.argsort(-span, kind="stable")[:top] if ranged[j]]
    return np.asarray(chosen[::-1], int)


def tornado_figure(ds: xr.Dataset, metrics: list[str], *, caption: str = "", top: int = 12) -> Figure:
    """The tornado over each number's own range (module doc)."""
    low_p, high_p = percentiles(ds)
    fig, axes = _panels(len(metrics), "Sensitivity tornado: each model-file number over its own range "
                        f"(policy {ds.attrs.get('policy', '?')})", tornado_caption(ds, caption), top)
    names = [str(p) for p in ds["parameter"].values]
    for ax, metric in zip(axes, metrics):
        order = tornado_order(ds, metric, top)
        centre = float(ds["value_exact"].sel(metric=metric))
        y = np.arange(len(order))
        if len(order):
            at_low = ds["tornado_low"].sel(metric=metric).values[order]
            at_high = ds["tornado_high"].sel(metric=metric).values[order]
            ax.barh(y, at_low - centre, left=centre, height=0.8, color="C0", gid=f"tornado_low:{metric}",
                    label=f"number at its {low_p}th percentile")
            ax.barh(y, at_high - centre, left=centre, height=0.4, color="C3", gid=f"tornado_high:{metric}",
                    label=f"number at its {high_p}th percentile")
            ax.legend(fontsize=6, loc="lower right")
        else:
            ax.text(0.5, 0.5, "no number of the model file\nhas a range (a distribution)", ha="center",
                    va="center", transform=ax.transAxes, fontsize=8)
        ax.axvline(centre, color="k", lw=0.7, gid=f"tornado_centre:{metric}")
        labels = [f"{names[j]}\n({float(ds['range_low'].values[j]):.3g} .. {float(ds['range_high'].values[j]):.3g})"
                  for j in order]
        ax.set_yticks(y, labels, fontsize=6)
        ax.set_title(f"{metric}", fontsize=8)
        ax.set_xlabel(f"expected metric [{_unit(ds, metric)}]")
        ax.grid(alpha=0.3, axis="x")
    return fig


def elasticity_order(ds: xr.Dataset, metric: str, top: int = 12) -> np.ndarray:
    """Indices of the numbers drawn for ``metric`` in :func:`elasticity_figure`: non-zero
    reported elasticities by increasing magnitude (the largest on top), at most ``top``."""
    values = np.asarray(ds["elasticity"].sel(metric=metric).values, np.float64)
    magnitude = np.where(np.isfinite(values), np.abs(values), 0.0)
    chosen = [j for j in np.argsort(-magnitude, kind="stable")[:top] if magnitude[j] > 0]
    return np.asarray(chosen[::-1], int)


def elasticity_figure(ds: xr.Dataset, metrics: list[str], *, caption: str = "", top: int = 12) -> Figure:
    """The reported elasticities and the method of each (module doc)."""
    text = (f"Bars: d ln metric / d ln number, the gradient (red) where it agrees with the finite difference of the "
            f"exact engine within {ds.attrs.get('abs_tol')} + {ds.attrs.get('rel_tol')} |fd|, else the finite "
            f"difference (grey, step {ds.attrs.get('fd_step')}); crosses: the smoothed engine's gradient.")
    fig, axes = _panels(len(metrics), f"Elasticities to the model-file numbers (policy {ds.attrs.get('policy', '?')})",
                        text + (f"\n{caption}" if caption else ""), top)
    names = [str(p) for p in ds["parameter"].values]
    for ax, metric in zip(axes, metrics):
        order = elasticity_order(ds, metric, top)
        y = np.arange(len(order))
        values = ds["elasticity"].sel(metric=metric).values[order]
        used = ds["method"].sel(metric=metric).values[order]
        gradient = ds["elasticity_gradient"].sel(metric=metric).values[order]
        ax.barh(y, values, color=np.where(used == GRADIENT, "C3", "0.6"), gid=f"elasticity:{metric}")
        ax.plot(gradient, y, "kx", ms=5, gid=f"elasticity_gradient:{metric}")
        ax.set_yticks(y, [names[j] for j in order], fontsize=6)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_title(f"{metric} [{_unit(ds, metric)}]", fontsize=8)
        ax.set_xlabel("elasticity [1]")
        ax.grid(alpha=0.3, axis="x")
    return fig
