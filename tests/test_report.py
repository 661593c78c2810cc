"""Reports: what the figures draw equals the numbers in the store (read back from the
Figure objects, headless), captions and units, the index page and the CLI entry."""

import json

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


# Each report is written once for the module (drawing and saving its figures is most of
# a test's time); the tests read its figures and files, none changes them.
@pytest.fixture(scope="module")
def run_report(stores):
    return write_report(stores / "run.zarr")


@pytest.fixture(scope="module")
def summary_report(stores):
    return write_report(stores / "summary.zarr")


@pytest.fixture(scope="module")
def sweep_report(stores):
    return write_report(stores / "sweep.zarr")


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


def drawn_steps(values):
    """The exceedance steps a report draws, counted by hand: each distinct value x with
    P(X > x) = share of the sample above it, while that is positive, and the largest value
    at the last positive level (P = 0 has no place on a log axis)."""
    values = np.sort(np.asarray(values, np.float64))
    xs = np.unique(values)
    ps = np.array([(values > x).sum() / values.size for x in xs])
    m = int((ps > 0).sum())
    if m == 0:
        return xs[:0], ps[:0]
    return xs[:m + 1], np.append(ps[:m], ps[m - 1])


def caption_of(fig):
    """The caption's text, its wrapped lines joined again."""
    return next(t.get_text() for t in fig.texts if t.get_gid() == "caption").replace("\n", " ")


def test_run_report_draws_the_store(stores, run_report):
    report = run_report
    root = open_results(stores / "run.zarr")
    days = root["shortage_days"].load()
    fig = report.figures["exceedance_shortage_days"]
    lines = lines_by_gid(fig)
    for policy in days["policy"].values:
        for product in days["product"].values:
            values = np.sort(days.sel(policy=policy, product=product).values.astype(float))
            xs, p = drawn_steps(values)
            if not xs.size:  # short in no scenario: no curve, the panel says so
                assert f"exceedance:{product}:{policy}" not in lines
                continue
            xy = lines[f"exceedance:{product}:{policy}"].get_xydata()
            np.testing.assert_array_equal(xy[:, 0], xs)
            np.testing.assert_allclose(xy[:, 1], p)
            # the band: the 90 % Wilson interval of k / n, by hand
            n, z = values.size, 1.6448536269514722
            centre = (p + z * z / (2 * n)) / (1 + z * z / n)
            half = z / (1 + z * z / n) * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
            low = lines[f"band_low:{product}:{policy}"].get_ydata()
            high = lines[f"band_high:{product}:{policy}"].get_ydata()
            np.testing.assert_allclose(low, centre - half, atol=1e-12)
            np.testing.assert_allclose(high, centre + half)
            assert np.all(low <= p) and np.all(high >= p)
    for ax in fig.axes:
        if ax.get_visible():  # log probability axis from 1 down to below 1 / n
            assert ax.get_yscale() == "log"
            bottom, top = ax.get_ylim()
            assert bottom <= 1 / days.sizes["scenario"] and top >= 1
    assert "Wilson" in caption_of(fig) and f"1/{days.sizes['scenario']}" in caption_of(fig)
    loss = root["value_added_loss"].sum("sector").load()
    lines = lines_by_gid(report.figures["exceedance_value_added_loss"])
    for policy in loss["policy"].values:
        xs, ps = drawn_steps(loss.sel(policy=policy).values)
        if xs.size:
            np.testing.assert_allclose(lines[f"exceedance:all sectors:{policy}"].get_xydata(), np.column_stack([xs, ps]))
        else:  # no loss in any scenario
            assert f"exceedance:all sectors:{policy}" not in lines
    assert any(key.startswith("exceedance:all sectors:") for key in lines)
    # axis units are the store's attributes: the model's IO value unit, the product's own unit
    xlabel = report.figures["exceedance_value_added_loss"].axes[0].get_xlabel()
    assert xlabel.endswith(f"[{root['value_added_loss'].attrs['units']}]") and root.attrs["io_value_unit"] in xlabel
    # fan charts: median and range (min, max) of the daily-kept scenarios, one panel per product and policy
    daily = open_results(stores / "run.zarr", "daily").load()
    stocks = daily["private_stock"] + daily["gov_stock"]
    fan = report.figures["fan_stocks"]
    lines = lines_by_gid(fan)
    gallium_unit = str(daily["product_unit"].sel(product="gallium").values)
    assert fan.axes[0].get_ylabel() == f"stock [{gallium_unit}]"
    assert len(fan.axes) == daily.sizes["product"] * daily.sizes["policy"]
    series = stocks.sel(policy="all-three", product="gallium").transpose("scenario", "day").values
    for tag, value in (("q50", np.median(series, axis=0)), ("min", series.min(axis=0)), ("max", series.max(axis=0))):
        xy = lines[f"fan:gallium:all-three:{tag}"].get_xydata()
        np.testing.assert_array_equal(xy[:, 0], daily["day"].values)
        np.testing.assert_allclose(xy[:, 1], value)
    reference = stocks.sel(policy="no-policy", product="gallium").median("scenario").values
    np.testing.assert_allclose(lines["fan:gallium:all-three:reference"].get_ydata(), reference)
    # labelled honestly: the range of the stored scenarios, never "5-95 %"
    n_kept = daily.sizes["scenario"]
    assert f"range of the {n_kept} stored scenarios" in fan.get_suptitle()
    assert "5–95" not in caption_of(fan) and f"{n_kept} stored scenarios" in caption_of(fan)
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
                spec = ax.get_subplotspec()
                if name.startswith("fan_"):  # small multiples: the outer panels name the shared axes
                    assert not spec.is_last_row() or "[" in ax.get_xlabel(), (name, ax.get_title())
                    assert not spec.is_first_col() or "[" in ax.get_ylabel(), (name, ax.get_title())
                    continue
                assert ("[" in ax.get_xlabel() or categorical) and "[" in ax.get_ylabel(), (name, ax.get_title())
    assert all(path.is_file() for path in report.files.values())
    index = report.index.read_text()
    assert "![" in index and "fan_stocks.png" in index and "Shapley" in index
    assert "5–95" not in index and "range of the 4 stored scenarios" in index


