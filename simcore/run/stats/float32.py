"""The float32 fast path of amounts: sketch and exact sums from bit patterns.

Float32 amounts (what the engine returns) are bucketed by their bit patterns instead of
logarithms: the top 15 bits of a float32 name one of 64 intervals per power of two,
which holds at most one sketch-bin edge, and two bincounts per block give, per (cell,
interval, side of the edge), the count and the exact integer sums of the 17 low bits
and of their squares. :func:`_float32_amount_fields` turns those into the amount fields
bit for bit equal to :func:`simcore.run.stats.sketch._general_amount_fields` (a test
holds the two routes to it), or returns None for subnormal numbers (then the general
route runs).
"""

from __future__ import annotations

import functools

import numpy as np

from simcore.run.stats.blocks import _block_scenarios, _column_reduce, _dense, _kept_values, _Scratch
from simcore.run.stats.exact_sum import _EXPONENT_BIAS, ExactSum
from simcore.run.stats.histogram import Histogram
from simcore.run.stats.sketch import RELATIVE_ACCURACY, SKETCH_MAX_BINS, _sketch_keys

# The float32 route of amounts. The top 15 bits of a float32 (sign, 8 exponent bits, 6
# mantissa bits) name its interval, the 17 low bits its place in it:
# |value| = start of the interval + low x 2^(exponent - 150). One table lookup gives a
# value's fine bucket (its interval, below or above the interval's one sketch-bin edge);
# two bincounts give, per (cell, fine bucket), the count and the exact integer sums of
# low and of low^2, from which the sketch and the exact sums of x and x^2 follow.
_F32_LOW_BITS = 17
_F32_LOW_MASK = (1 << _F32_LOW_BITS) - 1
_F32_MAGNITUDES = 1 << 14  # intervals per sign: 8 exponent and 6 mantissa bits
_F32_FIRST_NORMAL = 1 << 6  # interval of 2^-126; below it: zero and subnormals
_F32_FIRST_NONFINITE = 255 << 6  # intervals of inf and NaN
_F32_LARGEST_FINITE = 0x7F7FFFFF  # magnitude bits of the largest finite float32
_PACKED_BITS = 34  # count x 2^34 + sum of low in one float64: exact for up to 2^17 values per bucket
_PACKED_COUNT = 1 << _PACKED_BITS


@functools.cache
def _float32_intervals() -> tuple[np.ndarray, np.ndarray]:
    """Per float32 magnitude interval ``[2^14]`` (normal numbers only): the sketch key of its
    first value and its step, the low bits from which the key is one more (2^17: none).

    An interval spans at most 2^-6 = 1.6 % of its values and a sketch bin 2 %, so it holds
    at most one bin edge; the step is found by bisection with :func:`_sketch_keys` itself,
    so the keys are the formula's for every float32 (a test checks the float32 values
    next to every bin edge, the only ones a rounding of the logarithm could move)."""
    interval = np.arange(_F32_FIRST_NORMAL, _F32_FIRST_NONFINITE, dtype=np.uint32)

    def keys(low):
        return _sketch_keys(((interval << _F32_LOW_BITS) | low).view(np.float32).astype(np.float64))

    start, end = keys(np.uint32(0)), keys(np.uint32(_F32_LOW_MASK))
    if not np.all((end == start) | (end == start + 1)):
        raise AssertionError("a float32 interval spans more than one sketch bin edge")
    below = np.zeros(interval.size, np.uint32)  # key(below) == start
    above = np.full(interval.size, _F32_LOW_MASK, np.uint32)  # key(above) == end
    for _ in range(_F32_LOW_BITS):
        middle = (below + above) >> 1
        up = keys(middle) > start
        above, below = np.where(up, middle, above), np.where(up, below, middle)
    first_key = np.zeros(_F32_MAGNITUDES, np.int64)
    step = np.full(_F32_MAGNITUDES, 1 << _F32_LOW_BITS, np.int64)
    first_key[interval] = start
    step[interval] = np.where(end > start, above, 1 << _F32_LOW_BITS)
    first_key.flags.writeable = step.flags.writeable = False  # shared by every call
    return first_key, step


