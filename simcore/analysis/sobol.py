"""Variance-based global sensitivity: Sobol indices of the headline metrics over the
model's uncertain parameters ("which data uncertainty matters most").

What varies
    The uncertain entries of the model file (distributions,
    :class:`simcore.core.uncertainty.Uncertainty`). Entries that share a random stream
    are one model-file number (a ``lead_time_days`` and the transit days that default to
    it; a product's number inherited by its user segments) and take one column of the
    design. Columns are grouped (``group_by``): ``entry`` (one group per model-file
    number, e.g. ``products.gallium.inventory_days``), ``field`` (``inventory_days`` of
    every product together) or ``product`` (every uncertain number of one product). In a
    group each entry keeps its own independent value; the group is switched between the
    two base matrices as a whole (grouped Sobol indices).

What is held fixed
    Events (and drawn leakage shares) use common random numbers: every design point is
    evaluated on the same scenario indices ``start .. start + M - 1``. A design point's
    value of a metric is its mean over those ``M`` scenarios, so the indices are those of
    the deterministic function ``theta -> E_M[metric | theta]`` (event noise averaged
    over the same futures for every theta, not mixed into the variance).

Design (Saltelli 2010)
    Two base matrices ``A``, ``B`` ``[N, d]`` of probabilities in (0, 1) (scrambled Sobol
    sequence of dimension ``2 d`` by default, ``sampling = "random"`` for plain Monte
    Carlo), and per group ``g`` the matrix ``AB_g`` = ``A`` with ``g``'s columns from ``B``:
    ``N (G + 2)`` design points. Each probability is mapped to a value through the
    inverse CDF of its entry's own distribution
    (:func:`simcore.core.uncertainty.inverse_cdf`), which replaces the per-scenario draw:
    the engine's :func:`~simcore.core.uncertainty.drawn_fields` runs on a copy of the
    distributions collapsed to the design value (width 0), so every derived quantity
    (import-share rebalancing, price scaling, world shares, policy rows that follow the
    model) is recomputed exactly as for a drawn scenario.

Estimators
    ``V = var([f(A), f(B)])``; first order (Saltelli et al. 2010, table 2 (b))
    ``S1_g = mean(f(B) (f(AB_g) - f(A))) / V``; total (Jansen 1999)
    ``ST_g = mean((f(A) - f(AB_g))^2) / (2 V)``. Intervals: percentile bootstrap over the
    ``N`` rows (the same resampled rows for ``f(A)``, ``f(B)`` and every ``f(AB_g)``), 90 %
    by default.

Running
    Lanes are (design point, scenario) pairs. A chunk holds ``chunk_points`` design
    points x ``chunk_scenarios`` scenarios, padded to one shape (one compilation), split
    over all local devices like :func:`simcore.run.runner.iter_chunks` (``jax.shard_map``
    over the lane axis), the next chunk launched before the current one is read back.
    The host keeps one float64 sum per (policy, design point, metric): memory is flat in
    the number of scenarios and ``O(N (G + 2) K)`` in the design, never per scenario.
    Every lane is computed on its own, so results agree across chunk sizes up to the
    order of the float64 sums over scenarios (``tests/test_sobol.py``: allclose at
    ``rtol=1e-12``, not claimed bit-identical).

Resume
    With ``--resume --out STORE`` the running sums and the finished chunks are saved in
    group ``sobol_partial`` of the store (at most every minute and at the end, with a
    fingerprint of the config and model bytes and the design settings,
    :class:`StoreCheckpoint`); a rerun of the same design skips the finished chunks. The
    sums are per (design point, metric), so a resumed run gives the same numbers. The
    Japan design of ``configs/sobol_japan.toml`` (2,000 points x 200 scenarios x 365
    days) takes about half an hour on two cores (``results/benchmarks/sobol-*.json``).
    The runner's Dask path is not used: a design is one process's chunks.

Where the pieces live: the design and the estimators in
:mod:`simcore.analysis.sobol_design`, running the design through the engine (lanes,
chunks, the checkpoint) in :mod:`simcore.analysis.sobol_run`; this module holds the
uncertain parameters' columns and groups, the metrics, the analysis and its dataset, the
table and the command, and re-exports the other two modules' names.

``simcore sobol CONFIG [--points N] [--scenarios M] [--metrics ...] [--out STORE]``;
the config's optional ``[sobol]`` table sets the same (``points``, ``scenarios``,
``metrics``, ``group_by``, ``policies``, ``bootstrap``, ``confidence``, ``sampling``,
``chunk_points``, ``chunk_scenarios``, ``seed``); options given on the command line win.
"""

