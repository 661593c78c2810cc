"""The cost section of a run report: the cost table and the cost-effectiveness frontier.

Both read a run store's ``effects`` group, which carries the cost table of
:mod:`simcore.run.net_benefit` (costs, avoided value-added loss and net benefit per year
with 90 % intervals, ranks, Pareto flags; dims ``(policy,)``, currency / year).

:func:`frontier_figure` draws two panels. Left: each named mix at (total cost per year,
avoided value-added loss per year) with the 90 % interval of the avoided loss as a
vertical bar, labelled by name (scatter ``gid = "mixes"``, its offsets the plotted
numbers; error bars ``gid = "avoided_interval"``), the frontier through the mixes not
dominated in (cost, expected loss) sorted by cost (line ``gid = "frontier"``) and the
break-even line where avoided loss = cost (``gid = "breakeven"``: above it the net
benefit is positive). Right: the net benefit per year by rank, largest on top, with its
90 % interval (bars ``gid = "net_benefit"``, heights = the numbers; the cost ratio in
each bar's label).
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from simcore.report.figures import _figure

NEEDED = ("total_cost_per_year", "avoided_value_added_loss_per_year", "net_benefit_per_year", "rank_by_net_benefit")


def has_costs(effects: xr.Dataset | None) -> bool:
    """Whether a run's ``effects`` group carries the cost table."""
    return effects is not None and all(name in effects for name in NEEDED)


def _values(effects: xr.Dataset, name: str) -> np.ndarray:
    return np.asarray(effects[name].values, np.float64) if name in effects else np.full(effects.sizes["policy"], np.nan)


def frontier_figure(effects: xr.Dataset, *, caption: str, currency: str) -> object:
    """The cost-effectiveness frontier and the net-benefit ranking (see the module doc)."""
    names = [str(p) for p in effects["policy"].values]
    cost = _values(effects, "total_cost_per_year")
    avoided = _values(effects, "avoided_value_added_loss_per_year")
    low, high = _values(effects, "avoided_value_added_loss_per_year_low"), \
        _values(effects, "avoided_value_added_loss_per_year_high")
    net = _values(effects, "net_benefit_per_year")
    net_low, net_high = _values(effects, "net_benefit_per_year_low"), _values(effects, "net_benefit_per_year_high")
    ratio = _values(effects, "cost_per_avoided_value_added_loss")
    pareto = np.asarray(effects["pareto"].values, bool) if "pareto" in effects else np.ones(len(names), bool)
    fig, (ax, bx) = _figure(2, caption, "Cost-effectiveness of the named mixes (per year)", width=5.6, height=4.0)
    unit = f"{currency} / year"
    ax.scatter(cost, avoided, s=24, zorder=3, gid="mixes")
    spread = np.vstack([np.where(np.isfinite(low), avoided - low, 0.0), np.where(np.isfinite(high), high - avoided,
                                                                                   0.0)])
    ax.errorbar(cost, avoided, yerr=spread, fmt="none", ecolor="grey", capsize=3, gid="avoided_interval")
    for x, y, name in zip(cost, avoided, names):
        ax.annotate(name, (x, y), textcoords="offset points", xytext=(4, 4), fontsize=7)
    order = np.argsort(cost[pareto], kind="stable")
    ax.plot(cost[pareto][order], avoided[pareto][order], "r-", lw=1, gid="frontier", label="frontier (not dominated)")
    right = 1.15 * float(np.nanmax(cost)) if cost.size and np.nanmax(cost) > 0 else 1.0
    ax.plot([0.0, right], [0.0, right], "k--", lw=0.8, gid="breakeven", label="break-even (avoided = cost)")
    ax.set_xlim(-0.03 * right, right)
    ax.set_xlabel(f"total cost [{unit}]")
    ax.set_ylabel(f"avoided value-added loss [{unit}]")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="lower right")
    rank = np.asarray(effects["rank_by_net_benefit"].values)
    by_rank = np.argsort(rank, kind="stable")[::-1]  # largest net benefit on top
    y = np.arange(by_rank.size)
    err = np.vstack([np.where(np.isfinite(net_low), net - net_low, 0.0),
                     np.where(np.isfinite(net_high), net_high - net, 0.0)])[:, by_rank]
    bars = bx.barh(y, net[by_rank], xerr=err, capsize=3, gid="net_benefit")
    for bar, i in zip(bars, by_rank):
        bar.set_gid("net_benefit")
        bar.set_label(f"{names[i]} (cost / avoided {ratio[i]:.2f})" if np.isfinite(ratio[i]) else names[i])
    bx.set_yticks(y, [f"{int(rank[i])}. {names[i]}" + (f"\n(cost / avoided {ratio[i]:.2f})"
                                                          if np.isfinite(ratio[i]) else "") for i in by_rank],
                  fontsize=7)
    bx.axvline(0.0, color="k", lw=0.8)
    bx.set_xlabel(f"net benefit = avoided loss - cost [{unit}]")
    bx.set_ylabel("mix [rank. name]")
    bx.set_title("by rank, with 90 % intervals", fontsize=8)
    bx.grid(alpha=0.3, axis="x")
    return fig


def cost_table_md(effects: xr.Dataset, currency: str) -> str:
    """A Markdown table of the mixes by net benefit (largest first): net benefit and the
    probability that it beats the next mix's, total cost and its parts, avoided loss and
    the cost ratio, with the half-widths of the 90 % intervals."""
    z = 1.6448536269514722

    def pm(row, name, fmt=".3g"):
        value = float(row[name]) if name in row else float("nan")
        if not np.isfinite(value):
            return "n/a"
        se = float(row[f"{name}_se"]) if f"{name}_se" in row else float("nan")
        return f"{value:{fmt}} ± {z * se:.2g}" if np.isfinite(se) else f"{value:{fmt}}"

    unit = f"{currency} / year"
    lines = [f"| rank | mix | net benefit [{unit}] | P(beats next) | total cost | fiscal | price side effect | "
             f"crisis premium | avoided VA loss [{unit}] | cost / avoided | Pareto |",
             "|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|:-:|"]
    for i in np.argsort(np.asarray(effects["rank_by_net_benefit"].values), kind="stable"):
        row = effects.isel(policy=int(i))
        p_next = float(row["p_beats_next"]) if "p_beats_next" in row else float("nan")
        lines.append(f"| {int(row['rank_by_net_benefit'])} | {row['policy'].values} | "
                     f"{pm(row, 'net_benefit_per_year')} | {'' if np.isnan(p_next) else f'{p_next:.2f}'} | "
                     f"{float(row['total_cost_per_year']):.3g} | {float(row['fiscal_cost_per_year']):.3g} | "
                     f"{float(row['price_side_effect_per_year']):.3g} | {float(row['crisis_premium_per_year']):.3g} | "
                     f"{pm(row, 'avoided_value_added_loss_per_year')} | "
                     f"{pm(row, 'cost_per_avoided_value_added_loss', '.2f')} | "
                     f"{'yes' if bool(row['pareto']) else ''} |")
    return "\n".join(lines)
