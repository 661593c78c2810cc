"""The log-bin sketch of amounts, and the general route that reduces amounts into it.

A non-zero amount x goes to bin ``ceil(log|x| / log g)`` of its sign, with
``g = (1 + a) / (1 - a)`` and ``a = RELATIVE_ACCURACY``; its bins are
:class:`~simcore.run.stats.histogram.Histogram` cells of at most ``SKETCH_MAX_BINS``
keys per sign (the error bound is in the package docstring, :mod:`simcore.run.stats`).
:func:`_general_amount_fields` reduces any float64 amounts ``[n, C]`` to the amount
fields of :class:`~simcore.run.stats.chunk.MetricStats` (count, zeros, min, max, the
sketch, exact sums of x and x^2); the float32 fast path
(:mod:`simcore.run.stats.float32`) gives the same bits.
"""

from __future__ import annotations

import math

import numpy as np

from simcore.run.stats.exact_sum import ExactSum
from simcore.run.stats.histogram import Histogram

RELATIVE_ACCURACY = 0.01  # a: relative error bound of the amount sketch
SKETCH_MAX_BINS = 2048  # per sign and cell


def _sketch_gamma(relative_accuracy: float) -> float:
    return (1.0 + relative_accuracy) / (1.0 - relative_accuracy)


def _sketch_keys(magnitudes: np.ndarray) -> np.ndarray:
    """Sketch bins ``ceil(log|x| / log g)`` (int64) of positive float64 ``magnitudes``."""
    return np.ceil(np.log(magnitudes) / math.log(_sketch_gamma(RELATIVE_ACCURACY))).astype(np.int64)


def _general_amount_fields(x: np.ndarray) -> dict:
    """The amount fields of ``x`` [n, C] float64 (any values, any number of scenarios)."""
    n_cells = x.shape[1]
    flat = x.ravel()
    cells_of = np.arange(flat.size) % n_cells if n_cells else np.zeros(0, np.int64)
    finite = np.isfinite(x)
    n_finite = finite.sum(axis=0).astype(np.int64)
    used = np.flatnonzero(np.isfinite(flat) & (flat != 0))  # zeros are only counted
    value, cells = flat[used], cells_of[used]
    keys = _sketch_keys(np.abs(value))
    positive = value > 0
    with np.errstate(over="ignore"):
        square = value * value
    square_ok = np.isfinite(square)
    return {
        "n": n_finite,
        "zeros": n_finite - np.bincount(cells, minlength=n_cells).astype(np.int64),
        "min": np.where(finite, x, np.inf).min(axis=0, initial=np.inf) + 0.0,
        "max": np.where(finite, x, -np.inf).max(axis=0, initial=-np.inf) + 0.0,
        "pos": Histogram.from_keys(keys[positive], cells[positive], n_cells, SKETCH_MAX_BINS),
        "neg": Histogram.from_keys(keys[~positive], cells[~positive], n_cells, SKETCH_MAX_BINS),
        "sum": ExactSum.from_values(value, cells, n_cells),
        "sumsq": ExactSum.from_values(square[square_ok], cells[square_ok], n_cells),
        "sq_overflow": np.bincount(cells[~square_ok], minlength=n_cells).astype(np.int64),  # |x| > 1.3e154
        "alpha": RELATIVE_ACCURACY,
    }