from __future__ import annotations

import sys
import time
import warnings
import zlib
from dataclasses import dataclass, field
from pathlib import Path

import jax
import jax.numpy as jnp
import numpy as np
import xarray as xr

# the estimator (NumPy only) lives in sobol_design; its names are re-exported here
from simcore.analysis.sobol_design import (  # noqa: F401
    SAMPLING,
    U_EPS,
    bootstrap_indices,
    design_rows,
    saltelli_design,
    sobol_indices,
    split_values,
)
# running the design through the engine lives in sobol_run; its names are re-exported here
from simcore.analysis.sobol_run import (  # noqa: F401
    StoreCheckpoint,
    _fixed_uncertainty,
    evaluate_design,
    lane_metrics,
)
from simcore.core.uncertainty import inverse_cdf
from simcore.schema.analysis_spec import SOBOL_GROUP_BY, SobolSectionSpec, check_section

GROUP_BY = SOBOL_GROUP_BY
# metric name -> (long name, units key); ``NAME:PRODUCT`` selects one product
METRICS = {
    "shortage_days": ("expected shortage days over the horizon, summed over products", "days"),
    "p_any_shortage": ("probability of a shortage of any product in a scenario", "1"),
    "value_added_loss": ("expected value-added loss over the horizon (all sectors)", "IO value unit"),
    "peak_price_change": ("expected peak user price change, mean over products", "1"),
}
PER_PRODUCT = {
    "shortage_days": ("expected shortage days of {p} over the horizon", "days"),
    "peak_price_change": ("expected peak user price change of {p}", "1"),
}
ESTIMATORS = ("first order: Saltelli et al. 2010 with f(B) centred on the sample mean; total: Jansen 1999; "
              "percentile bootstrap over the base rows")
DEFAULT_METRICS = ("shortage_days", "p_any_shortage", "value_added_loss", "peak_price_change")


# ----------------------------------------------------------------------------- parameters

@dataclass
class Parameters:
    """The design's columns (one per random stream: one model-file number each) and groups."""

    names: list[str]  # column name (the model-file number), [d]
    columns: dict  # {model field: [n_entries] int column of each entry of the field's Distribution}
    groups: list[str]  # group names, [G]
    group_columns: list[np.ndarray]  # column indices of each group
    entries: dict = field(default_factory=dict)  # {column name: [entry names]}


def _stream_name(stream: int, names: list[str], segments: dict) -> str:
    """The model-file name of a stream: the entry name whose CRC-32 it is, or the parent
    product's name of a number user segments inherit; else the shortest entry name."""
    candidates = list(names)
    for parent, parts in segments.items():
        for part in parts:
            candidates += [n.replace(f"products.{part}.", f"products.{parent}.") for n in names]
    for name in candidates:
        if zlib.crc32(name.encode()) == stream:
            return name
    return min(names, key=len).split(" (")[0]


def _product_of(name: str, products: list[str], segments: dict) -> tuple[str, str]:
    """``(product group, field)`` of an entry name: a user segment's number belongs to its
    parent product, the field is what follows the (segment) product's name."""
    rest = name[len("products."):] if name.startswith("products.") else name
    for product in sorted(list(products) + list(segments), key=len, reverse=True):
        if rest.startswith(product + "."):
            field_name = rest[len(product) + 1:].split(".")[0]
            for parent, parts in segments.items():
                if product in parts:
                    return parent, field_name
            return product, field_name
    parts = name.split(".")  # io.value_added.<sector>: group "io", field "value_added"
    return parts[0], (parts[1] if len(parts) > 1 else parts[0])


