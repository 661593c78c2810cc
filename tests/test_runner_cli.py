"""The shell: chunked runs, statistics, pillar effects, the zarr store and the CLI."""

import numpy as np
import pytest
import xarray as xr

from simcore import BASELINE_POLICY, Simulation, load_config, normal_times, pillar_effects, simulate, summarize
from simcore.cli import main
from simcore.run.runner import daily_trajectories, sample_scenarios
from simcore.run.summary import cvar
from simcore.run.store import open_results
from tests.shell_fixtures import write_small


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("small")
    config = load_config(write_small(tmp_path))
    sim = Simulation.from_config(config)
    return tmp_path, config, sim, simulate(sim, config.scenarios, chunk_size=16)


def test_dataset_has_named_dimensions_and_units(small):
    _, config, sim, ds = small
    assert ds.sizes["policy"] == 3 and ds.sizes["scenario"] == 40
    assert list(ds.policy.values) == [BASELINE_POLICY, "stock", "diversify"]
    assert ds["shortage_days"].dims == ("policy", "scenario", "product")
    assert ds["value_added_loss"].dims == ("policy", "scenario", "sector")
    assert ds["gross_output_loss"].dims == ("policy", "scenario", "sector")
    assert ds["shortage_days"].attrs["units"] == "days"
    assert ds["event_onset_day"].dims == ("scenario", "event", "occurrence")
    assert list(ds.scenario.values) == list(range(40))
    draws = sample_scenarios(sim, 40)
    np.testing.assert_array_equal(draws["onset_day"].values, ds["event_onset_day"].values)
    np.testing.assert_array_equal(draws["severity"].values, ds["event_severity"].values)


def test_results_do_not_depend_on_chunk_size(small):
    _, config, sim, ds = small
    other = simulate(sim, config.scenarios, chunk_size=40)
    np.testing.assert_array_equal(ds["shortage_days"].values, other["shortage_days"].values)
    for name in ("unmet", "peak_price_change", "value_added_loss", "mean_price_index_change"):
        np.testing.assert_allclose(ds[name].values, other[name].values, rtol=1e-6, atol=1e-6)
    # a later window of scenarios is the same scenarios, wherever it starts
    window = simulate(sim, 10, chunk_size=4, start=25)
    np.testing.assert_array_equal(window["shortage_days"].values, ds["shortage_days"].sel(scenario=range(25, 35)).values)


def test_common_random_numbers_and_policy_effects(small):
    _, config, sim, ds = small
    # every policy sees the same sampled events; the stockpile only ever helps gallium
    base = ds["shortage_days"].sel(policy=BASELINE_POLICY, product="gallium")
    stock = ds["shortage_days"].sel(policy="stock", product="gallium")
    assert (stock <= base).all()
    assert int(base.sum()) > int(stock.sum())  # the hazard is high enough that it matters
    # the repair service is cut for 5 days from day 10 in every scenario and holds no stock
    repair = ds["shortage_days"].sel(product="repair")
    assert (repair == 5).all()


def test_summary_statistics_match_numpy(small):
    _, _, _, ds = small
    summary = summarize(ds)
    values = ds["unmet"].sel(policy=BASELINE_POLICY, product="gallium").values.astype(np.float64)
    stats = summary["unmet"].sel(policy=BASELINE_POLICY, product="gallium")
    np.testing.assert_allclose(float(stats.sel(statistic="mean")), values.mean(), rtol=1e-6)
    np.testing.assert_allclose(float(stats.sel(statistic="q95")), np.quantile(values, 0.95), rtol=1e-6)
    np.testing.assert_allclose(float(stats.sel(statistic="p_positive")), np.mean(values > 0))
    worst = np.sort(values)[-2:]  # 5% of 40 scenarios = the 2 worst
    np.testing.assert_allclose(float(stats.sel(statistic="cvar95")), worst.mean(), rtol=1e-6)


def test_cvar_hand_example():
    values = np.arange(1.0, 101.0)[None, :]
    assert cvar(values, 0.95, axis=1)[0] == pytest.approx((96 + 97 + 98 + 99 + 100) / 5)
    assert cvar(np.array([[3.0]]), 0.95, axis=1)[0] == 3.0


def test_pillar_effects_and_normal_time_side_effects(small):
    _, _, sim, ds = small
    normal = normal_times(sim)
    effects = pillar_effects(summarize(ds), normal)
    assert float(effects["shortage_days_mean_reduction"].sel(policy=BASELINE_POLICY).sum()) == 0.0
    assert float(effects["shortage_days_mean_reduction"].sel(policy="stock", product="gallium")) > 0
    # no policy: exactly baseline prices in normal times
    assert float(np.abs(normal["normal_price_change"].sel(policy=BASELINE_POLICY)).max()) == 0.0
    # diversification moves 0.4 of gallium's supply at a 10% premium -> +4% in normal times
    assert float(normal["normal_price_change"].sel(policy="diversify", product="gallium")) == pytest.approx(0.04, rel=1e-5)
    assert float(normal["normal_price_index_change"].sel(policy="diversify")) > 0
    # fiscal cost of the stock: (10%/yr carrying + 2%/yr financing at the default discount rate)
    # x 30 days x 10 t/day x 100 USD/t; the old name keeps the same number
    fiscal = (0.1 + 0.02) * 30 * 10 * 100
    assert float(effects["fiscal_cost_per_year"].sel(policy="stock")) == pytest.approx(fiscal)
    assert float(effects["stockpile_fiscal_cost_per_year"].sel(policy="stock")) == pytest.approx(fiscal)


def test_daily_trajectories_match_metrics(small):
    _, _, sim, ds = small
    daily = daily_trajectories(sim, [0, 3])
    assert daily["unmet"].dims == ("policy", "scenario", "day", "product")
    unmet = daily["unmet"].sum("day")
    np.testing.assert_allclose(unmet.values, ds["unmet"].sel(scenario=[0, 3]).values, rtol=1e-5, atol=1e-4)


def test_cli_writes_store_and_prints_summary(small, capsys):
    tmp_path, config, _, ds = small
    output = tmp_path / "out.zarr"
    assert main(["run", str(config.path), "--output", str(output), "--chunk-size", "16"]) == 0
    printed = capsys.readouterr().out
    assert "Shortage days and prices per product" in printed and "stock" in printed
    stored = open_results(output)
    assert stored.sizes["scenario"] == 40
    np.testing.assert_array_equal(stored["shortage_days"].values, ds["shortage_days"].values)
    summary = open_results(output, group="summary")
    assert "cvar95" in list(summary.statistic.values)
    effects = open_results(output, group="effects")
    assert "shortage_days_mean_reduction" in effects
    assert isinstance(open_results(output, group="normal_times"), xr.Dataset)
    daily = open_results(output, group="daily")
    assert daily["unmet"].dims == ("policy", "scenario", "day", "product")
    assert daily.sizes["scenario"] == 3 and daily.sizes["day"] == config.horizon_days
    np.testing.assert_allclose(daily["unmet"].sum("day").values, ds["unmet"].isel(scenario=[0, 1, 2]).values,
                               rtol=1e-5, atol=1e-4)


def test_cli_reports_bad_config(tmp_path, capsys):
    config = write_small(tmp_path, "[run]\nmodel = 'small.toml'\nscenarios = -3\n")
    assert main(["run", str(config)]) == 2
    err = capsys.readouterr().err
    assert "run.scenarios" in err and "events" in err
