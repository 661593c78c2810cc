"""A chunk's statistics from the device reduction: the same ChunkStats, bit for bit.

:func:`reduce_chunk_device` is :func:`simcore.run.stats.reduce_chunk` for metrics that
lie on the device (JAX arrays ``[policy, scenario, *dims]``, e.g. a chunk the engine
has just computed): :mod:`simcore.run.stats.device_reduce` reduces them there, and only
the fixed-size state comes back; here it becomes the fields of each
:class:`~simcore.run.stats.MetricStats` (histograms laid out, exact sums normalised).
The host's work no longer grows with the number of scenarios, except in two cases where
the values themselves are needed and come back:

* small runs (at most ``EXACT_UP_TO_SCENARIOS`` scenarios) keep their amounts' sorted
  values, sorted here exactly as the host reduction sorts them;
* a metric the device cannot reduce exactly (a dtype other than float32 / integers /
  booleans, subnormal numbers, days that are not whole or past ``day_bins``, NaN counts,
  a flag that is not 0 or 1, a paired difference that may have been flushed to zero)
  is fetched and reduced by the host reduction itself, which also words its problems,
  so errors and edge cases are the host's own. Anything wrong with the metrics' shapes
  or ``storable`` sends the whole chunk to :func:`~simcore.run.stats.reduce_chunk`.

:class:`DeviceChunk` holds the device state between the device pass and the readout,
so the caller can check finiteness (:meth:`DeviceChunk.non_finite`) before reading.
"""

from __future__ import annotations

import math
from collections.abc import Mapping

import jax
import numpy as np

from simcore.run.metrics import METRIC_INFO
from simcore.run.paired import PAIRED_INFO, paired_differences
from simcore.run.stats.blocks import _cells, _Scratch
from simcore.run.stats.chunk import EXACT_UP_TO_SCENARIOS, KINDS, ChunkStats, MetricStats
from simcore.run.stats.device_reduce import device_program, fetch_window, group_of
from simcore.run.stats.exact_sum import ExactSum
from simcore.run.stats.histogram import Histogram
from simcore.run.stats.reduce import _reduce_metric, reduce_chunk
from simcore.run.stats.sketch import RELATIVE_ACCURACY, SKETCH_MAX_BINS

DAY_BINS = 1024  # default dense day range on the device: days 0 .. 1023 (runs pass their horizon)
_DAY_DTYPES = ("float32", "int8", "int16", "int32", "uint8", "uint16", "bool")
_PAIRED_SOURCES = {"paired_shortage_days": "shortage_days", "paired_shortage_days_total": "shortage_days",
                   "paired_any_shortage": "shortage_days", "paired_any_material_shortage": "shortage_days",
                   "paired_value_added_loss_total": "value_added_loss",
                   "paired_mean_price_index_change": "mean_price_index_change"}


def day_bins_for(horizon_days: int) -> int:
    """Dense day bins for a run of ``horizon_days``: every day 0 .. horizon (plus one),
    rounded up to a power of two so runs of similar horizons share one program."""
    return 1 << max(3, int(horizon_days + 1).bit_length())


def _route(name: str, kind: str, array, metrics: Mapping, storable) -> str:
    """How the device reduces metric ``name``: days, flag, amount, paired, or host."""
    dtype = np.dtype(array.dtype).name
    if name in PAIRED_INFO:
        source = metrics[_PAIRED_SOURCES[name]]
        source_dtype = np.dtype(source.dtype).name
        if _PAIRED_SOURCES[name] == "shortage_days":
            fits = source_dtype in _DAY_DTYPES and source_dtype != "float32" and np.ndim(source) == 3
            if name == "paired_any_material_shortage":
                fits = fits and storable is not None
        else:
            fits = source_dtype == "float32"
        return "paired" if fits else "host"
    if kind in ("count", "survival", "duration"):
        return "days" if dtype in _DAY_DTYPES else "host"
    if kind == "flag":
        return "flag" if dtype == "bool" else "host"
    return "amount" if dtype == "float32" else "host"


