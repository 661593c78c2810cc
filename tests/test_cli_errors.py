"""Bad inputs on the command line are one line on stderr and an exit status, never a
traceback, and leave no store behind (issue 17, items 5, 10 and 11).

Each test runs ``python -m simcore.cli`` as a user would (a subprocess), on the tiny
test config.
"""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from simcore.run import store
from tests.conftest import tiny_config_text
from tests.shell_fixtures import write_small


def simcore(*args, timeout: float = 180, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simcore.cli", *map(str, args)], capture_output=True, text=True,
                          timeout=timeout, **kwargs)


def one_line(proc: subprocess.CompletedProcess, status: int = 2) -> str:
    """The single stderr line of a refused command (asserting status, one line, no traceback)."""
    assert proc.returncode == status, (proc.returncode, proc.stderr[-3000:])
    assert "Traceback" not in proc.stderr, proc.stderr[-3000:]
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr[-3000:]
    return lines[0]


def no_store(output: Path) -> None:
    for path in (output, store.partial_path(output), store.lock_path(output),
                 Path(str(store.partial_path(output)) + ".new")):
        assert not Path(path).exists(), path


@pytest.fixture
def tiny(tmp_path) -> Path:
    return write_small(tmp_path, tiny_config_text())


# ---------------------------------------------------------------- item 5: size before layout

def test_an_oversize_run_is_refused_before_anything_is_written(tiny, tmp_path):
    """Issue 17, item 5: 20M scenarios laid the store out for minutes (GBs of memory, a
    '.partial' left) before the size check refused it. Now refused from the estimate,
    in seconds, with nothing on disk (not even the output's folder)."""
    output = tmp_path / "new-folder" / "big.zarr"
    proc = simcore("run", tiny, "--output", output, "--scenarios", 20_000_000, "--quiet", timeout=120)
    line = one_line(proc)
    assert "--max-store-gb" in line and "GB" in line
    no_store(output)
    assert not output.parent.exists()


# ---------------------------------------------------------------- item 11: config files read once

