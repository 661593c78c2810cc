"""Exceedance curves ``P(X > x)`` on a log probability axis, with confidence bands.

A curve is drawn from the store's per-scenario values when it kept them (exact), else
from the run's merged streaming statistics (:mod:`simcore.run.stats`): the exact day
histogram of a day metric (exact as well) or the log-bin sketch of an amount (every
``x`` within 1 % of its value), or, for a store without chunk statistics, from the
summary's quantiles as points.

The probability axis is logarithmic, from 1 down to the smallest probability ``n``
scenarios resolve, ``1 / n``: the tails that decide a policy (1 in 100 years) are as
wide as the body. The band is the pointwise 90 % **Wilson score interval** of the
binomial share ``k / n`` of scenarios above ``x`` (Wilson 1927): unlike the
Dvoretzky-Kiefer-Wolfowitz band, whose half-width ``sqrt(ln(2/alpha) / 2n)`` is the same
everywhere and swamps the tail on a log axis, it narrows with ``p`` and stays
positive at ``k = 0``.

Artists (read back by the tests): the curve ``gid = "exceedance:<element>:<policy>"``
(x the values, y ``P(X > x) > 0``), the band edges ``"band_low:..."`` and
``"band_high:..."`` (same x), the band fill between them.
"""

from __future__ import annotations

import math

import numpy as np
import xarray as xr
from matplotlib.figure import Figure

BAND_LEVEL = 0.90
Z_BAND = 1.6448536269514722  # the standard normal's 95 % point: a two-sided 90 % band
QUANTILE_STATS = {"q05": 0.05, "q10": 0.10, "q50": 0.5, "q90": 0.9, "q95": 0.95, "q99": 0.99}
SOURCES = {  # source -> how the legend and the caption name it
    "per-scenario": "every scenario's value",
    "histogram": "the run's streamed statistics (exact day histograms; amounts within 1 % by the log-bin sketch)",
    "summary quantiles": "the summary's quantiles (points)",
}


