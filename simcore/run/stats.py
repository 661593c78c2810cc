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
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import xarray as xr

from simcore.run.metrics import METRIC_INFO
from simcore.run.paired import PAIRED_INFO, paired_differences

RELATIVE_ACCURACY = 0.01  # a: relative error bound of the amount sketch
SKETCH_MAX_BINS = 2048  # per sign and cell
EXACT_UP_TO_SCENARIOS = 2048  # amounts of runs this small keep their values: exact quantiles and CVaR
SURVIVAL_WITHIN_DAYS = (7, 30, 90, 180)
QUANTILE_LEVELS = (0.05, 0.10, 0.5, 0.9, 0.95, 0.99)
CVAR_LEVEL = 0.95
FORMAT_VERSION = 1  # of to_arrays(); bump when the layout changes

STATISTICS = (
    ("mean", "std", "min", "max", "p_positive", "p_defined")
    + tuple(f"p_within_{days}d" for days in SURVIVAL_WITHIN_DAYS)
    + tuple(f"q{round(q * 100):02d}" for q in QUANTILE_LEVELS)
    + ("cvar95", "cvar95_lower")
)
KINDS = ("count", "amount", "survival", "duration", "flag")
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
_SEP = "__"  # flat key = metric + _SEP + field (+ _SEP + part); no "/" (zarr groups)


def _sketch_gamma(relative_accuracy: float) -> float:
    return (1.0 + relative_accuracy) / (1.0 - relative_accuracy)


def cvar_tail_size(n: int, level: float = CVAR_LEVEL) -> int:
    """Number of values in the tail of a CVaR at ``level`` over ``n`` values (at least one)."""
    return max(1, int(np.ceil(n * (1.0 - level) - 1e-9)))  # 1e-9: 40 x (1 - 0.95) is 2.0000000000000018


