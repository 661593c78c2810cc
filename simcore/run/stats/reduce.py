"""Reducing a chunk of per-scenario metrics to mergeable statistics, metric by metric.

:func:`reduce_chunk` checks the metrics ``[policy, scenario, *dims]``, adds the paired
differences against the baseline (:mod:`simcore.run.paired`), and hands each metric to
the reduction of its kind (``METRIC_INFO``): day histograms for ``count`` / ``survival``
/ ``duration`` (:mod:`simcore.run.stats.days`), the number true for ``flag``, and for
``amount`` the float32 fast path (:mod:`simcore.run.stats.float32`) or the general
route (:mod:`simcore.run.stats.sketch`), plus the sorted values of small runs. It also
counts the scenarios with any (material) shortage, and returns a
:class:`~simcore.run.stats.chunk.ChunkStats`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import numpy as np

from simcore.run.metrics import METRIC_INFO
from simcore.run.paired import PAIRED_INFO, paired_differences
from simcore.run.stats.blocks import _cells, _column_reduce, _Scratch
from simcore.run.stats.chunk import EXACT_UP_TO_SCENARIOS, KINDS, ChunkStats, MetricStats
from simcore.run.stats.days import _day_histogram
from simcore.run.stats.float32 import _float32_amount_fields
from simcore.run.stats.sketch import _general_amount_fields


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
