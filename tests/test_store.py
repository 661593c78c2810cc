"""The results store: layout, lock, atomic replace, failure and resume (in-process runs)."""

import hashlib
import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest
import xarray as xr

from simcore import Simulation, load_config, simulate
from simcore.run import chunks as chunks_module
from simcore.run import store
from simcore.run.job import run_to_store
from simcore.run.store import OutputError, OutputLock, open_results
from tests.shell_fixtures import ChunkKilled, fail_at_chunk


def _synthetic(first: int, count: int, value: float) -> xr.Dataset:
    scenario = np.arange(first, first + count)
    ds = xr.Dataset(
        {"x": (("policy", "scenario", "product"), np.full((2, count, 2), value, np.float32)),
         "n": (("policy", "scenario"), np.full((2, count), int(value), np.int32)),
         "flag": (("scenario",), np.ones(count, bool))},
        coords={"policy": ["a", "b"], "scenario": scenario, "product": ["p", "q"]})
    ds["unit"] = ("product", ["t", "kg"])
    return ds


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


# ---------------------------------------------------------------- no engine needed

def test_lock_refuses_a_second_writer_and_takes_over_a_dead_ones(tmp_path):
    target = tmp_path / "out.zarr"
    with OutputLock(target):
        owner = json.loads(store.lock_path(target).read_text())
        assert owner["pid"] == os.getpid() and owner["host"] == socket.gethostname()
        with pytest.raises(OutputError, match=f"another simcore run \\(pid {os.getpid()}"):
            OutputLock(target).acquire()
    assert not store.lock_path(target).exists()  # released
    # a lock left by a killed run on this host is stale: taken over
    store.lock_path(target).write_text(json.dumps({"pid": _dead_pid(), "host": socket.gethostname()}))
    with OutputLock(target) as lock:
        assert json.loads(lock.path.read_text())["pid"] == os.getpid()
    # a lock held on another host cannot be checked: refused
    store.lock_path(target).write_text(json.dumps({"pid": _dead_pid(), "host": "elsewhere.example"}))
    with pytest.raises(OutputError, match="elsewhere.example"):
        OutputLock(target).acquire()


def test_unusable_outputs_are_reported(tmp_path):
    a_file = tmp_path / "file"
    a_file.write_text("x")
    with pytest.raises(OutputError, match="cannot create the output folder"):
        store.check_writable(a_file / "sub" / "out.zarr")
    with pytest.raises(OutputError, match="not a directory"):
        store.check_writable(a_file)
    assert store.check_writable(tmp_path / "new" / "out.zarr") == tmp_path / "new" / "out.zarr"
    for empty in ("", "  "):  # issue 17, item 12: an empty --output was taken as the current folder
        with pytest.raises(OutputError, match="output is empty"):
            store.check_writable(empty)
    assert (tmp_path / "new").is_dir()


