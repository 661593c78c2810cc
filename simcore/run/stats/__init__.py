"""Streaming statistics across scenarios: mergeable per-chunk reductions.

For each chunk of scenarios, :func:`reduce_chunk` turns the per-scenario metrics
``[policy, scenario, ...]`` into a :class:`ChunkStats` whose size does not grow
with the number of scenarios. :func:`merge` combines two of them, and
:func:`finalize` turns the result into the summary dataset with dims
``(statistic, policy, ...)``. Every field of a ``ChunkStats`` is an integer
count, an exact integer sum, a minimum, a maximum or (small runs) the sorted
values themselves, so merging is associative
and commutative bit for bit: chunks merged in any order or grouping (one by one
as they arrive, or per worker and then together, or again after a resume) give
identical numbers. ``ChunkStats.to_arrays`` / ``from_arrays`` turn it into a flat
dict of NumPy arrays for the store. :func:`simcore.run.summary.summarize` is
reduce + finalize over a whole dataset, so in-memory and streamed runs share this
one implementation.

What each metric kind (``METRIC_INFO``) keeps, per (policy, element) cell
------------------------------------------------------------------------
* ``count`` (whole non-negative numbers: days, episodes): an exact histogram of
  the values. Mean, std, min, max, ``p_positive``, the quantiles and ``cvar95``
  are exact: the same numbers NumPy gives on the full sample (quantiles use
  NumPy's default ``linear`` rule, the mean is the correctly rounded exact mean).
* ``survival`` (days until something happens, NaN = it never did): an exact
  histogram of the whole days where it happened. ``p_defined`` (it happened at
  all) and ``p_within_Xd`` = P(value <= X) for X in ``SURVIVAL_WITHIN_DAYS`` are
  shares of all scenarios; a value 0 (short on the alarm day) counts as happening.
  Mean, std, min, max, the quantiles and ``cvar95_lower`` (mean of the shortest
  ``ceil(5 % of n)`` values, the risk being in the short tail) are over the
  scenarios where it happened; all exact.
* ``duration`` (days something lasted, NaN = not applicable): as ``survival`` but
  with the upper tail, ``cvar95``, and no ``p_within``; exact.
* ``amount`` (continuous values of any sign): exact count, min, max, ``p_positive``,
  and exact sums of x and of x**2 (each value split into 32-bit integer limbs, see
  :class:`ExactSum`; the mean is the exactly rounded mean, the std the population
  std from the exact sums of the float64 squares); quantiles and ``cvar95`` come
  from a log-bin sketch with the error bound below, except for runs of at most
  ``EXACT_UP_TO_SCENARIOS`` scenarios, which keep the values themselves and give
  NumPy's quantiles and the exact CVaR (the values are dropped as soon as merged
  chunks exceed that, whatever the grouping). Non-finite values are left out
  (every statistic of an amount is over its finite values).
* ``flag`` (booleans): the number true; ``mean`` is the share true.
* P(any): per scenario, whether any product has ``shortage_days > 0``, over all
  products and over materials only (storable products); reported as
  ``p_any_shortage`` and ``p_any_material_shortage`` ``[policy]``, with the
  number of scenarios ``n_scenarios``.

Statistics that do not apply to a kind are NaN (e.g. ``p_within_7d`` of an amount).
``cvar95`` is the mean of the worst ``ceil(n (1 - 0.95))`` values (at least one),
the same definition as :func:`simcore.run.summary.cvar`.

Error bound of the amount sketch
--------------------------------
A non-zero value x goes to bin ``i = ceil(log|x| / log g)`` of its sign, with
``g = (1 + a) / (1 - a)`` and ``a = RELATIVE_ACCURACY = 0.01``, and is represented
by ``v_i = 2 g**i / (g + 1)``, so ``|v_i - x| <= a |x|`` (the DDSketch construction,
Masson, Rim & Lee, VLDB 2019); zeros are counted exactly, and estimates are clipped
to the exact [min, max]. Hence every order statistic is estimated within ``a`` of
its value, ``|x^_(k) - x_(k)| <= a |x_(k)|`` (k = 0 and n-1 give min and max
exactly), and

* a quantile, which interpolates x_(j) and x_(j+1) with weight f (NumPy's
  ``linear`` rule), has ``|q^ - q| <= a ((1 - f)|x_(j)| + f |x_(j+1)|)``, which
  is ``a |q|`` (1 % relative) whenever the two neighbours share a sign: always
  for non-negative metrics;
* ``cvar95`` has ``|c^ - c| <= a mean(|x| over the tail)``, i.e. ``a |c|`` when
  the tail has one sign.

(Up to floating-point rounding at bin edges, ~1e-15 relative.) Memory: at most
``SKETCH_MAX_BINS = 2048`` bins per sign and cell (17.8 decades of magnitude at
a = 1 %). When a cell's magnitudes span more, the smallest magnitudes are folded
into the lowest kept bin; the bound above then holds for values with
``|x| >= 2e-18 max|x|`` and values below it are off by at most ``2e-18 max|x|``,
under float64 resolution of the largest value. Folding depends only on the
largest key seen, so it keeps merging associative.

Memory of a ``ChunkStats`` per cell: an exact day histogram has at most
``max value + 1`` bins (days within the horizon), a sketch at most 2 x 2048 bins,
an exact sum 70 int64 limbs, the kept values of a small run at most 2048 float64;
nothing grows with the number of scenarios.

How a chunk is reduced
----------------------
:func:`reduce_chunk` goes through each metric in blocks of about 2^18 values, with
scratch arrays reused from block to block, so its temporaries stay around 15 MB
whatever the chunk size (plus the non-zero values of mostly-zero amount blocks, at
most a quarter of a metric's values). Days are bincounted with one key per (cell, day).
Float32 amounts (what the engine returns) are bucketed by their bit patterns: the top
15 bits of a float32 name one of 64 intervals per power of two, which holds at most
one sketch-bin edge, and two bincounts per block give, per (cell, interval, side of
the edge), the count and the exact integer sums of the 17 low bits and of their
squares; the sketch, the exact sums of x and x^2 and the zeros follow exactly. Other
amounts, and float32 ones holding subnormal numbers, take the general route (sketch
keys from the logarithm, sums from the float64 values); both routes give the same
bits, and a test holds them to it.

Where each part lives
---------------------
* :mod:`~simcore.run.stats.histogram`: :class:`Histogram`, ragged integer histograms
  (exact day histograms and the sketch's bins);
* :mod:`~simcore.run.stats.exact_sum`: :class:`ExactSum`, exact sums in 32-bit limbs;
* :mod:`~simcore.run.stats.sketch`: the log-bin amount sketch and the general route of
  amounts; :mod:`~simcore.run.stats.float32`: the float32 fast path of amounts;
* :mod:`~simcore.run.stats.blocks`: block-by-block reduction (scratch arrays, block
  sizes); :mod:`~simcore.run.stats.days`: the day histograms;
* :mod:`~simcore.run.stats.chunk`: :class:`MetricStats`, :class:`ChunkStats`,
  :func:`merge`, :func:`merge_all`, the flat arrays of the store;
* :mod:`~simcore.run.stats.reduce`: :func:`reduce_chunk`, per-kind reduction;
* :mod:`~simcore.run.stats.readout`: :func:`finalize`, quantiles and tail sums;
* :mod:`~simcore.run.stats.device_reduce`, :mod:`~simcore.run.stats.device_paired`,
  :mod:`~simcore.run.stats.device_finish`: the same reduction in JAX on the device where
  a chunk's metrics lie, only the fixed-size state brought back
  (:func:`~simcore.run.stats.device_finish.reduce_chunk_device`, bit for bit
  :func:`reduce_chunk`).

The public names (``__all__``) are importable from ``simcore.run.stats`` itself, as
before the split into modules.
"""

from simcore.run.stats.chunk import (
    EXACT_UP_TO_SCENARIOS,
    FORMAT_VERSION,
    KINDS,
    ChunkStats,
    MetricStats,
    merge,
    merge_all,
)
from simcore.run.stats.exact_sum import ExactSum
from simcore.run.stats.histogram import Histogram
from simcore.run.stats.readout import (
    CVAR_LEVEL,
    QUANTILE_LEVELS,
    STATISTICS,
    SURVIVAL_WITHIN_DAYS,
    cvar_tail_size,
    finalize,
)
from simcore.run.stats.reduce import reduce_chunk
from simcore.run.stats.sketch import RELATIVE_ACCURACY, SKETCH_MAX_BINS

__all__ = [
    "CVAR_LEVEL", "EXACT_UP_TO_SCENARIOS", "FORMAT_VERSION", "KINDS", "QUANTILE_LEVELS", "RELATIVE_ACCURACY",
    "SKETCH_MAX_BINS", "STATISTICS", "SURVIVAL_WITHIN_DAYS", "ChunkStats", "ExactSum", "Histogram", "MetricStats",
    "cvar_tail_size", "finalize", "merge", "merge_all", "reduce_chunk",
]