def _fine_bucket_table(lowest: int, highest: int) -> tuple[np.ndarray, int]:
    """Lookup table ``[2^15]`` (by the top 15 bits of a float32) and buckets per cell for
    values whose magnitude intervals lie in ``lowest .. highest``.

    Buckets per cell: ``2 x interval + above`` for positive values (``interval`` counted
    from ``lowest``, ``above``: at or past the interval's step), the same after them for
    negative values, then one for zeros and one for inf and NaN. An entry is
    ``bucket x 2^17 + 2^17 - step``, so that ``(entry + low) >> 17`` is the bucket of a
    value with low bits ``low`` (it adds one exactly when ``low >= step``)."""
    _, steps = _float32_intervals()
    span = max(highest - lowest + 1, 0)
    bucket = np.zeros(2 * _F32_MAGNITUDES, np.int64)
    step = np.full(2 * _F32_MAGNITUDES, 1 << _F32_LOW_BITS, np.int64)
    for sign in (0, 1):
        of_sign = slice(sign * _F32_MAGNITUDES, (sign + 1) * _F32_MAGNITUDES)
        bucket[of_sign][lowest:highest + 1] = sign * 2 * span + 2 * np.arange(span)
        step[of_sign][lowest:highest + 1] = steps[lowest:highest + 1]
        bucket[of_sign][0] = 4 * span  # zeros (no subnormals on this route)
        bucket[of_sign][_F32_FIRST_NONFINITE:] = 4 * span + 1
    return (bucket << _F32_LOW_BITS) + (1 << _F32_LOW_BITS) - step, 4 * span + 2


def _add_fine_buckets(totals: np.ndarray, bits: np.ndarray, cell_base, table: np.ndarray,
                      scratch: _Scratch) -> None:
    """Add the count, sum of low and sum of low^2 per fine bucket of the float32 ``bits``
    (any shape; ``cell_base``: first bucket of each value's cell, broadcast) to
    ``totals`` [3, buckets] int64. At most 2^17 values may fall in one bucket."""
    shape = bits.shape
    low = np.bitwise_and(bits, np.uint32(_F32_LOW_MASK), out=scratch.get("low", np.uint32, shape))
    index = np.right_shift(bits, np.uint32(_F32_LOW_BITS), out=scratch.get("index", np.intp, shape),
                           casting="unsafe")
    bucket = np.take(table, index, out=scratch.get("bucket", np.int64, shape), mode="clip")  # all in range
    bucket += low
    bucket >>= _F32_LOW_BITS
    bucket += cell_base
    bucket = bucket.ravel()
    weight = np.add(low, float(_PACKED_COUNT), out=scratch.get("weight", np.float64, shape)).ravel()
    packed = np.bincount(bucket, weight, minlength=totals.shape[1]).astype(np.int64)
    totals[0] += packed >> _PACKED_BITS
    totals[1] += packed & (_PACKED_COUNT - 1)
    weight = np.multiply(low, low, out=scratch.get("weight", np.float64, shape), dtype=np.float64).ravel()
    totals[2] += np.bincount(bucket, weight, minlength=totals.shape[1]).astype(np.int64)


