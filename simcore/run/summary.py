"""Statistics across scenarios and each policy mix's effect against the baseline.

:func:`summarize` is the in-memory entry to the streaming statistics of
:mod:`simcore.run.stats` (reduce the scenarios, then finalize), so a small run in
memory and a large run streamed chunk by chunk share one implementation.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from simcore.run.metrics import METRIC_INFO
from simcore.run.stats import cvar_tail_size, finalize, merge, reduce_chunk
from simcore.schema.config import BASELINE_POLICY

SUMMARY_BLOCK_SCENARIOS = 200_000  # scenarios loaded at a time from a lazy (zarr) dataset


def cvar(values: np.ndarray, level: float, axis: int) -> np.ndarray:
    """Conditional value at risk: mean of the worst ``ceil(n (1 - level))`` values along
    ``axis`` (at least one); values must be finite."""
    sorted_values = np.sort(values, axis=axis)
    n = values.shape[axis]
    tail = cvar_tail_size(n, level)  # the same tail as the streaming statistics
    return np.take(sorted_values, np.arange(n - tail, n), axis=axis).mean(axis=axis)


def summarize(ds: xr.Dataset, storable=None, block_scenarios: int = SUMMARY_BLOCK_SCENARIOS) -> xr.Dataset:
    """Statistics across scenarios for every per-scenario metric of ``METRIC_INFO`` in ``ds``.

    ``ds``: per-scenario results with dims ``(policy, scenario, ...)`` (in memory or lazy;
    loaded ``block_scenarios`` at a time). ``storable`` ``[product]`` bool marks the
    materials for ``p_any_material_shortage`` (default: ``ds["storable"]`` if present,
    else that statistic is NaN). Returns dims ``(statistic, policy, ...)``; see
    :mod:`simcore.run.stats` for the statistics of each metric kind.
    """
    names = [name for name in METRIC_INFO if name in ds]
    if storable is None and "storable" in ds:
        storable = np.asarray(ds["storable"].values, dtype=bool)
    n_scenarios = ds.sizes["scenario"]
    stats = None
    for first in range(0, max(n_scenarios, 1), max(1, block_scenarios)):
        block = ds.isel(scenario=slice(first, first + block_scenarios))
        metrics = {name: np.asarray(block[name].transpose("policy", "scenario", *METRIC_INFO[name][0]).values)
                   for name in names}
        part = reduce_chunk(metrics, METRIC_INFO, storable)
        stats = part if stats is None else merge(stats, part)
    coords = {dim: ds[dim].values for dim in ("policy", "product", "sector") if dim in ds.coords}
    summary = finalize(stats, coords, METRIC_INFO)
    summary.attrs.update(ds.attrs)
    return summary


def pillar_effects(summary: xr.Dataset, normal: xr.Dataset | None = None) -> xr.Dataset:
    """Each policy mix against the no-policy baseline on the same scenarios.

    Reductions are ``baseline - policy`` (positive = less risk); relative reductions
    divide by the baseline (nan where the baseline is 0). Picks whose metric is not in
    the summary are left out. ``value_added_loss_mean`` is summed over sectors;
    ``shortage_probability`` stays per product; ``p_any_shortage`` and
    ``p_any_material_shortage`` are per scenario over all products / materials.
    """
    picks = {  # label -> (metric, statistic, dimension summed over or None)
        "shortage_days_mean": ("shortage_days", "mean", None),
        "shortage_probability": ("shortage_days", "p_positive", None),
        "shortage_days_q95": ("shortage_days", "q95", None),
        "shortage_days_cvar95": ("shortage_days", "cvar95", None),
        "unmet_mean": ("unmet", "mean", None),
        "undelivered_value_mean": ("undelivered_value", "mean", None),
        "peak_price_change_mean": ("peak_price_change", "mean", None),
        "value_added_loss_mean": ("value_added_loss", "mean", "sector"),
        "gross_output_loss_mean": ("gross_output_loss", "mean", None),
        "price_index_change_mean": ("mean_price_index_change", "mean", None),
    }
    values = {}
    for label, (metric, stat, summed) in picks.items():
        if metric in summary:
            value = summary[metric].sel(statistic=stat, drop=True)
            values[label] = value.sum(summed) if summed else value
    for label in ("p_any_shortage", "p_any_material_shortage"):
        if label in summary:
            values[label] = summary[label]
    out = {}
    for label, value in values.items():
        reference = value.sel(policy=BASELINE_POLICY, drop=True)
        out[label] = value
        out[f"{label}_reduction"] = (reference - value).assign_attrs(
            {k: v for k, v in value.attrs.items() if k == "units"},
            long_name=f"{label}: no-policy minus the policy (positive: less risk)")
        with np.errstate(all="ignore"):
            relative = xr.where(reference != 0, (reference - value) / reference, np.nan)
        # a ratio, whatever the metric's unit (it carried the metric's "days")
        out[f"{label}_relative_reduction"] = relative.assign_attrs(
            units="1", long_name=f"{label}: reduction as a share of the no-policy value")
    effects = xr.Dataset(out)
    if normal is not None:
        effects["normal_price_index_change"] = normal["normal_price_index_change"]
        effects["stockpile_fiscal_cost_per_year"] = normal["stockpile_fiscal_cost_per_year"].sum("product")
    return effects
