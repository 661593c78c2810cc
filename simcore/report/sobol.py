"""Ranked bars of Sobol indices: which data uncertainty matters most.

One panel per metric (of one policy): the groups of uncertain model-file numbers ranked
by their total index ``ST``, a bar for ``ST`` and a thinner bar for the first-order index
``S1`` beside it, each with its bootstrap interval (``ST_low .. ST_high``,
``S1_low .. S1_high``) as an error bar. ``ST - S1`` is the share of the variance a group
causes through interactions with the others. Every bar has a ``gid``
(``sobol:<metric>:<ST|S1>:<group>``) and its height is the stored index, so a test can
read it back.

``simcore report`` draws it for a store with a ``sobol`` group (:mod:`simcore.report.build`).
``simcore sobol CONFIG --out STORE`` writes the ``sobol`` group into any store (a run's
store included), so the report of that store carries the figure.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)  # headless; harmless if a backend is already chosen

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simcore.report.caption import place_caption  # noqa: E402


def sobol_figure(ds: xr.Dataset, metrics=None, *, policy: str | None = None, top: int = 10,
                 caption: str = "") -> Figure:
    """Ranked horizontal bars of ``ST`` and ``S1`` with their intervals, one panel per
    metric (default: every metric of ``ds``) for ``policy`` (default: the first), at most
    ``top`` groups per panel (the largest total indices, largest on top)."""
    policy = str(ds["policy"].values[0]) if policy is None else policy
    metrics = [str(m) for m in (ds["metric"].values if metrics is None else metrics)]
    n = len(metrics)
    cols = min(n, 2)
    rows = -(-n // cols)
    n_bars = min(top, ds.sizes["group"])
    fig = Figure(figsize=(6.2 * cols, (0.32 * n_bars + 1.3) * rows + 0.6), layout="constrained")
    FigureCanvasAgg(fig)
    axes = fig.subplots(rows, cols, squeeze=False).ravel().tolist()
    pct = f"{ds.attrs.get('confidence', 0.9):.0%}"
    for ax, metric in zip(axes, metrics):
        row = ds.sel(policy=policy, metric=metric)
        st = row["ST"].values
        order = list(np.argsort(-np.nan_to_num(st, nan=-np.inf), kind="stable"))[:n_bars]
        y = np.arange(len(order))[::-1]  # the largest on top
        names = [str(ds["group"].values[g]) for g in order]
        for key, offset, height, color in (("ST", 0.18, 0.36, "C0"), ("S1", -0.18, 0.28, "C1")):
            value = row[key].values[order]
            low, high = row[f"{key}_low"].values[order], row[f"{key}_high"].values[order]
            for yy, name, v, lo, hi in zip(y, names, value, low, high):
                ax.barh(yy + offset, v, height=height, color=color, gid=f"sobol:{metric}:{key}:{name}",
                        label=key if yy == y[0] else None)
                if np.isfinite(lo) and np.isfinite(hi):
                    ax.errorbar(v, yy + offset, xerr=[[max(v - lo, 0.0)], [max(hi - v, 0.0)]], color="k",
                                capsize=2, lw=0.8, gid=f"sobol_interval:{metric}:{key}:{name}")
        ax.set_yticks(y, [name if len(name) <= 40 else name[:37] + "..." for name in names], fontsize=7)
        ax.axvline(0, color="k", lw=0.5)
        ax.set_xlim(min(-0.05, float(np.nanmin(row["S1_low"].values[order], initial=0.0))),
                    max(1.0, float(np.nanmax(row["ST_high"].values[order], initial=1.0))))
        ax.set_xlabel(f"Sobol index (share of variance; {pct} intervals)", fontsize=8)
        units = str(row["metric_units"].values) if "metric_units" in row else ""
        ax.set_title(f"{metric} [{units}]", fontsize=9)
        ax.grid(alpha=0.3, axis="x")
        ax.legend(fontsize=7, loc="lower right")
    for ax in axes[n:]:
        ax.set_visible(False)
    fig.suptitle(f"Which data uncertainty matters most ({policy}; {ds.attrs.get('design_points', '?')} design "
                 f"points x {ds.attrs.get('scenarios', '?')} common scenarios; groups by "
                 f"{ds.attrs.get('group_by', '?')})", fontsize=10)
    place_caption(fig, caption)  # wrapped to the width, below the axes
    return fig
