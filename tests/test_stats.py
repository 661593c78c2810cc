"""Streaming statistics: mergeable chunk reductions against NumPy on synthetic metrics.

The metric dicts are synthesised (dims from METRIC_INFO, 2 policies, 3 products,
2 sectors), so these tests do not depend on the engine.
"""

import functools
import math
from fractions import Fraction

import numpy as np
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

from simcore.run.metrics import METRIC_INFO
from simcore.run.paired import SUMMARY_INFO
from simcore.run.stats import (
    EXACT_UP_TO_SCENARIOS, RELATIVE_ACCURACY, SKETCH_MAX_BINS, STATISTICS, ChunkStats, ExactSum, Histogram, finalize, merge, merge_all,
    reduce_chunk,
)
from simcore.run.summary import cvar, pillar_effects, summarize
from simcore.schema.config import BASELINE_POLICY

POLICIES = [BASELINE_POLICY, "stock"]
COORDS = {"policy": POLICIES, "product": ["gallium", "germanium", "repair"], "sector": ["chips", "cars"]}
STORABLE = np.array([True, True, False])  # repair is a service
SIZES = {"product": 3, "sector": 2}


def synthetic_metrics(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    """Per-scenario metrics [policy, scenario, *dims] shaped like the engine's, with values
    typical of each kind (heavy tails, many zeros, NaN for 'never happened')."""
    rng = np.random.default_rng(seed)
    metrics = {}
    for name, (dims, _, _, kind) in METRIC_INFO.items():
        shape = (len(POLICIES), n) + tuple(SIZES[d] for d in dims)
        hit = rng.random(shape) < 0.3
        if kind == "count":
            value = np.where(hit, rng.geometric(0.05, shape), 0).astype(np.float32)
        elif kind == "amount":
            value = np.where(hit, rng.lognormal(2.0, 2.0, shape), 0.0).astype(np.float32)
            if "price" in name:  # signed
                value = value - np.float32(1.0)
        elif kind in ("survival", "duration"):
            value = np.where(hit, rng.integers(0, 365, shape), np.nan).astype(np.float32)
        else:
            value = rng.random(shape) < 0.8
        metrics[name] = value
    return metrics


def split(metrics: dict, bounds: list[int]) -> list[dict]:
    """Chunks of scenarios between consecutive ``bounds``."""
    return [{k: v[:, a:b] for k, v in metrics.items()} for a, b in zip(bounds[:-1], bounds[1:])]


def as_dataset(metrics: dict) -> xr.Dataset:
    n = next(iter(metrics.values())).shape[1]
    data = {name: (("policy", "scenario", *METRIC_INFO[name][0]), value) for name, value in metrics.items()}
    ds = xr.Dataset(data, coords={**COORDS, "scenario": np.arange(n)})
    ds["storable"] = ("product", STORABLE)
    return ds


def arrays_equal(a: ChunkStats, b: ChunkStats) -> bool:
    x, y = a.to_arrays(), b.to_arrays()
    return x.keys() == y.keys() and all(
        np.array_equal(x[k], y[k], equal_nan=x[k].dtype.kind == "f") and x[k].dtype == y[k].dtype for k in x)


def numpy_quantiles(values):
    return np.quantile(values, [0.05, 0.10, 0.5, 0.9, 0.95, 0.99])


QUANTILE_NAMES = ["q05", "q10", "q50", "q90", "q95", "q99"]


@pytest.fixture(scope="module")
def sample():
    metrics = synthetic_metrics(2000, seed=1)
    chunks = split(metrics, [0, 300, 301, 1000, 1777, 2000])
    # the run summary's metric set: every metric and the paired differences of the effects
    streamed = merge_all(reduce_chunk(chunk, SUMMARY_INFO, storable=STORABLE) for chunk in chunks)
    return metrics, streamed, finalize(streamed, COORDS, SUMMARY_INFO), summarize(as_dataset(metrics))


def test_streaming_equals_in_memory_bit_for_bit(sample):
    _, streamed, streamed_summary, in_memory = sample
    assert arrays_equal(streamed, reduce_chunk(sample[0], SUMMARY_INFO, storable=STORABLE))
    assert streamed_summary.statistic.values.tolist() == list(STATISTICS)
    xr.testing.assert_identical(streamed_summary, in_memory)
    # and summarising a dataset in small blocks (a lazy store) gives the same
    xr.testing.assert_identical(summarize(as_dataset(sample[0]), block_scenarios=333), in_memory)


@pytest.mark.parametrize("name", ["shortage_days", "episodes"])
def test_count_statistics_are_numpys_exactly(sample, name):
    metrics, _, summary, _ = sample
    for p, policy in enumerate(POLICIES):
        for q, product in enumerate(COORDS["product"]):
            values = metrics[name][p, :, q].astype(np.float64)
            got = summary[name].sel(policy=policy, product=product)
            assert float(got.sel(statistic="mean")) == values.mean()
            assert float(got.sel(statistic="p_positive")) == np.mean(values > 0)
            assert float(got.sel(statistic="cvar95")) == cvar(values[None], 0.95, axis=1)[0]
            assert float(got.sel(statistic="min")) == values.min() and float(got.sel(statistic="max")) == values.max()
            np.testing.assert_array_equal(got.sel(statistic=QUANTILE_NAMES).values, numpy_quantiles(values))
            np.testing.assert_allclose(float(got.sel(statistic="std")), values.std(), rtol=1e-12)
            assert np.isnan(got.sel(statistic=["p_defined", "p_within_7d", "cvar95_lower"]).values).all()


def test_amount_moments_are_exact(sample):
    metrics, _, summary, _ = sample
    for name in ("unmet", "value_added_loss", "peak_price_change"):
        dims = METRIC_INFO[name][0]
        for p in range(2):
            for e in range(SIZES[dims[0]]):
                values = metrics[name][p, :, e].astype(np.float64)
                got = summary[name].isel(policy=p, **{dims[0]: e})
                # the exact mean, correctly rounded
                assert float(got.sel(statistic="mean")) == float(sum(map(Fraction, values)) / len(values))
                np.testing.assert_allclose(float(got.sel(statistic="std")), values.std(), rtol=1e-12)
                assert float(got.sel(statistic="min")) == values.min() and float(got.sel(statistic="max")) == values.max()
                assert float(got.sel(statistic="p_positive")) == np.mean(values > 0)


def test_exact_sum_is_exact_under_cancellation():
    rng = np.random.default_rng(3)
    values = rng.standard_normal(5000) * 10.0 ** rng.integers(-300, 300, 5000)
    values = np.concatenate([values, -values[:2500], [1e-320, 5e-324, -1.7e308, 1.7e308, 1.0]])
    total = ExactSum.from_values(values, np.zeros(values.size, int), 1)
    assert total.ratio(0, 1) == math.fsum(values)  # fsum is correctly rounded, so is ratio()
    assert total.ratio(0, 3) == pytest.approx(math.fsum(values) / 3, rel=1e-15)
    halves = ExactSum.from_values(values[::2], np.zeros(values[::2].size, int), 1).merge(
        ExactSum.from_values(values[1::2], np.zeros(values[1::2].size, int), 1))
    np.testing.assert_array_equal(halves.limbs, total.limbs)


@pytest.mark.parametrize("digits_per_pass", [None, 7])  # one float64 bincount, or passes of 7 digits
def test_exact_sum_of_integers_is_exact(digits_per_pass, monkeypatch):
    """ExactSum.from_integers adds int64 integers of magnitude up to 2^63 - 1 at any bit
    (the float32 route's per-exponent sums), carries included, whatever the passes."""
    if digits_per_pass:
        monkeypatch.setattr("simcore.run.stats.exact_sum._DIGITS_PER_PASS", digits_per_pass)
    rng = np.random.default_rng(5)
    largest = 2 ** 63 - 1
    integers = rng.integers(-largest, largest, 500, dtype=np.int64, endpoint=True)
    integers[:40], integers[40:80], integers[80:100] = largest, -largest, 0
    bits = rng.integers(0, 2100, 500)
    bits[:120] = 700  # many at one bit: long carries, and cancellation
    cells = rng.integers(0, 3, 500)
    total = ExactSum.from_integers(integers, bits, cells, 3)
    for c in range(3):
        assert total.scaled_integer(c) == sum(int(i) << int(b) for i, b in zip(integers[cells == c], bits[cells == c]))
    assert not ExactSum.from_integers(integers[:0], bits[:0], cells[:0], 3).limbs.any()


@functools.cache
def _grouping_metrics():
    return synthetic_metrics(400, seed=7)


@settings(max_examples=8, deadline=None)
@given(cuts=st.lists(st.integers(1, 399), max_size=6, unique=True), order=st.randoms(use_true_random=False))
def test_merge_is_invariant_to_order_and_grouping(cuts, order):
    metrics = _grouping_metrics()
    parts = [reduce_chunk(chunk, storable=STORABLE) for chunk in split(metrics, [0, *sorted(cuts), 400])]
    left_fold = merge_all(parts)
    shuffled = list(parts)
    order.shuffle(shuffled)
    # a random merge tree: repeatedly merge two random neighbours
    while len(shuffled) > 1:
        i = order.randrange(len(shuffled) - 1)
        shuffled[i:i + 2] = [merge(shuffled[i + 1], shuffled[i]) if order.random() < 0.5
                             else merge(shuffled[i], shuffled[i + 1])]
    assert arrays_equal(left_fold, shuffled[0])
    assert arrays_equal(left_fold, reduce_chunk(metrics, storable=STORABLE))


def _sketch_summary(values: np.ndarray) -> xr.DataArray:
    metrics = {"unmet": values.reshape(1, -1, 1)}
    chunks = split(metrics, [0, values.size // 3, values.size])
    stats = merge_all(reduce_chunk(c) for c in chunks)
    return finalize(stats, {"policy": ["p"], "product": ["x"]})["unmet"].isel(policy=0, product=0)


def _quantile_bound(values: np.ndarray, level: float) -> float:
    """The documented bound a ((1 - f)|x_(j)| + f |x_(j+1)|) of NumPy's linear quantile."""
    x = np.sort(values)
    position = (x.size - 1) * level
    j = int(np.floor(position))
    f = position - j
    return RELATIVE_ACCURACY * ((1 - f) * abs(x[j]) + f * abs(x[min(j + 1, x.size - 1)]))


@pytest.mark.parametrize("signed", [False, True])
def test_sketch_quantiles_and_cvar_within_documented_bound(signed):
    rng = np.random.default_rng(11)
    values = rng.lognormal(0.0, 3.0, 50_000) * (rng.random(50_000) < 0.7)  # heavy tail, 30 % zeros
    if signed:
        values = values * np.where(rng.random(values.size) < 0.4, -1.0, 1.0)
    got = _sketch_summary(values)
    errors = []
    for name, level in zip(QUANTILE_NAMES, [0.05, 0.10, 0.5, 0.9, 0.95, 0.99]):
        exact = np.quantile(values, level)
        error = abs(float(got.sel(statistic=name)) - exact)
        assert error <= _quantile_bound(values, level) * (1 + 1e-9) + 1e-300, (name, exact, error)
        if exact != 0 and not signed:
            errors.append(error / abs(exact))
    tail = np.sort(values)[-math.ceil(values.size * 0.05):]
    estimated = float(got.sel(statistic="cvar95"))
    assert abs(estimated - tail.mean()) <= RELATIVE_ACCURACY * np.abs(tail).mean() * (1 + 1e-9)
    assert float(got.sel(statistic="mean")) == pytest.approx(values.mean(), rel=1e-13)
    if not signed:  # the bound is not loose by orders of magnitude: errors are a sizeable part of it
        assert max(errors) < RELATIVE_ACCURACY and max(errors) > RELATIVE_ACCURACY / 20


def test_survival_hand_case():
    # days from the alarm to the first shortage of 10 scenarios; NaN = never short
    days = np.array([0, 3, 7, 8, 30, np.nan, np.nan, 100, 181, np.nan])
    metrics = {"time_to_survive": days.reshape(1, -1, 1)}
    got = finalize(reduce_chunk(metrics), {"policy": ["p"], "product": ["x"]})["time_to_survive"][:, 0, 0]
    stat = got.to_series()
    assert stat["p_defined"] == 0.7
    # a shortage on the alarm day (0) counts; "within X days" means <= X
    assert [stat["p_within_7d"], stat["p_within_30d"], stat["p_within_90d"], stat["p_within_180d"]] == \
        [0.3, 0.5, 0.5, 0.6]
    defined = days[~np.isnan(days)]
    np.testing.assert_array_equal(got.sel(statistic=QUANTILE_NAMES).values, numpy_quantiles(defined))
    assert stat["mean"] == defined.mean() and stat["min"] == 0 and stat["max"] == 181
    assert stat["cvar95_lower"] == 0.0  # ceil(7 x 5 %) = 1 shortest value
    assert np.isnan(stat["cvar95"]) and np.isnan(stat["p_positive"])
    # lower-tail CVaR over 40 scenarios with a shortage: the 2 shortest
    forty = np.concatenate([np.arange(5.0, 45.0), [np.nan] * 10])
    got = finalize(reduce_chunk({"time_to_survive": forty.reshape(1, -1, 1)}),
                   {"policy": ["p"], "product": ["x"]}).isel(policy=0, product=0)
    assert float(got["time_to_survive"].sel(statistic="cvar95_lower")) == (5 + 6) / 2
    assert float(got["time_to_survive"].sel(statistic="p_within_7d")) == 3 / 50


def test_duration_statistics_exclude_undefined_and_use_the_upper_tail():
    days = np.array([np.nan, 10, 20, 30, np.nan, 40])
    got = finalize(reduce_chunk({"time_to_recover": days.reshape(1, -1, 1)}),
                   {"policy": ["p"], "product": ["x"]})["time_to_recover"][:, 0, 0].to_series()
    assert got["mean"] == 25 and got["p_defined"] == 4 / 6 and got["cvar95"] == 40
    assert got["q50"] == 25 and np.isnan(got["p_within_7d"]) and np.isnan(got["cvar95_lower"])


def test_flag_share_true():
    flags = np.array([[True, False, True, True], [False, False, False, True]])[:, :, None]
    got = finalize(reduce_chunk({"recovered": flags}), {"policy": ["a", "b"], "product": ["x"]})["recovered"]
    np.testing.assert_array_equal(got.sel(statistic="mean", product="x").values, [0.75, 0.25])


def test_p_any_counts_scenarios_not_products():
    # [policy, scenario, product]: policy 0 has gallium short in scenario 0 and repair in scenario 1
    # (different scenarios: P(any) = P(gallium) + P(repair)); policy 1 has both in scenario 0
    short = np.zeros((2, 4, 3))
    short[0, 0, 0] = 5
    short[0, 1, 2] = 3
    short[1, 0, 0] = 5
    short[1, 0, 2] = 3
    summary = finalize(reduce_chunk({"shortage_days": short}, storable=STORABLE), COORDS)
    p_single = summary["shortage_days"].sel(statistic="p_positive")
    np.testing.assert_array_equal(summary["p_any_shortage"].values, [0.5, 0.25])
    assert float(summary["p_any_shortage"][0]) == float(p_single[0].sum())
    assert float(summary["p_any_shortage"][1]) == float(p_single[1].max())
    np.testing.assert_array_equal(summary["p_any_material_shortage"].values, [0.25, 0.25])  # repair: a service
    assert int(summary["n_scenarios"]) == 4
    # without the storable mask the material share is unknown, not guessed
    assert np.isnan(finalize(reduce_chunk({"shortage_days": short}), COORDS)["p_any_material_shortage"]).all()


def test_serialisation_round_trip(tmp_path, sample):
    metrics, streamed, summary, _ = sample
    arrays = streamed.to_arrays()
    assert all(isinstance(v, np.ndarray) for v in arrays.values()) and not any("/" in k for k in arrays)
    np.savez(tmp_path / "stats.npz", **arrays)
    with np.load(tmp_path / "stats.npz") as stored:
        back = ChunkStats.from_arrays(dict(stored))
    assert arrays_equal(back, streamed)
    xr.testing.assert_identical(finalize(back, COORDS, SUMMARY_INFO), summary)
    # a reloaded partial result merges on (resume)
    first, second = split(metrics, [0, 900, 2000])
    resumed = merge(ChunkStats.from_arrays(reduce_chunk(first, SUMMARY_INFO, storable=STORABLE).to_arrays()),
                    reduce_chunk(second, SUMMARY_INFO, storable=STORABLE))
    assert arrays_equal(resumed, streamed)


def test_memory_does_not_grow_with_scenarios():
    def stats_of(n):
        metrics = synthetic_metrics(n, seed=5)
        for name, (_, _, _, kind) in METRIC_INFO.items():  # fix each cell's range: both ends present
            value = metrics[name]
            if kind == "count":
                value = np.minimum(value, 60)
                ends = [0, 60]
            elif kind == "amount":
                value = np.clip(value, -1.0, 1e3)
                value = np.where(np.abs(value) < 1e-2, 0, value)
                ends = [-1.0, -1e-2, 0.0, 1e-2, 1e3]
            elif kind in ("survival", "duration"):
                ends = [0, 364]
            else:
                ends = [False, True]
            for i, end in enumerate(ends):
                value[:, i] = end
            metrics[name] = value
        return reduce_chunk(metrics, storable=STORABLE)

    small, large = stats_of(EXACT_UP_TO_SCENARIOS + 1), stats_of(20_000)
    assert small.nbytes == large.nbytes
    assert {k: v.shape for k, v in small.to_arrays().items()} == {k: v.shape for k, v in large.to_arrays().items()}
    # and a heavy-tailed sketch is capped per cell whatever the range of magnitudes
    wild = np.random.default_rng(2).lognormal(0, 40, 20_000).reshape(1, -1, 1)
    sketch = reduce_chunk({"unmet": wild}).metrics["unmet"].fields["pos"]
    assert sketch.size.max() == SKETCH_MAX_BINS and int(sketch.total[0]) == wild.size


def test_histogram_folds_lowest_keys_associatively():
    rng = np.random.default_rng(4)
    keys = rng.integers(-50, 50, (300, 2))
    keys[:, 1] += 1000

    def histogram(k):  # k: [n, 2 cells]
        return Histogram.from_keys(k.ravel(), np.tile([0, 1], len(k)), 2, max_bins=20)

    parts = [histogram(k) for k in np.split(keys, [50, 120, 299])]
    whole = histogram(keys)
    merged = functools.reduce(Histogram.merge, parts)
    for a, b in zip(whole.to_arrays().values(), merged.to_arrays().values()):
        np.testing.assert_array_equal(a, b)
    assert whole.size.tolist() == [20, 20] and whole.total.tolist() == [300, 300]
    values, counts = whole.cell(0)
    assert values[0] == keys[:, 0].max() - 19 and counts[0] == np.sum(keys[:, 0] <= values[0])


def test_bad_metrics_are_named_together():
    bad = {"shortage_days": np.array([[[1.5, -1.0, 2.0]]]),
           "time_to_survive": np.array([[[np.nan, -3.0, 1.0]]]),
           "recovered": np.array([[[0.5, 1.0, 0.0]]])}
    with pytest.raises(ValueError) as error:
        reduce_chunk(bad)
    message = str(error.value)
    assert "shortage_days" in message and "time_to_survive" in message and "recovered" in message
    with pytest.raises(ValueError, match="unmet must have dims"):
        reduce_chunk({"unmet": np.zeros((2, 3))})
    with pytest.raises(ValueError, match="cannot merge"):
        merge(reduce_chunk({"unmet": np.zeros((2, 3, 1))}), reduce_chunk({"unmet": np.zeros((1, 3, 1))}))


def test_pillar_effects_from_streamed_summary(sample):
    metrics, _, summary, _ = sample
    effects = pillar_effects(summary)
    base, stock = BASELINE_POLICY, "stock"
    va = metrics["value_added_loss"].astype(np.float64)
    expected = [math.fsum(va[p, :, s]) / va.shape[1] for p in range(2) for s in range(2)]
    np.testing.assert_allclose(effects["value_added_loss_mean"].values,
                               [expected[0] + expected[1], expected[2] + expected[3]], rtol=1e-14)
    assert effects["value_added_loss_mean"].dims == ("policy",)
    assert effects["undelivered_value_mean"].dims == ("policy", "product")
    assert effects["shortage_probability"].dims == ("policy", "product")
    p_any = effects["p_any_shortage"]
    assert float(effects["p_any_shortage_reduction"].sel(policy=stock)) == float(p_any.sel(policy=base) -
                                                                                  p_any.sel(policy=stock))
    assert float(effects["p_any_shortage_reduction"].sel(policy=base)) == 0.0
    assert "gross_output_loss_mean" in effects and "lost_output_mean" not in effects
    assert "p_any_material_shortage_relative_reduction" in effects


def test_an_empty_chunk_is_the_identity_of_merge():
    metrics = synthetic_metrics(50, seed=9)
    empty = reduce_chunk({k: v[:, :0] for k, v in metrics.items()}, storable=STORABLE)
    stats = reduce_chunk(metrics, storable=STORABLE)
    assert arrays_equal(merge(empty, stats), stats) and arrays_equal(merge(stats, empty), stats)
    summary = finalize(empty, COORDS)
    assert int(summary["n_scenarios"]) == 0 and np.isnan(summary["unmet"]).all()
    assert np.isnan(summary["p_any_shortage"]).all()


@pytest.mark.filterwarnings("ignore:.*does not have a Zarr V3 specification.*")
def test_summarize_a_lazy_store_in_blocks(tmp_path, sample):
    metrics, _, _, in_memory = sample
    as_dataset(metrics).to_zarr(tmp_path / "run.zarr", consolidated=False)
    lazy = xr.open_zarr(tmp_path / "run.zarr", consolidated=False)
    xr.testing.assert_identical(summarize(lazy, block_scenarios=700), in_memory)


def test_small_runs_keep_exact_amount_quantiles_then_switch_to_the_sketch(sample):
    metrics, _, summary, _ = sample  # 2000 scenarios <= EXACT_UP_TO_SCENARIOS
    for p in range(2):
        values = metrics["unmet"][p, :, 0].astype(np.float64)
        got = summary["unmet"].isel(policy=p, product=0)
        np.testing.assert_array_equal(got.sel(statistic=QUANTILE_NAMES).values, numpy_quantiles(values))
        assert float(got.sel(statistic="cvar95")) == cvar(values[None], 0.95, axis=1)[0]
    # past the threshold the kept values are dropped, whatever the grouping, and the sketch answers
    more = synthetic_metrics(EXACT_UP_TO_SCENARIOS + 100, seed=2)
    halves = split(more, [0, 1000, EXACT_UP_TO_SCENARIOS + 100])
    merged = merge(*(reduce_chunk(h) for h in halves))
    assert "values" not in merged.metrics["unmet"].fields and arrays_equal(merged, reduce_chunk(more))
    values = more["unmet"][0, :, 0].astype(np.float64)
    got = finalize(merged, COORDS)["unmet"].isel(policy=0, product=0)
    for name, level in zip(QUANTILE_NAMES, [0.05, 0.10, 0.5, 0.9, 0.95, 0.99]):
        error = abs(float(got.sel(statistic=name)) - np.quantile(values, level))
        assert error <= _quantile_bound(values, level) * (1 + 1e-9)


# ---------------------------------------------------------------------------------------------
# The reduction against a per-cell reference computed here with NumPy and exact fractions
# ---------------------------------------------------------------------------------------------

WILD = ("unmet", "peak_price_change", "value_added_loss", "mean_price_index_change", "shortage_days",
        "time_to_survive", "time_to_recover", "recovered")


def wild_metrics(n: int, seed: int) -> dict[str, np.ndarray]:
    """Float32 amounts over some 30 decades of both signs with +-0, NaN, +-inf, the smallest
    normal float32, the largest float32 (policy 1 only: its cells fold their sketches),
    all-zero and all-NaN cells and a mostly-zero policy; int32 and NaN-holding float32
    days; boolean flags."""
    rng = np.random.default_rng(seed)
    metrics = {}
    for name in WILD:
        dims, _, _, kind = METRIC_INFO[name]
        shape = (len(POLICIES), n) + tuple(SIZES[d] for d in dims)
        if kind == "amount":
            value = rng.lognormal(0.0, 6.0, shape) * np.where(rng.random(shape) < 0.3, -1.0, 1.0)
            value[rng.random(shape) < 0.4] = 0.0
            value[rng.random(shape) < 0.05] = -0.0
            value[0][rng.random(shape[1:]) < 0.9] = 0.0  # a mostly-zero policy
            special = [np.nan, np.inf, -np.inf, -np.finfo(np.float32).tiny, 1.0]
            picks = rng.random(shape) < 0.01
            value[picks] = rng.choice(special, int(picks.sum()))
            value[1][rng.random(shape[1:]) < 0.002] = np.finfo(np.float32).max
            value = value.astype(np.float32)
            value.reshape(len(POLICIES), n, -1)[1, :, 0] = 0.0  # an all-zero cell
            value.reshape(len(POLICIES), n, -1)[0, :, -1] = np.nan  # an all-NaN cell
        elif kind == "count":
            value = np.where(rng.random(shape) < 0.2, rng.integers(0, 400, shape), 0).astype(np.int32)
        elif kind in ("survival", "duration"):
            value = np.where(rng.random(shape) < 0.3, rng.integers(0, 400, shape), np.nan).astype(np.float32)
        else:
            value = rng.random(shape) < 0.7
        metrics[name] = value
    return metrics


def exact_scaled_sum(values: np.ndarray) -> int:
    """sum(values) x 2^1126 as an exact integer (the scale of ExactSum.scaled_integer)."""
    return int(sum((Fraction(*float(v).as_integer_ratio()) for v in values), Fraction(0)) * 2 ** 1126)


def sketch_counts(magnitudes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The documented sketch of some magnitudes: keys ceil(log x / log g), the lowest folded
    into the lowest of the SKETCH_MAX_BINS highest keys; (keys, counts) ascending."""
    if not magnitudes.size:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    gamma = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
    keys = np.ceil(np.log(magnitudes) / math.log(gamma)).astype(np.int64)
    keys = np.maximum(keys, keys.max() - (SKETCH_MAX_BINS - 1))
    return np.unique(keys, return_counts=True)


def check_against_reference(stats: ChunkStats, metrics: dict[str, np.ndarray]) -> None:
    for name, metric in stats.metrics.items():
        values = metrics[name].reshape(*metrics[name].shape[:2], -1)  # [policy, scenario, cell element]
        for c in range(values.shape[0] * values.shape[2]):
            column = values[c // values.shape[2], :, c % values.shape[2]].astype(np.float64)
            fields = metric.fields
            if metric.kind == "amount":
                finite = column[np.isfinite(column)]
                assert int(fields["n"][c]) == finite.size and int(fields["zeros"][c]) == np.sum(finite == 0)
                assert fields["min"][c] == finite.min(initial=np.inf)
                assert fields["max"][c] == finite.max(initial=-np.inf)
                assert fields["sum"].scaled_integer(c) == exact_scaled_sum(finite)
                assert fields["sumsq"].scaled_integer(c) == exact_scaled_sum(finite * finite)
                for sign, part in ((1, "pos"), (-1, "neg")):
                    keys, counts = sketch_counts(np.abs(finite[sign * finite > 0]))
                    got_keys, got_counts = fields[part].cell(c)
                    np.testing.assert_array_equal(got_keys, keys)
                    np.testing.assert_array_equal(got_counts, counts)
            elif metric.kind == "flag":
                assert int(fields["n_true"][c]) == np.sum(column == 1)
            else:
                days, counts = np.unique(column[~np.isnan(column)].astype(np.int64), return_counts=True)
                got_days, got_counts = fields["hist"].cell(c)
                np.testing.assert_array_equal(got_days, days)
                np.testing.assert_array_equal(got_counts, counts)
    short = metrics["shortage_days"] > 0
    np.testing.assert_array_equal(stats.any_shortage, short.any(axis=2).sum(axis=1))
    np.testing.assert_array_equal(stats.any_material_shortage, short[:, :, STORABLE].any(axis=2).sum(axis=1))


@pytest.fixture(scope="module")
def wild():
    return wild_metrics(3000, seed=21)


@pytest.mark.parametrize("block_values", [None, 96])  # the default blocks, and blocks of 16 scenarios
def test_reduction_equals_a_per_cell_reference_on_wild_data(wild, block_values, monkeypatch):
    if block_values:
        monkeypatch.setattr("simcore.run.stats.blocks._BLOCK_VALUES", block_values)
    check_against_reference(reduce_chunk(wild, storable=STORABLE), wild)


@settings(max_examples=6, deadline=None)
@given(cuts=st.lists(st.integers(1, 2999), min_size=1, max_size=5, unique=True),
       order=st.randoms(use_true_random=False))
def test_wild_data_merged_in_any_grouping_equals_one_reduction(cuts, order):
    metrics = wild_metrics(3000, seed=21)
    whole = reduce_chunk(metrics, storable=STORABLE)
    parts = [reduce_chunk(chunk, storable=STORABLE) for chunk in split(metrics, [0, *sorted(cuts), 3000])]
    order.shuffle(parts)
    while len(parts) > 1:
        i = order.randrange(len(parts) - 1)
        parts[i:i + 2] = [merge(parts[i], parts[i + 1])]
    assert arrays_equal(parts[0], whole)
    xr.testing.assert_identical(finalize(parts[0], COORDS), finalize(whole, COORDS))


@pytest.mark.parametrize("sparse_share", [0.0, 1.0])  # never / always compact the non-zero values first
def test_float32_route_equals_the_general_route(wild, sparse_share, monkeypatch):
    """Float32 amounts go through the bucket route, float64 ones through the general one:
    the same numbers bit for bit, whichever blocks are compacted, subnormals included."""
    monkeypatch.setattr("simcore.run.stats.blocks._SPARSE_SHARE", sparse_share)
    monkeypatch.setattr("simcore.run.stats.blocks._BLOCK_VALUES", 600)
    metrics = dict(wild)
    subnormal = metrics["unmet"].copy()
    subnormal[1, ::7, 2] = np.float32(1e-40)  # takes the general route as float32 too
    for amounts in (metrics, {"unmet": subnormal}):
        as_float64 = {k: v.astype(np.float64) if v.dtype == np.float32 else v for k, v in amounts.items()}
        fast, general = reduce_chunk(amounts, storable=STORABLE), reduce_chunk(as_float64, storable=STORABLE)
        assert arrays_equal(fast, general)
        xr.testing.assert_identical(finalize(fast, COORDS), finalize(general, COORDS))


def test_float32_sketch_keys_next_to_every_bin_edge():
    """The float32 route finds sketch keys by bit pattern; the float32 values around every
    bin edge g^k (the only ones a rounding of the logarithm could move) get the keys of
    ceil(log|x| / log g) computed on their float64 values, as on the general route."""
    gamma = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
    tiny, huge = np.finfo(np.float32).tiny, np.finfo(np.float32).max
    edges = np.exp(np.arange(math.ceil(math.log(tiny) / math.log(gamma)),
                             math.floor(math.log(huge) / math.log(gamma)) + 1) * math.log(gamma))
    near = edges.astype(np.float32)[:, None].view(np.int32) + np.arange(-16, 17)  # +-16 float32 steps
    values = near.view(np.float32).ravel()
    values = values[(values >= tiny) & (values <= huge)]
    cells = np.array_split(values, 5)  # under SKETCH_MAX_BINS keys per cell: nothing folded away
    grid = np.zeros((2, max(c.size for c in cells), 5), np.float32)
    for c, part in enumerate(cells):
        grid[0, :part.size, c] = part
        grid[1, :part.size, c] = -part
    fast = reduce_chunk({"unmet": grid}).metrics["unmet"].fields
    general = reduce_chunk({"unmet": grid.astype(np.float64)}).metrics["unmet"].fields
    for part in ("pos", "neg"):
        for a, b in zip(fast[part].to_arrays().values(), general[part].to_arrays().values()):
            np.testing.assert_array_equal(a, b)
    assert int(fast["pos"].total.sum()) == values.size


def test_day_values_that_are_not_whole_are_named_whatever_the_block(monkeypatch):
    monkeypatch.setattr("simcore.run.stats.blocks._BLOCK_VALUES", 8)
    days = np.full((1, 40, 1), np.nan, np.float32)
    days[0, ::5, 0] = 3.0
    days[0, 33, 0] = 2.5  # in the last blocks, among mostly NaN
    with pytest.raises(ValueError, match=r"time_to_survive .*got \[2\.5\]"):
        reduce_chunk({"time_to_survive": days})
    counts = np.zeros((1, 40, 1), np.float32)
    counts[0, 7, 0] = np.nan
    with pytest.raises(ValueError, match="shortage_days .*must not contain NaN"):
        reduce_chunk({"shortage_days": counts})


def test_wild_summary_is_numpys(wild):
    """finalize of the wild data against NumPy and exact fractions, per cell: exact means,
    extremes, shares and day statistics; sketch quantiles and CVaR within their bound,
    which allows for the folded bins of cells spanning more than SKETCH_MAX_BINS bins
    (values below ~2e-18 max|x| are off by at most that much)."""
    gamma = (1 + RELATIVE_ACCURACY) / (1 - RELATIVE_ACCURACY)
    summary = finalize(merge_all(reduce_chunk(c, storable=STORABLE) for c in split(wild, [0, 1000, 3000])),
                       COORDS)
    for name in WILD:
        dims, kind = METRIC_INFO[name][0], METRIC_INFO[name][3]
        for p in range(len(POLICIES)):
            for e in range(SIZES[dims[0]] if dims else 1):
                column = wild[name][p, :, e] if dims else wild[name][p]
                got = summary[name].isel(policy=p, **({dims[0]: e} if dims else {})).to_series()
                column = column.astype(np.float64)
                if kind == "amount":
                    finite = column[np.isfinite(column)]
                    if not finite.size:
                        assert np.isnan(got).all()
                        continue
                    exact_mean = sum(map(Fraction, finite)) / finite.size
                    exact_variance = sum((Fraction(v) - exact_mean) ** 2 for v in finite) / finite.size
                    assert got["mean"] == float(exact_mean)
                    assert got["std"] == pytest.approx(math.sqrt(exact_variance), rel=1e-12)
                    assert (got["min"], got["max"]) == (finite.min(), finite.max())
                    assert got["p_positive"] == np.mean(finite > 0)
                    folded = np.abs(finite).max() * gamma ** -(SKETCH_MAX_BINS - 2)
                    for label, level in zip(QUANTILE_NAMES, [0.05, 0.10, 0.5, 0.9, 0.95, 0.99]):
                        error = abs(got[label] - np.quantile(finite, level))
                        assert error <= _quantile_bound(finite, level) * (1 + 1e-9) + folded
                    tail = np.sort(finite)[-math.ceil(finite.size * 0.05):]
                    tail_bound = RELATIVE_ACCURACY * np.abs(tail).mean() * (1 + 1e-9) + folded
                    assert abs(got["cvar95"] - tail.mean()) <= tail_bound
                elif kind == "flag":
                    assert got["mean"] == np.mean(column)
                else:
                    defined = column[~np.isnan(column)]
                    assert got["mean"] == defined.mean()
                    np.testing.assert_array_equal(got[QUANTILE_NAMES].values, numpy_quantiles(defined))
                    tail_size = math.ceil(defined.size * 0.05)
                    if kind == "survival":
                        assert got["p_defined"] == defined.size / column.size
                        assert got["cvar95_lower"] == np.sort(defined)[:tail_size].mean()
                    else:
                        assert got["cvar95"] == np.sort(defined)[-tail_size:].mean()


def test_relative_reductions_are_ratios_and_reductions_keep_the_metrics_unit():
    """The effects group's *_relative_reduction said units = "days" (the metric's)."""
    import xarray as xr

    from simcore.run.summary import pillar_effects

    data = np.array([[[10.0, 0.5, 20.0, 30.0]], [[4.0, 0.2, 20.0, 30.0]]])  # [policy, product, statistic]
    summary = xr.Dataset(
        {"shortage_days": (("policy", "product", "statistic"), data, {"units": "days"})},
        coords={"policy": ["no-policy", "stock"], "product": ["gallium"],
                "statistic": ["mean", "p_positive", "q95", "cvar95"]})
    effects = pillar_effects(summary)
    relative = effects["shortage_days_mean_relative_reduction"]
    assert relative.attrs["units"] == "1"
    np.testing.assert_allclose(relative.sel(policy="stock").values, [0.6])
    assert effects["shortage_days_mean_reduction"].attrs["units"] == "days"
    np.testing.assert_allclose(effects["shortage_days_mean_reduction"].sel(policy="stock").values, [6.0])
