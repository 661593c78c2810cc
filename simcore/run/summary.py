"""Statistics across scenarios and each policy mix's effect against the baseline.

:func:`summarize` is the in-memory entry to the streaming statistics of
:mod:`simcore.run.stats` (reduce the scenarios, then finalize), so a small run in
memory and a large run streamed chunk by chunk share one implementation.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from simcore.run.conventions import order_dims
from simcore.run.metrics import METRIC_INFO
from simcore.run.net_benefit import cost_table, peak_without_markup
from simcore.run.paired import SUMMARY_INFO
from simcore.run.stats import cvar_tail_size, finalize
from simcore.run.streaming import stream_stats
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

    def blocks():  # loaded one block at a time; at least one block, even of no scenarios
        for first in range(0, max(n_scenarios, 1), max(1, block_scenarios)):
            block = ds.isel(scenario=slice(first, first + block_scenarios))
            yield {name: np.asarray(block[name].transpose("policy", "scenario", *METRIC_INFO[name][0]).values)
                   for name in names}

    stats = stream_stats(blocks(), SUMMARY_INFO, storable)
    coords = {dim: ds[dim].values for dim in ("policy", "product", "sector") if dim in ds.coords}
    summary = finalize(stats, coords, SUMMARY_INFO)
    summary.attrs.update(ds.attrs)
    return summary


# effect label -> the paired difference (simcore.run.paired) that gives its standard error
PAIRED_SOURCES = {
    "shortage_days_mean": "paired_shortage_days",
    "shortage_days_total": "paired_shortage_days_total",
    "value_added_loss_mean": "paired_value_added_loss_total",
    "p_any_shortage": "paired_any_shortage",
    "p_any_material_shortage": "paired_any_material_shortage",
    "price_index_change_mean": "paired_mean_price_index_change",
}
Z90 = 1.6448536269514722  # two-sided 90 % normal interval


def _paired_intervals(summary: xr.Dataset, attrs: dict) -> dict[str, xr.DataArray]:
    """``{label}_reduction_se`` and its 90 % interval ends ``_low`` / ``_high`` for every
    effect whose paired difference the summary holds: the standard error of the mean of
    the per-scenario differences ``baseline - policy`` (common random numbers),
    ``std / sqrt(n)``; the interval is the paired mean ± 1.645 SE (normal approximation).
    ``shortage_days_total_reduction`` (summed over products) comes with them."""
    n = int(summary["n_scenarios"]) if "n_scenarios" in summary else 0
    out = {}
    for label, source in PAIRED_SOURCES.items():
        if source not in summary or n < 2:
            continue
        paired = summary[source]
        mean = paired.sel(statistic="mean", drop=True)
        # population std of the differences -> sample std -> standard error of the mean
        se = paired.sel(statistic="std", drop=True) * np.sqrt(n / (n - 1)) / np.sqrt(n)
        base = attrs.get(label, {"long_name": label.replace("_", " ")})
        units = {k: v for k, v in base.items() if k == "units"} or \
            ({"units": paired.attrs["units"]} if "units" in paired.attrs else {})
        if label == "shortage_days_total":
            out[f"{label}_reduction"] = mean.assign_attrs(
                units, long_name="expected shortage days summed over products: no-policy minus the policy")
            base = {"long_name": "expected shortage days summed over products"}
        long_name = base["long_name"]
        out[f"{label}_reduction_se"] = se.assign_attrs(
            units, long_name=f"{long_name}: standard error of the reduction (paired over scenarios)")
        out[f"{label}_reduction_low"] = (mean - Z90 * se).assign_attrs(
            units, long_name=f"{long_name}: reduction, lower end of the 90 % interval")
        out[f"{label}_reduction_high"] = (mean + Z90 * se).assign_attrs(
            units, long_name=f"{long_name}: reduction, upper end of the 90 % interval")
    return out


def pillar_effects(summary: xr.Dataset, normal: xr.Dataset | None = None) -> xr.Dataset:
    """Each policy mix against the no-policy baseline on the same scenarios.

    Reductions are ``baseline - policy`` (positive = less risk); relative reductions
    divide by the baseline (nan where the baseline is 0). Picks whose metric is not in
    the summary are left out. ``value_added_loss_mean`` is summed over sectors;
    ``shortage_probability`` stays per product; ``p_any_shortage`` and
    ``p_any_material_shortage`` are per scenario over all products / materials.

    Returns dims ``(policy[, product | sector])`` for every variable. Units: a pick and
    its ``_reduction`` carry the metric's ``units`` (as the summary gives them: the
    store resolves placeholders, :mod:`simcore.run.conventions`), probabilities ``"1"``,
    every ``_relative_reduction`` ``"1"`` (a ratio); each has a ``long_name``. Where the
    summary holds the paired differences (:mod:`simcore.run.paired`), the reductions get
    a standard error and a 90 % interval (``_reduction_se``, ``_low``, ``_high``).

    With ``normal`` (:func:`simcore.run.runner.normal_times`): the normal-time price index
    change, the fiscal cost, the normal-time markup ``normal_markup`` (policy, product),
    the expected peak price change without it (``peak_price_change_excl_markup_mean`` and
    its reduction) and the cost table of :func:`simcore.run.net_benefit.cost_table`
    (costs, avoided loss and net benefit per year with 90 % intervals, ranks; dims
    ``(policy,)``).
    """
    picks = {  # label -> (metric, statistic, dimension summed over or None, long name)
        "shortage_days_mean": ("shortage_days", "mean", None, "expected shortage days"),
        "shortage_probability": ("shortage_days", "p_positive", None, "probability of a shortage"),
        "shortage_days_q95": ("shortage_days", "q95", None, "95th percentile of shortage days"),
        "shortage_days_cvar95": ("shortage_days", "cvar95", None, "CVaR95 of shortage days"),
        "unmet_mean": ("unmet", "mean", None, "expected unmet demand"),
        "undelivered_value_mean": ("undelivered_value", "mean", None, "expected value of unmet demand"),
        "peak_price_change_mean": ("peak_price_change", "mean", None, "expected peak user price change"),
        "value_added_loss_mean": ("value_added_loss", "mean", "sector", "expected value-added loss, all sectors"),
        "gross_output_loss_mean": ("gross_output_loss", "mean", None, "expected gross output loss"),
        "price_index_change_mean": ("mean_price_index_change", "mean", None,
                                    "expected mean price index change"),
    }
    probabilities = {"shortage_probability"}  # a statistic of a metric in days that is a share
    values, attrs = {}, {}
    for label, (metric, stat, summed, long_name) in picks.items():
        if metric in summary:
            value = summary[metric].sel(statistic=stat, drop=True)
            values[label] = value.sum(summed) if summed else value
            units = "1" if label in probabilities else summary[metric].attrs.get("units")
            attrs[label] = {"long_name": long_name, **({"units": units} if units is not None else {})}
    for label in ("p_any_shortage", "p_any_material_shortage"):
        if label in summary:
            values[label] = summary[label]
            attrs[label] = {"units": "1", "long_name": summary[label].attrs.get("description", label)}
    out = {}
    for label, value in values.items():
        reference = value.sel(policy=BASELINE_POLICY, drop=True)
        out[label] = value.assign_attrs(attrs[label])
        long_name = attrs[label]["long_name"]
        out[f"{label}_reduction"] = (reference - value).assign_attrs(
            {k: v for k, v in attrs[label].items() if k == "units"},
            long_name=f"{long_name}: no-policy minus the policy (positive: less risk)")
        with np.errstate(all="ignore"):
            relative = xr.where(reference != 0, (reference - value) / reference, np.nan)
        # a ratio, whatever the metric's unit (it carried the metric's "days")
        out[f"{label}_relative_reduction"] = relative.assign_attrs(
            units="1", long_name=f"{long_name}: reduction as a share of the no-policy value")
    out.update(_paired_intervals(summary, attrs))
    effects = xr.Dataset({name: var.transpose(*order_dims(var.dims)) for name, var in out.items()})
    if normal is not None:
        effects["normal_price_index_change"] = normal["normal_price_index_change"]
        fiscal = normal["stockpile_fiscal_cost_per_year"]
        effects["stockpile_fiscal_cost_per_year"] = fiscal.sum("product").assign_attrs(
            {k: v for k, v in fiscal.attrs.items() if k == "units"},
            long_name="fiscal cost of the government stock, all products: financing + carrying (deprecated "
                      "name of fiscal_cost_per_year, kept for one release)")
        if "normal_markup" in normal and "peak_price_change_mean" in effects:
            markup = normal["normal_markup"]
            effects["normal_markup"] = markup.assign_attrs(units="1", long_name="normal-time markup of the user "
                                                           "price")
            without = peak_without_markup(effects["peak_price_change_mean"], markup)
            effects["peak_price_change_excl_markup_mean"] = without.transpose(*order_dims(without.dims)).assign_attrs(
                units="1", long_name="expected peak user price change without the normal-time markup: "
                "(1 + peak) / (1 + markup) - 1")
            reference = without.sel(policy=BASELINE_POLICY, drop=True)
            effects["peak_price_change_excl_markup_mean_reduction"] = (reference - without).transpose(
                *order_dims(without.dims)).assign_attrs(units="1", long_name="expected peak user price change "
                                                        "without the markup: no-policy minus the policy")
        for name, var in cost_table(summary, normal, BASELINE_POLICY).items():
            effects[name] = var
    return effects
