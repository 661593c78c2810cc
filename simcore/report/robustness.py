"""Figures of robustness (regret per mix) and scenario discovery (the PRIM box).

* :func:`regret_figure`: per mix, expected regret over lanes with its 90 % interval
  (bar), the 95th percentile and the maximum over lanes (markers), the minimax regret
  over parameter points (bar with interval); and the satisficing shares (lanes and
  points) with their Wilson intervals.
* :func:`discovery_figure`: the peeling trajectory (coverage against density, coloured
  by the number of restricted inputs, the chosen box ringed) and the chosen box's limits
  on each restricted input, scaled to the input's range in the ensemble.

Every bar and point has a ``gid`` (``regret:<mix>``, ``minimax:<mix>``,
``satisficing:<mix>``, ``prim:<step>``, ``box:<input>``) and plots the stored value, so a
test can read it back. :func:`robustness_sections` is the hook of ``simcore report``
(:mod:`simcore.report.build`): the store's ``robustness`` and ``discovery`` groups.
"""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg", force=False)

import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402

from simcore.report.caption import place_caption  # noqa: E402

Z = 1.6448536269514722  # simcore.analysis.intervals.Z (90 %)


def regret_figure(ds: xr.Dataset, caption: str = "") -> Figure:
    names = [str(p) for p in ds["policy"].values]
    y = np.arange(len(names))[::-1]
    fig = Figure(figsize=(11, 0.45 * len(names) + 2.0), layout="constrained")
    FigureCanvasAgg(fig)
    ax, ax2 = fig.subplots(1, 2, width_ratios=(3, 2))
    units = ds.attrs.get("units", "")
    for yy, i in zip(y, range(len(names))):
        row = ds.isel(policy=i)
        er, se = float(row["expected_regret"]), float(row["expected_regret_se"])
        ax.barh(yy + 0.18, er, height=0.34, color="C0", gid=f"regret:{names[i]}",
                label="expected regret (lanes)" if i == 0 else None)
        if np.isfinite(se):  # regret is not negative: the interval is cut at 0
            ax.errorbar(er, yy + 0.18, xerr=[[min(Z * se, er)], [Z * se]], color="k", capsize=2, lw=0.8)
        mm, mse = float(row["minimax_regret"]), float(row["minimax_regret_se"])
        ax.barh(yy - 0.18, mm, height=0.34, color="C3", gid=f"minimax:{names[i]}",
                label="max regret over parameter points" if i == 0 else None)
        if np.isfinite(mse):
            ax.errorbar(mm, yy - 0.18, xerr=[[min(Z * mse, mm)], [Z * mse]], color="k", capsize=2, lw=0.8)
        ax.plot(float(row["q95_regret"]), yy + 0.18, "v", color="C1", gid=f"q95:{names[i]}",
                label="95th percentile (lanes)" if i == 0 else None)
        ax.plot(float(row["max_regret"]), yy + 0.18, "x", color="k", gid=f"max:{names[i]}",
                label="maximum (lanes)" if i == 0 else None)
        for k, (key, color, off) in enumerate((("satisficing", "C2", 0.18), ("point_satisficing", "C4", -0.18))):
            share = float(row[f"{key}_share"])
            lo, hi = float(row[f"{key}_low"]), float(row[f"{key}_high"])
            ax2.barh(yy + off, share, height=0.34, color=color, gid=f"{key}:{names[i]}",
                     label=("lanes" if k == 0 else "parameter points") if i == 0 else None)
            ax2.errorbar(share, yy + off, xerr=[[max(share - lo, 0)], [max(hi - share, 0)]], color="k", capsize=2,
                         lw=0.8)
    ax.set_xscale("symlog", linthresh=max(float(np.nanmax(ds["expected_regret"].values)) * 0.01, 1e-9))
    ax.set_xlim(left=0)
    ax.set_yticks(y, names, fontsize=8)
    ax.set_xlabel(f"regret [{units}] (90 % intervals)", fontsize=8)
    ax.set_title(f"Regret: {ds.attrs.get('metric', '')}{' + standing cost' if ds.attrs.get('cost') else ''}",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    ax.grid(alpha=0.3, axis="x")
    ax2.set_yticks(y, [""] * len(names))
    ax2.set_xlim(0, 1)
    ax2.set_xlabel("share (90 % Wilson intervals)", fontsize=8)
    ax2.set_title(f"Satisficing: {ds.attrs.get('satisficing_metric')} <= {ds.attrs.get('satisficing_threshold'):g}",
                  fontsize=9)
    ax2.legend(fontsize=7, loc="upper center", bbox_to_anchor=(0.5, -0.16), ncol=2)
    fig.suptitle(f"Robustness ({ds.attrs.get('points')} parameter points x {ds.attrs.get('scenarios')} common "
                 f"scenarios; minimax regret: {ds.attrs.get('minimax_regret_mix')})", fontsize=10)
    place_caption(fig, caption)  # wrapped to the width, below the axes
    return fig


def discovery_figure(ds: xr.Dataset, caption: str = "", top: int = 8) -> Figure:
    fig = Figure(figsize=(11, 4.2), layout="constrained")
    FigureCanvasAgg(fig)
    ax, ax2 = fig.subplots(1, 2)
    cov, den, res = ds["coverage"].values, ds["density"].values, ds["restricted"].values
    points = ax.scatter(cov, den, c=res, cmap="viridis", s=18)
    for k in range(len(cov)):  # invisible markers carrying each step's gid
        ax.plot(cov[k], den[k], ls="", marker="o", ms=0, gid=f"prim:{k}")
    chosen = int(ds.attrs["chosen_step"])
    ax.plot(cov[chosen], den[chosen], "o", mfc="none", mec="r", ms=12, gid="prim:chosen",
            label=f"peeling step {chosen}")
    ax.plot(ds.attrs["train_coverage"], ds.attrs["train_density"], "D", mfc="none", mec="r", ms=7, gid="prim:box",
            label="chosen box (pasted, simplified), fit")
    ax.plot(ds.attrs["test_coverage"], ds.attrs["test_density"], "s", color="r", ms=6, gid="prim:held_out",
            label="chosen box, held-out scenarios")
    fig.colorbar(points, ax=ax, label="restricted inputs")
    ax.set_xlabel("coverage (failures in the box / all failures)", fontsize=8)
    ax.set_ylabel("density (failures / scenarios in the box)", fontsize=8)
    ax.set_xlim(0, 1.02)
    ax.set_ylim(0, 1.02)
    ax.legend(fontsize=7)
    ax.set_title(f"PRIM peeling: {ds.attrs['policy']} fails when {ds.attrs['metric']} > {ds.attrs['threshold']:g}",
                 fontsize=9)
    n = min(top, ds.sizes["restriction"])
    inputs = list(ds["input"].values)
    y = np.arange(n)[::-1]
    for yy, i in zip(y, range(n)):
        r = ds.isel(restriction=i)
        j = inputs.index(str(r["restriction_input"].values))
        lo_d, hi_d = float(ds["input_min"][j]), float(ds["input_max"][j])
        span = hi_d - lo_d if hi_d > lo_d else 1.0
        lo, hi = (float(r["restriction_low"]) - lo_d) / span, (float(r["restriction_high"]) - lo_d) / span
        ax2.barh(yy, hi - lo, left=lo, color="C3", alpha=0.7, gid=f"box:{inputs[j]}")
        ax2.text(1.01, yy, f"{float(r['restriction_low']):.3g} .. {float(r['restriction_high']):.3g}", fontsize=7,
                 va="center")
    names = [str(ds["restriction_input"].values[i]) for i in range(n)]
    ax2.set_yticks(y, [t if len(t) <= 42 else t[:39] + "..." for t in names], fontsize=7)
    ax2.set_xlim(0, 1.3)
    ax2.set_xlabel("box limits, share of the input's range in the ensemble", fontsize=8)
    ax2.set_title(f"Chosen box: coverage {ds.attrs['train_coverage']:.2f}, density {ds.attrs['train_density']:.2f}\n"
                  f"held out: coverage {ds.attrs['test_coverage']:.2f}, density {ds.attrs['test_density']:.2f}",
                  fontsize=9)
    place_caption(fig, caption)  # wrapped to the width, below the axes
    return fig


def robustness_sections(open_group, caption_of, report) -> list[str]:
    """The report's robustness and discovery sections: ``open_group(name)`` gives a
    group of the store or None, ``caption_of(attrs)`` a caption; figures go into
    ``report.figures``."""
    from simcore.analysis.discovery import format_discovery
    from simcore.analysis.robustness import format_robustness

    sections = []
    robust = open_group("robustness")
    if robust is not None and "expected_regret" in robust:
        robust = robust.load()
        report.figures["robustness"] = regret_figure(robust, caption_of(robust.attrs))
        sections += ["## Robustness: regret of the mixes\n\n![robustness](robustness.png)\n",
                     "```\n" + format_robustness(robust) + "\n```\n"]
    found = open_group("discovery")
    if found is not None and "coverage" in found:
        found = found.load()
        report.figures["discovery"] = discovery_figure(found, caption_of(found.attrs))
        sections += ["## Scenario discovery: when the mix fails\n\n![discovery](discovery.png)\n",
                     "```\n" + format_discovery(found) + "\n```\n"]
    return sections
