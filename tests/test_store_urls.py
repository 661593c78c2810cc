"""The results store at an fsspec URL: ``file://`` (the local filesystem through zarr's
FsspecStore) and ``memory://`` (an in-process stand-in for an object store: no rename,
so the lock and the publish take their object-store paths) give the same results as a
local path, with the same lock, resume and replace guarantees."""

import uuid

import fsspec
import numpy as np
import pytest
import xarray as xr
from fsspec.registry import known_implementations
from fsspec.spec import AbstractFileSystem

from simcore import load_config
from simcore.cli import main
from simcore.report import write_report
from simcore.run import job as job_module
from simcore.run import store
from simcore.run.job import run_to_store
from simcore.run.store import OutputError, OutputLock, open_results
from simcore.run.store import replace as store_replace
from tests.shell_fixtures import ChunkKilled, fail_at_chunk


class _ReadOnlyFileSystem(AbstractFileSystem):
    """An empty filesystem that refuses every write (a read-only bucket, missing rights)."""

    protocol = "simcore-readonly"

    def ls(self, path, detail=True, **kwargs):
        return []

    def _open(self, path, mode="rb", **kwargs):
        raise PermissionError(f"read-only filesystem: {path}")


fsspec.register_implementation(_ReadOnlyFileSystem.protocol, _ReadOnlyFileSystem, clobber=True)


@pytest.fixture
def memory_url(monkeypatch):
    """``memory_url(name)`` -> a fresh ``memory://`` URL; its folder is removed afterwards.
    The in-process CLI may write there (SIMCORE_ALLOW_MEMORY_STORE: a real command
    refuses memory://, whose store would vanish when it exits)."""
    monkeypatch.setenv("SIMCORE_ALLOW_MEMORY_STORE", "1")
    root = f"/simcore-tests/{uuid.uuid4().hex}"
    yield lambda name="out.zarr": f"memory://{root}/{name}"
    memory = fsspec.filesystem("memory")
    if memory.exists(root):
        memory.rm(root, recursive=True)


def _never_compile(monkeypatch):
    """Fail the test if the run gets as far as tracing or compiling the engine."""
    def refuse(*args, **kwargs):
        raise AssertionError("the engine was traced before the output was checked")
    monkeypatch.setattr(job_module, "_template", refuse)
    monkeypatch.setattr(job_module, "iter_plan_chunks", refuse)


def _quiet(*args):
    pass


def _loaded(where, group=None) -> xr.Dataset:
    return open_results(where, group=group).load().drop_attrs()


def _assert_same_results(where, reference) -> None:
    """Per-scenario arrays, done markers and every group equal the reference store's."""
    xr.testing.assert_identical(_loaded(where), _loaded(reference))
    for group in ("summary", "effects", "normal_times", "daily"):
        xr.testing.assert_identical(_loaded(where, group), _loaded(reference, group))


def _leftovers(url) -> list[str]:
    """Names beside the store at ``url`` that start with its name (.partial, .lock, ...)."""
    fs, path = fsspec.core.url_to_fs(url)
    parent, name = path.rsplit("/", 1)
    if not fs.exists(parent):  # a memory:// folder goes with its last object
        return []
    return sorted(entry.rsplit("/", 1)[-1] for entry in fs.ls(parent, detail=False)
                  if entry.rsplit("/", 1)[-1].startswith(name))


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    """The tiny config (24 scenarios in 6 chunks, 2 daily trajectories) and a complete
    run of it at a local path."""
    from tests.conftest import tiny_config_text
    from tests.shell_fixtures import write_small

    folder = tmp_path_factory.mktemp("urls")
    config_path = write_small(folder, tiny_config_text(daily_scenarios=2))
    local = folder / "local.zarr"
    run_to_store(load_config(config_path), local, log=_quiet)
    return config_path, local


# ---------------------------------------------------------------- checks before compiling

