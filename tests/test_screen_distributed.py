"""A screen's blocks of cases on a Dask cluster (simcore.analysis.screen_distributed,
``simcore screen --scheduler``): the dataset equals a local run's bit for bit. The cheap
twin places the blocks as a cluster returns them (out of order, each computed alone);
the slow test runs them on a LocalCluster of two worker processes. The tiny model of
tests/test_screen.py."""

from __future__ import annotations

import pytest

from simcore.analysis import screen as SC
from simcore.analysis import screen_distributed
from simcore.run import distributed as distributed_run
from tests.test_screen_resume import QUIET, SMALL, assert_identical, small_screen


@pytest.fixture(scope="module")
def uninterrupted(tmp_path_factory):
    return small_screen(tmp_path_factory.mktemp("distributed"))


def test_blocks_returned_out_of_order_give_the_local_result(uninterrupted, tmp_path, monkeypatch):
    path, whole = uninterrupted
    calls = []

    def reversed_cluster(scheduler, work, ranges):  # what a cluster does: each block alone, in any order
        calls.append((scheduler, list(ranges)))
        for lo, hi in reversed(ranges):
            yield lo, work.run(lo, hi)

    monkeypatch.setattr(screen_distributed, "run_blocks", reversed_cluster)
    monkeypatch.setattr(distributed_run, "connect", lambda scheduler: ("a client", False))
    store = tmp_path / "out.zarr"
    seen = []
    ds, _ = SC.screen_file(path, {**SMALL, "output": str(store)}, checkpoint=True, scheduler="tcp://nowhere:1",
                           progress=lambda d, t: seen.append((d, t)), **QUIET)
    assert calls[0][0] == "a client" and len(calls[0][1]) == -(-whole.attrs["cases"] // 8)
    assert seen[-1][0] == seen[-1][1]
    assert_identical(ds, whole)


@pytest.mark.slow
def test_a_screen_on_a_local_cluster_equals_the_local_screen(uninterrupted, tmp_path, jax_cache_env):
    import distributed

    path, whole = uninterrupted
    env = {k: v for k, v in jax_cache_env.items() if k.startswith("JAX_")}
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None,
                                  env=env) as cluster, distributed.Client(cluster) as client:
        ds, _ = SC.screen_file(path, {**SMALL, "output": str(tmp_path / "out.zarr")}, checkpoint=True,
                               scheduler=client, **QUIET)
    assert_identical(ds, whole)


def test_a_malformed_scheduler_is_one_line_and_no_store(tmp_path, capsys):
    from simcore.cli import main
    from tests.test_screen import write

    path = write(tmp_path)
    out = tmp_path / "out.zarr"
    status = main(["screen", str(path), "--output", str(out), "--scenarios", "4", "--scheduler", "tcp://host:port",
                   "--quiet"])
    err = capsys.readouterr().err.strip().splitlines()
    assert status == 2 and len(err) == 1 and "malformed" in err[0], err
    assert not out.exists()
