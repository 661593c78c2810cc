"""Fan-chart quantiles streamed over every scenario (``run.fan_quantiles``, simcore.run.fans).

One small run (the small test model, 40 scenarios, 120 days) in chunks of 16 and of 40
compiles the engine once per chunk size for the module: the streamed per-day quantiles
equal NumPy's quantiles of every scenario's daily trajectory within the documented bin
error, do not depend on the chunk size, the device count or an interruption, leave the
other statistics bit-identical, and the report draws them.
"""

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

from simcore import Simulation, load_config
from simcore.report import write_report
from simcore.run import fans as fan_module
from simcore.run import store
from simcore.run.devices import CPU_DEVICES_ENV
from simcore.run.job import run_to_store
from simcore.run.runner import daily_trajectories
from simcore.run.store import open_results
from tests.shell_fixtures import SMALL_CONFIG, fail_at_chunk, write_small

ROOT = Path(__file__).resolve().parents[1]
N_SCENARIOS = 40
DAILY = 4  # run.daily_scenarios; the trajectories of every scenario are computed in batches of as many
FAN_CONFIG = SMALL_CONFIG.replace("daily_scenarios = 3", f"daily_scenarios = {DAILY}\nfan_quantiles = true")
VARIABLES = ("price_change", "stock", "sector_output_share")


def _quiet(*_):
    pass


def _group(path, group="daily_quantiles") -> xr.Dataset:
    return open_results(path, group=group).load()


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("fans")
    config_path = write_small(folder, FAN_CONFIG)
    config = load_config(config_path)
    assert config.fan_quantiles and config.scenarios == N_SCENARIOS
    out = {size: folder / f"chunks{size}.zarr" for size in (16, 40)}
    for size, path in out.items():
        run_to_store(config, path, chunk_size=size, log=_quiet)
    return {"folder": folder, "config_path": config_path, "config": config, "stores": out}


def _trajectories(config) -> dict[str, np.ndarray]:
    """Every scenario's daily values ``[policy, scenario, day, element]`` of the fan variables."""
    sim = Simulation.from_config(config)  # batches of DAILY: the program the runs compiled for their daily group
    daily = xr.concat([daily_trajectories(sim, range(first, first + DAILY)) for first in range(0, N_SCENARIOS, DAILY)],
                      dim="scenario")
    return {"price_change": daily["price_change"].values,
            "stock": (daily["private_stock"] + daily["gov_stock"]).values,
            "sector_output_share": daily["sector_output_share"].values}


def test_streamed_quantiles_equal_numpy_within_one_bin(runs):
    group = _group(runs["stores"][16])
    assert group.attrs["n_scenarios"] == N_SCENARIOS and group.attrs["bins"] == fan_module.FAN_BINS
    assert list(group["quantile"].values) == list(fan_module.QUANTILE_LEVELS)
    np.testing.assert_array_equal(group["day"].values, np.arange(120))  # 120 days: every day kept
    exact = 0
    for name, values in _trajectories(runs["config"]).items():
        expected = np.quantile(values.astype(np.float64), fan_module.QUANTILE_LEVELS, axis=1)  # [q, pol, day, el]
        got = group[name].transpose("quantile", "policy", "day", ...).values
        width = group[f"{name}_bin_width"].values  # per element, in the binning coordinate
        if name == "price_change":  # log(1 + x): within a factor exp(+-w) of the price multiple
            error = np.abs(np.log1p(got) - np.log1p(expected))
        else:
            error = np.abs(got - expected)
        assert np.all(error <= width * (1 + 1e-5) + 1e-6), (name, float((error / width).max()))
        exact += int((error == 0).sum())
        assert np.ptp(expected) > 0  # the scenarios differ: the comparison means something
    assert exact > 0  # plateaus (full stocks, baseline output) come out exactly


def test_quantiles_do_not_depend_on_the_chunk_size(runs):
    a, b = (_group(runs["stores"][size]) for size in (16, 40))
    xr.testing.assert_identical(a, b)
    for name in VARIABLES:
        np.testing.assert_array_equal(a[name].values, b[name].values)


@pytest.fixture(scope="module")
def plain(runs):
    """The same run without the fan quantiles (chunks of 16)."""
    config = load_config(runs["config_path"])
    config.fan_quantiles = False
    path = runs["folder"] / "plain.zarr"
    run_to_store(config, path, chunk_size=16, log=_quiet)
    return path