def parameters(loaded, group_by: str = "entry") -> Parameters:
    """The columns and groups of a loaded model's uncertain entries (module doc)."""
    if group_by not in GROUP_BY:
        raise ValueError(f"group_by must be one of {', '.join(GROUP_BY)}")
    uncertainty = loaded.model.uncertainty
    if uncertainty is None:
        raise ValueError(f"model {loaded.name!r} has no uncertain numbers (no distributions in the model file)")
    segments = {parent: [p for p in parts if p != parent] for parent, parts in (loaded.segments or {}).items()}
    by_stream: dict[int, list[str]] = {}
    order: list[int] = []
    entry_streams = {}
    for name, dist in uncertainty.draws.items():
        streams = [int(s) for s in np.asarray(dist.stream)]
        entry_streams[name] = streams
        for entry, stream in zip(loaded.uncertain.get(name, [f"{name}[{i}]" for i in range(len(streams))]), streams):
            if stream not in by_stream:
                by_stream[stream] = []
                order.append(stream)
            by_stream[stream].append(entry)
    column_of = {stream: j for j, stream in enumerate(order)}
    names = [_stream_name(s, by_stream[s], segments) for s in order]
    columns = {name: np.asarray([column_of[s] for s in streams], np.int32) for name, streams in entry_streams.items()}
    if group_by == "entry":
        keys = names
    else:
        products = [p for p in loaded.products]
        keys = []
        for name in names:
            product, field_name = _product_of(name, products, segments)
            keys.append(product if group_by == "product" else field_name)
    groups = list(dict.fromkeys(keys))
    group_columns = [np.asarray([j for j, k in enumerate(keys) if k == g], np.int32) for g in groups]
    return Parameters(names=names, columns=columns, groups=groups, group_columns=group_columns,
                      entries={names[column_of[s]]: by_stream[s] for s in order})


def design_values(loaded, params: Parameters, u: np.ndarray) -> dict:
    """The values ``{field: [R, n_entries]}`` of design probabilities ``u`` ``[R, d]``
    (inverse CDF of each entry's distribution; for records)."""
    out = {}
    for name, dist in loaded.model.uncertainty.draws.items():
        out[name] = np.asarray(jax.vmap(lambda row, dist=dist, cols=params.columns[name]: inverse_cdf(
            dist, row[cols]))(jnp.asarray(u, jnp.float32)))
    return out


# ----------------------------------------------------------------------------- analysis

def metric_columns(metrics, products: list[str], segments: dict | None = None) -> list[tuple[str, list[int]]]:
    """``[(metric name, columns of the lane vector to add up)]`` for metric names
    (:data:`METRICS`, or ``shortage_days:PRODUCT`` / ``peak_price_change:PRODUCT``; a
    product with user segments adds its segments' values)."""
    segments = segments or {}
    n = len(products)
    head = list(METRICS)
    out = []
    for metric in metrics:
        name, _, product = metric.partition(":")
        if not product:
            if name not in METRICS:
                raise ValueError(f"unknown metric {metric!r}; allowed: {', '.join(METRICS)} or "
                                 f"{'|'.join(PER_PRODUCT)}:PRODUCT")
            out.append((metric, [head.index(name)]))
            continue
        if name not in PER_PRODUCT:
            raise ValueError(f"metric {name!r} has no per-product form; allowed: {', '.join(PER_PRODUCT)}")
        members = [p for p in segments.get(product, []) if p in products] or ([product] if product in products else [])
        if not members:
            raise ValueError(f"unknown product {product!r} in metric {metric!r}; allowed: "
                             f"{', '.join(list(products) + list(segments))}")
        offset = len(head) + (0 if name == "shortage_days" else n)
        out.append((metric, [offset + products.index(p) for p in members]))
    return out


def _metric_attrs(metric: str, io_unit: str) -> tuple[str, str]:
    name, _, product = metric.partition(":")
    long_name, units = (PER_PRODUCT[name][0].format(p=product), PER_PRODUCT[name][1]) if product else METRICS[name]
    return long_name, (io_unit if units == "IO value unit" else units)


@dataclass
class SobolSettings:
    points: int = 128  # base sample size N (rows of A and B)
    scenarios: int = 200
    start: int = 0
    metrics: tuple = DEFAULT_METRICS
    group_by: str = "entry"
    policies: tuple = ("no-policy",)
    bootstrap: int = 500
    confidence: float = 0.9
    sampling: str = "sobol"
    chunk_points: int = 8
    chunk_scenarios: int = 200
    seed: int = 0  # the design's seed (the scenarios use the config's seed)


