"""A run of one chunk computes its lanes padded to one of a few sizes (issue 19 item 1).

``simcore.run.devices.bucketed_size``: the next power of two up to 16 lanes a device,
then the next ``2^k x {1, 1.25, 1.5, 1.75}``. Checked by hand and as invariants, and on
the small model: runs of 21 and 23 scenarios (one chunk each) share one compiled chunk
program, and their stored scenarios are, bit for bit, those of a run cut into chunks
of 8 (not padded).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simcore import load_config
from simcore.run.chunks import RunPlan
from simcore.run.devices import EXACT_POWER_LANES, bucketed_size, padded_size
from simcore.run.job import run_to_store
from simcore.run.store import open_results
from tests.shell_fixtures import SMALL_CONFIG, backend_compiles, write_small


def test_bucket_sizes_by_hand():
    # one device: powers of two up to 16, then quarter-octave steps (17..20 -> 20, 21 -> 24)
    assert [bucketed_size(n, 1) for n in (1, 2, 3, 5, 9, 16, 17, 20, 21, 25, 33)] == \
        [1, 2, 4, 8, 16, 16, 20, 20, 24, 28, 40]
    assert [bucketed_size(n, 1) for n in (100, 200, 1000, 1024, 1025)] == [112, 224, 1024, 1024, 1280]
    # two devices: each device's share is bucketed (200 -> 100 a device -> 112)
    assert [bucketed_size(n, 2) for n in (1, 3, 200, 210, 2000)] == [2, 4, 224, 224, 2048]


@settings(max_examples=300, deadline=None)
@given(count=st.integers(1, 100_000), n_devices=st.sampled_from([1, 2, 3, 4, 8]))
def test_buckets_cover_the_count_within_a_quarter_and_are_few(count, n_devices):
    size = bucketed_size(count, n_devices)
    assert size % n_devices == 0 and size >= padded_size(count, n_devices)
    per_device, share = size // n_devices, -(-count // n_devices)
    if share > EXACT_POWER_LANES:
        assert per_device <= 1.25 * share
        # one of four sizes in the octave: a multiple of a quarter of its base
        base = 1 << (per_device.bit_length() - 1)
        assert per_device % (base // 4) == 0
    else:
        assert per_device & (per_device - 1) == 0  # a power of two
    assert bucketed_size(count + 1, n_devices) >= size  # monotone
    assert bucketed_size(size, n_devices) == size  # a bucket is its own bucket


def test_only_a_run_of_one_chunk_is_bucketed():
    assert RunPlan(21, 21).bucketed and RunPlan(8, 64).bucketed
    assert not RunPlan(21, 8).bucketed


HORIZON = 30
CONFIG = SMALL_CONFIG.replace("horizon_days = 120", f"horizon_days = {HORIZON}")


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("buckets")
    out = {}
    for name, scenarios, chunk in (("21", 21, 64), ("23", 23, 64), ("chunks of 8", 21, 8)):
        where = folder / name.replace(" ", "_")
        where.mkdir()
        config = load_config(write_small(where, CONFIG.replace(
            "scenarios = 40", f"scenarios = {scenarios}").replace("chunk_size = 16", f"chunk_size = {chunk}")))
        with backend_compiles() as compiled:
            run_to_store(config, folder / f"{name}.zarr", log=lambda *_: None)
        out[name] = (folder / f"{name}.zarr", {k: v for k, v in compiled.items() if "simulate" in str(k)})
    return out


def test_nearby_scenario_counts_share_one_chunk_program(runs):
    assert runs["21"][1] == {"jit(simulate_chunk)": 1}
    assert runs["23"][1] == {}  # 21 and 23 fall in one bucket (24 lanes on one device): nothing compiled


def test_padded_lanes_change_no_stored_number(runs):
    padded, longer, plain = (open_results(runs[name][0]).load() for name in ("21", "23", "chunks of 8"))
    assert padded.sizes["scenario"] == 21 and longer.sizes["scenario"] == 23
    per_scenario = [name for name, value in padded.data_vars.items() if "scenario" in value.dims]
    assert {"value_added_loss", "shortage_days"} <= set(per_scenario), per_scenario
    for name in per_scenario:
        value = padded[name]
        assert np.asarray(value).tobytes() == np.asarray(plain[name]).tobytes(), name
        assert np.asarray(value).tobytes() == np.asarray(longer[name].isel(scenario=slice(0, 21))).tobytes(), name
    for group in ("summary", "daily"):
        a, b = (open_results(runs[name][0], group=group).load() for name in ("21", "chunks of 8"))
        for name, value in a.data_vars.items():
            assert np.asarray(value).tobytes() == np.asarray(b[name]).tobytes(), (group, name)