def test_layout_region_writes_and_publish(tmp_path):
    path, target = tmp_path / "out.zarr.partial", tmp_path / "out.zarr"
    store.create_store(path, _synthetic(0, 1, 0.0), n_scenarios=10, chunk_size=4,
                       coords={"policy": ["a", "b"], "product": ["p", "q"]}, attrs={"status": "running"})
    laid_out = open_results(path)
    # final shape from the start; zarr chunks = run chunks; nothing written reads as missing
    assert laid_out.sizes["scenario"] == 10 and laid_out["x"].encoding["chunks"] == (2, 4, 2)
    assert np.isnan(laid_out["x"].values).all() and not store.done_chunks(path).any()
    assert list(laid_out["unit"].values) == ["t", "kg"] and list(laid_out.scenario.values) == list(range(10))
    # chunk 1 (scenarios 4..7) and the short last chunk (8, 9), each into its own region
    store.write_region(path, _synthetic(4, 4, 7.0), 4)
    store.write_region(path, _synthetic(4, 4, 7.0), 4)  # again: idempotent
    store.write_region(path, _synthetic(8, 2, 9.0), 8)
    store.write_chunk_stats(path, 1, {"hist": np.arange(5), "n": np.int64(4)})
    store.mark_done(path, 1)
    filled = open_results(path)
    np.testing.assert_array_equal(filled["x"].values[0, :, 0], [np.nan] * 4 + [7.0] * 4 + [9.0] * 2)
    np.testing.assert_array_equal(filled["n"].values[1], [0] * 4 + [7] * 4 + [9] * 2)
    np.testing.assert_array_equal(store.done_chunks(path), [False, True, False])
    np.testing.assert_array_equal(store.read_chunk_stats(path, 1)["hist"], np.arange(5))
    assert store.read_chunk_stats(path, 0) is None

    # publishing replaces an older complete result (a store simcore wrote), and only then
    store.create_store(target, None, n_scenarios=1, chunk_size=1, coords={}, attrs={"status": "complete"})
    (target / "old-result").write_text("previous run")
    store.publish(path, target)
    assert not path.exists() and not (target / "old-result").exists()
    assert store.read_attributes(target)["status"] == "complete"
    assert "consolidated_metadata" in json.loads((target / "zarr.json").read_text())
    assert not list(tmp_path.glob("out.zarr.old-*"))


# ---------------------------------------------------------------- runs of the tiny config

@pytest.fixture(scope="module")
def reference(tmp_path_factory):
    """A complete run of the tiny config and the same scenarios in memory."""
    from tests.conftest import tiny_config_text
    from tests.shell_fixtures import write_small

    tmp_path = tmp_path_factory.mktemp("reference")
    config_path = write_small(tmp_path, tiny_config_text(daily_scenarios=2))
    config = load_config(config_path)
    output = tmp_path / "out.zarr"
    summary, effects = run_to_store(config, output, log=lambda *a: None)
    in_memory = simulate(Simulation.from_config(config), config.scenarios, chunk_size=config.chunk_size)
    return config_path, config, output, summary, in_memory


def test_chunk_blocks():
    assert chunks_module._blocks([6, 0, 1, 2, 5, 9]) == [range(0, 3), range(5, 7), range(9, 10)]
    assert chunks_module._blocks([]) == []


def _per_scenario(ds: xr.Dataset) -> xr.Dataset:
    return ds.drop_vars([store.CHUNK_DONE, "chunk"], errors="ignore").load()


def test_run_writes_a_complete_store_identical_to_an_in_memory_run(reference):
    config_path, config, output, summary, in_memory = reference
    stored = open_results(output)
    attrs = stored.attrs
    assert attrs["status"] == "complete" and attrs["n_scenarios"] == 24 and attrs["chunk_size"] == 4
    assert attrs[store.STORE_FORMAT_ATTR] == store.STORE_FORMAT
    assert attrs["n_chunks"] == 6 and attrs["seed"] == 7 and attrs["keep"] == "per-scenario"
    assert attrs["config_sha256"] == hashlib.sha256(config_path.read_bytes()).hexdigest()
    assert attrs["config_text"] == config_path.read_text()
    assert attrs["jax_version"] and attrs["zarr_version"] and attrs["xarray_version"]
    assert stored[store.CHUNK_DONE].values.all()
    # the per-product metadata are coordinates in the store (data variables in memory)
    xr.testing.assert_identical(_per_scenario(stored).drop_attrs(),
                                in_memory.set_coords(["product_unit", "storable"]).drop_attrs())
    for group in ("summary", "effects", "normal_times", "daily"):
        opened = open_results(output, group=group)
        assert isinstance(opened, xr.Dataset)
        assert opened.attrs.get("status", "complete") == "complete", group  # issue 17, item 12
    assert open_results(output, group="daily").sizes["scenario"] == 2
    # what run_to_store returns is what it stored (units resolved, coordinates added)
    xr.testing.assert_identical(open_results(output, group="summary").load(), summary.load())
    leftovers = sorted(p.name for p in output.parent.iterdir() if p.name.startswith("out.zarr"))
    assert leftovers == ["out.zarr"]  # no .partial, no .lock