def fingerprint(config, settings: SobolSettings) -> str:
    """What decides a design's sums: the config file's bytes (its model file's too) and
    the settings that shape the design and its chunks."""
    import hashlib
    import json

    digest = hashlib.sha256()
    for path in (config.path, getattr(config.loaded, "path", None)):
        if path and Path(path).is_file():
            digest.update(Path(path).read_bytes())
    keys = ("points", "scenarios", "start", "group_by", "policies", "sampling", "seed", "chunk_points",
            "chunk_scenarios")
    digest.update(json.dumps({k: getattr(settings, k) for k in keys}, default=list, sort_keys=True).encode())
    return digest.hexdigest()


def index_variables(values: np.ndarray, n: int, n_groups: int, *, resamples: int, confidence: float,
                    seed: int) -> dict:
    """``S1``, ``S1_low``, ``S1_high``, ``ST``, ``ST_low``, ``ST_high`` as dataset
    variables ``(policy, metric, group)`` from the design's values ``[policy, R, K]``."""
    f_a, f_b, f_ab = split_values(np.moveaxis(values, 0, 1), n, n_groups)  # [N, pol, K], [G, N, pol, K]
    arrays = bootstrap_indices(f_a, f_b, f_ab, resamples=resamples, confidence=confidence, seed=seed)
    pct = f"{confidence:.0%}"
    names = {
        "S1": ("first-order Sobol index", ""), "S1_low": ("first-order Sobol index", f", lower end of {pct} interval"),
        "S1_high": ("first-order Sobol index", f", upper end of {pct} interval"),
        "ST": ("total Sobol index", ""), "ST_low": ("total Sobol index", f", lower end of {pct} interval"),
        "ST_high": ("total Sobol index", f", upper end of {pct} interval"),
    }
    return {key: (("policy", "metric", "group"), np.transpose(arr, (1, 2, 0)),
                  {"units": "1", "long_name": long_name + tail})
            for (key, (long_name, tail)), arr in zip(names.items(), arrays)}


def recompute_indices(ds: xr.Dataset, *, resamples: int | None = None, confidence: float | None = None,
                      seed: int | None = None) -> xr.Dataset:
    """The indices and intervals of a stored design again from its ``value`` (another
    interval level, more resamples, or a newer estimator), without running the engine."""
    resamples = int(resamples or ds.attrs.get("bootstrap", 500))
    confidence = float(confidence or ds.attrs.get("confidence", 0.9))
    seed = int(ds.attrs.get("design_seed", 0) if seed is None else seed)
    out = ds.copy()
    for key, (dims, arr, attrs) in index_variables(np.asarray(ds["value"].values, np.float64),
                                                   int(ds.attrs["base_points"]), int(ds.attrs["groups"]),
                                                   resamples=resamples, confidence=confidence, seed=seed).items():
        out[key] = xr.Variable(dims, arr, attrs)
    out.attrs.update({"bootstrap": resamples, "confidence": confidence, "estimators": ESTIMATORS})
    return out