def test_shapley_figure_equals_attribution_group(stores, run_report):
    report = run_report
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


def test_summary_only_store_draws_the_streamed_distribution(stores, summary_report, run_report):
    """A store that kept only the summary draws its exceedance curves from the run's
    merged chunk statistics: the same curves as the per-scenario arrays of the same run
    (day histograms are exact; a run this small keeps its amounts' values)."""
    report, full = summary_report, run_report
    root = open_results(stores / "run.zarr")
    streamed = lines_by_gid(report.figures["exceedance_shortage_days"])
    drawn = lines_by_gid(full.figures["exceedance_shortage_days"])
    assert streamed.keys() == drawn.keys() and any(key.startswith("exceedance:") for key in drawn)
    for gid, line in drawn.items():
        np.testing.assert_array_equal(streamed[gid].get_xydata(), line.get_xydata())
    # per sector: the sample of each sector's loss, counted by hand
    loss = root["value_added_loss"].sel(policy="no-policy").load()
    lines = lines_by_gid(report.figures["exceedance_value_added_loss"])
    for sector in loss["sector"].values:
        xs, ps = drawn_steps(loss.sel(sector=sector).values)
        if xs.size:
            xy = lines[f"exceedance:{sector}:no-policy"].get_xydata()
            np.testing.assert_array_equal(xy[:, 0], xs)
            np.testing.assert_allclose(xy[:, 1], ps)
        else:
            assert f"exceedance:{sector}:no-policy" not in lines
    assert report.figures["exceedance_value_added_loss"].axes[0].get_yscale() == "log"
    assert "streamed statistics" in report.index.read_text()


def test_sweep_report_pareto_front(stores, sweep_report):
    report = sweep_report
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
    # the points carry their lever values, in the order the caption names
    texts = {t.get_gid(): t for ax in report.figures["pareto"].axes for t in ax.texts if t.get_gid()}
    for i in range(cost.size):
        label = texts[f"label:expected_value_added_loss:{i}"]
        coordinates = [float(flat[d].values[i]) for d in ("stockpile.gov_stock_days.gallium", "repair_spare")]
        assert label.get_text() == "(" + ", ".join(f"{v:g}" for v in coordinates) + ")"
        assert tuple(label.xy) == pytest.approx((cost[i], risk[i]))
    bars = next(c for ax in report.figures["pareto"].axes for c in ax.collections
                if c.get_gid() == "interval:expected_value_added_loss")
    half = 1.6448536269514722 * flat["expected_value_added_loss_reduction_se"].values
    np.testing.assert_allclose([seg[1][1] - seg[0][1] for seg in bars.get_segments()], 2 * half)
    # the sweep store names its base mix's lever values (no-policy: no stock, no spare capacity)
    from simcore.analysis import levers
    config = _config_without_analysis(stores / "run.toml")
    base = next(p.policy for p in config.policies if p.name == table.attrs["base"])
    fields = levers.policy_fields(base)
    base_levels = json.loads(table.attrs["base_levels"])
    gallium = config.loaded.products.index("gallium")
    assert base_levels["stockpile.gov_stock_days.gallium"] == fields["gov_stock_days"][gallium]
    assert set(base_levels) == {"stockpile.gov_stock_days.gallium", "repair_spare"}
    index = report.index.read_text()
    assert "Cost-effectiveness ranking" in index and "| 1 |" in index
    assert "total cost [USD / year]" in report.figures["pareto"].axes[0].get_xlabel()


def test_main_report_exit_codes(stores, tmp_path, capsys):
    assert main_report(tmp_path / "missing.zarr") == 2
    assert "no results store" in capsys.readouterr().err
    assert main_report(stores / "sweep.zarr", tmp_path / "out") == 0
    assert (tmp_path / "out" / "index.md").is_file() and (tmp_path / "out" / "pareto.png").is_file()
    # --hold: every bad item named; a lever on the response's axes, or a store without a response, refused
    assert main_report(stores / "sweep.zarr", tmp_path / "held", ["repair_spare", "x=y", "repair_spare=0.3"]) == 2
    err = capsys.readouterr().err
    assert "'repair_spare', 'x=y'" in err and "LEVER=NUMBER" in err
    assert main_report(stores / "sweep.zarr", tmp_path / "held", ["repair_spare=0.3"]) == 2
    assert "cannot fix repair_spare" in capsys.readouterr().err
    assert main_report(stores / "run.zarr", tmp_path / "held", ["repair_spare=0.3"]) == 2
    assert "only the response figure of a grid sweep" in capsys.readouterr().err


def test_every_caption_fits_its_figure(run_report, sweep_report, summary_report):
    """Each figure of the run and sweep reports: the rendered caption lies inside the
    figure and below every axes' area (labels and legends included)."""
    from tests.test_figures import caption_fits

    for store, report in (("run.zarr", run_report), ("sweep.zarr", sweep_report), ("summary.zarr", summary_report)):
        for name, fig in report.figures.items():
            try:
                caption_fits(fig)
            except AssertionError as exc:
                raise AssertionError(f"{store}: {name}: {exc}") from None
