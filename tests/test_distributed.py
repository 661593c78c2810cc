"""Chunks on a Dask cluster: a LocalCluster of two worker processes writes the same store
as a local run, even when a worker is killed in the middle of the run, and writes it
through an fsspec URL (file://) as well as to a path."""

import os
import signal
import threading
import time

import distributed  # a test dependency (pyproject's test extra): missing is a failure, not a skip
import numpy as np
import pytest
import xarray as xr

from simcore import load_config
from simcore.run import store
from simcore.run.job import run_to_store


class _Count:
    """Progress that records what the client reports."""

    def __init__(self):
        self.advanced = []

    def start(self, total, done, horizon_days):
        self.total = total

    def phase(self, text):
        pass

    def advance(self, scenarios):
        self.advanced.append(scenarios)

    def stop(self):
        pass


def _kill_one_worker_when(partial, client, chunks_done: int, killed: dict):
    """Background: once ``chunks_done`` chunks are marked done, SIGKILL one worker process."""
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if store.done_chunks(partial).sum() >= chunks_done:
                break
        except Exception:
            pass
        time.sleep(0.05)
    pids = client.run(os.getpid)  # worker address -> pid
    address, pid = sorted(pids.items())[0]
    killed.update(address=address, pid=pid, done=int(store.done_chunks(partial).sum()))
    os.kill(pid, signal.SIGKILL)


@pytest.fixture(scope="module")
def cluster_client(jax_cache_env):
    """A client of a LocalCluster of two worker processes (one thread each) sharing the
    session's JAX compilation cache."""
    env = {k: v for k, v in jax_cache_env.items() if k.startswith("JAX_")}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env=env) as cluster, distributed.Client(cluster) as client:
        yield client


def _assert_same_store(there, here) -> None:
    xr.testing.assert_identical(store.open_results(there).load().drop_attrs(),
                                store.open_results(here).load().drop_attrs())
    for group in ("summary", "effects"):
        xr.testing.assert_identical(store.open_results(there, group=group).load().drop_attrs(),
                                    store.open_results(here, group=group).load().drop_attrs())


@pytest.fixture(scope="module")
def local_run(tmp_path_factory):
    """The tiny config (24 scenarios in 12 chunks of 2) and its store written by a local
    run, once for the module: both cluster runs are compared with it."""
    from tests.conftest import tiny_config_text
    from tests.shell_fixtures import write_small

    folder = tmp_path_factory.mktemp("local")
    config = load_config(write_small(folder, tiny_config_text(scenarios=24, chunk_size=2)))
    local = folder / "local.zarr"
    run_to_store(config, local, log=lambda *a: None)
    return config, local


def test_cluster_run_matches_local_run_despite_a_killed_worker(local_run, tmp_path, cluster_client):
    config, local = local_run  # 12 chunks

    client = cluster_client
    output = tmp_path / "cluster.zarr"
    killed = {}
    killer = threading.Thread(target=_kill_one_worker_when,
                              args=(store.partial_path(output), client, 3, killed), daemon=True)
    killer.start()
    progress = _Count()
    run_to_store(config, output, scheduler=client, progress=progress, log=lambda *a: None)
    killer.join(timeout=60)
    # the killed worker was running while chunks were left, and the nanny replaced it
    assert killed and killed["done"] < 12
    client.wait_for_workers(2, timeout=120)
    assert killed["pid"] not in client.run(os.getpid).values()

    # nothing lost or counted twice, and the same numbers as the local run
    assert sum(progress.advanced) == 24 and len(progress.advanced) == 12
    assert store.done_chunks(output).all() and store.read_attributes(output)["status"] == "complete"
    np.testing.assert_array_equal(store.open_results(output).scenario.values, np.arange(24))
    _assert_same_store(output, local)


def test_cluster_writes_through_a_url(local_run, tmp_path, cluster_client):
    """Workers get the store's URL and open it through fsspec themselves."""
    config, local = local_run  # 12 chunks, as compiled above
    url = f"file://{tmp_path}/shared/cluster.zarr"
    progress = _Count()
    run_to_store(config, url, scheduler=cluster_client, progress=progress, log=lambda *a: None)
    assert sum(progress.advanced) == 24 and len(progress.advanced) == 12
    assert store.done_chunks(url).all() and store.read_attributes(url)["status"] == "complete"
    _assert_same_store(url, local)
    assert sorted(p.name for p in (tmp_path / "shared").iterdir()) == ["cluster.zarr"]
