"""The chunk reduction on the device gives the host reduction's statistics bit for bit.

:func:`simcore.run.stats.device_finish.reduce_chunk_device` against
:func:`simcore.run.stats.reduce_chunk` on the same metrics: every array of
``ChunkStats.to_arrays()`` equal (dtype, shape, bytes), or the same error. Shapes are
fixed per test so the device program compiles once per module; hypothesis varies the
values (zeros of both signs, negatives, subnormals, the largest float32, inf, NaN, ties)
and the number of scenarios kept.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from simcore.run.metrics import METRIC_INFO
from simcore.run.paired import SUMMARY_INFO
from simcore.run.stats import EXACT_UP_TO_SCENARIOS, merge, merge_all, reduce_chunk
from simcore.run.stats.device_finish import DeviceChunk, day_bins_for, reduce_chunk_device



POLICIES, SCENARIOS = 2, 24
SIZES = {"product": 3, "sector": 2}
STORABLE = np.array([True, False, True])
F32 = np.finfo(np.float32)
AMOUNT_POOL = [0.0, -0.0, 1.0, -1.0, 1.5, 2.5e-3, -7.25e5, 3.0e20, -1.0e-30, F32.tiny, -F32.tiny, F32.max,
               -F32.max, 1e-40, -3e-42, np.inf, -np.inf, np.nan, 0.1, 0.1, 123456.78]
DAY_POOL = [0.0, 0.0, 1.0, 2.0, 7.0, 30.0, 364.0, np.nan]


def metric_shape(name: str, n: int = SCENARIOS) -> tuple[int, ...]:
    return (POLICIES, n) + tuple(SIZES[d] for d in METRIC_INFO[name][0])


def same_stats(device, host) -> None:
    a, b = device.to_arrays(), host.to_arrays()
    assert list(a) == list(b)
    for key in a:
        assert a[key].dtype == b[key].dtype and a[key].shape == b[key].shape, key
        assert a[key].tobytes() == b[key].tobytes(), key


def outcome(reduce, *args, **kwargs):
    try:
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf in the paired differences
            return reduce(*args, **kwargs), None
    except (ValueError, IndexError) as error:  # a storable mask of the wrong size is an IndexError
        return None, f"{type(error).__name__}: {error}"


def check_equal(metrics: dict, count: int | None = None, storable=STORABLE, info=SUMMARY_INFO) -> DeviceChunk:
    """Device and host reductions of ``metrics`` (first ``count`` scenarios) agree bit for
    bit, or raise the same error; returns the device chunk (its fallbacks)."""
    host_metrics = {k: v[:, :count] for k, v in metrics.items()}
    host, host_error = outcome(reduce_chunk, host_metrics, info, storable)
    chunk = DeviceChunk(metrics, info, storable, count=count)
    device, device_error = outcome(chunk.result)
    assert device_error == host_error
    if host is not None:
        same_stats(device, host)
    return chunk


@st.composite
def chunks(draw):
    """A chunk of every metric kind at fixed shapes, values from pools of hard cases."""
    metrics = {}
    for name, (dims, _, _, kind) in METRIC_INFO.items():
        shape = metric_shape(name)
        size = int(np.prod(shape))
        if kind == "amount":
            pool = draw(st.lists(st.sampled_from(AMOUNT_POOL), min_size=1, max_size=6))
            scale = draw(st.sampled_from([1.0, 1e-3, 1e30]))
            picks = draw(st.lists(st.integers(0, len(pool) - 1), min_size=size, max_size=size))
            with np.errstate(over="ignore"):  # huge x 1e30 is inf, one more hard case
                value = (np.asarray(pool)[picks] * scale).astype(np.float32)
        elif kind == "flag":
            value = np.asarray(draw(st.lists(st.booleans(), min_size=size, max_size=size)))
        else:
            pool = DAY_POOL if kind != "count" else [d for d in DAY_POOL if d == d]
            picks = draw(st.lists(st.sampled_from(pool), min_size=size, max_size=size))
            value = np.asarray(picks, np.float32)
            if kind == "count":
                value = value.astype(np.int32)
        metrics[name] = value.reshape(shape)
    return metrics


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(metrics=chunks(), count=st.integers(1, SCENARIOS))
def test_device_reduction_is_the_host_reduction_bit_for_bit(metrics, count):
    check_equal(metrics, count)


@settings(max_examples=8, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(metrics=chunks(), bad=st.sampled_from(["nan_count", "fraction", "negative", "flag", "far", "subnormal_day"]))
def test_bad_values_give_the_host_reductions_errors(metrics, bad):
    """Values the device cannot count go to the host reduction, which names them."""
    if bad == "nan_count":
        metrics["shortage_days"] = metrics["shortage_days"].astype(np.float32)
        metrics["shortage_days"][1, 3, 0] = np.nan
    elif bad == "fraction":
        metrics["time_to_survive"][0, 2, 1] = 2.5
    elif bad == "negative":
        metrics["time_to_recover"][1, 0, 2] = -1.0
    elif bad == "flag":
        metrics["recovered"] = metrics["recovered"].astype(np.float32)
        metrics["recovered"][0, 5, 0] = 0.5
    elif bad == "far":  # a whole day past the device's dense range: exact on the host
        metrics["worst_time_to_recover"][0, 1, 0] = 5000.0
    else:
        metrics["time_to_survive"][1, 1, 1] = 1e-40
    chunk = check_equal(metrics)
    assert chunk.fallbacks


def test_small_and_empty_chunks_and_other_dtypes():
    rng = np.random.default_rng(3)
    metrics = {name: rng.lognormal(0, 3, metric_shape(name)).astype(np.float32)
               for name, info in METRIC_INFO.items() if info[3] == "amount"}
    metrics["shortage_days"] = rng.integers(0, 5, metric_shape("shortage_days")).astype(np.int32)
    check_equal(metrics)
    check_equal(metrics, count=1)
    check_equal({k: v[:, :0] for k, v in metrics.items()})  # no scenario at all
    check_equal(metrics, storable=None)
    as_float64 = dict(metrics, unmet=metrics["unmet"].astype(np.float64))  # the host's general route
    assert "unmet" in check_equal(as_float64).fallbacks
    check_equal({**metrics, "unmet": metrics["unmet"][:, :, :2]})  # a bad shape: the host's error
    check_equal(metrics, storable=np.array([True, False]))  # a bad storable mask: the host's error


def test_a_difference_flushed_to_zero_goes_to_the_host():
    metrics = {"mean_price_index_change": np.full(metric_shape("mean_price_index_change"), 1.5e-38, np.float32)}
    metrics["mean_price_index_change"][1, 4] = 1.4e-38  # baseline minus this is subnormal
    chunk = check_equal(metrics)
    assert chunk.fallbacks == ["paired_mean_price_index_change"]


@pytest.mark.parametrize("n", [1, 5, 7, 8, 9, 16, 23, 129, 300])
def test_pairwise_sum_is_numpys(n):
    """The device's float64 sum over sectors adds in NumPy's order (pairwise, 8 partials)."""
    import jax

    from simcore.run.stats.device_paired import numpy_pairwise_sum

    rng = np.random.default_rng(n)
    a = (rng.standard_normal((40, n)) * 10.0 ** rng.integers(-8, 20, (40, n))).astype(np.float32).astype(np.float64)
    a[0] = -0.0
    with jax.enable_x64(True):
        got = np.asarray(jax.jit(numpy_pairwise_sum)(a))
    assert got.tobytes() == a.sum(axis=1).tobytes()


def wide_metrics(n: int, seed: int) -> dict:
    """Amounts over many decades of both signs (sketches fold), days, flags; no subnormals."""
    rng = np.random.default_rng(seed)
    metrics = {}
    for name in ("unmet", "peak_price_change", "value_added_loss", "mean_price_index_change", "shortage_days",
                 "time_to_survive", "recovered"):
        shape, kind = metric_shape(name, n), METRIC_INFO[name][3]
        if kind == "amount":
            value = rng.lognormal(0.0, 12.0, shape) * np.where(rng.random(shape) < 0.3, -1.0, 1.0)
            value[rng.random(shape) < 0.3] = 0.0
            value = np.clip(value, -F32.max, F32.max).astype(np.float32)
            value[np.abs(value) < F32.tiny] = 0.0
        elif kind == "count":
            value = np.where(rng.random(shape) < 0.2, rng.integers(0, 400, shape), 0).astype(np.int32)
        elif kind == "survival":
            value = np.where(rng.random(shape) < 0.3, rng.integers(0, 400, shape), np.nan).astype(np.float32)
        else:
            value = rng.random(shape) < 0.7
        metrics[name] = value
    return metrics


def test_a_large_chunk_is_reduced_on_the_device_and_merges_with_host_parts():
    """Past EXACT_UP_TO_SCENARIOS nothing per scenario comes back; a device-made chunk
    merged with host-made ones is the host's merge."""
    n = EXACT_UP_TO_SCENARIOS + 300
    metrics = wide_metrics(n, seed=5)
    chunk = check_equal(metrics, count=n - 7)
    assert not chunk.fallbacks and "values" not in str(list(chunk.result().to_arrays()))
    small = {k: v[:, :100] for k, v in metrics.items()}
    parts_host = [reduce_chunk(metrics, SUMMARY_INFO, STORABLE), reduce_chunk(small, SUMMARY_INFO, STORABLE)]
    device = reduce_chunk_device(metrics, SUMMARY_INFO, STORABLE)
    same_stats(merge(device, parts_host[1]), merge_all(parts_host))
    same_stats(merge(parts_host[1], device), merge(parts_host[1], parts_host[0]))


