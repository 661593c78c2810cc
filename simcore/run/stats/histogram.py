"""Ragged integer histograms, one per cell, that merge exactly.

:class:`Histogram` holds, for each of ``C`` cells (a (policy, element) pair of a
metric), the counts of integer keys: the whole days of the day metrics (exact), and
the log-bin keys of the amount sketch (:mod:`simcore.run.stats.sketch`, at most
``SKETCH_MAX_BINS`` bins per sign, lower keys folded into the lowest kept one). Counts
are int64, so merging two histograms is integer addition: exact, associative and
commutative.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


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
        if not np.size(keys):  # every cell empty (the negative side of most amounts)
            return cls(np.zeros(n_cells, np.int64), np.zeros(n_cells, np.int64), np.zeros(0, np.int64), max_bins)
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