def _shape_problems(metrics: Mapping, names: list[str], info: Mapping, storable) -> bool:
    """Whether the shapes or kinds are off (the host reduction then words the error);
    ``names``: the metrics given (not the paired differences)."""
    leading = {np.shape(metrics[name])[:2] for name in names}
    if not names or len(leading) > 1:
        return True
    for name in names:
        if np.ndim(metrics[name]) != 2 + len(info[name][0]) or info[name][3] not in KINDS:
            return True
    days = metrics.get("shortage_days")
    return (storable is not None and days is not None and np.ndim(days) == 3
            and np.shape(storable) != np.shape(days)[2:])


class DeviceChunk:
    """The device reduction of one chunk, before its readout (see the module docstring).

    ``metrics``: ``{name: [policy, scenario, *dims]}`` (JAX or NumPy arrays); ``count``:
    the first ``count`` scenarios are the chunk (default all; a padded chunk's others are
    left out); ``info``/``storable`` as for :func:`~simcore.run.stats.reduce_chunk`;
    ``day_bins``: days 0 .. day_bins - 1 are counted on the device (later ones go to the
    host); ``finite_names``: metrics whose finiteness :meth:`non_finite` reports.
    """

    def __init__(self, metrics: Mapping, info: Mapping = METRIC_INFO, storable=None, count: int | None = None,
                 day_bins: int = DAY_BINS, finite_names: tuple = ()):
        self.metrics, self.info, self._fetched = metrics, info, {}
        self.storable = None if storable is None else np.asarray(storable, dtype=bool)
        n_scenarios = next(iter(metrics.values())).shape[1] if metrics else 0
        self.count = n_scenarios if count is None else int(count)
        self.names = [name for name in info if name in metrics
                      or (name in PAIRED_INFO and _PAIRED_SOURCES[name] in metrics
                          and (name != "paired_any_material_shortage" or self.storable is not None))]
        given = [name for name in self.names if name not in PAIRED_INFO]
        # paired names among the metrics themselves: the host replaces them, let it
        self.host_all = self.count == 0 or _shape_problems(metrics, given, info, self.storable) \
            or any(name in PAIRED_INFO and name in metrics for name in self.names)
        self.finite_names = tuple(name for name in finite_names if name in metrics)
        self.routes = {} if self.host_all else {
            name: _route(name, info[name][3], metrics.get(name, metrics[_PAIRED_SOURCES.get(name, name)]),
                         metrics, self.storable) for name in self.names}
        plan = tuple((name, route, info[name][3]) for name, route in self.routes.items() if route != "host")
        sources = {name for name, route, _ in plan if route != "paired"} | set(self.finite_names) | {
            _PAIRED_SOURCES[name] for name, route, _ in plan if route == "paired"}
        if "shortage_days" in metrics:
            sources.add("shortage_days")
        # where each metric lies in its group: (group, first column, columns)
        self.columns, used = {}, {}
        for name, route, _ in plan:
            group = group_of(route, np.dtype(metrics[name].dtype) if route != "paired" else np.float32)
            width = math.prod(self._shape(name)[1:])
            self.columns[name] = (group, used.get(group, 0), width)
            used[group] = used.get(group, 0) + width
        self.group_columns = used
        self.state, self.small = None, {}
        if not self.host_all and (plan or self.finite_names or "shortage_days" in metrics):
            self.state = device_program({name: metrics[name] for name in sorted(sources)}, self.count,
                                        self.storable, plan, day_bins, self.finite_names,
                                        self.count <= EXACT_UP_TO_SCENARIOS)
            # everything but the dense counts and the small runs' values: a few numbers per cell
            self.small = jax.device_get({name: part if name in ("finite", "flushed") or not isinstance(part, dict)
                                         else {k: v for k, v in part.items() if k not in ("counts", "sketch")}
                                         for name, part in self.state.items() if name != "values"})
        self.fallbacks = [name for name, route in self.routes.items()
                          if route == "host" or self._needs_host(name)]

    def _part(self, name: str, array) -> np.ndarray:
        """Metric ``name``'s rows of a group's per-cell ``array`` [C_g, ...] -> [C, ...]."""
        group, first, width = self.columns[name]
        array = np.asarray(array)
        n_policies = array.shape[0] // self.group_columns[group]
        grid = array.reshape(n_policies, self.group_columns[group], *array.shape[1:])
        return grid[:, first:first + width].reshape(n_policies * width, *array.shape[1:])

    def _needs_host(self, name: str) -> bool:
        group = self.columns[name][0]
        if group == "flag":
            return False
        return bool(self._part(name, self.small[group]["needs_host"]).any()) \
            or bool(self.small["flushed"].get(name, False))

    def non_finite(self) -> list[str]:
        """The metrics of ``finite_names`` with a NaN or inf among the chunk's scenarios."""
        finite = self.small.get("finite", {})
        return [name for name in self.finite_names if not bool(finite.get(name, True))]

    def host_metrics(self, names=None) -> dict[str, np.ndarray]:
        """The chunk's metrics ``names`` (default all) fetched to the host (NumPy)."""
        names = self.metrics if names is None else names
        for name in names:  # each fetched once (a stored run's region, then a small run's values)
            if name not in self._fetched:
                self._fetched[name] = np.asarray(self.metrics[name])[:, :self.count]
        return {name: self._fetched[name] for name in names}

    def result(self) -> ChunkStats:
        """The chunk's :class:`~simcore.run.stats.ChunkStats`, bit for bit what
        :func:`~simcore.run.stats.reduce_chunk` gives on the same metrics."""
        if self.host_all:
            return reduce_chunk(self.host_metrics(), self.info, self.storable)
        windows = self._fetch_windows()
        problems: list[str] = []
        scratch = _Scratch()
        host = self._host_inputs()
        reduced = {}
        for name in self.names:
            kind = self.info[name][3]
            if name in host:
                reduced[name] = _reduce_metric(name, kind, host[name], problems, scratch)
                continue
            shape = self._shape(name)
            group = self.columns[name][0]
            if group.startswith("days"):
                counts, start = windows.get(group, (None, 0))
                fields = {"hist": _day_histogram(None if counts is None else self._part(name, counts), start,
                                                 math.prod(shape))}
            elif group == "flag":
                fields = {"n_true": self._part(name, self.small["flag"]["n_true"]).astype(np.int64)}
            else:
                fields = self._amount_fields(name, windows.get("amount", (None, 0))[0])
            reduced[name] = MetricStats(kind, shape, fields)
        if problems:
            raise ValueError("bad metrics for the statistics:\n  - " + "\n  - ".join(problems))
        optional = {key: np.asarray(self.small[key], np.int64) if key in self.small else None
                    for key in ("any_shortage", "any_material_shortage")}
        n_policies = next(iter(self.metrics.values())).shape[0]
        return ChunkStats(self.count, int(n_policies), reduced, **optional)

    # ------------------------------------------------------------ readout helpers

    def _shape(self, name: str) -> tuple[int, ...]:
        """The cell shape (policy, *element dims) of ``name``."""
        n_policies = next(iter(self.metrics.values())).shape[0]
        if name in self.metrics:
            return tuple(np.shape(self.metrics[name])[:1] + np.shape(self.metrics[name])[2:])
        dims = self.info[name][0]
        source = np.shape(self.metrics[_PAIRED_SOURCES[name]])
        return (n_policies,) + (tuple(source[2:3]) if dims else ())

    def _host_inputs(self) -> dict[str, np.ndarray]:
        """The metrics the host reduces (the fallbacks), paired ones computed as the host does."""
        plain = [name for name in self.fallbacks if name not in PAIRED_INFO]
        paired = [name for name in self.fallbacks if name in PAIRED_INFO]
        host = self.host_metrics(plain)
        if paired:
            sources = self.host_metrics({_PAIRED_SOURCES[name] for name in paired} | {"shortage_days"}
                                        & set(self.metrics))
            host.update(paired_differences(sources, paired, self.storable))
        return host

    def _fetch_windows(self) -> dict:
        """Per group, the dense counts of the days seen and of the sketch bins used, all
        fetched at once: ``{group: (counts [C_g, (2,) width], first day or 0)}``."""
        pending = {}
        for group in ("days_int", "days_float"):
            if group in self.small:
                lo, hi = int(np.min(self.small[group]["lo"])), int(np.max(self.small[group]["hi"]))
                if hi >= lo:
                    pending[group] = fetch_window(self.state[group]["counts"], lo, hi - lo + 1)
        if "amount" in self.small:
            width = int(np.max(self.small["amount"]["sketch_size"], initial=0))
            if width:
                pending["amount"] = fetch_window(self.state["amount"]["sketch"], 0, width)
        fetched = jax.device_get({group: array for group, (array, _) in pending.items()})
        return {group: (fetched[group], start) for group, (_, start) in pending.items()}

    def _amount_fields(self, name: str, sketch) -> dict:
        """The amount fields of ``name`` from the amount group's state and its fetched
        sketch window ``sketch`` [C_g, 2, width] (None: no non-zero value at all)."""
        state = {key: self._part(name, value) for key, value in self.small["amount"].items()
                 if key not in ("limbs", "needs_host")}
        fields = {}
        if self.count <= EXACT_UP_TO_SCENARIOS:  # small runs keep the values (sorted as the host sorts them)
            values = (np.asarray(self.state["values"][name])[:, :self.count] if name in PAIRED_INFO
                      else self.host_metrics([name])[name])
            x = values.reshape(*values.shape[:2], math.prod(values.shape[2:]))
            cells = _cells(x.astype(np.float64))
            fields["values"] = np.sort(np.where(np.isfinite(cells), cells, np.nan), axis=0)
        n = state["n"].astype(np.int64)
        counts = None if sketch is None else self._part(name, sketch)
        histograms = []
        for sign in (0, 1):  # positive values, then negative ones
            lo, size = state["sketch_lo"][:, sign].astype(np.int64), state["sketch_size"][:, sign].astype(np.int64)
            if counts is None:
                kept = np.zeros(0, np.int64)
            else:
                rows = counts[:, sign]
                kept = rows[np.arange(rows.shape[1])[None, :] < size[:, None]].astype(np.int64)
            histograms.append(Histogram(lo, size, kept, SKETCH_MAX_BINS))
        limbs = np.asarray(self.small["amount"]["limbs"])
        limbs = [np.array(self._part(name, limbs[part]), np.int64) for part in (0, 1)]
        return {
            **fields,
            "n": n,
            "zeros": n - state["nonzero"].astype(np.int64),
            "min": state["min"].astype(np.float64) + 0.0,  # + 0.0: a zero extreme is +0.0
            "max": state["max"].astype(np.float64) + 0.0,
            "pos": histograms[0],
            "neg": histograms[1],
            "sum": ExactSum(ExactSum._normalise(limbs[0])),
            "sumsq": ExactSum(ExactSum._normalise(limbs[1])),
            "sq_overflow": np.zeros(n.size, np.int64),  # a float32 squared is at most 1.2e77
            "alpha": RELATIVE_ACCURACY,
        }


def _day_histogram(counts, start: int, n_cells: int) -> Histogram:
    """The exact day histogram of ``n_cells`` cells from the fetched window ``counts``
    [C, w] of days ``start ..`` (None: nothing counted)."""
    if counts is None:
        return Histogram(np.zeros(n_cells, np.int64), np.zeros(n_cells, np.int64), np.zeros(0, np.int64))
    return Histogram.from_dense(np.asarray(counts, np.int64), start)


def reduce_chunk_device(metrics: Mapping, info: Mapping = METRIC_INFO, storable=None, count: int | None = None,
                        day_bins: int = DAY_BINS) -> ChunkStats:
    """:func:`~simcore.run.stats.reduce_chunk` with the reduction on the device where the
    ``metrics`` lie (JAX arrays; NumPy arrays are copied there first): the same
    :class:`~simcore.run.stats.ChunkStats`, bit for bit, and the same errors."""
    return DeviceChunk(metrics, info, storable, count, day_bins).result()