def test_a_config_from_a_pipe_is_read_once_and_runs(tiny, tmp_path):
    """Issue 17, item 11: ``simcore run <(cat run.toml)`` read the pipe twice (a check,
    then the parse of nothing) and said "run.model is required". Relative paths of a
    piped config start from the current folder."""
    output = tmp_path / "piped.zarr"
    proc = subprocess.run(["bash", "-c", f'"{sys.executable}" -m simcore.cli run <(cat {tiny.name}) '
                                         f'--output {output} --quiet'],
                          cwd=tiny.parent, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert store.read_attributes(output)["status"] == "complete"
    assert store.read_attributes(output)["config_text"] == tiny.read_text()  # the pipe's bytes, once


def test_a_fifo_config_with_a_writer_is_read_and_one_without_is_refused(tiny, tmp_path, monkeypatch, capsys):
    """Issue 17, item 11: a FIFO config hung (its open waits for a writer). A FIFO that
    someone writes is read; one that no one writes is refused after a timeout."""
    import threading

    from simcore.cli import main
    from simcore.schema import config as config_module
    from simcore.schema import config_file

    fifo = tmp_path / "fifo.toml"
    os.mkfifo(fifo)

    def write():
        with open(fifo, "w") as handle:  # waits for the reader
            handle.write(tiny.read_text())

    writer = threading.Thread(target=write, daemon=True)
    writer.start()
    config = config_module.load_config(fifo)
    writer.join(10)
    assert config.scenarios == 24 and config.source == tiny.read_bytes()

    monkeypatch.setattr(config_file, "CONFIG_READ_TIMEOUT_S", 1.0)
    started = time.monotonic()
    assert main(["run", str(fifo), "--output", str(tmp_path / "out.zarr")]) == 2
    assert time.monotonic() - started < 30
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1 and "no writer" in err and "Traceback" not in err
    no_store(tmp_path / "out.zarr")


def test_an_unbounded_or_huge_config_is_refused_naming_the_limit(tmp_path):
    """Issue 17, item 11: ``/dev/zero`` as a config was read without bound. Now at most
    1 MiB is read, from a device or a regular file."""
    output = tmp_path / "out.zarr"
    line = one_line(simcore("run", "/dev/zero", "--output", output, timeout=60))
    assert "1 MiB" in line
    big = tmp_path / "big.toml"
    big.write_text("# padding\n" * 250_000)
    line = one_line(simcore("run", big, "--output", output, timeout=60))
    assert "1 MiB" in line and "2,500,000 bytes" in line
    no_store(output)


@pytest.mark.parametrize("command", ["sweep", "optimize", "attribute", "sensitivity"])
def test_the_analysis_commands_read_configs_bounded_too(command):
    """The analysis commands read their configs through the same bounded reader as
    run: /dev/zero is one line naming the limit (it was read without bound)."""
    argv = [command, "/dev/zero"] + (["mix"] if command == "attribute" else [])
    line = one_line(simcore(*argv, timeout=60))
    assert "1 MiB" in line


def test_an_unknown_option_of_an_analysis_command_is_one_line(tiny):
    """Issue 18 item 5: the analysis commands are subcommands of the one parser; an
    option none of them knows is their usage error, one line and status 2, before the
    config is read or JAX imported."""
    line = one_line(simcore("sweep", tiny, "--scenario-count", "4", timeout=60))
    assert line == ("simcore sweep: error: unrecognized arguments: --scenario-count 4 "
                    "(see simcore sweep --help)")


# ---------------------------------------------------------------- item 10: one line, not a traceback

@pytest.mark.parametrize("text", ["a = " + "[" * 3000 + "]" * 3000, "a = " + "{b = " * 3000 + "1" + "}" * 3000],
                         ids=["arrays", "inline-tables"])
def test_deeply_nested_toml_is_one_line(tmp_path, text):
    """Issue 17, item 10: arrays or inline tables nested thousands deep gave the
    parser's RecursionError as a traceback."""
    config = tmp_path / "deep.toml"
    config.write_text(text)
    line = one_line(simcore("run", config, "--output", tmp_path / "out.zarr", timeout=60))
    assert "nested too deeply" in line
    no_store(tmp_path / "out.zarr")


@pytest.mark.parametrize("address", ["tcp://localhost:notaport", "foo://bar:1"])
def test_a_malformed_scheduler_address_is_one_line_and_leaves_no_store(tiny, tmp_path, address):
    """Issue 17, item 10: a malformed --scheduler address gave distributed's ValueError
    as a traceback, after the store was laid out (a '.partial' left)."""
    output = tmp_path / "out.zarr"
    line = one_line(simcore("run", tiny, "--output", output, "--scheduler", address, "--quiet"))
    assert "scheduler address" in line and "tcp://HOST:PORT" in line
    no_store(output)


def test_a_cluster_with_no_workers_is_one_line_and_leaves_no_store(tiny, tmp_path, monkeypatch, capsys):
    """Issue 17, item 10: a Dask scheduler without workers gave "TimeoutError: No valid
    workers found" as a traceback after 30 s, and a '.partial'. Now the run waits for a
    worker (WORKER_WAIT_S) before laying out the store, then says so in one line."""
    import distributed  # a test dependency (pyproject: test extra): missing is a failure, not a skip

    from simcore.cli import main
    from simcore.run import distributed as simcore_distributed

    import dask

    monkeypatch.setattr(simcore_distributed, "WORKER_WAIT_S", 2.0, raising=False)
    output = tmp_path / "out.zarr"
    scheduler_before = dask.config.get("scheduler", None)
    with distributed.LocalCluster(n_workers=0, processes=False, protocol="tcp", dashboard_address=":0") as cluster:
        status = main(["run", str(tiny), "--output", str(output), "--scheduler", cluster.scheduler_address,
                       "--quiet"])
    err = capsys.readouterr().err
    assert status == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "has no workers" in err and cluster.scheduler_address in err
    no_store(output)
    # our client is not the process's default: later dask reads (xarray opening a store)
    # still use the local scheduler (a leaked "dask.distributed" failed 18 later tests)
    assert dask.config.get("scheduler", None) == scheduler_before


@pytest.mark.parametrize("output", [".", "./", ".."])
def test_an_output_named_dot_is_one_line_and_leaves_nothing(tiny, tmp_path, output):
    """Issue 17, item 10: ``--output .`` in an empty folder ran the whole sweep, wrote
    '..partial' into that folder and then refused to replace the folder (no longer
    empty) after computing. Now refused at once."""
    here = tmp_path / "empty"
    here.mkdir()
    line = one_line(simcore("run", tiny, "--output", output, "--quiet", cwd=here))
    assert "names a folder" in line and "run.zarr" in line
    assert not any(here.iterdir())
    assert sorted(p.name for p in tmp_path.iterdir()) == ["empty", "run.toml", "small.toml"]


def test_disk_full_mid_run_is_one_line_and_the_run_resumes(tiny, tmp_path, monkeypatch, capsys):
    """Issue 17, item 10: a disk that fills up mid-run gave the OSError as a traceback.
    Now one line naming the error and the partial store, status 1 (a runtime failure),
    the lock released and no output; once there is space, --resume finishes it."""
    import errno

    from zarr.storage import LocalStore

    from simcore.cli import main

    write = LocalStore.set

    async def full(self, key, value, *args, **kwargs):
        if key.startswith("chunk_stats/2/"):  # the third chunk's statistics: the disk is full
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), key)
        return await write(self, key, value, *args, **kwargs)

    output = tmp_path / "out.zarr"
    monkeypatch.setattr(LocalStore, "set", full)
    status = main(["run", str(tiny), "--output", str(output), "--quiet"])
    err = capsys.readouterr().err
    assert status == 1 and "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert "No space left on device" in err and "--resume" in err and str(store.partial_path(output)) in err
    assert not output.exists() and not store.lock_path(output).exists()
    assert store.done_chunks(store.partial_path(output)).sum() == 2
    monkeypatch.setattr(LocalStore, "set", write)
    assert main(["run", str(tiny), "--output", str(output), "--quiet", "--resume"]) == 0
    assert store.read_attributes(output)["status"] == "complete" and not store.partial_path(output).exists()