def test_unusable_urls_are_clear_errors_before_compiling(tiny, tmp_path, memory_url, monkeypatch, capsys):
    _never_compile(monkeypatch)
    config = str(tiny[0])

    def refused(output) -> str:
        assert main(["run", config, "--output", output, "--quiet"]) == 2
        err = capsys.readouterr().err
        assert "Traceback" not in err and err.startswith("simcore: error: ")
        return err

    err = refused("nosuch://bucket/out.zarr")
    assert "unknown protocol 'nosuch'" in err and "memory, " in err and "s3, " in err  # the known ones listed
    # a known protocol whose backend package is missing
    monkeypatch.setitem(known_implementations, "simcore-missing",
                        {"class": "simcore_missing_backend.FileSystem",
                         "err": "Install simcore-missing-backend to access simcore-missing://"})
    err = refused("simcore-missing://bucket/out.zarr")
    assert "simcore-missing:// filesystem needs a package that is not installed" in err
    assert "Install simcore-missing-backend" in err
    err = refused(f"{_ReadOnlyFileSystem.protocol}://bucket/out.zarr")
    assert "is not writable: PermissionError: read-only filesystem" in err
    # a store named by a bucket alone would have other buckets as its siblings
    err = refused(f"{_ReadOnlyFileSystem.protocol}://bucket")
    assert "names no folder" in err
    # the target is an object, not a store
    url = memory_url()
    fsspec.filesystem("memory").pipe_file(url.removeprefix("memory://"), b"not a store")
    assert "exists and is a file" in refused(url)
    # file:// is the local filesystem: the local checks apply
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    assert "cannot create the output folder" in refused(f"file://{blocker}/out.zarr")


def test_storage_options_are_for_urls_only(tmp_path):
    with pytest.raises(OutputError, match="storage_options apply to fsspec URLs only"):
        store.check_writable(tmp_path / "out.zarr", storage_options={"anon": True})


# ---------------------------------------------------------------- runs at URLs

def test_runs_at_urls_equal_a_local_run(tiny, tmp_path, memory_url, capsys):
    config_path, local = tiny
    # --output file://...: zarr writes through FsspecStore on the local filesystem
    file_url = f"file://{tmp_path}/deeper/out.zarr"
    assert main(["run", str(config_path), "--output", file_url, "--quiet"]) == 0
    _assert_same_results(file_url, local)
    assert sorted(p.name for p in (tmp_path / "deeper").iterdir()) == ["out.zarr"]  # no .partial, no .lock

    # run.output = "memory://..." in the config
    url = memory_url()
    text = config_path.read_text().replace("[run]\n", f'[run]\noutput = "{url}"\n', 1)
    in_config = tmp_path / "run.toml"
    in_config.write_text(text)
    (tmp_path / "small.toml").write_text((config_path.parent / "small.toml").read_text())
    assert main(["run", str(in_config)]) == 0
    out = capsys.readouterr().out
    assert f"results written to {url}" in out and f"simcore report {url}" in out
    _assert_same_results(url, local)
    attrs = store.read_attributes(url)
    assert attrs["status"] == "complete" and store.done_chunks(url).all()
    assert _leftovers(url) == ["out.zarr"]
    # metadata consolidated into the root zarr.json, as on a local path
    assert b"consolidated_metadata" in fsspec.filesystem("memory").cat_file(
        url.removeprefix("memory://") + "/zarr.json")


def test_a_second_writer_at_a_url_gets_the_lock_error(tiny, tmp_path, memory_url, monkeypatch, capsys):
    _never_compile(monkeypatch)
    config = str(tiny[0])
    url = memory_url()
    with OutputLock(url) as lock:
        assert lock.path == url + ".lock" and fsspec.filesystem("memory").exists(lock.path)
        assert main(["run", config, "--output", url]) == 2
        err = capsys.readouterr().err
        assert "being written by another simcore run" in err and f"delete {url}.lock" in err
        with pytest.raises(OutputError, match="another simcore run"):
            OutputLock(url).acquire()
    assert _leftovers(url) == []  # released
    # on file:// the lock is a local file created with O_EXCL
    file_url = f"file://{tmp_path}/out.zarr"
    with OutputLock(file_url):
        assert (tmp_path / "out.zarr.lock").is_file()
        assert main(["run", config, "--output", file_url]) == 2
        assert "being written by another simcore run" in capsys.readouterr().err
    assert not (tmp_path / "out.zarr.lock").exists()


class _Crash(RuntimeError):
    pass


