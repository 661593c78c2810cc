"""Where a run reduces its chunks (simcore.run.stats.route): the choice, and the same
stored bits either way.

The route is chosen once per run: ``SIMCORE_DEVICE_STATISTICS`` ``auto`` (the device
route on accelerators, the host route on CPU), ``device`` or ``host``. The run-level test
runs one tiny config both ways in this process and compares every group of the stores
and every chunk's raw statistics arrays."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from simcore.run import store
from simcore.run.stats.route import DEVICE_STATISTICS_ENV, statistics_on_device


@pytest.mark.parametrize("value, backend, expected", [
    (None, "cpu", False), (None, "gpu", True), (None, "tpu", True), ("auto", "cpu", False), (" AUTO ", "gpu", True),
    ("", "gpu", True), ("device", "cpu", True), ("host", "gpu", False), ("Host", "cpu", False),
])
def test_the_route_follows_the_switch_and_the_backend(value, backend, expected):
    environ = {} if value is None else {DEVICE_STATISTICS_ENV: value}
    assert statistics_on_device(environ, backend=backend) is expected


def test_a_bad_switch_warns_once_in_one_line_and_means_auto(capsys, monkeypatch):
    from simcore.run.stats import route

    monkeypatch.setattr(route, "_warned", set())
    assert statistics_on_device({DEVICE_STATISTICS_ENV: "gpu"}, backend="cpu") is False
    assert statistics_on_device({DEVICE_STATISTICS_ENV: "gpu"}, backend="gpu") is True  # every chunk asks
    assert statistics_on_device({DEVICE_STATISTICS_ENV: "fast"}, backend="gpu") is True
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f"simcore: warning: SIMCORE_DEVICE_STATISTICS must be one of auto, device, host, "
                   f"got {value!r}: using auto" for value in ("gpu", "fast")]  # once per value


def _run(config, output, route, monkeypatch) -> int:
    """Run ``config`` by the CLI in this process with the route ``route``; returns the
    number of chunks reduced on the device."""
    from simcore import cli
    from simcore.run import chunks

    reduced, real = [], chunks.device_chunk
    monkeypatch.setattr(chunks, "device_chunk", lambda *a, **k: reduced.append(1) or real(*a, **k))
    monkeypatch.setenv(DEVICE_STATISTICS_ENV, route)
    assert cli.main(["run", str(config), "--output", str(output), "--quiet"]) in (0, None)
    return len(reduced)


@pytest.mark.parametrize("keep", ["per-scenario", "summary"])
def test_both_routes_store_the_same_bits(write_tiny, tmp_path, monkeypatch, keep):
    # 10 scenarios in chunks of 4: the last chunk keeps 2 of its 4 lanes
    config = write_tiny(scenarios=10, horizon_days=30, chunk_size=4)
    text = config.read_text().replace("[run]\n", f'[run]\nkeep = "{keep}"\n', 1)
    config.write_text(text)
    host, device = tmp_path / "host.zarr", tmp_path / "device.zarr"
    assert _run(config, host, "host", monkeypatch) == 0
    assert _run(config, device, "device", monkeypatch) == 3  # every chunk, on the device
    groups = (None, "summary", "effects") if keep == "per-scenario" else ("summary", "effects")
    for group in groups:
        xr.testing.assert_identical(store.open_results(host, group=group).load().drop_attrs(),
                                    store.open_results(device, group=group).load().drop_attrs())
    for index in range(3):
        a, b = store.read_chunk_stats(host, index), store.read_chunk_stats(device, index)
        assert a is not None and a.keys() == b.keys()
        for name in a:
            assert a[name].dtype == b[name].dtype and np.array_equal(a[name], b[name], equal_nan=True), name
