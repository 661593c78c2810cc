"""Intervals on a run's effects (simcore.run.paired, simcore.run.summary.pillar_effects):
the standard error of each reduction is that of the per-scenario paired differences,
by hand; it does not depend on the chunking; its 90 % intervals cover a known effect
about 90 % of the time."""

from __future__ import annotations

import numpy as np
import pytest

from simcore.run.paired import SUMMARY_INFO
from simcore.run.stats import finalize, merge, reduce_chunk
from simcore.run.summary import Z90, pillar_effects

COORDS = {"policy": ["no-policy", "mix"], "product": ["a", "b"], "sector": ["s"]}


def metrics(days: np.ndarray, loss: np.ndarray) -> dict:
    """``days`` ``[policy, scenario, product]`` int, ``loss`` ``[policy, scenario]``."""
    n_policies, n = days.shape[:2]
    return {"shortage_days": days.astype(np.int32),
            "value_added_loss": loss[:, :, None].astype(np.float32),
            "mean_price_index_change": np.zeros((n_policies, n), np.float32)}


def effects_of(parts: list[dict]) -> tuple:
    storable = np.array([True, False])
    stats = None
    for part in parts:
        reduced = reduce_chunk(part, SUMMARY_INFO, storable)
        stats = reduced if stats is None else merge(stats, reduced)
    summary = finalize(stats, COORDS, SUMMARY_INFO)
    return summary, pillar_effects(summary)


def test_standard_errors_are_those_of_the_paired_differences_by_hand():
    days = np.array([[[10, 0], [4, 1], [0, 0], [7, 3], [2, 2]],
                     [[6, 0], [4, 0], [0, 0], [1, 3], [2, 0]]])
    loss = np.array([[100.0, 40.0, 0.0, 70.0, 20.0], [50.0, 40.0, 0.0, 10.0, 30.0]])
    _, effects = effects_of([metrics(days, loss)])
    mix = effects.sel(policy="mix")
    d_total = days[0].sum(axis=1) - days[1].sum(axis=1)  # [4, 1, 0, 6, 2]
    se = np.std(d_total, ddof=1) / np.sqrt(5)
    assert float(mix["shortage_days_total_reduction"]) == pytest.approx(d_total.mean())
    assert float(mix["shortage_days_total_reduction_se"]) == pytest.approx(se, rel=1e-6)
    assert float(mix["shortage_days_total_reduction_low"]) == pytest.approx(d_total.mean() - Z90 * se, rel=1e-6)
    d_product = days[0] - days[1]  # per product
    np.testing.assert_allclose(mix["shortage_days_mean_reduction_se"].values,
                               np.std(d_product, axis=0, ddof=1) / np.sqrt(5), rtol=1e-6)
    d_loss = loss[0] - loss[1]
    assert float(mix["value_added_loss_mean_reduction_se"]) == pytest.approx(np.std(d_loss, ddof=1) / np.sqrt(5),
                                                                             rel=1e-6)
    any_short = (days > 0).any(axis=2).astype(float)  # material = product a only
    material = (days[:, :, 0] > 0).astype(float)
    for label, indicator in (("p_any_shortage", any_short), ("p_any_material_shortage", material)):
        d = indicator[0] - indicator[1]
        assert float(mix[f"{label}_reduction_se"]) == pytest.approx(np.std(d, ddof=1) / np.sqrt(5), rel=1e-6), label
    # the baseline against itself: no difference, no spread
    base = effects.sel(policy="no-policy")
    assert float(base["shortage_days_total_reduction_se"]) == 0.0
    assert effects["value_added_loss_mean_reduction_se"].attrs["long_name"]


def test_the_intervals_do_not_depend_on_the_chunking():
    rng = np.random.default_rng(3)
    days = rng.integers(0, 30, size=(2, 40, 2))
    loss = rng.gamma(2.0, 50.0, size=(2, 40))
    whole = effects_of([metrics(days, loss)])[1]
    split = effects_of([metrics(days[:, :13], loss[:, :13]), metrics(days[:, 13:], loss[:, 13:])])[1]
    for name in whole.data_vars:
        if name.endswith(("_se", "_low", "_high")):
            np.testing.assert_array_equal(whole[name].values, split[name].values, err_msg=name)


def test_ninety_percent_intervals_cover_a_known_effect_about_ninety_percent_of_the_time():
    """Per-scenario value-added losses with a known mean effect (10): 400 replicate runs
    of 60 scenarios; the share of 90 % intervals that cover 10 lies within a binomial
    tolerance of 0.9 (3 standard deviations: 0.9 +- 0.045)."""
    rng = np.random.default_rng(2026)
    hits, reps, n = 0, 400, 60
    days = np.zeros((2, n, 2))
    for _ in range(reps):
        base = rng.gamma(2.0, 30.0, size=n)
        mix = base - (10.0 + rng.normal(0.0, 15.0, size=n))  # effect 10 per scenario on average
        effects = effects_of([metrics(days, np.stack([base, mix]))])[1].sel(policy="mix")
        low, high = float(effects["value_added_loss_mean_reduction_low"]), \
            float(effects["value_added_loss_mean_reduction_high"])
        hits += low <= 10.0 <= high
    assert abs(hits / reps - 0.9) <= 3 * np.sqrt(0.9 * 0.1 / reps)