# ---------------------------------------------------------------------------------------------
# Building blocks: ragged integer histograms and exact float sums, both mergeable exactly
# ---------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Histogram:
    """Integer-keyed counts, one histogram per cell, stored ragged.

    Cell ``c`` holds keys ``lo[c] .. lo[c] + size[c] - 1`` with counts
    ``counts[start[c] : start[c] + size[c]]`` (``start`` = exclusive cumulative sum of
    ``size``); an empty cell has ``size 0``. With ``max_bins > 0`` a cell keeps only its
    ``max_bins`` highest keys and folds lower keys into the lowest kept one.
    """

    lo: np.ndarray  # [C] int64
    size: np.ndarray  # [C] int64
    counts: np.ndarray  # [sum(size)] int64
    max_bins: int = 0  # 0: unlimited

    @functools.cached_property
    def start(self) -> np.ndarray:
        return np.concatenate([[0], np.cumsum(self.size)[:-1]]).astype(np.int64)

    @property
    def total(self) -> np.ndarray:
        """[C] number of values counted per cell."""
        out = np.zeros(self.size.shape, np.int64)
        nonempty = self.size > 0
        if nonempty.any():  # empty cells have no bins, so consecutive non-empty starts delimit the cells
            out[nonempty] = np.add.reduceat(self.counts, self.start[nonempty])
        return out

    def cell(self, c: int) -> tuple[np.ndarray, np.ndarray]:
        """(keys, counts) of cell ``c``, zero counts dropped."""
        s = int(self.start[c])
        counts = self.counts[s:s + int(self.size[c])]
        keys = self.lo[c] + np.arange(counts.size, dtype=np.int64)
        keep = counts > 0
        return keys[keep], counts[keep]

    @staticmethod
    def _layout(has: np.ndarray, kmin: np.ndarray, kmax: np.ndarray, max_bins: int):
        lo = kmin if max_bins <= 0 else np.maximum(kmin, kmax - (max_bins - 1))
        lo = np.where(has, lo, 0).astype(np.int64)
        size = np.where(has, kmax - lo + 1, 0).astype(np.int64)
        return lo, size

    @classmethod
    def from_keys(cls, keys: np.ndarray, cells: np.ndarray, n_cells: int, max_bins: int = 0,
                  counts: np.ndarray | None = None) -> "Histogram":
        """Histograms of int64 ``keys`` [m] falling in cells ``cells`` [m] (of ``n_cells``),
        each key counted once or ``counts`` [m] (positive int64) times."""
        info = np.iinfo(np.int64)
        kmin, kmax = np.full(n_cells, info.max), np.full(n_cells, info.min)
        np.minimum.at(kmin, cells, keys)
        np.maximum.at(kmax, cells, keys)
        lo, size = cls._layout(np.bincount(cells, minlength=n_cells) > 0, kmin, kmax, max_bins)
        start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
        position = start[cells] + np.maximum(keys, lo[cells]) - lo[cells]
        if counts is None:
            return cls(lo, size, np.bincount(position, minlength=int(size.sum())).astype(np.int64), max_bins)
        summed = np.zeros(int(size.sum()), np.int64)
        np.add.at(summed, position, np.asarray(counts, np.int64))  # exact int64; positions repeat where folded
        return cls(lo, size, summed, max_bins)

    @classmethod
    def from_dense(cls, counts: np.ndarray, first_key: int) -> "Histogram":
        """Unfolded histograms of dense int64 ``counts`` [C, K] of the keys ``first_key ..
        first_key + K - 1``: each cell keeps its lowest to its highest counted key."""
        n_cells, n_keys = counts.shape
        counted = counts > 0
        has = counted.any(axis=1)
        low = counted.argmax(axis=1)
        high = n_keys - 1 - counted[:, ::-1].argmax(axis=1)
        position = np.arange(n_keys)
        kept = has[:, None] & (position >= low[:, None]) & (position <= high[:, None])
        lo, size = cls._layout(has, low + first_key, high + first_key, 0)
        return cls(lo, size, counts[kept].astype(np.int64), 0)

    def merge(self, other: "Histogram") -> "Histogram":
        if self.size.shape != other.size.shape or self.max_bins != other.max_bins:
            raise ValueError(f"cannot merge histograms of {self.size.size} and {other.size.size} cells "
                             f"(max_bins {self.max_bins} and {other.max_bins})")
        info = np.iinfo(np.int64)
        has = (self.size > 0) | (other.size > 0)
        kmin = np.minimum(np.where(self.size > 0, self.lo, info.max), np.where(other.size > 0, other.lo, info.max))
        kmax = np.maximum(np.where(self.size > 0, self.lo + self.size - 1, info.min),
                          np.where(other.size > 0, other.lo + other.size - 1, info.min))
        lo, size = self._layout(has, kmin, kmax, self.max_bins)
        start = np.concatenate([[0], np.cumsum(size)[:-1]]).astype(np.int64)
        counts = np.zeros(int(size.sum()), np.int64)
        for part in (self, other):
            cells = np.repeat(np.arange(part.size.size), part.size)
            keys = part.lo[cells] + np.arange(part.counts.size) - part.start[cells]
            position = start[cells] + np.maximum(keys, lo[cells]) - lo[cells]
            np.add.at(counts, position, part.counts)  # exact int64; positions repeat where folded
        return Histogram(lo, size, counts, self.max_bins)

    def to_arrays(self) -> dict[str, np.ndarray]:
        return {"lo": self.lo, "size": self.size, "counts": self.counts,
                "max_bins": np.asarray(self.max_bins, np.int64)}

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "Histogram":
        return cls(np.asarray(arrays["lo"], np.int64), np.asarray(arrays["size"], np.int64),
                   np.asarray(arrays["counts"], np.int64), int(arrays["max_bins"]))

    @property
    def nbytes(self) -> int:
        return self.lo.nbytes + self.size.nbytes + self.counts.nbytes


_LIMB_BITS = 32
_LIMB_MASK = (1 << _LIMB_BITS) - 1
_N_LIMBS = 70  # 2240 bits: float64 range (2^-1126 .. 2^1024 with the mantissa shift) + 2^63 terms
_EXPONENT_BIAS = 1126  # the smallest subnormal, 2^-1074 = 1 x 2^(-1126 + 52), lands on bit 0
_ITEMS_PER_PASS = 1 << 26  # float64 bincounts of 27-bit mantissa halves stay exact: 2^26 x 2^27 = 2^53