def test_day_bins_cover_the_horizon():
    assert day_bins_for(365) >= 366 and day_bins_for(1095) >= 1096 and day_bins_for(30) >= 31


@pytest.mark.slow
def test_quickstart_engine_metrics_reduce_identically():
    """The engine's own metrics (quickstart config, one small chunk, still on the device)."""
    from pathlib import Path

    from simcore.run import devices
    from simcore.run.chunks import storable_mask
    from simcore.run.runner import Simulation
    from simcore.schema.config import load_config

    sim = Simulation.from_config(load_config(Path(__file__).resolve().parents[1] / "configs" / "quickstart.toml"))
    mesh = devices.scenario_mesh()
    batch = devices.sharded_simulate_batch(mesh, sim.horizon_days, False)
    model, policies, events, key = devices.replicate((sim.loaded.model, sim.policies, sim.events, sim.base_key), mesh)
    index = devices.shard_index(np.arange(devices.padded_size(40, mesh.size), dtype=np.uint32), mesh)
    on_device = batch(model, policies, events, key, index)._asdict()
    storable = storable_mask(sim)
    host = {name: np.asarray(value)[:, :37] for name, value in on_device.items()}
    chunk = DeviceChunk(on_device, SUMMARY_INFO, storable, count=37, day_bins=day_bins_for(sim.horizon_days))
    assert not chunk.fallbacks
    same_stats(chunk.result(), reduce_chunk(host, SUMMARY_INFO, storable))


def test_running_stats_take_device_chunks_and_numpy_chunks_alike():
    from simcore.run.streaming import RunningStats

    metrics = wide_metrics(60, seed=9)
    halves = [{k: v[:, :30] for k, v in metrics.items()}, {k: v[:, 30:] for k, v in metrics.items()}]
    mixed, host = RunningStats(SUMMARY_INFO, STORABLE), RunningStats(SUMMARY_INFO, STORABLE)
    mixed.add(DeviceChunk(halves[0], SUMMARY_INFO, STORABLE))
    mixed.add(halves[1])
    for half in halves:
        host.add(half)
    same_stats(mixed.result(), host.result())
