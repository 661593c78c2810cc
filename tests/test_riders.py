"""Normal times and the kept trajectories ride along in a run's chunk program.

A stored run compiles one engine program (issue 19 item 2): each chunk runs one extra
normal-times lane and returns the days of its first lanes (:mod:`simcore.run.riders`).
On the small test model (20 scenarios, 60 days, 3 kept, chunks of 2, so the kept
scenarios span two chunks): the run compiles no other engine program; its ``daily`` and
``normal_times`` groups are, bit for bit, what the separate program (``KeptRun``) gives
on this model; the kept days are those of the stored scenarios (their peaks are the
stored peaks);
the chunks' own metrics are those of the chunk program without riders; a chunk stored
without its riders (an older simcore's) is computed again on resume; and the host's
choice of rider lanes over several devices, by hand.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simcore import Simulation, load_config
from simcore.core.step import Daily
from simcore.run import job as job_module
from simcore.run import riders, store
from simcore.run.job import run_to_store
from simcore.run.runner import KeptRun, iter_chunks, normal_times
from simcore.run.store import open_results
from tests.shell_fixtures import SMALL_CONFIG, backend_compiles, fail_at_chunk, write_small

N_SCENARIOS, HORIZON, KEPT, CHUNK = 20, 60, 3, 2
CONFIG = (SMALL_CONFIG.replace("scenarios = 40", f"scenarios = {N_SCENARIOS}")
          .replace("horizon_days = 120", f"horizon_days = {HORIZON}")
          .replace("chunk_size = 16", f"chunk_size = {CHUNK}"))


def _quiet(*_):
    pass


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    folder = tmp_path_factory.mktemp("riders")
    config = load_config(write_small(folder, CONFIG))
    assert (config.scenarios, config.horizon_days, config.daily_scenarios) == (N_SCENARIOS, HORIZON, KEPT)
    path = folder / "run.zarr"
    with backend_compiles() as compiled:
        run_to_store(config, path, log=_quiet)
    return {"folder": folder, "config": config, "path": path, "compiled": compiled,
            "sim": Simulation.from_config(config)}


def test_a_run_compiles_one_engine_program(run):
    engine = {name: n for name, n in run["compiled"].items() if "simulate" in str(name)}
    assert engine == {"jit(simulate_chunk)": 1}, run["compiled"]


def test_the_ridden_groups_equal_the_separate_program_bit_for_bit(run):
    sim, path = run["sim"], run["path"]
    kept = KeptRun(sim, KEPT)  # lanes 0 .. KEPT - 1 and a normal-times lane, a program of its own
    daily = open_results(path, group="daily").load()
    expected = kept.trajectories()
    assert daily["scenario"].values.tolist() == list(range(KEPT))
    for name in Daily._fields:
        np.testing.assert_array_equal(daily[name].values, expected[name].values, err_msg=name)
    stored = open_results(path, group="normal_times").load()
    for name, value in normal_times(sim, kept).data_vars.items():
        np.testing.assert_array_equal(stored[name].values, value.values, err_msg=name)
    # and the explicit entry without a KeptRun given runs the same lane
    np.testing.assert_array_equal(stored["normal_price_change"].values,
                                  normal_times(sim)["normal_price_change"].values)


def test_the_kept_trajectories_are_the_stored_scenarios_own(run):
    """The days ride in the program that computes the stored per-scenario metrics, on
    the same lanes: each kept scenario's highest daily price is its stored peak, bit for
    bit (from a program of their own they were off by float32 rounding: Japan outlook,
    2.4e-6)."""
    daily = open_results(run["path"], group="daily").load()
    root = open_results(run["path"]).load().isel(scenario=slice(0, KEPT))
    peak = daily["price_change"].max("day")
    np.testing.assert_array_equal(peak.values, root["peak_price_change"].transpose(*peak.dims).values)
    assert float(peak.max()) > 0  # some kept scenario is disrupted: the comparison is not of zeros


def test_the_chunks_own_metrics_do_not_change_with_riders(run):
    sim = run["sim"]
    root = open_results(run["path"]).load()
    for first, metrics, _ in iter_chunks(sim, N_SCENARIOS, CHUNK * 5):  # no riders: the plain chunk program
        for name, value in metrics.items():
            stored = root[name].isel(scenario=slice(first, first + value.shape[1])).values
            np.testing.assert_array_equal(stored, value, err_msg=f"{name} from scenario {first}")


def test_a_chunk_stored_without_its_riders_is_computed_again_on_resume(run, monkeypatch):
    output = run["folder"] / "resumed.zarr"
    fail_at_chunk(monkeypatch, 3)
    with pytest.raises(RuntimeError, match="killed"):
        run_to_store(run["config"], output, log=_quiet)
    monkeypatch.undo()
    partial = store.partial_path(output)
    assert store.done_chunks(partial).tolist()[:4] == [True, True, True, False]
    blob = store.read_chunk_stats(partial, 0)
    assert {"normal_mean_price_change", "normal_mean_price_index_change", "kept_price_change"} <= set(blob)
    assert blob["kept_price_change"].shape[1] == CHUNK and "kept_price_change" in store.read_chunk_stats(partial, 1)
    assert not any(key.startswith(("kept_", "normal_")) for key in store.read_chunk_stats(partial, 2))
    # chunks 0 and 1 as a simcore without riders stored them
    for index in (0, 1):
        old = {k: v for k, v in store.read_chunk_stats(partial, index).items()
               if not k.startswith((riders.KEPT_PREFIX, riders.NORMAL_PREFIX))}
        store.write_chunk_stats(partial, index, old)
    messages = []
    run_to_store(run["config"], output, resume=True, log=messages.append)
    assert any("2 done chunk(s)" in m for m in messages), messages
    for group in (None, "daily", "normal_times", "summary", "effects"):
        xr.testing.assert_identical(open_results(output, group=group).load().drop_attrs(),
                                    open_results(run["path"], group=group).load().drop_attrs())


def test_kept_days_over_the_budget_get_a_program_of_their_own(run, monkeypatch):
    config = run["config"]
    n_policies, n_products, n_sectors = len(config.policies), len(config.loaded.products), len(config.loaded.sectors)
    one = riders.kept_bytes(1, HORIZON, n_policies, n_products, n_sectors)
    assert one == 4 * HORIZON * n_policies * (9 * n_products + 2 * n_sectors + 1)  # the Daily fields, float32
    assert riders.riding_scenarios(KEPT, HORIZON, n_policies, n_products, n_sectors, budget=KEPT * one) == KEPT
    assert riders.riding_scenarios(KEPT, HORIZON, n_policies, n_products, n_sectors, budget=KEPT * one - 1) == 0
    monkeypatch.setattr(riders, "RIDING_BUDGET_BYTES", KEPT * one - 1)
    made = []

    class Spy(KeptRun):
        def __init__(self, sim, kept=0):
            made.append(kept)
            super().__init__(sim, kept)

    monkeypatch.setattr(job_module, "KeptRun", Spy)
    output = run["folder"] / "own_program.zarr"
    run_to_store(config, output, log=_quiet)
    assert made == [KEPT]  # the trajectories' own program, once; normal times still ride
    blob = store.read_chunk_stats(output, 0)
    assert "normal_mean_price_change" in blob and not any(key.startswith("kept_") for key in blob)
    for group in (None, "daily", "normal_times", "summary", "effects"):
        xr.testing.assert_identical(open_results(output, group=group).load().drop_attrs(),
                                    open_results(run["path"], group=group).load().drop_attrs())


def test_the_store_estimates_count_the_kept_days_and_their_riding_copy(run, monkeypatch, tmp_path):
    from simcore.run.job import Job
    from simcore.service.job_size import estimated_store_bytes

    config = run["config"]
    one = riders.kept_bytes(KEPT, HORIZON, len(config.policies), len(config.loaded.products),
                            len(config.loaded.sectors))
    sizes = []
    for budget in (riders.RIDING_BUDGET_BYTES, 0):  # riding (daily group + blobs), then not (daily group)
        monkeypatch.setattr(riders, "RIDING_BUDGET_BYTES", budget)
        with Job(config, tmp_path / f"budget{budget}.zarr", log=_quiet) as job:
            job.prepare()
            assert job.plan.riding_scenarios == (KEPT if budget else 0)
            sizes.append((job.estimated_store_bytes(), estimated_store_bytes(config)))
    assert sizes[0][0] - sizes[1][0] == one  # the run's own estimate
    assert sizes[0][1] - sizes[1][1] == one  # the service's cap, before any layout


def _fake_riders(n_devices: int, n_local: int, kept: int, first: int) -> riders.Riders:
    """The chunk program's riders over ``n_devices`` devices of ``n_local`` lanes each:
    every kept value is its scenario's index, the normal lane's is 7 on every device."""
    m = min(kept, n_local)
    lanes = np.concatenate([first + d * n_local + np.arange(m) for d in range(n_devices)])  # [devices x m]
    day = np.broadcast_to(lanes[None, :, None].astype(np.float32), (1, lanes.size, 2))  # [policy, lane, day]
    kept_daily = Daily(*([day] * len(Daily._fields)))
    normal = {name: np.full((n_devices, 1), 7.0, np.float32) for name in riders.NORMAL_FIELDS}
    return riders.Riders(kept_daily, normal)


@pytest.mark.parametrize("kept, first, count, expected", [
    (3, 0, 8, [0, 1, 2]),  # m = kept = 3 < 4 lanes a device: device 0's first three
    (6, 0, 8, [0, 1, 2, 3, 4, 5]),  # m = 4 = every lane of each device, in order
    (10, 8, 8, [8, 9]),  # the second chunk holds scenarios 8 and 9 of the kept ten
    (10, 16, 4, []),  # a chunk after the kept scenarios stores none
])
def test_the_rider_lanes_a_chunk_stores_by_hand(kept, first, count, expected):
    arrays = riders.chunk_rider_arrays(_fake_riders(2, 4, kept, first), first, count, kept)
    if expected:
        np.testing.assert_array_equal(arrays["kept_price_change"][0, :, 0], expected)
    else:
        assert not any(key.startswith("kept_") for key in arrays)
    assert ("normal_mean_price_change" in arrays) == (first == 0)
    if first == 0:
        assert arrays["normal_mean_price_change"].tolist() == [7.0]
    assert riders.has_riders(arrays, first // 8, kept, 8)
    assert list(riders.rider_chunks(kept, 8)) == list(range(max(1, -(-kept // 8))))