@dataclass(frozen=True)
class ExactSum:
    """Exact sums of float64 values per cell as fixed-point integers in 32-bit limbs.

    The sum of cell ``c`` is ``sum_j limbs[c, j] 2^(32 j) x 2^-1126``; limbs are kept
    normalised (digits in ``[0, 2^32)``, the last one signed), so the representation of a
    number is unique and merging (integer addition) is exact, associative and commutative.
    """

    limbs: np.ndarray  # [C, _N_LIMBS] int64

    @staticmethod
    def _normalise(limbs: np.ndarray) -> np.ndarray:
        while True:  # all limbs at once; a carry moves one limb per pass (a few passes in practice)
            carry = limbs[:, :-1] >> _LIMB_BITS  # arithmetic shift: floor division, also for negatives
            if not carry.any():
                return limbs
            limbs[:, :-1] -= carry << _LIMB_BITS
            limbs[:, 1:] += carry

    @staticmethod
    def _add_shifted(limbs: np.ndarray, cells: np.ndarray, integers: np.ndarray, bit: np.ndarray) -> None:
        """``limbs[cells] += integers x 2^bit`` for int64 ``|integers| < 2^53`` (cells may repeat)."""
        sign, magnitude = np.sign(integers), np.abs(integers)
        limb, shift = bit >> 5, bit & 31
        low = (magnitude & _LIMB_MASK) << shift  # < 2^63
        high = (magnitude >> _LIMB_BITS) << shift  # < 2^52
        for digit, at in ((low & _LIMB_MASK, limb),
                          ((low >> _LIMB_BITS) + (high & _LIMB_MASK), limb + 1),
                          (high >> _LIMB_BITS, limb + 2)):
            np.add.at(limbs, (cells, at), sign * digit)  # digits < 2^33: no int64 overflow

    @classmethod
    def from_values(cls, values: np.ndarray, cells: np.ndarray, n_cells: int) -> "ExactSum":
        """Sums of finite float64 ``values`` [m] per cell index ``cells`` [m].

        Each value is ``mantissa x 2^bit`` with an integer ``|mantissa| < 2^53``; the
        mantissas are first summed per (cell, bit) in two 27-bit halves by a float64
        bincount (exact: at most 2^26 values per pass), then the few bucket sums go
        into the limbs.
        """
        limbs = np.zeros((n_cells, _N_LIMBS), np.int64)
        nonzero = values != 0
        values, cells = values[nonzero], cells[nonzero]
        for first in range(0, values.size, _ITEMS_PER_PASS):
            x = values[first:first + _ITEMS_PER_PASS]
            c = cells[first:first + _ITEMS_PER_PASS].astype(np.int64)
            fraction, exponent = np.frexp(x)  # x = fraction 2^exponent, |fraction| in [0.5, 1)
            mantissa = np.ldexp(fraction, 53).astype(np.int64)  # exact: |mantissa| < 2^53
            bit = exponent.astype(np.int64) - 53 + _EXPONENT_BIAS  # x = mantissa 2^(bit - bias), bit >= 0
            lowest = int(bit.min())
            span = int(bit.max()) - lowest + 1
            bucket = c * span + (bit - lowest)
            high = np.bincount(bucket, weights=(mantissa >> 27).astype(np.float64), minlength=n_cells * span)
            low = np.bincount(bucket, weights=(mantissa & ((1 << 27) - 1)).astype(np.float64),
                              minlength=n_cells * span)
            used = np.flatnonzero((high != 0) | (low != 0))
            at_cell, at_bit = used // span, used % span + lowest
            cls._add_shifted(limbs, at_cell, high[used].astype(np.int64), at_bit + 27)
            cls._add_shifted(limbs, at_cell, low[used].astype(np.int64), at_bit)
            cls._normalise(limbs)
        return cls(limbs)

    @classmethod
    def from_integers(cls, integers: np.ndarray, bits: np.ndarray, cells: np.ndarray, n_cells: int) -> "ExactSum":
        """Sums per cell index ``cells`` [m] of ``integers`` [m] (int64) times ``2^(bits - 1126)``
        (``bits`` [m] >= 0)."""
        limbs = np.zeros((n_cells, _N_LIMBS), np.int64)
        nonzero = integers != 0
        integers, bits, cells = integers[nonzero], bits[nonzero], cells[nonzero]
        sign, magnitude = np.sign(integers), np.abs(integers)
        for shift in (0, _LIMB_BITS):  # halves below 2^32, as _add_shifted needs
            cls._add_shifted(limbs, cells, sign * ((magnitude >> shift) & _LIMB_MASK), bits + shift)
        return cls(cls._normalise(limbs))

    def merge(self, other: "ExactSum") -> "ExactSum":
        if self.limbs.shape != other.limbs.shape:
            raise ValueError(f"cannot merge exact sums of shapes {self.limbs.shape} and {other.limbs.shape}")
        return ExactSum(self._normalise(self.limbs + other.limbs))

    def scaled_integer(self, c: int) -> int:
        """The exact sum of cell ``c`` times ``2^1126``, as a Python integer."""
        digits = self.limbs[c]  # normalised: digits 0 .. N-2 in [0, 2^32), the last one signed
        low = int.from_bytes(digits[:-1].astype("<u4").tobytes(), "little")
        return low + (int(digits[-1]) << (_LIMB_BITS * (_N_LIMBS - 1)))

    def ratio(self, c: int, divisor: int) -> float:
        """Correctly rounded ``sum / divisor`` (Python's int division rounds exactly)."""
        return self.scaled_integer(c) / (divisor << _EXPONENT_BIAS)

    @property
    def nbytes(self) -> int:
        return self.limbs.nbytes