def test_failed_rerun_keeps_the_old_result_and_resume_is_identical(reference, monkeypatch):
    config_path, config, output, summary, _ = reference
    before = _per_scenario(open_results(output))
    fail_at_chunk(monkeypatch, 3)
    with pytest.raises(ChunkKilled):
        run_to_store(config, output, log=lambda *a: None)
    monkeypatch.undo()
    # the old complete result is untouched; the new run is partial, incomplete, 3 chunks done
    assert store.read_attributes(output)["status"] == "complete"
    xr.testing.assert_identical(_per_scenario(open_results(output)), before)
    partial = store.partial_path(output)
    assert store.read_attributes(partial)["status"] == "running"
    np.testing.assert_array_equal(store.done_chunks(partial), [True] * 3 + [False] * 3)
    assert not store.lock_path(output).exists()  # released on the way out

    messages = []
    resumed_summary, _ = run_to_store(config, output, resume=True, log=messages.append)
    assert not partial.exists()
    after = _per_scenario(open_results(output))
    xr.testing.assert_identical(after.drop_attrs(), before.drop_attrs())
    timestamps = {"started", "completed"}
    assert {k: v for k, v in after.attrs.items() if k not in timestamps} == \
        {k: v for k, v in before.attrs.items() if k not in timestamps}
    xr.testing.assert_identical(resumed_summary.drop_attrs(), summary.drop_attrs())


def test_resume_refuses_a_different_run(reference, tmp_path, monkeypatch):
    from tests.conftest import tiny_config_text
    from tests.shell_fixtures import write_small

    _, config, _, _, _ = reference
    output = tmp_path / "out.zarr"
    fail_at_chunk(monkeypatch, 1)
    with pytest.raises(ChunkKilled):
        run_to_store(config, output, log=lambda *a: None)
    monkeypatch.undo()
    other = load_config(write_small(tmp_path, tiny_config_text(seed=8)))
    with pytest.raises(OutputError, match=r"cannot resume .*seed: stored 7, now 8.*without --resume"):
        run_to_store(other, output, resume=True)
    with pytest.raises(OutputError, match="scenario count: stored 24, now 20"):
        run_to_store(config, output, resume=True, scenarios=20)
    with pytest.raises(OutputError, match="chunk size: stored 4, now 8"):
        run_to_store(config, output, resume=True, chunk_size=8)
    assert store.done_chunks(store.partial_path(output)).sum() == 1  # refused runs change nothing


def test_keep_summary_stores_statistics_only(reference, tmp_path):
    _, config, _, summary, _ = reference
    output = tmp_path / "summary.zarr"
    streamed, _ = run_to_store(config, output, keep="summary", log=lambda *a: None)
    root = open_results(output)
    assert "scenario" not in root.dims and set(root.data_vars) == {store.CHUNK_DONE}
    assert root.attrs["keep"] == "summary"
    assert [store.read_chunk_stats(output, i) is not None for i in range(6)] == [True] * 6
    # statistics merged from the chunks are those of the per-scenario run
    xr.testing.assert_identical(streamed.drop_attrs(), summary.drop_attrs())
    assert open_results(output, group="daily").sizes["scenario"] == 2


# ---------------------------------------------------------------- never delete what simcore did not write

def _user_folder(path):
    path.mkdir(parents=True)
    (path / "thesis.tex").write_text("years of work")
    (path / "figures").mkdir()
    (path / "figures" / "a.png").write_bytes(b"\x89PNG")
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