def sobol_analysis(config, settings: SobolSettings, progress=None, checkpoint=None) -> xr.Dataset:
    """Sobol indices of ``settings.metrics`` for the config's model, events and the
    policies ``settings.policies`` (module doc). Returns a dataset with dims
    ``(policy, metric, group)``: ``S1``, ``S1_low``, ``S1_high``, ``ST``, ``ST_low``,
    ``ST_high``; per ``(policy, metric)`` the mean and variance of the metric over the
    design; per design point the metric values ``value`` ``(policy, point, metric)``."""
    loaded = config.loaded
    named = {p.name: p.policy for p in config.policies}
    for name in settings.policies:
        if name not in named:
            raise ValueError(f"unknown policy {name!r}; allowed: {', '.join(named)}")
    from simcore.core.model import stack_policies

    policies = stack_policies([named[n] for n in settings.policies])
    segments = {parent: [p for p in parts if p != parent] for parent, parts in (loaded.segments or {}).items()}
    selected = metric_columns(list(settings.metrics), list(loaded.products), segments)
    params = parameters(loaded, settings.group_by)
    n, d, n_groups = int(settings.points), len(params.names), len(params.groups)
    a, b = saltelli_design(n, d, seed=settings.seed, sampling=settings.sampling)
    rows = design_rows(a, b, params.group_columns)
    began = time.perf_counter()
    lane_means = evaluate_design(loaded.model, policies, config.events, jax.random.PRNGKey(config.seed),
                                 params.columns, rows, n_scenarios=settings.scenarios, start=settings.start,
                                 horizon=config.horizon_days, chunk_points=settings.chunk_points,
                                 chunk_scenarios=settings.chunk_scenarios, progress=progress,
                                 checkpoint=checkpoint)
    wall = time.perf_counter() - began
    values = np.stack([lane_means[..., cols].sum(-1) for _, cols in selected], axis=-1)  # [policy, R, K]
    data = index_variables(values, n, n_groups, resamples=settings.bootstrap, confidence=settings.confidence,
                           seed=settings.seed)
    f_a, f_b, _ = split_values(np.moveaxis(values, 0, 1), n, n_groups)
    metric_names = [m for m, _ in selected]
    io_unit = loaded.io_value_unit
    both = np.concatenate([f_a, f_b], axis=0)
    metric_units = [_metric_attrs(m, io_unit)[1] for m in metric_names]
    data["metric_mean"] = (("policy", "metric"), both.mean(0),
                           {"units": "various (see metric_units)", "long_name": "mean of the metric over the "
                                                                                "design's base points"})
    data["metric_variance"] = (("policy", "metric"), both.var(0, ddof=1),
                               {"units": "various (square of metric_units)",
                                "long_name": "variance of the metric over the design's base points (Sobol V)"})
    data["value"] = (("policy", "point", "metric"), values,
                     {"units": "various (see metric_units)",
                      "long_name": "metric at each design point, mean over the common scenarios "
                                   "(rows: A, B, then AB per group)"})
    data["metric_units"] = (("metric",), np.asarray(metric_units), {"long_name": "units of each metric"})
    data["metric_long_name"] = (("metric",), np.asarray([_metric_attrs(m, io_unit)[0] for m in metric_names]),
                                {"long_name": "what each metric is"})
    data["group_columns"] = (("group",), np.asarray([", ".join(params.names[j] for j in cols)
                                                     for cols in params.group_columns]),
                             {"long_name": "the model-file numbers of each group"})
    ds = xr.Dataset(data, coords={"policy": list(settings.policies), "metric": metric_names,
                                  "group": params.groups, "point": np.arange(rows.shape[0])})
    ds.attrs.update({
        "kind": "sobol", "model": loaded.name, "config": str(config.path or ""), "base_points": n,
        "design_points": int(rows.shape[0]), "parameters": d, "groups": n_groups, "group_by": settings.group_by,
        "scenarios": int(settings.scenarios), "scenario_start": int(settings.start), "seed": int(config.seed),
        "design_seed": int(settings.seed), "sampling": settings.sampling, "bootstrap": int(settings.bootstrap),
        "confidence": float(settings.confidence), "horizon_days": int(config.horizon_days),
        "chunk_points": int(settings.chunk_points), "chunk_scenarios": int(settings.chunk_scenarios),
        "evaluation_wall_s": float(wall),
        "estimators": ESTIMATORS,
    })
    return ds


def ranked(ds: xr.Dataset, policy: str, metric: str) -> list[int]:
    """Group positions ranked by total index (largest first; NaN last)."""
    st = ds["ST"].sel(policy=policy, metric=metric).values
    return list(np.argsort(-np.nan_to_num(st, nan=-np.inf), kind="stable"))


def format_sobol(ds: xr.Dataset, top: int = 10) -> str:
    """Tables per (policy, metric) of the groups ranked by total index, with intervals."""
    pct = f"{ds.attrs.get('confidence', 0.9):.0%}"
    lines = [f"Sobol indices over {ds.attrs.get('parameters')} uncertain model-file numbers in "
             f"{ds.attrs.get('groups')} groups (by {ds.attrs.get('group_by')}); {ds.attrs.get('base_points')} base "
             f"points, {ds.attrs.get('design_points')} design points x {ds.attrs.get('scenarios')} common scenarios x "
             f"{ds.attrs.get('horizon_days')} days; {pct} bootstrap intervals", ""]
    for policy in ds["policy"].values:
        for metric in ds["metric"].values:
            row = ds.sel(policy=policy, metric=metric)
            lines.append(f"{policy}: {metric} ({str(row['metric_long_name'].values)}; mean "
                         f"{float(row['metric_mean']):.4g} {str(row['metric_units'].values)}, std "
                         f"{float(np.sqrt(row['metric_variance'])):.3g})")
            header = f"{'rank':>4}  {'group':<48} {'ST':>6} {'ST ' + pct:>15} {'S1':>6} {'S1 ' + pct:>15}"
            lines += [header, "-" * len(header)]
            order = ranked(ds, policy, metric)
            for k, g in enumerate(order[:top]):
                r = row.isel(group=g)
                lines.append(f"{k + 1:>4}  {str(ds['group'].values[g])[:48]:<48} {float(r['ST']):>6.3f} "
                             f"[{float(r['ST_low']):>5.3f},{float(r['ST_high']):>6.3f}] {float(r['S1']):>6.3f} "
                             f"[{float(r['S1_low']):>6.3f},{float(r['S1_high']):>6.3f}]")
            if len(order) > top:
                lines.append(f"      ... {len(order) - top} more groups (all in the store)")
            lines.append(f"      sum S1 = {np.nansum(row['S1'].values):.3f} (1 - sum S1: share of interactions)")
            lines.append("")
    return "\n".join(lines)