def test_fans_leave_the_other_statistics_bit_identical(runs, plain):
    with pytest.raises(Exception):
        open_results(plain, group="daily_quantiles")
    fans = runs["stores"][16]
    for group in ("summary", "effects"):
        a, b = _group(plain, group), _group(fans, group)
        for name in a.data_vars:
            np.testing.assert_array_equal(a[name].values, b[name].values, err_msg=f"{group}/{name}")
    root_a, root_b = open_results(plain).load(), open_results(fans).load()
    for name in ("shortage_days", "value_added_loss", "unmet"):
        np.testing.assert_array_equal(root_a[name].values, root_b[name].values, err_msg=name)
    # the chunk's statistics blob carries the fans next to the metric statistics, which are unchanged
    plain_blob, fan_blob = store.read_chunk_stats(plain, 1), store.read_chunk_stats(fans, 1)
    assert set(fan_blob) - set(plain_blob) == {f"fans_{k}" for k in ("counts", "min", "max", "n_min", "n_max")}
    for key, value in plain_blob.items():
        np.testing.assert_array_equal(fan_blob[key], value, err_msg=key)


def test_kill_and_resume_gives_the_same_group(runs, monkeypatch):
    output = runs["folder"] / "resumed.zarr"
    fail_at_chunk(monkeypatch, 1)
    with pytest.raises(RuntimeError, match="killed"):
        run_to_store(runs["config"], output, chunk_size=16, log=_quiet)
    monkeypatch.undo()
    partial = store.partial_path(output)
    assert store.done_chunks(partial).tolist() == [True, False, False]
    assert "fans_counts" in store.read_chunk_stats(partial, 0)  # the chunk's fans were stored with it
    run_to_store(runs["config"], output, chunk_size=16, resume=True, log=_quiet)
    xr.testing.assert_identical(_group(output), _group(runs["stores"][16]))


def test_report_draws_the_stored_quantiles(runs):
    path = runs["stores"][16]
    report = write_report(path)
    group = _group(path)
    for figure, name, dim in (("fan_stocks", "stock", "product"), ("fan_prices", "price_change", "product"),
                              ("fan_output", "sector_output_share", "sector")):
        fig = report.figures[figure]
        lines = {line.get_gid(): line for ax in fig.axes for line in ax.get_lines() if line.get_gid()}
        assert len(fig.axes) == group.sizes[dim] * group.sizes["policy"]
        for element in group[dim].values:
            for policy in group["policy"].values:
                for level in fan_module.QUANTILE_LEVELS:
                    tag = f"q{round(level * 100):02d}"
                    xy = lines[f"fan:{element}:{policy}:{tag}"].get_xydata()
                    np.testing.assert_array_equal(xy[:, 0], group["day"].values)
                    np.testing.assert_allclose(xy[:, 1], group[name].sel(quantile=level, policy=policy,
                                                                        **{dim: element}).values, rtol=1e-12)
                if policy != "no-policy":
                    np.testing.assert_allclose(lines[f"fan:{element}:{policy}:reference"].get_ydata(),
                                               group[name].sel(quantile=0.5, policy="no-policy",
                                                               **{dim: element}).values)
        caption = next(t.get_text() for t in fig.texts if t.get_gid() == "caption").replace("\n", " ")
        assert f"quantiles over all {N_SCENARIOS} scenarios" in fig.get_suptitle()
        assert "5–95 %" in caption and "stored scenarios" not in caption
    index = report.index.read_text()
    assert f"over all {N_SCENARIOS} scenarios" in index and "fan_prices.png" in index


def test_report_without_quantiles_falls_back_to_the_stored_trajectories(plain):
    path = plain
    report = write_report(path)
    fig = report.figures["fan_stocks"]
    assert f"range of the {DAILY} stored scenarios" in fig.get_suptitle()
    assert any("run.fan_quantiles = true" in note for note in report.notes)


_CHILD = textwrap.dedent("""
    import sys
    from simcore.run.devices import configure_cpu_devices
    configure_cpu_devices()
    import jax
    from simcore import load_config
    from simcore.run.job import run_to_store
    assert jax.device_count() == int(sys.argv[3]), jax.device_count()
    run_to_store(load_config(sys.argv[1]), sys.argv[2], chunk_size=16, log=lambda *a: None)
""")


@pytest.mark.slow  # a fresh process compiling the engine for two devices (about 40 s)
def test_quantiles_do_not_depend_on_the_device_count(runs):
    output = runs["folder"] / "two-devices.zarr"
    env = {**os.environ, CPU_DEVICES_ENV: "2", "PYTHONPATH": str(ROOT)}
    env.pop("XLA_FLAGS", None)
    done = subprocess.run([sys.executable, "-c", _CHILD, str(runs["config_path"]), str(output), "2"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    xr.testing.assert_identical(_group(output), _group(runs["stores"][16]))
    assert json.dumps(_group(output).attrs, sort_keys=True, default=str) == \
        json.dumps(_group(runs["stores"][16]).attrs, sort_keys=True, default=str)
