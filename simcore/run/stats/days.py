"""Exact day histograms of the day metrics (kinds ``count``, ``survival``, ``duration``).

:func:`_day_histogram` turns whole days ``[policy, scenario, element]`` (NaN: not
applicable, not counted) into one exact :class:`~simcore.run.stats.histogram.Histogram`
per (policy, element) cell, bincounting one key per (cell, day) block by block
(:mod:`simcore.run.stats.blocks`), and names any value that is not a whole number of
days in ``[0, 2^31)``.
"""

from __future__ import annotations

import numpy as np

from simcore.run.stats.blocks import _block_scenarios, _dense, _kept_values, _Scratch
from simcore.run.stats.histogram import Histogram


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
        if _dense(kept):
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