# ---------------------------------------------------------------------------------------------
# Per-metric and per-chunk reductions
# ---------------------------------------------------------------------------------------------

_ADD_FIELDS = {"n", "n_true", "zeros", "sq_overflow"}


@dataclass(frozen=True)
class MetricStats:
    """The reduction of one metric: ``kind``, cell ``shape`` (policy, *element dims) and its
    fields: int64 ``[C]`` counts (``n``, ``n_true``, ``zeros``, ``sq_overflow``), float64
    ``[C]`` ``min``/``max``, :class:`Histogram` (``hist``, ``pos``, ``neg``),
    :class:`ExactSum` (``sum``, ``sumsq``) and, for amounts of at most
    ``EXACT_UP_TO_SCENARIOS`` scenarios, the values themselves (``values`` ``[n, C]``
    float64, sorted per cell, non-finite as NaN, last)."""

    kind: str
    shape: tuple[int, ...]
    fields: dict = field(default_factory=dict)

    def merge(self, other: "MetricStats") -> "MetricStats":
        mine, theirs_all = dict(self.fields), dict(other.fields)
        exact = [mine.pop("values", None), theirs_all.pop("values", None)]
        if self.kind != other.kind or self.shape != other.shape or mine.keys() != theirs_all.keys():
            raise ValueError(f"cannot merge {self.kind} {self.shape} with {other.kind} {other.shape}")
        merged = {}
        if exact[0] is not None and exact[1] is not None \
                and exact[0].shape[0] + exact[1].shape[0] <= EXACT_UP_TO_SCENARIOS:
            # sorted per cell (NaN last): one canonical array whatever the merge order
            merged["values"] = np.sort(np.concatenate(exact), axis=0)
        for name, value in mine.items():
            theirs = theirs_all[name]
            if name in _ADD_FIELDS:
                merged[name] = value + theirs
            elif name == "min":
                merged[name] = np.fmin(value, theirs)
            elif name == "max":
                merged[name] = np.fmax(value, theirs)
            elif name == "alpha":
                if value != theirs:
                    raise ValueError(f"cannot merge sketches of relative accuracy {value} and {theirs}")
                merged[name] = value
            else:
                merged[name] = value.merge(theirs)
        return MetricStats(self.kind, self.shape, merged)

    @property
    def nbytes(self) -> int:
        return sum(int(getattr(v, "nbytes", 8)) for v in self.fields.values())