@pytest.mark.parametrize("kind", ["memory", "file"])
def test_failed_rerun_at_a_url_keeps_the_old_result_and_resume_is_identical(tiny, tmp_path, memory_url, monkeypatch,
                                                                           kind):
    config_path, local = tiny
    config = load_config(config_path)
    url = memory_url() if kind == "memory" else f"file://{tmp_path}/out.zarr"
    run_to_store(config, url, log=_quiet)
    before = _loaded(url)
    fail_at_chunk(monkeypatch, 3)
    with pytest.raises(ChunkKilled):
        run_to_store(config, url, log=_quiet)
    monkeypatch.undo()
    # the old complete result is untouched; the new run is partial with 3 chunks done
    assert store.read_attributes(url)["status"] == "complete"
    xr.testing.assert_identical(_loaded(url), before)
    partial = store.partial_path(url)
    assert partial == url + ".partial"
    assert store.read_attributes(partial)["status"] == "running"
    np.testing.assert_array_equal(store.done_chunks(partial), [True] * 3 + [False] * 3)
    assert not store.as_location(store.lock_path(url)).exists()  # released on the way out

    messages = []
    run_to_store(config, url, resume=True, log=messages.append)
    assert not messages  # resumed, not restarted
    _assert_same_results(url, local)
    assert not store.as_location(partial).exists()


def test_publish_interrupted_at_a_url_leaves_no_mixed_store_and_resume_publishes(tiny, memory_url, monkeypatch):
    """Object stores have no rename: the new store is copied over the old one with the
    root zarr.json last. Killed before that, the target opens as no store at all (not
    as a mix of old and new), the complete new store is still at .partial, and --resume
    publishes it."""
    config_path, local = tiny
    config = load_config(config_path)
    url = memory_url()
    run_to_store(config, url, keep="summary", log=_quiet)  # an old, different complete result
    real_copy = store_replace._copy_keys
    target_root = fsspec.core.url_to_fs(url)[1] + "/" + store.ROOT_METADATA

    def crash_at_the_root_metadata(fs, sources, targets):
        if target_root in targets:  # everything else of the new store is copied by now
            raise _Crash("killed while publishing")
        real_copy(fs, sources, targets)

    monkeypatch.setattr(store_replace, "_copy_keys", crash_at_the_root_metadata)
    with pytest.raises(_Crash):
        run_to_store(config, url, log=_quiet)
    monkeypatch.undo()
    with pytest.raises(Exception):  # no root metadata: not a store, neither old nor new
        open_results(url)
    partial = store.partial_path(url)
    assert store.read_attributes(partial)["status"] == "complete" and store.done_chunks(partial).all()

    run_to_store(config, url, resume=True, log=_quiet)
    _assert_same_results(url, local)
    assert store.read_attributes(url)["keep"] == "per-scenario"
    assert _leftovers(url) == ["out.zarr"]


# ---------------------------------------------------------------- reports of stores at URLs

def _figure_data(report) -> dict:
    """(figure, axis, line gid) -> the line's points, over every figure of a report."""
    return {(name, k, line.get_gid()): line.get_xydata() for name, fig in report.figures.items()
            for k, ax in enumerate(fig.axes) for line in ax.get_lines() if line.get_gid()}


def test_report_of_a_store_at_a_url_equals_the_local_report(tiny, tmp_path, memory_url, monkeypatch, capsys):
    _, local = tiny
    url = memory_url()
    fsspec.filesystem("memory").put(str(local), url.removeprefix("memory://"), recursive=True)
    from_url = write_report(url, tmp_path / "from-url")
    from_path = write_report(local, tmp_path / "from-path")
    assert sorted(from_url.files) == sorted(from_path.files) and "fan_stocks" in from_url.files
    url_lines, path_lines = _figure_data(from_url), _figure_data(from_path)
    assert url_lines.keys() == path_lines.keys() and len(url_lines) > 10
    for key, points in path_lines.items():
        np.testing.assert_array_equal(url_lines[key], points)
    index = from_url.index.read_text()
    assert index.startswith("# simcore report: out.zarr") and f"--store {url}` to add one" in index
    # without --out, a URL's report goes to NAME.report in the current folder
    monkeypatch.chdir(tmp_path)
    assert main(["report", url]) == 0
    assert (tmp_path / "out.zarr.report" / "index.md").is_file()
    assert (tmp_path / "out.zarr.report" / "exceedance_shortage_days.png").is_file()
    capsys.readouterr()
    # a missing store and an unknown protocol are one-line errors (exit 2)
    assert main(["report", memory_url("missing.zarr")]) == 2
    assert "no results store at memory://" in capsys.readouterr().err
    assert main(["report", "nosuchprotocol://bucket/a.zarr"]) == 2
    err = capsys.readouterr().err
    assert "cannot read nosuchprotocol://bucket/a.zarr: unknown protocol 'nosuchprotocol'" in err
    assert "Traceback" not in err
