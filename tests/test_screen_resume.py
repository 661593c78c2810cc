"""A screen in blocks of cases (simcore.analysis.screen_resume): a killed screen resumed
with the same config and output gives every array of an uninterrupted one bit for bit;
another config refuses to resume (one line, status 2); a block's statistics placed at its
offset are the whole stream's. The tiny model of tests/test_screen.py, 6 scenarios."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simcore.analysis import screen as SC
from simcore.analysis import screen_resume as R
from tests.test_screen import write

QUIET = dict(log=lambda *a: None)
# 13 units x 4 disruptions (minus the hazard-free units' hazard): 2 cases a chunk, 2 scenario chunks of 3 lanes:
# blocks of 2 x ceil(8 / 2) = 8 cases. (At 696523c chunk_scenarios = 2 crashed LLVM compiling a sub-model program,
# "Cannot select X86ISD::SUBV_BROADCAST_LOAD"; run_cases now pads to 4 lanes a device, tests/test_screen.py
# runs chunks of 2.)
SMALL = {"policies": ["no-policy", "stock"], "scenarios": 6, "bootstrap": 12, "chunk_cases": 2,
         "chunk_scenarios": 3}


class Killed(Exception):
    pass


def kill_after(lanes: int):
    """Progress that raises once ``lanes`` lanes are done (the run stops in a block)."""
    def progress(done, total):
        if done >= lanes:
            raise Killed(done)
    return progress


def assert_identical(a: xr.Dataset, b: xr.Dataset) -> None:
    assert set(a.data_vars) == set(b.data_vars)
    for name in a.data_vars:
        x, y = a[name].values, b[name].values
        if x.dtype.kind == "f":
            assert np.array_equal(x, y, equal_nan=True) and x.tobytes() == y.tobytes(), name
        else:
            assert np.array_equal(x, y), name
    keep = {k: v for k, v in a.attrs.items() if k != "evaluation_wall_s"}
    assert keep == {k: v for k, v in b.attrs.items() if k != "evaluation_wall_s"}


def small_screen(folder):
    """``(config path, dataset)`` of the uninterrupted screen of :data:`SMALL`."""
    path = write(folder)
    ds, _ = SC.screen_file(path, SMALL, **QUIET)
    return path, ds


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return small_screen(tmp_path_factory.mktemp("resume"))


def test_blocks_are_chunk_aligned():
    assert R.block_size(40, 2, 6, 2) == 6 and R.block_size(40, 4, 1000, 100) == 4
    assert R.blocks(13, 6) == [(0, 6), (6, 12), (12, 13)]


def test_a_killed_screen_resumes_bit_for_bit(uninterrupted, tmp_path):
    path, whole = uninterrupted
    store = tmp_path / "out.zarr"
    cases = whole.attrs["cases"]
    lanes_per_case = 2 * 6
    # killed in the third block: blocks 0 and 1 (16 cases) recorded, the third not
    with pytest.raises(Killed):
        SC.screen_file(path, {**SMALL, "output": str(store)}, checkpoint=True, progress=kill_after(
            18 * lanes_per_case), **QUIET)
    done = R.Checkpoint(store, "", 0)._stored()[1]
    assert done.tolist()[:2] == [True, True] and not done[2:].any() and len(done) == -(-cases // 8)
    seen = []
    resumed, _ = SC.screen_file(path, {**SMALL, "output": str(store)}, checkpoint=True, resume=True,
                                progress=lambda d, t: seen.append(d), **QUIET)
    assert seen[0] == 16 * lanes_per_case and seen[-1] == cases * lanes_per_case  # the done blocks not rerun
    assert_identical(resumed, whole)
    # a finished checkpoint resumed again runs nothing and gives the same
    again, _ = SC.screen_file(path, {**SMALL, "output": str(store)}, checkpoint=True, resume=True,
                              progress=kill_after(cases * lanes_per_case + 1), **QUIET)
    assert_identical(again, whole)


def test_another_config_refuses_to_resume(uninterrupted, tmp_path, capsys):
    from simcore.cli import main

    path, _ = uninterrupted
    store = tmp_path / "out.zarr"
    with pytest.raises(Killed):
        SC.screen_file(path, {**SMALL, "output": str(store)}, checkpoint=True, progress=kill_after(1), **QUIET)
    args = ["screen", str(path), "--output", str(store), "--policies", "no-policy", "stock", "--scenarios", "6",
            "--bootstrap", "13", "--resume", "--quiet"]
    status = main(args)  # one more bootstrap replicate: another screen
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "cannot resume" in err[0] and "bootstrap: stored 12, now 13" in err[0]


def test_a_block_placed_at_its_offset_is_the_whole_stream():
    from simcore.analysis.screen_run import ScreenStream

    rng = np.random.default_rng(0)
    M, C, P, S, B = 2, 5, 3, 2, 4
    whole = ScreenStream(M, C, P, S, B, seed=1)
    parts = [ScreenStream(M, 3, P, S, B, seed=1), ScreenStream(M, 2, P, S, B, seed=1)]
    for chunk in range(2):
        out = rng.exponential(size=(C, M, 4, 3 + P + S)) * (rng.random((C, M, 4, 1)) > 0.3)
        index, point = np.arange(4 * chunk, 4 * chunk + 4), np.zeros(4, int)
        whole.add(0, C, index, point, out)
        parts[0].add(0, 3, index, point, out[:3])
        parts[1].add(0, 2, index, point, out[3:])
    merged = ScreenStream(M, C, P, S, B, seed=1)
    R.place(merged, 3, R.stream_state(parts[1]))  # any order
    R.place(merged, 0, R.stream_state(parts[0]))
    for name in R.CASE_AXIS:
        assert getattr(merged, name).tobytes() == getattr(whole, name).tobytes(), name
    assert merged.sketch.bins == whole.sketch.bins and np.array_equal(merged.sketch.zeros, whole.sketch.zeros)
    a, b = merged.result(), whole.result()
    for key in a:
        assert np.array_equal(a[key], b[key], equal_nan=True), key
