"""Paired differences against the no-policy baseline: the uncertainty of a run's effects.

Every policy mix of a run sees the same scenarios (common random numbers), so a mix's
effect is the mean over scenarios of the per-scenario difference ``baseline - policy``,
and its standard error is ``std(difference) / sqrt(n)`` — far smaller than the spread of
either policy alone. The differences below are added to a chunk's metrics and reduced
by the streaming statistics like any amount (:mod:`simcore.run.stats`: exact sums of
the values and their squares), so the standard error is streamed with memory flat in
the scenario count and does not depend on the chunking. Policy 0 of the chunk must be
the baseline (a run's first policy always is; the analysis commands, which chunk the
policy axis, pair their own way: :mod:`simcore.analysis.intervals`).

:data:`PAIRED_INFO` has the layout of :data:`simcore.run.metrics.METRIC_INFO`
(dims, units, description, kind); :func:`paired_differences` computes them
``[policy, scenario, *dims]`` (the baseline's own row is 0).
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from simcore.run.metrics import METRIC_INFO

# name -> (dims, units, description, kind); units as the source metric's
PAIRED_INFO = {
    "paired_shortage_days": (("product",), "days", "no-policy minus the policy's shortage days, per scenario",
                             "amount"),
    "paired_shortage_days_total": ((), "days", "no-policy minus the policy's shortage days summed over products, "
                                   "per scenario", "amount"),
    "paired_any_shortage": ((), "1", "no-policy minus the policy's any-product shortage indicator (1 or 0), "
                            "per scenario", "amount"),
    "paired_any_material_shortage": ((), "1", "no-policy minus the policy's any-material shortage indicator, "
                                     "per scenario", "amount"),
    "paired_value_added_loss_total": ((), METRIC_INFO["value_added_loss"][1], "no-policy minus the policy's "
                                      "value-added loss summed over sectors, per scenario", "amount"),
    "paired_mean_price_index_change": ((), METRIC_INFO["mean_price_index_change"][1], "no-policy minus the "
                                       "policy's mean price index change, per scenario", "amount"),
}


# what a run's summary reduces: every metric and the paired differences
SUMMARY_INFO = {**METRIC_INFO, **PAIRED_INFO}


def _against_baseline(x: np.ndarray) -> np.ndarray:
    """``x[0] - x`` in float32 ``[policy, scenario, ...]`` (deterministic per scenario)."""
    x = np.asarray(x, dtype=np.float32)
    return x[:1] - x


def paired_differences(metrics: Mapping[str, np.ndarray], wanted, storable: np.ndarray | None = None
                       ) -> dict[str, np.ndarray]:
    """The paired differences of ``wanted`` names (of :data:`PAIRED_INFO`) that the
    chunk's ``metrics`` (``[policy, scenario, *dims]``) allow; ``storable`` ``[product]``
    for the material indicator."""
    out = {}
    days = metrics.get("shortage_days")
    if days is not None:
        days = np.asarray(days)
        short = days > 0
        if "paired_shortage_days" in wanted:
            out["paired_shortage_days"] = _against_baseline(days)
        if "paired_shortage_days_total" in wanted:
            out["paired_shortage_days_total"] = _against_baseline(days.sum(axis=2, dtype=np.int64))
        if "paired_any_shortage" in wanted:
            out["paired_any_shortage"] = _against_baseline(short.any(axis=2))
        if "paired_any_material_shortage" in wanted and storable is not None:
            out["paired_any_material_shortage"] = _against_baseline(short[:, :, np.asarray(storable, bool)].any(axis=2))
    if "paired_value_added_loss_total" in wanted and "value_added_loss" in metrics:
        out["paired_value_added_loss_total"] = _against_baseline(
            np.asarray(metrics["value_added_loss"], dtype=np.float64).sum(axis=2))
    if "paired_mean_price_index_change" in wanted and "mean_price_index_change" in metrics:
        out["paired_mean_price_index_change"] = _against_baseline(metrics["mean_price_index_change"])
    return out
