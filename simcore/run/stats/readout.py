"""Finalize: the summary statistics read out of merged reductions.

:func:`finalize` turns a :class:`~simcore.run.stats.chunk.ChunkStats` into the summary
dataset, one variable per metric with dims ``(statistic, policy, *dims)`` (the
``STATISTICS``), plus ``p_any_shortage`` / ``p_any_material_shortage`` ``[policy]`` and
``n_scenarios``. Day metrics read exact means, std, quantiles (NumPy's ``linear`` rule,
bit for bit) and tail means from their histograms; amounts read the exactly rounded
mean and population std from their exact sums, and quantiles and ``cvar95`` from the
sketch (within its error bound, see :mod:`simcore.run.stats`) or, for small runs, from
the values themselves.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np
import xarray as xr

from simcore.run.metrics import METRIC_INFO
from simcore.run.stats.chunk import ChunkStats
from simcore.run.stats.exact_sum import _EXPONENT_BIAS
from simcore.run.stats.sketch import _sketch_gamma

SURVIVAL_WITHIN_DAYS = (7, 30, 90, 180)
QUANTILE_LEVELS = (0.05, 0.10, 0.5, 0.9, 0.95, 0.99)
CVAR_LEVEL = 0.95

STATISTICS = (
    ("mean", "std", "min", "max", "p_positive", "p_defined")
    + tuple(f"p_within_{days}d" for days in SURVIVAL_WITHIN_DAYS)
    + tuple(f"q{round(q * 100):02d}" for q in QUANTILE_LEVELS)
    + ("cvar95", "cvar95_lower")
)


def cvar_tail_size(n: int, level: float = CVAR_LEVEL) -> int:
    """Number of values in the tail of a CVaR at ``level`` over ``n`` values (at least one)."""
    return max(1, int(np.ceil(n * (1.0 - level) - 1e-9)))  # 1e-9: 40 x (1 - 0.95) is 2.0000000000000018


_STAT_INDEX = {name: i for i, name in enumerate(STATISTICS)}


def _order_statistics(values: np.ndarray, cum: np.ndarray, ranks: np.ndarray) -> np.ndarray:
    """The ``ranks``-th smallest (0-based) of a sorted histogram (bin values, cumulative counts)."""
    return values[np.searchsorted(cum, ranks, side="right")]


def _quantiles(values: np.ndarray, counts: np.ndarray, levels: np.ndarray, exact_ends=None) -> np.ndarray:
    """NumPy's default ('linear') quantiles of the sample described by a sorted histogram,
    with NumPy's own floating-point steps, so exact histograms give NumPy's numbers bit for bit.
    ``exact_ends``: (min, max) to use for the smallest and the largest value."""
    n = int(counts.sum())
    cum = np.cumsum(counts)
    virtual = (n - 1) * levels  # numpy's 'linear' virtual index
    previous = np.floor(virtual)
    above, below = virtual >= n - 1, virtual < 0
    previous_rank = np.where(above, n - 1, np.where(below, 0, previous)).astype(np.int64)
    next_rank = np.where(above, n - 1, np.where(below, 0, previous + 1)).astype(np.int64)
    gamma = virtual - np.where(above, -1.0, np.where(below, 0.0, previous))  # as numpy (harmless at bounds)
    a = _order_statistics(values, cum, previous_rank)
    b = _order_statistics(values, cum, next_rank)
    if exact_ends is not None:
        for array, rank in ((a, previous_rank), (b, next_rank)):
            array[rank == 0] = exact_ends[0]
            array[rank == n - 1] = exact_ends[1]
    diff = b - a
    result = a + diff * gamma
    return np.where(gamma >= 0.5, b - diff * (1 - gamma), result)


def _tail_sum(values: np.ndarray, counts: np.ndarray, tail: int, upper: bool):
    """Sum of the ``tail`` largest (``upper``) or smallest values of a sorted histogram;
    exact Python int for integer ``values``."""
    if not upper:
        values, counts = values[::-1], counts[::-1]
    cum = np.cumsum(counts)
    n = int(cum[-1])
    first = n - tail  # ranks first .. n-1 (in this order) form the tail
    b = int(np.searchsorted(cum, first, side="right"))
    inside = int(cum[b]) - first
    if values.dtype.kind == "i":
        return int(np.dot(values[b + 1:], counts[b + 1:])) + int(values[b]) * inside
    return float(np.dot(values[b + 1:], counts[b + 1:].astype(np.float64))) + float(values[b]) * inside


def _day_cell_stats(out: np.ndarray, kind: str, days: np.ndarray, counts: np.ndarray, n_scenarios: int) -> None:
    """Fill ``out`` [statistic] from an exact histogram (``days`` int64 ascending, ``counts``)."""
    defined = int(counts.sum())
    if kind != "count" and n_scenarios:
        out[_STAT_INDEX["p_defined"]] = defined / n_scenarios
    if kind == "survival" and n_scenarios:
        for limit in SURVIVAL_WITHIN_DAYS:
            out[_STAT_INDEX[f"p_within_{limit}d"]] = int(counts[days <= limit].sum()) / n_scenarios
    if not defined:
        return
    mean = int(np.dot(days, counts)) / defined  # exact integer sum, correctly rounded division
    out[_STAT_INDEX["mean"]] = mean
    out[_STAT_INDEX["std"]] = math.sqrt(float(np.dot(counts, (days - mean) ** 2)) / defined)
    out[_STAT_INDEX["min"]], out[_STAT_INDEX["max"]] = days[0], days[-1]
    if kind == "count":
        out[_STAT_INDEX["p_positive"]] = int(counts[days > 0].sum()) / defined
    levels = np.asarray(QUANTILE_LEVELS)
    quantiles = _quantiles(days.astype(np.float64), counts, levels)
    for level, value in zip(QUANTILE_LEVELS, quantiles):
        out[_STAT_INDEX[f"q{round(level * 100):02d}"]] = value
    tail = cvar_tail_size(defined)
    if kind == "survival":
        out[_STAT_INDEX["cvar95_lower"]] = _tail_sum(days, counts, tail, upper=False) / tail
    else:
        out[_STAT_INDEX["cvar95"]] = _tail_sum(days, counts, tail, upper=True) / tail


def _amount_cell_stats(out: np.ndarray, fields: dict, c: int) -> None:
    n = int(fields["n"][c])
    if not n:
        return
    lowest, highest = float(fields["min"][c]), float(fields["max"][c])
    out[_STAT_INDEX["mean"]] = fields["sum"].ratio(c, n)
    if fields["sq_overflow"][c]:
        out[_STAT_INDEX["std"]] = np.inf
    else:
        total, squares = fields["sum"].scaled_integer(c), fields["sumsq"].scaled_integer(c)
        numerator = n * squares * (1 << _EXPONENT_BIAS) - total * total  # n^2 2^(2 bias) x population var
        out[_STAT_INDEX["std"]] = math.sqrt(max(numerator, 0) / (n * n << (2 * _EXPONENT_BIAS)))
    out[_STAT_INDEX["min"]], out[_STAT_INDEX["max"]] = lowest, highest
    tail = cvar_tail_size(n)
    if "values" in fields:  # a small run: exact quantiles and CVaR from the values (sorted, NaN last)
        values = fields["values"][:n, c]
        out[_STAT_INDEX["p_positive"]] = np.mean(values > 0)
        for level, value in zip(QUANTILE_LEVELS, np.quantile(values, QUANTILE_LEVELS)):
            out[_STAT_INDEX[f"q{round(level * 100):02d}"]] = value
        out[_STAT_INDEX["cvar95"]] = values[n - tail:].mean()
        return
    log_gamma = math.log(_sketch_gamma(float(fields["alpha"])))
    scale = math.log(2.0 / (_sketch_gamma(float(fields["alpha"])) + 1.0))
    neg_keys, neg_counts = fields["neg"].cell(c)
    pos_keys, pos_counts = fields["pos"].cell(c)
    zeros = int(fields["zeros"][c])
    out[_STAT_INDEX["p_positive"]] = int(pos_counts.sum()) / n
    # v_i = 2 g^i / (g + 1), computed in logs so that the top bin near 1.8e308 does not overflow
    values = np.concatenate([-np.exp(neg_keys[::-1] * log_gamma + scale), [0.0] if zeros else [],
                             np.exp(pos_keys * log_gamma + scale)])
    counts = np.concatenate([neg_counts[::-1], [zeros] if zeros else [], pos_counts]).astype(np.int64)
    values = np.clip(values, lowest, highest)
    quantiles = _quantiles(values, counts, np.asarray(QUANTILE_LEVELS), exact_ends=(lowest, highest))
    for level, value in zip(QUANTILE_LEVELS, quantiles):
        out[_STAT_INDEX[f"q{round(level * 100):02d}"]] = value
    # the largest value is known exactly: swap it in for its bin's representative
    out[_STAT_INDEX["cvar95"]] = (_tail_sum(values, counts, tail, upper=True) + highest - values[-1]) / tail


def finalize(stats: ChunkStats, coords: Mapping[str, object], info: Mapping = METRIC_INFO) -> xr.Dataset:
    """The summary dataset of merged statistics.

    ``coords``: labels per dimension, at least ``policy`` and every element dim of the
    metrics (``product``, ``sector``). Returns a dataset with one variable per metric,
    dims ``(statistic, policy, *dims)`` (statistics in ``STATISTICS``, NaN where they do
    not apply to the metric's kind), ``p_any_shortage`` / ``p_any_material_shortage``
    ``[policy]`` and ``n_scenarios``.
    """
    n_stats = len(STATISTICS)
    data_vars = {}
    for name, metric in stats.metrics.items():
        dims, units, description = info[name][:3]
        n_cells = int(np.prod(metric.shape))
        table = np.full((n_stats, n_cells), np.nan)
        for c in range(n_cells):
            if metric.kind in ("count", "survival", "duration"):
                days, counts = metric.fields["hist"].cell(c)
                _day_cell_stats(table[:, c], metric.kind, days, counts, stats.n_scenarios)
            elif metric.kind == "amount":
                _amount_cell_stats(table[:, c], metric.fields, c)
            elif metric.kind == "flag" and stats.n_scenarios:
                table[_STAT_INDEX["mean"], c] = int(metric.fields["n_true"][c]) / stats.n_scenarios
        data_vars[name] = (("statistic", "policy", *dims), table.reshape(n_stats, *metric.shape),
                           {"units": units, "description": description, "kind": metric.kind})

    def share(counts):
        if counts is None or not stats.n_scenarios:
            return np.full(stats.n_policies, np.nan)
        return counts / stats.n_scenarios

    data_vars["p_any_shortage"] = (("policy",), share(stats.any_shortage), {
        "units": "1", "description": "share of scenarios with any product short (shortage_days > 0)"})
    data_vars["p_any_material_shortage"] = (("policy",), share(stats.any_material_shortage), {
        "units": "1", "description": "share of scenarios with any material (storable product) short"})
    data_vars["n_scenarios"] = ((), np.int64(stats.n_scenarios), {"units": "1",
                                                                  "description": "scenarios summarised"})
    used = {"policy"} | {d for name in stats.metrics for d in info[name][0]}
    missing = sorted(d for d in used if d not in coords)
    if missing:
        raise ValueError(f"finalize needs coordinates for {', '.join(missing)}; got {', '.join(coords) or 'none'}")
    return xr.Dataset(data_vars, coords={"statistic": list(STATISTICS), **{k: np.asarray(v) for k, v in coords.items()}})
