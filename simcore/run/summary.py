"""Statistics across scenarios and each policy mix's effect against the baseline."""

from __future__ import annotations

import warnings

import numpy as np
import xarray as xr

from simcore.run.metrics import METRIC_INFO, QUANTILES
from simcore.schema.config import BASELINE_POLICY


def cvar(values: np.ndarray, level: float, axis: int) -> np.ndarray:
    """Conditional value at risk: mean of the worst ``ceil(n (1 - level))`` values along
    ``axis`` (at least one); values must be finite."""
    sorted_values = np.sort(values, axis=axis)
    n = values.shape[axis]
    tail = max(1, int(np.ceil(n * (1.0 - level) - 1e-9)))  # 1e-9: 40 x (1 - 0.95) is 2.0000000000000018
    return np.take(sorted_values, np.arange(n - tail, n), axis=axis).mean(axis=axis)


def summarize(ds: xr.Dataset) -> xr.Dataset:
    """Statistics across scenarios for every per-scenario metric.

    ``statistic``: mean, probability > 0 (``p_positive``: e.g. probability of any
    shortage), quantiles q50/q90/q95/q99 and cvar95. ``time_to_survive`` statistics are
    over the scenarios that had a shortage (nan-aware).
    """
    out = {}
    names = ["mean", "p_positive"] + [f"q{int(q * 100)}" for q in QUANTILES] + ["cvar95"]
    for name, (dims, units, description) in METRIC_INFO.items():
        if name == "recovered":
            continue
        values = np.asarray(ds[name].values, dtype=np.float64)  # [policy, scenario, ...]
        finite = np.where(np.isnan(values), 0.0, values)
        with warnings.catch_warnings():
            # all-nan slices (e.g. time_to_survive where no scenario had a shortage) give nan
            warnings.simplefilter("ignore", RuntimeWarning)
            stats = [np.nanmean(values, axis=1), np.mean(finite > 0, axis=1)]
            stats += list(np.nanquantile(values, QUANTILES, axis=1))
        stats.append(cvar(finite, 0.95, axis=1))
        out[name] = (("statistic", "policy", *dims), np.stack(stats),
                     {"units": units, "description": description})
    coords = {"statistic": names, "policy": ds.policy.values, "product": ds["product"].values,
              "sector": ds["sector"].values}
    summary = xr.Dataset(out, coords=coords)
    summary.attrs.update(ds.attrs)
    return summary


def pillar_effects(summary: xr.Dataset, normal: xr.Dataset | None = None) -> xr.Dataset:
    """Each policy mix against the no-policy baseline on the same scenarios.

    Reductions are ``baseline - policy`` (positive = less risk); relative reductions
    divide by the baseline (nan where the baseline is 0).
    """
    base = summary.sel(policy=BASELINE_POLICY)
    picks = {
        "shortage_days_mean": ("shortage_days", "mean"),
        "shortage_probability": ("shortage_days", "p_positive"),
        "shortage_days_q95": ("shortage_days", "q95"),
        "shortage_days_cvar95": ("shortage_days", "cvar95"),
        "unmet_mean": ("unmet", "mean"),
        "peak_price_change_mean": ("peak_price_change", "mean"),
        "lost_output_mean": ("lost_output", "mean"),
        "price_index_change_mean": ("mean_price_index_change", "mean"),
    }
    out = {}
    for label, (metric, stat) in picks.items():
        value = summary[metric].sel(statistic=stat, drop=True)
        reference = base[metric].sel(statistic=stat, drop=True)
        out[label] = value
        out[f"{label}_reduction"] = reference - value
        with np.errstate(all="ignore"):
            out[f"{label}_relative_reduction"] = xr.where(reference != 0, (reference - value) / reference, np.nan)
    effects = xr.Dataset(out)
    if normal is not None:
        effects["normal_price_index_change"] = normal["normal_price_index_change"]
        effects["stockpile_fiscal_cost_per_year"] = normal["stockpile_fiscal_cost_per_year"].sum("product")
    return effects
