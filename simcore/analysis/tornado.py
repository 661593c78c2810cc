"""Tornado ranges: each model-file number moved over its own uncertainty range.

For every number with a distribution in the model file (:mod:`simcore.analysis.file_numbers`),
the low and high ends of its range are the distribution's :data:`RANGE_PERCENTILES`
(5th and 95th percentiles); the exact engine is run at each end with every other number
at its central value, on the same scenarios as the centre (common random numbers), and
the tornado bar of a metric spans the expected metric at the two ends. A number given
as a plain number has **no range in the model file** and gets no bar (never an invented
+-10 %).

:func:`range_shifts` gives the shifts (file units) that :func:`simcore.analysis.
sensitivity.sensitivities` runs together with its finite differences;
:func:`tornado_variables` turns the metric values at those rows into dataset variables.
"""

from __future__ import annotations

import numpy as np

from simcore.analysis.file_numbers import FileNumber, percentile

RANGE_PERCENTILES = (5.0, 95.0)  # percent: the low and high ends of a number's range
NO_RANGE = "no range in the model file"


def range_ends(numbers: list[FileNumber], percentiles=RANGE_PERCENTILES) -> tuple[np.ndarray, np.ndarray]:
    """``(low, high)`` ``[n]`` in file units: each number's distribution at the two
    percentiles (NaN for a number without a distribution)."""
    low = np.full(len(numbers), np.nan)
    high = np.full(len(numbers), np.nan)
    for j, number in enumerate(numbers):
        if number.distribution is not None:
            low[j] = percentile(number.distribution, percentiles[0] / 100.0)
            high[j] = percentile(number.distribution, percentiles[1] / 100.0)
    return low, high


def range_shifts(numbers: list[FileNumber], percentiles=RANGE_PERCENTILES) -> tuple[np.ndarray, np.ndarray]:
    """``(shifts [2 r, n], ranged [r])``: one row per end (all low ends, then all high
    ends) of the ``r`` numbers with a range, each moving only its number from its
    central value to that end (file units); ``ranged``: their indices."""
    low, high = range_ends(numbers, percentiles)
    ranged = np.flatnonzero(np.isfinite(low))
    centre = np.array([number.value for number in numbers])
    rows = np.zeros((2 * len(ranged), len(numbers)))
    for k, j in enumerate(ranged):
        rows[k, j] = low[j] - centre[j]
        rows[len(ranged) + k, j] = high[j] - centre[j]
    return rows, ranged


def tornado_variables(numbers: list[FileNumber], values: np.ndarray, ranged: np.ndarray,
                      percentiles=RANGE_PERCENTILES) -> dict:
    """Dataset variables of the tornado from the exact expected metrics ``values``
    ``[2 r, K]`` at the rows of :func:`range_shifts`: ``range_low`` / ``range_high``
    ``(parameter,)`` in file units, ``tornado_low`` / ``tornado_high`` ``(metric,
    parameter)`` (the metric with the number at its low / high end; NaN without a
    range) and ``range_kind`` (the distribution, or :data:`NO_RANGE`)."""
    n, r = len(numbers), len(ranged)
    low, high = range_ends(numbers, percentiles)
    k = values.shape[1]
    at_low = np.full((k, n), np.nan)
    at_high = np.full((k, n), np.nan)
    if r:
        at_low[:, ranged] = values[:r].T
        at_high[:, ranged] = values[r:].T
    kinds = [number.distribution.get("dist", "triangular") if number.distribution is not None else NO_RANGE
             for number in numbers]
    lo, hi = (f"{p:g}th percentile" for p in percentiles)
    return {
        "range_low": (("parameter",), low, {"units": "the model file's", "description": f"{lo} of the number's "
                                                                                          "distribution"}),
        "range_high": (("parameter",), high, {"units": "the model file's", "description": f"{hi} of the number's "
                                                                                            "distribution"}),
        "tornado_low": (("metric", "parameter"), at_low,
                        {"description": f"expected metric (exact engine, same scenarios) with the number at its {lo}, "
                                        "the others central"}),
        "tornado_high": (("metric", "parameter"), at_high,
                         {"description": f"expected metric (exact engine, same scenarios) with the number at its {hi}, "
                                         "the others central"}),
        "range_kind": (("parameter",), np.array(kinds, dtype=str), {}),
    }
