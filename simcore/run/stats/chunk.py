"""What a chunk's statistics hold, how two merge, and how they travel as arrays.

:class:`MetricStats` is the reduction of one metric (its kind's fields: counts, exact
sums, min/max, histograms, the sketch, or a small run's sorted values);
:class:`ChunkStats` holds one per metric plus the any-shortage counts of a chunk of
scenarios. :func:`merge` / :func:`merge_all` combine disjoint chunks exactly (any
order or grouping gives the same bits), and ``ChunkStats.to_arrays`` / ``from_arrays``
turn one into a flat dict of NumPy arrays (format ``FORMAT_VERSION``) for the store's
``chunk_stats`` group. Nothing here grows with the number of scenarios, except a small
run's values (at most ``EXACT_UP_TO_SCENARIOS`` per cell).
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np

from simcore.run.stats.exact_sum import ExactSum
from simcore.run.stats.histogram import Histogram

EXACT_UP_TO_SCENARIOS = 2048  # amounts of runs this small keep their values: exact quantiles and CVaR
FORMAT_VERSION = 1  # of to_arrays(); bump when the layout changes
KINDS = ("count", "amount", "survival", "duration", "flag")
_KIND_CODE = {kind: code for code, kind in enumerate(KINDS)}
_SEP = "__"  # flat key = metric + _SEP + field (+ _SEP + part); no "/" (zarr groups)

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
    """Mergeable reduction of a chunk of scenarios (see the package docstring, :mod:`simcore.run.stats`).

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