def exceedance(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Empirical exceedance curve of a sample ``values`` [n]: the distinct finite values
    ``x`` (ascending) and ``P(X > x)``, the share of the finite values above each."""
    values = np.asarray(values, np.float64)
    values = values[np.isfinite(values)]
    xs, counts = np.unique(values, return_counts=True)
    return exceedance_from_counts(xs, counts)


def exceedance_from_counts(xs: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``(x, P(X > x))`` of a histogram: ``xs`` [m] ascending values, ``counts`` [m]
    how many scenarios have each; zero counts are dropped."""
    xs, counts = np.asarray(xs, np.float64), np.asarray(counts, np.int64)
    keep = counts > 0
    xs, counts = xs[keep], counts[keep]
    n = int(counts.sum())
    if n == 0:
        return xs, np.zeros(0)
    return xs, (n - np.cumsum(counts)) / n


def quantile_exceedance(summary_var: xr.DataArray) -> tuple[np.ndarray, np.ndarray]:
    """Exceedance points from a summary's quantiles: ``x = q_level``, ``P(X > x) ~ 1 - level``."""
    stats = [s for s in QUANTILE_STATS if s in summary_var["statistic"].values]
    xs = np.array([float(summary_var.sel(statistic=s)) for s in stats])
    return xs, np.array([1.0 - QUANTILE_STATS[s] for s in stats])


def wilson_band(p: np.ndarray, n: int, z: float = Z_BAND) -> tuple[np.ndarray, np.ndarray]:
    """Pointwise Wilson score interval ``(low, high)`` of a binomial share ``p`` [m]
    estimated from ``n`` scenarios (two-sided level ``2 Phi(z) - 1``, 90 % by default)."""
    p = np.asarray(p, np.float64)
    z2 = z * z / n
    centre = (p + z2 / 2) / (1 + z2)
    half = z / (1 + z2) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


# ----------------------------------------------------------------- from the streamed statistics

def cell_distribution(stats, kind: str, cell: int) -> tuple[np.ndarray, np.ndarray]:
    """``(values ascending, counts)`` of one (policy, element) ``cell`` of a metric's merged
    :class:`~simcore.run.stats.MetricStats` ``stats`` of kind ``kind``: the exact day
    histogram of a ``count`` metric; for an ``amount``, the kept values of a small run
    (exact) or the log-bin sketch's bin representatives (each within the sketch's
    relative accuracy of the values it counts, clipped to the exact min and max)."""
    from simcore.run.stats.sketch import _sketch_gamma

    fields = stats.fields
    if kind == "count":
        keys, counts = fields["hist"].cell(cell)
        return keys.astype(np.float64), counts
    if kind != "amount":
        raise ValueError(f"no exceedance curve for a metric of kind {kind!r} (count or amount)")
    n = int(fields["n"][cell])
    if "values" in fields:
        values = np.asarray(fields["values"][:n, cell], np.float64)
        xs, counts = np.unique(values, return_counts=True)
        return xs, counts
    gamma = _sketch_gamma(float(fields["alpha"]))
    log_gamma, scale = math.log(gamma), math.log(2.0 / (gamma + 1.0))
    neg_keys, neg_counts = fields["neg"].cell(cell)
    pos_keys, pos_counts = fields["pos"].cell(cell)
    zeros = int(fields["zeros"][cell])
    xs = np.concatenate([-np.exp(neg_keys[::-1] * log_gamma + scale), [0.0] if zeros else [],
                         np.exp(pos_keys * log_gamma + scale)])
    counts = np.concatenate([neg_counts[::-1], [zeros] if zeros else [], pos_counts]).astype(np.int64)
    return np.clip(xs, float(fields["min"][cell]), float(fields["max"][cell])), counts


def merged_run_stats(location, n_chunks: int):
    """The merged :class:`~simcore.run.stats.ChunkStats` of a run store's done chunks
    (``location``: a path or a StoreLocation), or None where the store has none."""
    from simcore.run import stats
    from simcore.run.store import read_chunk_stats
    from simcore.run.streaming import merge_stream

    def parts():
        for index in range(n_chunks):
            arrays = read_chunk_stats(location, index)
            if arrays is None:
                raise LookupError(index)
            yield stats.ChunkStats.from_arrays(arrays)

    try:
        return merge_stream(parts())
    except (LookupError, KeyError, ValueError, OSError):  # no chunk_stats group, a chunk without, an old format
        return None


def curves_from_stats(merged, metric: str, policies: list, elements: list) -> dict:
    """``{element: {policy: (x, P(X > x))}}`` of ``metric`` from merged run statistics
    (cells in (policy, element) order, as :func:`simcore.run.stats.reduce_chunk` lays them)."""
    stats = merged.metrics[metric]
    out = {}
    for e, element in enumerate(elements):
        out[str(element)] = {}
        for p, policy in enumerate(policies):
            xs, counts = cell_distribution(stats, stats.kind, p * len(elements) + e)
            out[str(element)][str(policy)] = exceedance_from_counts(xs, counts)
    return out


# ----------------------------------------------------------------- the figure

def exceedance_figure(per_element: dict, *, element_dim: str, xlabel: str, caption: str, title: str,
                      source: str, n_scenarios: int) -> Figure:
    """One panel per element (product / sector), one curve per policy, log probability axis.

    ``per_element``: element -> {policy: (x [m], P(X > x) [m])}; ``source``: a key of
    :data:`SOURCES`; ``n_scenarios``: the ``n`` of the band and of the axis floor
    ``1 / n``. ``P = 0`` (at the largest value) has no place on a log axis: a step curve's
    last step is drawn on to the largest value at the level before it (``P(X > x) = k/n``
    holds up to there), a curve of points leaves it out. A panel where no policy has a
    value above its smallest says so in a text (``gid = "empty:<element>"``)."""
    from simcore.report.figures import _figure

    caption = (f"P(X > x) on a log axis down to 1/n = 1/{n_scenarios}; band: pointwise {BAND_LEVEL * 100:g} % Wilson "
               f"score interval of the share of {n_scenarios} scenarios; from {SOURCES[source]}. " + caption)
    fig, axes = _figure(len(per_element), caption, title)
    floor = 0.5 / max(n_scenarios, 1)
    for ax, (element, curves) in zip(axes, per_element.items()):
        empty = []
        for k, (policy, (xs, ps)) in enumerate(curves.items()):
            xs, ps = np.asarray(xs, np.float64), np.asarray(ps, np.float64)
            steps = source != "summary quantiles"
            if steps:  # P falls from its first value to 0 at the largest value
                m = int(np.count_nonzero(ps > 0))
                if 0 < m < xs.size:  # the last step runs on to the largest value
                    xs, ps = xs[:m + 1], np.append(ps[:m], ps[m - 1])
                else:
                    xs, ps = xs[:m], ps[:m]
            else:
                xs, ps = xs[ps > 0], ps[ps > 0]
            if not xs.size:
                empty.append(str(policy))
                continue
            color = f"C{k % 10}"
            low, high = wilson_band(ps, max(n_scenarios, 1))
            drawstyle = "steps-post" if steps else "default"
            ax.fill_between(xs, np.maximum(low, floor), high, color=color, alpha=0.15, linewidth=0,
                            step="post" if steps else None)
            ax.plot(xs, low, color=color, lw=0.4, alpha=0.6, drawstyle=drawstyle,
                    gid=f"band_low:{element}:{policy}")
            ax.plot(xs, high, color=color, lw=0.4, alpha=0.6, drawstyle=drawstyle,
                    gid=f"band_high:{element}:{policy}")
            ax.plot(xs, ps, color=color, label=str(policy), gid=f"exceedance:{element}:{policy}",
                    drawstyle=drawstyle, marker=None if steps else "o", ms=3)
        if empty:  # nothing above the smallest value: say so instead of an empty panel
            who = "under any policy" if len(empty) == len(curves) else f"for {', '.join(empty)}"
            ax.text(0.5, 0.5, f"no scenario above {_lowest(curves):g}\n{who}", ha="center",
                    va="center", fontsize=7, wrap=True, transform=ax.transAxes, gid=f"empty:{element}")
        ax.set_yscale("log")
        ax.set_ylim(floor, 1.3)
        ax.set_title(f"{element}" if element_dim else "")
        ax.set_xlabel(xlabel)
        ax.set_ylabel("P(X > x) [share of scenarios]")
        ax.grid(alpha=0.3, which="both")
    drawn = [ax for ax in axes if ax.get_lines()]
    if drawn:  # the first panel with curves carries the legend
        drawn[0].legend(fontsize=7, title=f"policy (band: {BAND_LEVEL * 100:g} % Wilson)", title_fontsize=7)
    return fig


def _lowest(curves: dict) -> float:
    """The smallest value of any curve of a panel (0 when none has a value)."""
    values = [float(np.min(xs)) for xs, _ in curves.values() if np.size(xs)]
    return min(values) if values else 0.0
