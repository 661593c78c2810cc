"""Reducing a metric block by block: scratch arrays, block sizes, compacting sparse blocks.

A chunk's metric ``[policy, scenario, element]`` is reduced in blocks of about
``_BLOCK_VALUES`` values, with scratch arrays (:class:`_Scratch`) reused from block to
block and metric to metric, so the temporaries stay around 15 MB whatever the chunk
size. Blocks that are mostly the common value (0, or NaN for survival and duration
days) are compacted first (:func:`_dense`, :func:`_kept_values`). The day histograms
(:mod:`simcore.run.stats.days`) and the float32 route of amounts
(:mod:`simcore.run.stats.float32`) share these helpers; tests change the block size and
the sparse share here (``simcore.run.stats.blocks._BLOCK_VALUES`` / ``_SPARSE_SHARE``).
"""

from __future__ import annotations

import functools
import math

import numpy as np


def _cells(values: np.ndarray) -> np.ndarray:
    """[policy, scenario, *elem] -> [scenario, C] with C = policy x elements (C order)."""
    moved = np.moveaxis(values, 1, 0)
    return moved.reshape(moved.shape[0], int(np.prod(moved.shape[1:])))


_BLOCK_VALUES = 1 << 18  # values reduced at a time (cache-sized): ~15 MB of temporaries whatever the chunk
_SPARSE_SHARE = 0.25  # blocks with at most this share of uncommon values (not 0 or NaN) are compacted first


def _dense(uncommon: np.ndarray) -> bool:
    """Whether a block is reduced whole: more than ``_SPARSE_SHARE`` of ``uncommon`` (any
    shape; a mask of the block's uncommon values, or values whose uncommon value is
    non-zero) is non-zero. Else its uncommon values are compacted first (:func:`_kept_values`)."""
    return np.count_nonzero(uncommon) > _SPARSE_SHARE * uncommon.size


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