def _float32_amount_fields(x: np.ndarray, scratch: _Scratch) -> dict | None:
    """The amount fields (see :class:`MetricStats`) of float32 ``x`` [P, S, E], S >= 1,
    bit for bit those of the general route; None when ``x`` holds subnormal numbers
    (their intervals hold several sketch-bin edges) or too many scenarios for the int64
    sums (2^29; the general route takes them)."""
    n_policies, n_scenarios, n_elements = x.shape
    n_cells = n_policies * n_elements
    bits = x.view(np.uint32)
    block = _block_scenarios(x)
    # pass 1: the range of magnitude intervals, and the non-zero values of mostly-zero blocks
    parts = []  # per block: its bits [P, b, E] and None, or its non-zero bits [m] and their cells [m]
    smallest, largest = _F32_LARGEST_FINITE + 1, 0  # of the non-zero finite magnitudes
    for first in range(0, n_scenarios, block):
        part = bits[:, first:first + block]
        if _dense(part):
            parts.append((part, None))
        else:  # many zeros: only the others go through the buckets (zeros are what is left)
            parts.append(_kept_values(part, np.not_equal(part, 0, out=scratch.get("kept", np.bool_, part.shape)),
                                      scratch))
        values = parts[-1][0]
        magnitude = np.bitwise_and(values, np.uint32(0x7FFFFFFF), out=scratch.get("low", np.uint32, values.shape))
        below = np.subtract(magnitude, np.uint32(1), out=scratch.get("below", np.uint32, values.shape))
        smallest = min(smallest, int(below.min(initial=_F32_LARGEST_FINITE)) + 1)  # zero wraps to the top
        top = int(magnitude.max(initial=0))
        if top > _F32_LARGEST_FINITE:  # inf or NaN: the largest finite one
            top = int(magnitude.max(where=magnitude <= _F32_LARGEST_FINITE, initial=0))
        largest = max(largest, top)
    if smallest < _F32_FIRST_NORMAL << _F32_LOW_BITS or n_scenarios >= 1 << 29:
        return None
    # pass 2: count and sums per fine bucket
    lowest, highest = smallest >> _F32_LOW_BITS, largest >> _F32_LOW_BITS
    table, width = _fine_bucket_table(lowest, highest)
    span = (width - 2) // 4
    totals = np.zeros((3, n_cells * width), np.int64)
    cell_base = (np.arange(n_cells, dtype=np.int64) * width).reshape(n_policies, 1, n_elements)
    for values, cells in parts:
        _add_fine_buckets(totals, values, cell_base if cells is None else cells * width, table, scratch)
    count, low_sum, low_squares = (total.reshape(n_cells, width) for total in totals)
    finite = n_scenarios - count[:, 4 * span + 1]
    # per (cell, sign, interval): the count and the sums of low and low^2 over its two halves
    fine = count[:, :4 * span].reshape(n_cells, 2, span, 2)  # [cell, sign, interval, above]
    count, low_sum, low_squares = (halves[..., 0] + halves[..., 1] for halves in (
        total[:, :4 * span].reshape(n_cells, 2, span, 2) for total in (count, low_sum, low_squares)))
    interval = lowest + np.arange(span)
    mantissa, exponent = 64 + interval % 64, interval // 64  # start of an interval: mantissa 2^(exponent - 133)
    # |x| = start + low unit with unit = 2^(exponent - 150), so per interval, and per exponent e,
    #   sum |x| = (count mantissa) 2^(e - 133) + (sum low) 2^(e - 150)
    #   sum x^2 = (count mantissa^2) 2^(2e - 266) + (mantissa sum low) 2^(2e - 282) + (sum low^2) 2^(2e - 300)
    # with int64 sums (below 2^63 for fewer than 2^29 scenarios), added exactly into the limbs
    group = np.flatnonzero(np.diff(exponent, prepend=-1))  # first interval of each exponent
    by_exponent = [np.add.reduceat(terms, group, axis=2) if span else terms for terms in (
        count * mantissa, low_sum, count * mantissa ** 2, low_sum * mantissa, low_squares)]
    e = exponent[group]
    cell_of = np.broadcast_to(np.arange(n_cells).reshape(-1, 1, 1), by_exponent[0].shape).ravel()
    signed = np.array([1, -1]).reshape(1, 2, 1)

    def exact(terms, powers):  # ExactSum of sum(terms x 2^powers), powers [exponent]
        return ExactSum.from_integers(np.concatenate([t.ravel() for t in terms]),
                                      np.concatenate([np.broadcast_to(_EXPONENT_BIAS + power, terms[0].shape).ravel()
                                                      for power in powers]),
                                      np.tile(cell_of, len(terms)), n_cells)

    total = exact([signed * by_exponent[0], signed * by_exponent[1]], [e - 133, e - 150])
    squares = exact(by_exponent[2:], [2 * e - 266, 2 * e - 282, 2 * e - 300])
    # the sketch: a fine bucket's key is its interval's first key, plus one above the step
    first_key, _ = _float32_intervals()
    keys = (first_key[interval][:, None] + np.arange(2)).ravel()  # [2 span], non-decreasing
    distinct = np.flatnonzero(np.diff(keys, prepend=keys[:1] - 1)) if span else np.zeros(0, np.int64)
    per_key = np.add.reduceat(fine.reshape(n_cells, 2, 2 * span), distinct, axis=2) if span else fine[..., 0]
    histograms = []
    for of_sign in per_key.transpose(1, 0, 2):  # [cell, key] of the positive, then the negative values
        cell, at = np.nonzero(of_sign)
        histograms.append(Histogram.from_keys(keys[distinct][at], cell, n_cells, SKETCH_MAX_BINS, of_sign[cell, at]))
    lowest_value = _column_reduce(np.minimum, x).reshape(n_cells).astype(np.float64)
    highest_value = _column_reduce(np.maximum, x).reshape(n_cells).astype(np.float64)
    for c in np.flatnonzero(finite < n_scenarios):  # inf or NaN in the cell: its extremes over the finite values
        column = x[c // n_elements, :, c % n_elements]
        column = column[np.isfinite(column)]
        lowest_value[c] = column.min(initial=np.inf)
        highest_value[c] = column.max(initial=-np.inf)
    return {
        "n": finite,
        "zeros": finite - count.sum(axis=(1, 2)),
        "min": lowest_value + 0.0,  # + 0.0: a zero extreme is +0.0, whichever zero came first
        "max": highest_value + 0.0,
        "pos": histograms[0],
        "neg": histograms[1],
        "sum": total,
        "sumsq": squares,
        "sq_overflow": np.zeros(n_cells, np.int64),  # a float32 squared is at most 1.2e77
        "alpha": RELATIVE_ACCURACY,
    }
