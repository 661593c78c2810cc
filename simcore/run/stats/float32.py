"""The float32 fast path of amounts: sketch and exact sums from bit patterns.

Float32 amounts (what the engine returns) are bucketed by their bit patterns instead of
logarithms: the top 15 bits of a float32 name one of 64 intervals per power of two,
which holds at most one sketch-bin edge, and two bincounts per block give, per (cell,
interval, side of the edge), the count and the exact integer sums of the 17 low bits
and of their squares. Only the occupied buckets (at most one per value) go on to the
exact sums and the sketch: per cell the buckets span every interval between the
smallest and the largest magnitude, mostly empty. :func:`_float32_amount_fields` turns
those into the amount fields bit for bit equal to
:func:`simcore.run.stats.sketch._general_amount_fields` (a test holds the two routes to
it), or returns None for subnormal numbers (then the general route runs).
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


def _fine_bucket_table(lowest: int, highest: int, signed: bool) -> tuple[np.ndarray, int]:
    """Lookup table ``[2^15]`` (by the top 15 bits of a float32) and buckets per cell for
    values whose magnitude intervals lie in ``lowest .. highest``; negative values only
    when ``signed``.

    Buckets per cell: ``2 x interval + above`` for positive values (``interval`` counted
    from ``lowest``, ``above``: at or past the interval's step), the same after them for
    negative values (when ``signed``), then one for zeros and one for inf and NaN. An
    entry is ``bucket x 2^17 + 2^17 - step``, so that ``(entry + low) >> 17`` is the
    bucket of a value with low bits ``low`` (it adds one exactly when ``low >= step``)."""
    span = max(highest - lowest + 1, 0)
    interval_buckets = (4 if signed else 2) * span
    table = np.zeros(2 * _F32_MAGNITUDES, np.int64)  # other intervals hold no value
    of_interval = _interval_entries()[lowest:highest + 1]
    for sign in (0, 1) if signed else (0,):  # bucket sign x 2 span + 2 (interval - lowest)
        start = sign * _F32_MAGNITUDES
        table[start + lowest:start + highest + 1] = of_interval + ((sign * 2 * span - 2 * lowest) << _F32_LOW_BITS)
    for start in (0, _F32_MAGNITUDES):  # zeros (no subnormals on this route), then inf and NaN: step 2^17
        table[start] = interval_buckets << _F32_LOW_BITS
        table[start + _F32_FIRST_NONFINITE:start + _F32_MAGNITUDES] = (interval_buckets + 1) << _F32_LOW_BITS
    return table, interval_buckets + 2


@functools.cache
def _interval_entries() -> np.ndarray:
    """Per magnitude interval ``[2^14]``: ``2 x interval x 2^17 + 2^17 - step``, the lookup
    entry of its first bucket when buckets are counted from interval 0."""
    _, steps = _float32_intervals()
    entries = (2 * np.arange(_F32_MAGNITUDES, dtype=np.int64) << _F32_LOW_BITS) + (1 << _F32_LOW_BITS) - steps
    entries.flags.writeable = False  # shared by every call
    return entries


def _fine_bucket_sums(bits: np.ndarray, cell_base, table: np.ndarray, n_buckets: int,
                      scratch: _Scratch) -> list[np.ndarray]:
    """The count, sum of low and sum of low^2 per fine bucket ``[n_buckets]`` (int64
    each) of the float32 ``bits`` (any shape; ``cell_base``: first bucket of each
    value's cell, broadcast). At most 2^17 values may fall in one bucket."""
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
    packed = np.bincount(bucket, weight, minlength=n_buckets).astype(np.int64)
    weight = np.multiply(low, low, out=scratch.get("weight", np.float64, shape), dtype=np.float64).ravel()
    squares = np.bincount(bucket, weight, minlength=n_buckets).astype(np.int64)
    counts = packed >> _PACKED_BITS  # a new array: the low bits are then kept in place
    return [counts, np.bitwise_and(packed, _PACKED_COUNT - 1, out=packed), squares]


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
    signed = False  # whether a sign bit is set: only then do cells get buckets for negative values
    for first in range(0, n_scenarios, block):
        part = bits[:, first:first + block]
        if _dense(part):
            parts.append((part, None))
        else:  # many zeros: only the others go through the buckets (zeros are what is left)
            parts.append(_kept_values(part, np.not_equal(part, 0, out=scratch.get("kept", np.bool_, part.shape)),
                                      scratch))
        values = parts[-1][0]
        signed = signed or int(values.max(initial=0)) > 0x7FFFFFFF
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
    table, width = _fine_bucket_table(lowest, highest, signed)
    span, interval_buckets = max(highest - lowest + 1, 0), width - 2
    cell_base = (np.arange(n_cells, dtype=np.int64) * width).reshape(n_policies, 1, n_elements)
    totals = None
    for values, cells in parts:
        sums = _fine_bucket_sums(values, cell_base if cells is None else cells * width, table, n_cells * width, scratch)
        if totals is None:
            totals = sums
        else:
            for total, part_sum in zip(totals, sums):
                total += part_sum
    count = totals[0].reshape(n_cells, width)
    finite = n_scenarios - count[:, interval_buckets + 1]
    zeros = finite - count[:, :interval_buckets].sum(axis=1)
    # only the occupied fine buckets go on: at most one per value, where the span of
    # intervals (up to 2^14 per sign and cell) would make dense per-interval arrays the cost
    occupied = np.flatnonzero(totals[0])  # in order of (cell, sign, interval, above)
    cell, fine = np.divmod(occupied, width)
    in_interval = fine < interval_buckets
    occupied, cell, fine = occupied[in_interval], cell[in_interval], fine[in_interval]
    fine_count, low_sum, low_squares = (total[occupied] for total in totals)
    negative, above = (fine >= 2 * span).astype(np.int64), fine & 1
    interval = lowest + (fine - negative * 2 * span) // 2
    mantissa, exponent = 64 + interval % 64, interval // 64  # start of an interval: mantissa 2^(exponent - 133)
    # |x| = start + low unit with unit = 2^(exponent - 150), so per interval, and per exponent e,
    #   sum |x| = (count mantissa) 2^(e - 133) + (sum low) 2^(e - 150)
    #   sum x^2 = (count mantissa^2) 2^(2e - 266) + (mantissa sum low) 2^(2e - 282) + (sum low^2) 2^(2e - 300)
    # with int64 sums per (cell, sign, exponent) (below 2^63 for fewer than 2^29 scenarios),
    # added exactly into the limbs; the buckets are in order, so each group is one run
    run = (cell * 2 + negative) * 256 + exponent
    group = np.flatnonzero(np.diff(run, prepend=-1))
    by_exponent = [np.add.reduceat(terms, group) if group.size else terms for terms in (
        fine_count * mantissa, low_sum, fine_count * mantissa ** 2, low_sum * mantissa, low_squares)]
    e, cell_of, sign_of = exponent[group], cell[group], 1 - 2 * negative[group]

    # both exact sums in one pass: the sums of x in cells 0 .. C-1, those of x^2 in C .. 2C-1
    both = ExactSum.from_integers(
        np.concatenate([sign_of * by_exponent[0], sign_of * by_exponent[1], *by_exponent[2:]]),
        _EXPONENT_BIAS + np.concatenate([e - 133, e - 150, 2 * e - 266, 2 * e - 282, 2 * e - 300]),
        np.concatenate([cell_of, cell_of, cell_of + n_cells, cell_of + n_cells, cell_of + n_cells]), 2 * n_cells)
    total, squares = ExactSum(both.limbs[:n_cells]), ExactSum(both.limbs[n_cells:])
    # the sketch: a fine bucket's key is its interval's first key, plus one above the step
    # (Histogram.from_keys adds the counts of buckets that share a key)
    first_key, _ = _float32_intervals()
    keys = first_key[interval] + above
    histograms = [Histogram.from_keys(keys[of_sign], cell[of_sign], n_cells, SKETCH_MAX_BINS, fine_count[of_sign])
                  for of_sign in (negative == 0, negative == 1)]  # the positive, then the negative values
    lowest_value = _column_reduce(np.minimum, x).reshape(n_cells).astype(np.float64)
    highest_value = _column_reduce(np.maximum, x).reshape(n_cells).astype(np.float64)
    for c in np.flatnonzero(finite < n_scenarios):  # inf or NaN in the cell: its extremes over the finite values
        column = x[c // n_elements, :, c % n_elements]
        column = column[np.isfinite(column)]
        lowest_value[c] = column.min(initial=np.inf)
        highest_value[c] = column.max(initial=-np.inf)
    return {
        "n": finite,
        "zeros": zeros,
        "min": lowest_value + 0.0,  # + 0.0: a zero extreme is +0.0, whichever zero came first
        "max": highest_value + 0.0,
        "pos": histograms[0],
        "neg": histograms[1],
        "sum": total,
        "sumsq": squares,
        "sq_overflow": np.zeros(n_cells, np.int64),  # a float32 squared is at most 1.2e77
        "alpha": RELATIVE_ACCURACY,
    }