@dataclass(frozen=True)
class ChunkStats:
    """Mergeable reduction of a chunk of scenarios (see the module docstring).

    ``any_shortage`` / ``any_material_shortage``: ``[policy]`` number of scenarios with any
    product (any storable product) short; ``None`` where unknown (no ``shortage_days``, or
    no ``storable`` mask for the materials).
    """

    n_scenarios: int
    n_policies: int
    metrics: dict[str, MetricStats]
    any_shortage: np.ndarray | None = None
    any_material_shortage: np.ndarray | None = None

    @property
    def nbytes(self) -> int:
        """Bytes held by the arrays (does not grow with the number of scenarios)."""
        extra = sum(a.nbytes for a in (self.any_shortage, self.any_material_shortage) if a is not None)
        return sum(m.nbytes for m in self.metrics.values()) + extra

    def to_arrays(self) -> dict[str, np.ndarray]:
        """A flat dict of NumPy arrays (keys ``metric__field[__part]``), e.g. for zarr."""
        out = {"format_version": np.asarray(FORMAT_VERSION, np.int64),
               "n_scenarios": np.asarray(self.n_scenarios, np.int64),
               "n_policies": np.asarray(self.n_policies, np.int64)}
        if self.any_shortage is not None:
            out["any_shortage"] = self.any_shortage
        if self.any_material_shortage is not None:
            out["any_material_shortage"] = self.any_material_shortage
        for name, stats in self.metrics.items():
            out[f"{name}{_SEP}kind"] = np.asarray(_KIND_CODE[stats.kind], np.int64)
            out[f"{name}{_SEP}shape"] = np.asarray(stats.shape, np.int64)
            for key, value in stats.fields.items():
                if isinstance(value, Histogram):
                    for part, array in value.to_arrays().items():
                        out[f"{name}{_SEP}{key}{_SEP}{part}"] = array
                elif isinstance(value, ExactSum):
                    out[f"{name}{_SEP}{key}{_SEP}limbs"] = value.limbs
                else:
                    out[f"{name}{_SEP}{key}"] = np.asarray(value)
        return out

    @classmethod
    def from_arrays(cls, arrays: Mapping[str, np.ndarray]) -> "ChunkStats":
        """Inverse of :meth:`to_arrays`."""
        version = int(np.asarray(arrays["format_version"]))
        if version != FORMAT_VERSION:
            raise ValueError(f"chunk statistics format {version}; this simcore reads format {FORMAT_VERSION}")
        grouped: dict[str, dict[str, dict]] = {}
        for key, array in arrays.items():
            if _SEP not in key:
                continue
            name, rest = key.split(_SEP, 1)
            entry, _, part = rest.partition(_SEP)
            grouped.setdefault(name, {}).setdefault(entry, {})[part] = np.asarray(array)
        metrics = {}
        for name, entries in grouped.items():
            kind = KINDS[int(entries.pop("kind")[""])]
            shape = tuple(int(s) for s in entries.pop("shape")[""])
            fields = {}
            for key, parts in entries.items():
                if "limbs" in parts:
                    fields[key] = ExactSum(parts["limbs"].astype(np.int64))
                elif "counts" in parts:
                    fields[key] = Histogram.from_arrays(parts)
                elif key == "alpha":
                    fields[key] = float(parts[""])
                else:
                    fields[key] = parts[""]
            metrics[name] = MetricStats(kind, shape, fields)
        optional = {k: np.asarray(arrays[k], np.int64) if k in arrays else None
                    for k in ("any_shortage", "any_material_shortage")}
        return cls(int(np.asarray(arrays["n_scenarios"])), int(np.asarray(arrays["n_policies"])), metrics,
                   **optional)


def _cells(values: np.ndarray) -> np.ndarray:
    """[policy, scenario, *elem] -> [scenario, C] with C = policy x elements (C order)."""
    moved = np.moveaxis(values, 1, 0)
    return moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))


_BLOCK_VALUES = 1 << 18  # values reduced at a time (cache-sized): ~15 MB of temporaries whatever the chunk
_SPARSE_SHARE = 0.25  # blocks with at most this share of uncommon values (not 0 or NaN) are compacted first


