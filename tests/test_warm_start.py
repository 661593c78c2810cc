"""How a run starts (issue 19 item 1: a warm run should start computing within a second):
the chunk program is read back from the disk cache in a background thread while the job
makes its template and checks its output, and a new store is laid out only once the
first chunk computes, so that host work overlaps the devices'. The store is the same."""

import functools
import threading

import pytest
import xarray as xr

from simcore import load_config
from simcore.core import compile_cache, executable_cache
from simcore.core.compile import EngineFunction
from simcore.run import store, store_layout
from simcore.run.job import Job, run_to_store
from tests.conftest import tiny_config_text
from tests.shell_fixtures import write_small


def _quiet(*args):
    pass


@pytest.fixture
def config(tmp_path):
    return load_config(write_small(tmp_path, tiny_config_text(scenarios=8, chunk_size=4, seed=3)))


@pytest.fixture
def cache(tmp_path, monkeypatch):
    """A fresh folder for the whole executables, nothing loaded in memory."""
    folder = tmp_path / "cache"
    folder.mkdir()
    monkeypatch.setattr(compile_cache, "active_directory", lambda: folder)
    monkeypatch.delenv(executable_cache.ENABLE_ENV, raising=False)
    executable_cache.clear_loaded()
    yield folder
    executable_cache.clear_loaded()


def _record_chunk_dispatches(events: list, monkeypatch) -> None:
    """Append "chunk dispatched" to ``events`` at each call of a chunk program."""
    real_call = EngineFunction.__call__

    def call(self, *args, **kwargs):
        if "chunk" in str(self._program):
            events.append("chunk dispatched")
        return real_call(self, *args, **kwargs)

    monkeypatch.setattr(EngineFunction, "__call__", call)


def test_a_new_store_is_laid_out_once_the_first_chunk_computes(config, tmp_path, monkeypatch):
    events = []
    real_create = store.create_store

    def create(*args, **kwargs):
        events.append("layout")
        return real_create(*args, **kwargs)

    _record_chunk_dispatches(events, monkeypatch)
    monkeypatch.setattr(store, "create_store", create)
    output = tmp_path / "out.zarr"
    with Job(config, output, log=_quiet) as job:
        job.prepare()
        assert events == [] and not job.partial.exists()  # checked and planned: nothing written yet
        job.run()
    # two chunks of 4: the first computes while the store is laid out, the second is sent
    # before the first is written
    assert events == ["chunk dispatched", "layout", "chunk dispatched"]
    assert store.read_attributes(output)["status"] == "complete" and not job.partial.exists()


def test_the_size_check_does_not_wait_for_the_template_dataset(config, tmp_path, monkeypatch):
    """The size check before the first chunk reads the template's arrays; its xarray
    dataset (whose first variable imports Dask) is made only for the layout. The
    estimate counts the bytes of that dataset's per-scenario variables."""
    events = []
    real_dataset = store_layout.Template.dataset.func

    def dataset(self):
        events.append("template dataset")
        return real_dataset(self)

    recorded = functools.cached_property(dataset)
    recorded.__set_name__(store_layout.Template, "dataset")
    _record_chunk_dispatches(events, monkeypatch)
    monkeypatch.setattr(store_layout.Template, "dataset", recorded)
    with Job(config, tmp_path / "out.zarr", log=_quiet, max_store_bytes=1e12) as job:
        job.prepare()
        template = job._store_template
        assert events == [] and job.estimated_store_bytes() > 0
        job.run()
    assert events == ["chunk dispatched", "template dataset", "chunk dispatched"]  # made once, for the layout
    by_dataset = sum(var.nbytes for var in template.dataset.data_vars.values() if "scenario" in var.dims)
    assert template.bytes_per_scenario == by_dataset > 0


def test_a_warm_run_reads_its_chunk_program_back_in_the_background(config, cache, tmp_path, monkeypatch):
    run_to_store(config, tmp_path / "cold.zarr", log=_quiet)  # compiles and writes the chunk program
    assert any("chunk" in path.name for path in cache.iterdir())
    executable_cache.clear_loaded()  # as a new process: only the files are left
    reads = []
    real_read = executable_cache._read

    def read(path):
        reads.append((threading.current_thread().name, path.name))
        return real_read(path)

    monkeypatch.setattr(executable_cache, "_read", read)
    run_to_store(config, tmp_path / "warm.zarr", log=_quiet)
    chunk_reads = [thread for thread, name in reads if "chunk" in name]
    assert chunk_reads == ["simcore-preload"], reads  # read once, by the preload, not by the first chunk
    for group in (None, "summary", "effects"):
        xr.testing.assert_identical(store.open_results(tmp_path / "cold.zarr", group=group).load().drop_attrs(),
                                    store.open_results(tmp_path / "warm.zarr", group=group).load().drop_attrs())


def test_ctrl_c_before_the_first_chunk_computes_says_nothing_was_written(tmp_path, monkeypatch, capsys):
    """Stopped before the layout (while the first chunk compiles, say), a run leaves no
    partial store and says so, instead of pointing --resume at a store that is not there."""
    from simcore.cli import main
    from simcore.run import job as job_module

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt
        yield

    monkeypatch.setattr(job_module, "iter_plan_chunks", interrupted)
    output = tmp_path / "out.zarr"
    config = write_small(tmp_path, tiny_config_text())
    assert main(["run", str(config), "--output", str(output), "--quiet"]) == 130
    err = capsys.readouterr().err
    assert "interrupted before anything was written" in err and "--resume" not in err
    assert not output.exists() and not store.partial_path(output).exists()
    assert not store.lock_path(output).exists()
