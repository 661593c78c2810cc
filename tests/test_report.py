"""Reports: what the figures draw equals the numbers in the store (read back from the
Figure objects, headless), captions and units, the index page and the CLI entry."""

import numpy as np
import pytest

from simcore.analysis.shapley import attribute, attribution_to_store
from simcore.analysis.sweep import _config_without_analysis, load_sweep_config, run_sweep, write_sweep_store
from simcore.report import main_report, write_report
from simcore.run.job import run_to_store
from simcore.run.store import open_results
from tests.test_analysis import RUN, SWEEP, SMALL_MODEL


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    folder = tmp_path_factory.mktemp("report")
    (folder / "small.toml").write_text(SMALL_MODEL)
    path = folder / "run.toml"
    path.write_text(RUN.replace("seed = 11", "seed = 11\ndaily_scenarios = 4") + SWEEP)
    config = _config_without_analysis(path)
    run_to_store(config, folder / "run.zarr", log=lambda *a: None)
    run_to_store(config, folder / "summary.zarr", keep="summary", log=lambda *a: None)
    attribution_to_store(attribute(config, "all-three", scenarios=16, chunk_size=8, policy_chunk=8),
                         folder / "run.zarr")
    sweep_config, spec, text = load_sweep_config(path)
    write_sweep_store(run_sweep(sweep_config, spec, scenarios=16), folder / "sweep.zarr", text)
    return folder


def lines_by_gid(fig):
    return {line.get_gid(): line for ax in fig.axes for line in ax.get_lines() if line.get_gid()}


def patches_by_gid(fig):
    """gid -> bar heights (each bar of a ``bar`` call carries the call's gid)."""
    out = {}
    for ax in fig.axes:
        for patch in ax.patches:
            if patch.get_gid():
                out.setdefault(patch.get_gid(), []).append(patch.get_height())
    return out


def caption_of(fig):
    return next(t.get_text() for t in fig.texts if t.get_gid() == "caption")


def test_run_report_draws_the_store(stores):
    report = write_report(stores / "run.zarr")
    root = open_results(stores / "run.zarr")
    days = root["shortage_days"].load()
    fig = report.figures["exceedance_shortage_days"]
    lines = lines_by_gid(fig)
    for policy in days["policy"].values:
        for product in days["product"].values:
            values = np.sort(days.sel(policy=policy, product=product).values.astype(float))
            xy = lines[f"exceedance:{product}:{policy}"].get_xydata()
            np.testing.assert_array_equal(xy[:, 0], np.unique(values))
            # P(X > x) counted by hand from the sorted sample
            expected = [(values > x).sum() / values.size for x in np.unique(values)]
            np.testing.assert_allclose(xy[:, 1], expected)
    loss = root["value_added_loss"].sum("sector").load()
    lines = lines_by_gid(report.figures["exceedance_value_added_loss"])
    xy = lines["exceedance:all sectors:all-three"].get_xydata()
    np.testing.assert_allclose(xy[:, 0], np.unique(loss.sel(policy="all-three").values))
    # axis units are the store's attributes: the model's IO value unit, the product's own unit
    xlabel = report.figures["exceedance_value_added_loss"].axes[0].get_xlabel()
    assert xlabel.endswith(f"[{root['value_added_loss'].attrs['units']}]") and root.attrs["io_value_unit"] in xlabel
    # fan charts: median and 5 / 95 % of the daily-kept scenarios
    daily = open_results(stores / "run.zarr", "daily").load()
    stocks = daily["private_stock"] + daily["gov_stock"]
    lines = lines_by_gid(report.figures["fan_stocks"])
    gallium_unit = str(daily["product_unit"].sel(product="gallium").values)
    assert report.figures["fan_stocks"].axes[0].get_ylabel() == f"stock [{gallium_unit}]"
    series = stocks.sel(policy="all-three", product="gallium").transpose("scenario", "day").values
    for level, tag in ((0.5, "q50"), (0.05, "q05"), (0.95, "q95")):
        xy = lines[f"fan:gallium:all-three:{tag}"].get_xydata()
        np.testing.assert_array_equal(xy[:, 0], daily["day"].values)
        np.testing.assert_allclose(xy[:, 1], np.quantile(series, level, axis=0))
    output = daily["sector_output_share"].sel(policy="no-policy", sector="electronics").values
    xy = lines_by_gid(report.figures["fan_output"])["fan:electronics:no-policy:q50"].get_xydata()
    np.testing.assert_allclose(xy[:, 1], np.median(output, axis=0))
    # pillar effects: bar heights are the effects group's reductions
    effects = open_results(stores / "run.zarr", "effects").load()
    fig = report.figures["pillar_effects"]
    bars = patches_by_gid(fig)["bars:P(any shortage)"]
    np.testing.assert_allclose(bars,
                               effects["p_any_shortage_reduction"].sel(policy=["all-three"]).values)
    # captions and units
    for name, fig in report.figures.items():
        caption = caption_of(fig)
        assert "model small" in caption and "16 scenarios" in caption and "seed 11" in caption, name
        assert "run.toml" in caption, name
        for ax in fig.axes:
            if ax.get_visible():
                categorical = name in ("pillar_effects", "shapley", "waterfall")  # x: mix, player or step names
                assert ("[" in ax.get_xlabel() or categorical) and "[" in ax.get_ylabel(), (name, ax.get_title())
    assert all(path.is_file() for path in report.files.values())
    index = report.index.read_text()
    assert "![" in index and "fan_stocks.png" in index and "Shapley" in index