def _column_reduce(ufunc: np.ufunc, x: np.ndarray, **kwargs) -> np.ndarray:
    """``ufunc`` reduced over the scenario axis of ``x`` [P, S, E] (S >= 1) -> [P, E].

    NumPy reduces a middle axis row by row; folding 64 scenarios into each row first
    gives rows of 64 x E values and a reduction at memory speed. Only for exact
    reductions (min, max, integer sums), whose result does not depend on the order."""
    n_policies, n_scenarios, n_elements = x.shape
    folded = n_scenarios - n_scenarios % 64
    parts = []
    if folded:
        rows = ufunc.reduce(x[:, :folded].reshape(n_policies, folded // 64, 64 * n_elements), axis=1, **kwargs)
        parts.append(ufunc.reduce(rows.reshape(n_policies, 64, n_elements), axis=1))
    if folded < n_scenarios:
        parts.append(ufunc.reduce(x[:, folded:], axis=1, **kwargs))
    return functools.reduce(ufunc, parts)


class _Scratch:
    """Scratch arrays by role, reused by every block and metric of a chunk: fresh
    temporaries per block cost as much as the arithmetic on them (the kernel hands out
    and zeroes new pages each time)."""

    def __init__(self):
        self._arrays: dict[str, np.ndarray] = {}
        self._patterns: dict[tuple[int, int], np.ndarray] = {}

    def get(self, role: str, dtype, shape: tuple[int, ...]) -> np.ndarray:
        size = math.prod(shape)
        array = self._arrays.get(role)
        if array is None or array.size < size or array.dtype != dtype:
            array = self._arrays[role] = np.empty(size, dtype)
        return array[:size].reshape(shape)

    def element_pattern(self, n_scenarios: int, n_elements: int) -> np.ndarray:
        """The element index of each value of one policy's block [b x E] (int64)."""
        key = (n_scenarios, n_elements)
        if key not in self._patterns:
            self._patterns[key] = np.tile(np.arange(n_elements), n_scenarios)
        return self._patterns[key]


def _block_scenarios(x: np.ndarray) -> int:
    """Scenarios per block of ``x`` [P, S, E]: about ``_BLOCK_VALUES`` values, at most 2^17
    scenarios (so that a fine bucket counts at most 2^17 values per block)."""
    return max(1, min(_BLOCK_VALUES // max(1, x.shape[0] * x.shape[2]), 1 << 17))


def _kept_values(part: np.ndarray, kept: np.ndarray, scratch: _Scratch) -> tuple[np.ndarray, np.ndarray]:
    """The values [m] of a block ``part`` [P, b, E] where ``kept`` [P, b, E] (bool,
    contiguous), and their cells ``policy x E + element`` [m]."""
    n_policies, n_scenarios, n_elements = part.shape
    element = scratch.element_pattern(n_scenarios, n_elements)
    values, cells = [], []
    for policy in range(n_policies):
        at = np.flatnonzero(kept[policy])
        values.append(part[policy].ravel().take(at))  # one policy's block is contiguous where the chunk is
        cells.append(element.take(at) + policy * n_elements)
    return np.concatenate(values), np.concatenate(cells)


def _bad_days(values: np.ndarray) -> np.ndarray:
    """The values of ``values`` that are not NaN and not whole numbers in [0, 2^31)."""
    values = values[~np.isnan(values)] if values.dtype.kind == "f" else values.ravel()
    with np.errstate(invalid="ignore"):
        return values[~((values >= 0) & (values < 2.0 ** 31) & (values == np.floor(values)))]


def _add_days(counts: np.ndarray, values: np.ndarray, base, spare: int, scratch: _Scratch) -> bool:
    """Count whole-day ``values`` (any shape) at ``base + day`` (``base``: of each value's
    cell, broadcast) into ``counts``, NaN at ``spare`` (a key that is dropped); False
    (nothing counted) when a value is not whole."""
    key = scratch.get("key", np.int64, values.shape)
    if values.dtype.kind == "f":
        undefined = np.isnan(values, out=scratch.get("undefined", np.bool_, values.shape))
        days = scratch.get("days", np.int32, values.shape)
        with np.errstate(invalid="ignore"):  # NaN has no int32; replaced below
            np.copyto(days, values, casting="unsafe")
        back = scratch.get("back", values.dtype, values.shape)
        np.copyto(back, days, casting="unsafe")
        mismatch = np.not_equal(back, values, out=scratch.get("mismatch", np.bool_, values.shape))
        if np.count_nonzero(mismatch) > np.count_nonzero(undefined):  # NaN never equals itself: a fraction
            return False
        np.add(days, base, out=key)
        np.copyto(key, spare, where=undefined)
    else:
        np.add(values, base, out=key)
    counts += np.bincount(key.ravel(), minlength=counts.size)
    return True


def _day_histogram(name: str, kind: str, x: np.ndarray, problems: list[str], scratch: _Scratch) -> Histogram:
    """Exact histograms of whole days ``x`` [P, S, E] (NaN: not applicable, not counted),
    one per (policy, element) cell; records a problem for anything else.

    Days are bincounted with keys ``cell x width + day`` scenario block by scenario
    block, so nothing per scenario is kept; blocks that are mostly the common value
    (0 days, or NaN for survival and duration days) count only the others."""
    n_policies, n_scenarios, n_elements = x.shape
    n_cells = n_policies * n_elements
    empty = Histogram(np.zeros(n_cells, np.int64), np.zeros(n_cells, np.int64), np.zeros(0, np.int64))
    if x.dtype.kind == "b":
        x = x.view(np.uint8)
    floating = x.dtype.kind == "f"
    if floating and kind == "count" and np.isnan(x).any():
        problems.append(f"{name} (kind 'count') must not contain NaN")
    if not x.size:
        return empty
    lowest, highest = np.fmin.reduce(x, axis=None), np.fmax.reduce(x, axis=None)  # NaN ignored
    if floating and np.isnan(lowest):  # NaN everywhere: nothing to count
        return empty
    fits = bool(lowest >= 0 and highest < 2 ** 31)  # as int32 keys; anything else is a bad value
    first_day, width = (int(lowest), int(highest) - int(lowest) + 2) if fits else (0, 0)
    if x.dtype == np.uint64:  # uint64 + int64 keys would be float64
        x = x.astype(np.int64)
    counts = np.zeros(n_cells * width, np.int64)
    base = np.arange(n_cells, dtype=np.int64) * width - first_day  # key of day 0 per cell; last key: NaN
    zero_is_common = kind == "count" or not floating  # else NaN is
    block = _block_scenarios(x)
    for first in range(0, n_scenarios if fits else 0, block):
        values = x[:, first:first + block]
        kept = scratch.get("kept", np.bool_, values.shape)
        if zero_is_common:
            np.not_equal(values, 0, out=kept)
        else:
            np.logical_not(np.isnan(values, out=kept), out=kept)
        if np.count_nonzero(kept) > _SPARSE_SHARE * kept.size:
            fits = _add_days(counts, values, base.reshape(n_policies, 1, n_elements), width - 1, scratch)
        else:
            others, cells = _kept_values(values, kept, scratch)
            fits = _add_days(counts, others, base[cells], width - 1, scratch)
            zeros = values.shape[1] - np.bincount(cells, minlength=n_cells) if zero_is_common else 0
            if np.any(zeros):  # the zeros left out (so the first day is 0)
                counts[base] += zeros
        if not fits:
            break
    if not fits:
        problems.append(f"{name} (kind {kind!r}) must hold whole numbers from 0 to 2^31 - 1"
                        + (" or NaN" if kind != "count" else "") + f", got {_bad_days(x)[:3].tolist()}")
        return empty
    return Histogram.from_dense(counts.reshape(n_cells, width)[:, :-1], first_day)


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


def _sketch_keys(magnitudes: np.ndarray) -> np.ndarray:
    """Sketch bins ``ceil(log|x| / log g)`` (int64) of positive float64 ``magnitudes``."""
    return np.ceil(np.log(magnitudes) / math.log(_sketch_gamma(RELATIVE_ACCURACY))).astype(np.int64)


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
        if np.count_nonzero(part) > _SPARSE_SHARE * part.size:
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


def _reduce_metric(name: str, kind: str, values: np.ndarray, problems: list[str], scratch: _Scratch) -> MetricStats:
    values = np.asarray(values)
    shape = values.shape[:1] + values.shape[2:]
    x = values.reshape(*values.shape[:2], math.prod(values.shape[2:]))  # [P, S, E]: a view where it can be
    n_scenarios = x.shape[1]
    if kind in ("count", "survival", "duration"):
        return MetricStats(kind, shape, {"hist": _day_histogram(name, kind, x, problems, scratch)})
    if kind == "flag":
        if x.dtype != bool:
            bad = ~np.isin(x, (0, 1))
            if bad.any():
                problems.append(f"{name} (kind 'flag') must hold booleans, got {x[bad][:3].tolist()}")
            x = x == 1
        n_true = (_column_reduce(np.add, x, dtype=np.int64).ravel() if n_scenarios
                  else np.zeros(x.shape[0] * x.shape[2], np.int64))
        return MetricStats(kind, shape, {"n_true": n_true})
    if kind != "amount":
        problems.append(f"{name}: unknown metric kind {kind!r}; allowed: {', '.join(KINDS)}")
        return MetricStats("amount", shape, {})
    fields = None
    if n_scenarios and x.dtype in (np.float32, np.float16):
        fields = _float32_amount_fields(x.astype(np.float32, copy=False), scratch)
    if fields is None:
        fields = _general_amount_fields(_cells(x.astype(np.float64)))
    if n_scenarios <= EXACT_UP_TO_SCENARIOS:
        cells = _cells(x.astype(np.float64))
        fields = {"values": np.sort(np.where(np.isfinite(cells), cells, np.nan), axis=0), **fields}
    return MetricStats(kind, shape, fields)


def _scenarios_short(days: np.ndarray, products: np.ndarray) -> np.ndarray:
    """Per policy, the number of scenarios with ``days > 0`` [policy, scenario, product] for
    any of the ``products`` [product] (bool); NaN is not short."""
    n_policies, n_scenarios, n_products = days.shape
    short = np.flatnonzero(days > 0)  # few, in order: (policy, scenario) runs of products
    short = short[products[short % n_products]] // n_products  # policy x S + scenario
    distinct = short[np.diff(short, prepend=-1) != 0]
    return np.bincount(distinct // max(n_scenarios, 1), minlength=n_policies).astype(np.int64)


def reduce_chunk(metrics: Mapping[str, np.ndarray], info: Mapping = METRIC_INFO,
                 storable: np.ndarray | None = None) -> ChunkStats:
    """Reduce one chunk of per-scenario metrics to mergeable statistics.

    ``metrics``: name -> array ``[policy, scenario, *dims]`` (dims from ``info``); names
    not in ``info`` are ignored, metrics of ``info`` that are absent are left out.
    ``storable``: ``[product]`` bool, the materials for ``p_any_material_shortage``
    (None: unknown, reported as NaN). Names of :data:`simcore.run.paired.PAIRED_INFO`
    in ``info`` add the paired differences against policy 0 (the baseline). Raises
    ``ValueError`` naming every bad metric.
    """
    paired = [name for name in info if name in PAIRED_INFO]
    if paired:  # differences against the baseline (policy 0), reduced like any amount
        metrics = {**metrics, **paired_differences(metrics, paired, storable)}
    names = [name for name in info if name in metrics]
    problems: list[str] = []
    leading = {name: np.shape(metrics[name])[:2] for name in names}
    for name in names:
        dims = info[name][0]
        if np.ndim(metrics[name]) != 2 + len(dims):
            problems.append(f"{name} must have dims (policy, scenario, {', '.join(dims)}), "
                            f"got shape {np.shape(metrics[name])}")
    if len(set(leading.values())) > 1:
        problems.append("metrics disagree on (policy, scenario) sizes: "
                        + ", ".join(f"{k} {v}" for k, v in leading.items()))
    if not names:
        problems.append(f"no known metric among {sorted(metrics)}; known: {', '.join(info)}")
    if problems:
        raise ValueError("bad metrics for the statistics:\n  - " + "\n  - ".join(problems))
    n_policies, n_scenarios = leading[names[0]]
    scratch = _Scratch()
    reduced = {name: _reduce_metric(name, info[name][3], metrics[name], problems, scratch) for name in names}
    any_shortage = any_material = None
    if "shortage_days" in metrics and np.ndim(metrics["shortage_days"]) == 3:
        days = np.asarray(metrics["shortage_days"])
        any_shortage = _scenarios_short(days, np.ones(days.shape[2], bool))
        if storable is not None:
            storable = np.asarray(storable, dtype=bool)
            if storable.shape != days.shape[2:]:
                problems.append(f"storable must have shape ({days.shape[2]},) (one per product), "
                                f"got {storable.shape}")
            else:
                any_material = _scenarios_short(days, storable)
    if problems:
        raise ValueError("bad metrics for the statistics:\n  - " + "\n  - ".join(problems))
    return ChunkStats(int(n_scenarios), int(n_policies), reduced, any_shortage, any_material)


def merge(a: ChunkStats, b: ChunkStats) -> ChunkStats:
    """Statistics of the union of two disjoint sets of scenarios (exact; any order/grouping)."""
    if a.n_policies != b.n_policies or a.metrics.keys() != b.metrics.keys():
        raise ValueError(f"cannot merge statistics of {a.n_policies} and {b.n_policies} policies with metrics "
                         f"{sorted(a.metrics)} and {sorted(b.metrics)}")

    def both(x, y):
        return None if x is None or y is None else x + y

    return ChunkStats(a.n_scenarios + b.n_scenarios, a.n_policies,
                      {name: a.metrics[name].merge(b.metrics[name]) for name in a.metrics},
                      both(a.any_shortage, b.any_shortage), both(a.any_material_shortage, b.any_material_shortage))


def merge_all(stats: Iterable[ChunkStats]) -> ChunkStats:
    """Merge any number of chunk statistics (at least one)."""
    return functools.reduce(merge, stats)


# ---------------------------------------------------------------------------------------------
# Finalize: statistics from the reductions
# ---------------------------------------------------------------------------------------------

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