def test_an_existing_folder_that_is_not_a_simcore_store_is_refused_and_kept(reference, tmp_path):
    _, config, _, _, _ = reference
    target = tmp_path / "mine"
    files = _user_folder(target)
    with pytest.raises(OutputError, match="not a simcore results store"):
        run_to_store(config, target, log=lambda *a: None)
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == files
    assert (target / "thesis.tex").read_text() == "years of work"
    assert not store.partial_path(target).exists() and not store.lock_path(target).exists()
    # a zarr store someone else wrote is refused too; an empty folder is fine
    other = tmp_path / "other.zarr"
    xr.Dataset({"a": ("x", np.arange(3))}).to_zarr(other, mode="w", consolidated=False)
    with pytest.raises(OutputError, match="a zarr store simcore did not write"):
        store.check_writable(other)
    with pytest.raises(OutputError, match="simcore did not write"):
        store.delete_store(other)
    assert xr.open_zarr(other, consolidated=False)["a"].values.tolist() == [0, 1, 2]
    (tmp_path / "empty").mkdir()
    store.check_writable(tmp_path / "empty")


def test_a_simcore_store_is_still_replaced(reference, tmp_path):
    _, config, output, _, _ = reference
    assert store.is_simcore_store(output)
    assert open_results(output).attrs[store.STORE_MARKER] == "run"
    store.check_writable(output)  # its own store: replaceable


def test_cli_run_and_sweep_refuse_a_user_folder(reference, tmp_path):
    config_path, _, _, _, _ = reference
    target = tmp_path / "docs"
    files = _user_folder(target)
    for command in (["run", str(config_path), "--output", str(target), "--quiet"],):
        proc = subprocess.run([sys.executable, "-m", "simcore.cli", *command], capture_output=True, text=True)
        assert proc.returncode == 2, proc.stderr
        assert "not a simcore results store" in proc.stderr and "Traceback" not in proc.stderr
    assert sorted(str(p.relative_to(target)) for p in target.rglob("*")) == files


def test_leftover_old_stores_of_killed_runs_are_cleaned_by_the_next_run(reference, tmp_path):
    """Issue 17, item 12: ``NAME.zarr.old-PID`` left by a run killed while replacing is
    removed by the next run on that output (a dead PID, a store simcore wrote); a live
    PID's and a user's folder are kept."""
    _, config, _, _, _ = reference
    target = tmp_path / "out.zarr"
    dead = tmp_path / f"out.zarr.old-{_dead_pid()}"
    store.create_store(dead, None, n_scenarios=1, chunk_size=1, coords={}, attrs={"status": "complete"})
    alive = tmp_path / f"out.zarr.old-{os.getpid()}"
    store.create_store(alive, None, n_scenarios=1, chunk_size=1, coords={}, attrs={"status": "complete"})
    mine = tmp_path / "out.zarr.old-1x"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    said = []
    run_to_store(config, target, keep="summary", log=said.append)
    assert not dead.exists() and alive.exists() and (mine / "notes.txt").exists()
    assert any(str(dead) in line for line in said)


def test_cli_refuses_an_empty_output(reference):
    config_path, _, _, _, _ = reference
    proc = subprocess.run([sys.executable, "-m", "simcore.cli", "run", str(config_path), "--output", "", "--quiet"],
                          capture_output=True, text=True)
    assert proc.returncode == 2 and "output is empty" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize("value", ["200000000", "1" + "0" * 30, "0", "-5"])
def test_scenarios_on_the_command_line_obey_the_configs_cap(reference, tmp_path, value):
    """Issue 17, item 5: --scenarios went around run.scenarios' cap (2e8 accepted, 10^30 a
    traceback); now one line, exit 2, nothing written."""
    config_path, _, _, _, _ = reference
    out = tmp_path / "big.zarr"
    proc = subprocess.run([sys.executable, "-m", "simcore.cli", "run", str(config_path), "--output", str(out),
                           "--scenarios", value, "--quiet"], capture_output=True, text=True)
    assert proc.returncode == 2 and "--scenarios" in proc.stderr and "Traceback" not in proc.stderr
    assert not out.exists() and not store.partial_path(out).exists()