def sobol_to_store(ds: xr.Dataset, store) -> None:
    """Write ``ds`` as group ``sobol`` of a zarr store (created if missing)."""
    from simcore.run.store import write_analysis_group

    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=UserWarning)
        write_analysis_group(ds, str(store), "sobol")


# ----------------------------------------------------------------------------- config and CLI

# the keys of [sobol] and their ranges: simcore.schema.analysis_spec (SobolSectionSpec)
SECTION_KEYS = set(SobolSectionSpec.model_fields)


def load_sobol_config(path):
    """The run config of a file and its ``[sobol]`` table (``{}`` if none), every
    section of the file checked field by field
    (:func:`~simcore.schema.analysis_config.read_analysis_config`)."""
    from simcore.schema.analysis_config import read_analysis_config

    config, sections, _ = read_analysis_config(path)
    return config, sections.get("sobol") or {}


def _option_name(field: str, overrides: dict) -> str:
    """``sobol.confidence`` -> ``--confidence`` where the value came from ``overrides``."""
    key = field.removeprefix("sobol.").split(".")[0].split("[")[0]
    return f"--{key.replace('_', '-')}{field.removeprefix(f'sobol.{key}')}" if key in overrides else field


def settings_from(section: dict, overrides: dict | None = None) -> SobolSettings:
    """The settings of a ``[sobol]`` table, then ``overrides`` (``{key: value}`` of
    :data:`SECTION_KEYS`, e.g. the command line's options: they win); checked by the
    schema of the table, every problem at once (:class:`InputError`, a ``ValueError``;
    an override is named as its option, ``--confidence``)."""
    from simcore.schema.errors import InputError, Problems

    overrides = {key: list(value) if isinstance(value, tuple) else value for key, value in (overrides or {}).items()}
    problems = Problems("sobol settings")
    spec, _ = check_section("sobol", {**section, **overrides}, problems)
    if spec is None:
        raise InputError(problems.source, [(_option_name(field, overrides), message)
                                           for field, message in problems.items])
    s = SobolSettings()
    for key, value in spec.model_dump(exclude_unset=True).items():
        setattr(s, key, tuple(value) if key in ("metrics", "policies") else value)
    return s


def sobol_file(path, overrides: dict | None = None, *, checkpoint_store=None, log=print) -> xr.Dataset:
    """:func:`sobol_analysis` of the config file ``path``: its ``[sobol]`` table, then
    ``overrides`` (:func:`settings_from`). With ``checkpoint_store`` the running sums are
    kept in that store and an interrupted run of the same design continues
    (:class:`StoreCheckpoint`). ``log`` gets the design's size first. What ``simcore
    sobol`` runs."""
    config, section = load_sobol_config(path)
    settings = settings_from(section, overrides)
    n_groups = len(parameters(config.loaded, settings.group_by).groups)
    log(f"design: {settings.points} x ({n_groups} groups + 2) = {settings.points * (n_groups + 2)} points x "
        f"{settings.scenarios} scenarios x {config.horizon_days} days")
    checkpoint = StoreCheckpoint(checkpoint_store, fingerprint(config, settings)) if checkpoint_store else None
    return sobol_analysis(config, settings, checkpoint=checkpoint)


if __name__ == "__main__":  # the command is simcore sobol (one parser: simcore.cli)
    sys.exit("run this as: simcore sobol CONFIG (simcore sobol --help)")