def test_report_out_naming_an_existing_file_is_one_line(tiny, tmp_path):
    """Issue 17, item 10: ``simcore report STORE --out FILE`` gave mkdir's
    FileExistsError as a traceback. The file is left as it was."""
    output = tmp_path / "out.zarr"
    assert simcore("run", tiny, "--output", output, "--keep", "summary", "--quiet").returncode == 0
    existing = tmp_path / "notes.txt"
    existing.write_text("mine")
    line = one_line(simcore("report", output, "--out", existing))
    assert "--out" in line and "not a folder" in line
    assert existing.read_text() == "mine"
    line = one_line(simcore("report", output, "--out", existing / "sub"))
    assert "cannot create the report folder" in line


def test_attribute_bad_scenarios_and_an_unwritable_store_are_one_line_before_computing(tiny, tmp_path, monkeypatch,
                                                                                        capsys):
    """Issue 17, item 10: ``attribute --scenarios -5`` printed the usage text and the
    error; ``attribute --store`` at a path that cannot be written failed with a
    traceback only after the attribution was computed. Both are one line, status 2,
    before anything is computed, with nothing on disk."""
    from simcore.analysis import shapley
    from simcore.cli import main

    line = one_line(simcore("attribute", tiny, "stock", "--scenarios", "-5"))
    assert "--scenarios" in line and "must be >= 1" in line

    def computed(*args, **kwargs):
        raise AssertionError("the attribution was computed before the store was checked")

    monkeypatch.setattr(shapley, "attribute", computed)
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    user_folder = tmp_path / "mine"
    user_folder.mkdir()
    (user_folder / "notes.txt").write_text("keep")
    for target in (blocker / "out.zarr", blocker / "deeper" / "out.zarr", user_folder):
        assert main(["attribute", str(tiny), "stock", "--scenarios", "4", "--store", str(target)]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and len(err.strip().splitlines()) == 1 and "--store" in err, err
    assert blocker.read_text() == "" and sorted(p.name for p in user_folder.iterdir()) == ["notes.txt"]


def _interrupted_partial(tiny, output, monkeypatch) -> Path:
    """A run stopped by a full disk after two of six chunks: its partial store."""
    import errno

    from zarr.storage import LocalStore

    from simcore.run.job import run_to_store
    from simcore.schema.config import load_config

    write = LocalStore.set

    async def full(self, key, value, *args, **kwargs):
        if key.startswith("chunk_stats/2/"):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), key)
        return await write(self, key, value, *args, **kwargs)

    with monkeypatch.context() as patch:
        patch.setattr(LocalStore, "set", full)
        with pytest.raises(OSError, match="No space left"):
            run_to_store(load_config(tiny), output, log=lambda *args: None)
    partial = Path(store.partial_path(output))
    assert store.done_chunks(partial).sum() == 2
    return partial