def test_shapley_figure_equals_attribution_group(stores):
    report = write_report(stores / "run.zarr")
    attribution = open_results(stores / "run.zarr", "attribution").load()
    fig = report.figures["shapley"]
    metric = "cvar95_value_added_loss"
    by_gid = patches_by_gid(fig)
    for player in attribution["player"].values:
        assert by_gid[f"shapley:{metric}:{player}"][0] == pytest.approx(float(attribution[metric].sel(player=player)))
    np.testing.assert_allclose(by_gid[f"single:{metric}"], attribution[f"{metric}_single"].values)
    total = lines_by_gid(fig)[f"all:{metric}"].get_xydata()[0, 1]
    assert total == pytest.approx(float(attribution[f"{metric}_all"]))
    assert total == pytest.approx(float(attribution[metric].sum()))  # efficiency, as drawn


def test_report_draws_the_waterfall_and_the_attribution_group_has_units(stores):
    """The run report of a store with an exact attribution carries the waterfall (no
    policy -> each pillar -> interactions -> all together); the attribution group follows
    the store's conventions (resolved units, a long_name on every variable)."""
    attribution = open_results(stores / "run.zarr", "attribution")
    for name, var in attribution.data_vars.items():
        assert var.attrs.get("long_name") and "units" in var.attrs, name
    report = write_report(stores / "run.zarr", stores / "waterfall-report")
    assert "waterfall" in report.files and report.files["waterfall"].exists()
    assert "waterfall.png" in report.index.read_text()


def test_summary_only_store_uses_quantiles(stores):
    report = write_report(stores / "summary.zarr")
    summary = open_results(stores / "summary.zarr", "summary").load()
    xy = lines_by_gid(report.figures["exceedance_shortage_days"])["exceedance:gallium:no-policy"].get_xydata()
    levels = ["q05", "q10", "q50", "q90", "q95", "q99"]
    np.testing.assert_allclose(xy[:, 0], summary["shortage_days"].sel(policy="no-policy", product="gallium",
                                                                      statistic=levels).values)
    np.testing.assert_allclose(xy[:, 1], [0.95, 0.9, 0.5, 0.1, 0.05, 0.01])
    assert "summary's quantiles" in report.index.read_text()


def test_sweep_report_pareto_front(stores):
    report = write_report(stores / "sweep.zarr")
    table = open_results(stores / "sweep.zarr").load()
    flat = table.stack(point=["stockpile.gov_stock_days.gallium", "repair_spare"])
    cost = flat["total_cost"].values
    risk = flat["expected_value_added_loss"].values
    lines = lines_by_gid(report.figures["pareto"])
    front = lines["front:expected_value_added_loss"].get_xydata()
    # the front: mixes that no other mix beats on both cost and risk, by hand
    keep = [i for i in range(cost.size) if not any(
        cost[j] <= cost[i] and risk[j] <= risk[i] and (cost[j] < cost[i] or risk[j] < risk[i])
        for j in range(cost.size))]
    expected = sorted(zip(cost[keep], risk[keep]))
    np.testing.assert_allclose(front, np.array(expected))
    star = lines["reference:expected_value_added_loss"].get_xydata()[0]
    assert star[1] == pytest.approx(float(table["reference_expected_value_added_loss"]))
    scatter = next(c for ax in report.figures["pareto"].axes for c in ax.collections
                   if c.get_gid() == "mixes:expected_value_added_loss")
    np.testing.assert_allclose(scatter.get_offsets(), np.column_stack([cost, risk]))
    response = lines_by_gid(report.figures["response"])["response:0.6"].get_xydata()
    np.testing.assert_allclose(response[:, 1], table["expected_shortage_days_total"].sel(repair_spare=0.6).values)
    index = report.index.read_text()
    assert "Cost-effectiveness ranking" in index and "| 1 |" in index
    assert "total cost [USD / year]" in report.figures["pareto"].axes[0].get_xlabel()


def test_main_report_exit_codes(stores, tmp_path, capsys):
    assert main_report(tmp_path / "missing.zarr") == 2
    assert "no results store" in capsys.readouterr().err
    assert main_report(stores / "sweep.zarr", tmp_path / "out") == 0
    assert (tmp_path / "out" / "index.md").is_file() and (tmp_path / "out" / "pareto.png").is_file()
