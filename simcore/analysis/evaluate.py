"""Run many policy mixes on common random numbers without holding trajectories.

:func:`evaluate_mixes` cuts the mix axis into *policy chunks* (padded to one size, so
the engine compiles once) and, for each, streams the scenario chunks of
:func:`simcore.run.runner.iter_chunks`: every ``(policy chunk, scenario chunk)`` block
of per-scenario metrics is reduced at once with :func:`simcore.run.stats.reduce_chunk`
and merged, so memory holds one block of metrics and one policy chunk's statistics,
whatever the numbers of mixes and scenarios. Scenario ``i`` is drawn from
``fold_in(PRNGKey(seed), i)`` in every policy chunk: every mix sees the same scenarios
(common random numbers), and results do not depend on either chunk size.

Besides the engine's metrics, two per-scenario totals are reduced (see
:data:`DERIVED_INFO`): shortage days summed over products and value-added loss summed
over sectors, whose CVaR cannot be had from per-sector statistics.

:func:`risk_metrics` picks the four risk metrics of the analysis from a summary.
"""

from __future__ import annotations

import dataclasses
import time

import numpy as np
import xarray as xr

from simcore.core.model import Policy
from simcore.run.metrics import METRIC_INFO
from simcore.run.runner import Simulation, iter_chunks
from simcore.run.stats import finalize, merge, reduce_chunk

DERIVED_INFO = {
    "shortage_days_total": ((), "days", "shortage days summed over products", "count"),
    "value_added_loss_total": ((), "IO value unit", "value added lost summed over sectors", "amount"),
}
# Metrics reduced by default (the rest of METRIC_INFO on request: metrics="all").
DEFAULT_METRICS = ("shortage_days", "unmet", "spare_used", "gov_release", "value_added_loss",
                   "peak_price_change", "mean_price_change", "mean_price_index_change")

# name -> (summary variable, statistic, description, units key); units key "IO" = the IO value unit
RISK_METRICS = {
    "expected_shortage_days": ("shortage_days", "mean", "expected shortage days over the horizon", "days"),
    "expected_shortage_days_total": ("shortage_days_total", "mean",
                                     "expected shortage days over the horizon, summed over products", "days"),
    "p_any_shortage": ("p_any_shortage", None, "probability that any product is short", "1"),
    "cvar95_value_added_loss": ("value_added_loss_total", "cvar95",
                                "CVaR95 of the value-added loss over the horizon (all sectors)", "IO"),
    "expected_value_added_loss": ("value_added_loss_total", "mean",
                                  "expected value-added loss over the horizon (all sectors)", "IO"),
    "expected_peak_price_change": ("peak_price_change", "mean",
                                   "expected peak user price change (1 = +100 %)", "1"),
}
RISK_METRIC_KEYS = tuple(RISK_METRICS)


def metric_info(metrics="default") -> dict:
    """The info table used for the reduction: chosen engine metrics plus the derived totals."""
    if metrics == "all":
        names = list(METRIC_INFO)
    elif metrics == "default" or metrics is None:
        names = list(DEFAULT_METRICS)
    else:
        names = list(dict.fromkeys(["shortage_days", "value_added_loss", "peak_price_change", *metrics]))
    info = {name: METRIC_INFO[name] for name in names}
    info.update(DERIVED_INFO)
    return info


def derived(metrics: dict) -> dict:
    """Per-scenario totals ``[policy, scenario]`` added to a block of engine metrics."""
    out = dict(metrics)
    out["shortage_days_total"] = np.asarray(metrics["shortage_days"]).sum(axis=-1)
    out["value_added_loss_total"] = np.asarray(metrics["value_added_loss"], dtype=np.float64).sum(axis=-1)
    return out


def evaluate_mixes(sim: Simulation, policies: Policy, names: list[str], n_scenarios: int, *,
                   chunk_size: int = 1000, policy_chunk: int = 16, metrics="default", start: int = 0,
                   progress=None) -> xr.Dataset:
    """Statistics across scenarios ``start .. start + n_scenarios - 1`` for ``M`` mixes.

    ``policies``: a Policy with a leading axis of ``M`` mixes, ``names`` their ``M``
    labels (the ``policy`` coordinate). Returns the summary dataset of
    :func:`simcore.run.stats.finalize` (dims ``(statistic, policy, ...)``) with the
    metrics of :func:`metric_info` ``(metrics)``; attributes ``scenarios``, ``seed``,
    ``horizon_days``, ``mix_scenario_days`` and ``seconds``.
    ``progress(done_blocks, total_blocks)`` is called after each block.
    """
    info = metric_info(metrics)
    n_mixes = len(names)
    policy_chunk = max(1, min(int(policy_chunk), n_mixes))
    chunk_size = max(1, min(int(chunk_size), n_scenarios))
    storable = np.asarray(sim.loaded.model.storable) > 0.5
    firsts = range(0, n_mixes, policy_chunk)
    total_blocks = len(firsts) * (-(-n_scenarios // chunk_size))
    done, began = 0, time.perf_counter()
    parts = []
    for first in firsts:
        count = min(policy_chunk, n_mixes - first)
        rows = np.minimum(np.arange(first, first + policy_chunk), n_mixes - 1)  # pad: one compiled shape
        sub = Policy(*(np.asarray(field)[rows] for field in policies))
        sub_sim = dataclasses.replace(sim, policies=sub, policy_names=[f"mix {i}" for i in rows])
        stats = None
        for _, block, _ in iter_chunks(sub_sim, n_scenarios, chunk_size, start=start):
            block = derived({name: block[name][:count] for name in info if name not in DERIVED_INFO})
            part = reduce_chunk(block, info, storable)
            stats = part if stats is None else merge(stats, part)
            done += 1
            if progress is not None:
                progress(done, total_blocks)
        coords = {"policy": list(names[first:first + count]), "product": sim.loaded.products,
                  "sector": sim.loaded.sectors}
        parts.append(finalize(stats, coords, info))
    summary = xr.concat(parts, dim="policy", data_vars="minimal", coords="minimal", compat="override") \
        if len(parts) > 1 else parts[0]
    seconds = time.perf_counter() - began
    summary.attrs.update({"scenarios": int(n_scenarios), "seed": int(sim.seed), "horizon_days": int(sim.horizon_days),
                          "model": sim.loaded.name, "currency": sim.loaded.currency,
                          "io_value_unit": sim.loaded.io_value_unit, "seconds": seconds,
                          "mix_scenario_days": int(n_mixes) * int(n_scenarios) * int(sim.horizon_days)})
    return summary


def risk_metrics(summary: xr.Dataset) -> xr.Dataset:
    """The risk metrics of the analysis ``(policy[, product])`` from a summary that holds
    the derived totals (see :data:`RISK_METRICS`); units in each variable's attributes."""
    io_unit = summary.attrs.get("io_value_unit", "IO value unit")
    out = {}
    for name, (variable, statistic, description, units) in RISK_METRICS.items():
        if variable not in summary:
            continue
        value = summary[variable]
        if statistic is not None:
            value = value.sel(statistic=statistic, drop=True)
        out[name] = value.astype(np.float64).assign_attrs(
            {"units": io_unit if units == "IO" else units, "description": description})
    return xr.Dataset(out)