@pytest.fixture(scope="module")
def tiny_reference(tmp_path_factory) -> Path:
    """The store of an uninterrupted ``simcore run`` of the tiny config, once for the module
    (the same config text as ``tiny``: the same numbers)."""
    from simcore.cli import main

    folder = tmp_path_factory.mktemp("reference")
    reference = folder / "reference.zarr"
    assert main(["run", str(write_small(folder, tiny_config_text())), "--output", str(reference), "--quiet"]) == 0
    return reference


@pytest.mark.parametrize("deleted", ["shortage_days", "chunk_stats", "scenario", "chunk_stats/1"])
def test_resuming_a_half_deleted_partial_store_recovers(tiny, tiny_reference, tmp_path, monkeypatch, capsys,
                                                        deleted):
    """Issue 17, item 10: --resume of a partial store with parts deleted by hand gave a
    traceback (xarray's "non-pre-existing variables", zarr's "No group found", "done
    chunk 1 has no statistics"). Now a partial missing part of its layout is started
    over, and done chunks that lost their statistics are computed again, with a note;
    the result equals an uninterrupted run's."""
    import shutil

    import xarray as xr

    from simcore.cli import main

    reference = tiny_reference
    assert tiny.read_text() == tiny_config_text()
    output = tmp_path / "out.zarr"
    partial = _interrupted_partial(tiny, output, monkeypatch)
    shutil.rmtree(partial / deleted)
    capsys.readouterr()
    assert main(["run", str(tiny), "--output", str(output), "--resume"]) == 0
    captured = capsys.readouterr()
    assert "Traceback" not in captured.err
    assert ("computing them again" if "/" in deleted else f"missing {deleted}") in captured.out
    for group in (None, "summary", "effects"):
        xr.testing.assert_identical(store.open_results(output, group=group).load().drop_attrs(),
                                    store.open_results(reference, group=group).load().drop_attrs())


def test_a_deeply_nested_model_file_is_one_line(tiny, tmp_path):
    """Issue 17, item 10: the model file's TOML nested thousands deep (the parser's
    RecursionError) is one line too."""
    (tmp_path / "small.toml").write_text("a = " + "[" * 3000 + "]" * 3000)
    line = one_line(simcore("run", tiny, "--output", tmp_path / "out.zarr", timeout=60))
    assert "nested too deeply" in line and "model file" in line
    no_store(tmp_path / "out.zarr")
