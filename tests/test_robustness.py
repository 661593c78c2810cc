"""Robustness (simcore.analysis.robustness) and scenario discovery (simcore.analysis.discovery):
regret and its statistics against hand computations, PRIM against a known box, chunk-size
invariance, the command end to end on a small model, the config's problems at once.
Small sizes; one compiled shape per module (chunk 32, the same mixes)."""

from __future__ import annotations

import numpy as np
import pytest

from shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small
from simcore.analysis import discovery as D
from simcore.analysis import regret_stats as RS
from simcore.analysis import robustness as R
from simcore.analysis.intervals import Z

UNCERTAIN_MODEL = SMALL_MODEL.replace("inventory_days = 5\n", "inventory_days = { low = 1, mode = 5, high = 30 }\n", 1)
SECTION = """
[robustness]
points = 3
scenarios = 16
chunk_size = 32
satisficing_metric = "shortage_days"
satisficing_threshold = 5
[robustness.discovery]
policy = "no-policy"
metric = "shortage_days:gallium"
threshold = 10
scenarios = 96
"""


# --------------------------------------------------------------------------- statistics by hand

def test_regret_and_its_statistics_by_hand():
    # 3 mixes x 4 lanes, one parameter point
    loss = np.array([[5.0, 1.0, 4.0, 0.0],
                     [3.0, 2.0, 2.0, 6.0],
                     [4.0, 4.0, 0.0, 1.0]])
    r = RS.regret(loss)
    assert np.array_equal(r, [[2, 0, 4, 0], [0, 1, 2, 6], [1, 3, 0, 1]])
    stream = RS.RegretStream(3, 1, threshold=2.0)
    stream.add(loss, loss, np.zeros(4, int))
    out = stream.result()
    assert np.allclose(out["expected_regret"], [1.5, 2.25, 1.25])
    assert np.allclose(out["max_regret"], [4, 6, 3])
    # lane-level SE (one point): std(ddof 1) / sqrt(4)
    assert np.allclose(out["expected_regret_se"], np.std(r, axis=1, ddof=1) / 2)
    # satisficing: loss <= 2 in 2, 2 and 2 of 4 lanes
    assert np.allclose(out["satisficing_share"], [0.5, 0.5, 0.5])
    assert np.all(out["satisficing_low"] < 0.5) and np.all(out["satisficing_high"] > 0.5)
    # q95: the value at rank ceil(0.95 * 4) = 4, the largest, within the sketch's 1 %
    assert np.allclose(out["q95_regret"], [4, 6, 3], rtol=0.011)
    # the mix best in expectation is the third (E[L] = 2.25); paired differences to it
    assert np.allclose(out["expected_loss"], [2.5, 3.25, 2.25])
    diff = loss - loss[2]
    assert np.allclose(out["loss_over_best"], diff.mean(axis=1))
    assert np.allclose(out["loss_over_best_se"], diff.std(axis=1, ddof=1) / 2)


def test_minimax_regret_over_points_and_point_satisficing():
    # 2 mixes, 3 points x 2 scenarios; expected losses per point: A (1, 5, 3), B (2, 2, 4)
    loss = np.array([[0.0, 2.0, 4.0, 6.0, 3.0, 3.0],
                     [2.0, 2.0, 1.0, 3.0, 5.0, 3.0]])
    point = np.array([0, 0, 1, 1, 2, 2])
    stream = RS.RegretStream(2, 3, threshold=3.0)
    stream.add(loss, loss, point)
    out = stream.result()
    assert np.allclose(out["point_loss"], [[1, 2], [5, 2], [3, 4]])
    assert np.allclose(out["point_regret"], [[0, 1], [3, 0], [0, 1]])
    assert np.allclose(out["minimax_regret"], [3, 1]) and list(out["minimax_point"]) == [1, 0]
    # paired SE at point 1 for A: differences A - B = (3, 3): zero spread
    assert out["minimax_regret_se"][0] == pytest.approx(0.0)
    # points whose expected loss <= 3: A at points 0, 2; B at 0, 1
    assert np.allclose(out["point_satisficing_share"], [2 / 3, 2 / 3])
    # cluster SE of expected regret: per-point mean regrets over sqrt(3)
    lane_r = RS.regret(loss)
    per_point = lane_r.reshape(2, 3, 2).mean(axis=2)
    assert np.allclose(out["expected_regret"], per_point.mean(axis=1))
    assert np.allclose(out["expected_regret_se"], per_point.std(axis=1, ddof=1) / np.sqrt(3))


def test_streaming_in_chunks_gives_the_same_statistics():
    rng = np.random.default_rng(3)
    loss = rng.gamma(2.0, 3.0, size=(4, 600))
    point = np.repeat(np.arange(5), 120)
    whole = RS.RegretStream(4, 5, threshold=4.0)
    whole.add(loss, loss, point)
    parts = RS.RegretStream(4, 5, threshold=4.0)
    for lo in range(0, 600, 77):
        parts.add(loss[:, lo:lo + 77], loss[:, lo:lo + 77], point[lo:lo + 77])
    a, b = whole.result(), parts.result()
    for key in a:
        assert np.allclose(a[key], b[key], rtol=1e-12, atol=1e-12), key
    # per-point means and paired SEs against a direct computation on each point's lanes
    for k in range(5):
        block = loss[:, point == k]
        assert np.allclose(a["point_loss"][k], block.mean(axis=1))
        b = int(np.argmin(block.mean(axis=1)))
        assert np.allclose(a["point_regret_se"][k], (block - block[b]).std(axis=1, ddof=1) / np.sqrt(120))
    # q95 against NumPy's on the full sample (sketch: 1 % relative)
    exact = np.quantile(RS.regret(loss), 0.95, axis=1, method="inverted_cdf")
    assert np.allclose(a["q95_regret"], exact, rtol=0.011)


def test_wilson_interval_by_hand():
    low, high = RS.wilson(0.5, 100)
    # z = 1.645: centre 0.5, half = z sqrt(0.25 / 100 + z^2 / 40000) / (1 + z^2 / 100)
    half = Z * np.sqrt(0.0025 + Z ** 2 / 40000) / (1 + Z ** 2 / 100)
    assert low == pytest.approx(0.5 - half) and high == pytest.approx(0.5 + half)


# --------------------------------------------------------------------------- PRIM

def test_prim_recovers_a_known_box():
    rng = np.random.default_rng(0)
    n = 4000
    x = rng.random((n, 4))
    inside = (x[:, 0] > 0.6) & (x[:, 2] < 0.3)  # share 0.12
    y = inside | (rng.random(n) < 0.02)
    res = D.prim(x, y, ["a", "b", "c", "d"], alpha=0.05, min_support=0.05, min_coverage=0.5, paste=True)
    # step 0 is every scenario: coverage 1, density = the failure share
    assert res.coverage[0] == 1.0 and res.density[0] == pytest.approx(y.mean())
    assert np.all(np.diff(res.support) < 0)
    assert 0.57 < res.box_low[0] < 0.63 and res.box_high[2] < 0.33 and res.box_low[2] == -np.inf
    assert np.isinf(res.box_low[1]) and np.isinf(res.box_high[1]) and np.isinf(res.box_low[3])
    cov, den, sup, n_in = D.box_stats(x, y, res.box_low, res.box_high)
    got = D.in_box(x, res.box_low, res.box_high)
    assert cov == pytest.approx((y & got).sum() / y.sum()) and den == pytest.approx(y[got].mean())
    # the true box's own coverage and density (the 2 % background failures lie outside it too)
    true_cov, true_den = (y & inside).sum() / y.sum(), y[inside].mean()
    assert cov > true_cov - 0.06 and den > true_den - 0.05, (cov, den, true_cov, true_den)
    rows = D.restrictions(x, y, res)
    assert sorted(r["input"] for r in rows) == ["a", "c"]
    for r in rows:  # dropping a needed restriction costs density
        assert r["density_without"] < den - 0.3


def test_simplify_drops_a_restriction_that_explains_nothing():
    rng = np.random.default_rng(1)
    x = rng.random((3000, 3))
    y = (x[:, 0] > 0.7) & (x[:, 1] < 0.5)
    # the true box plus an idle restriction on the third input
    low, high = np.array([0.7, -np.inf, -np.inf]), np.array([np.inf, 0.5, 0.9])
    new_low, new_high, dropped = D.simplify(x, y, low, high, tolerance=0.05)
    assert dropped == 1 and np.isinf(new_high[2]) and new_low[0] == 0.7 and new_high[1] == 0.5
    cov_before, den_before, _, _ = D.box_stats(x, y, low, high)
    cov_after, den_after, _, _ = D.box_stats(x, y, new_low, new_high)
    assert den_after == den_before == 1.0 and cov_after == 1.0 > cov_before
    # a needed restriction stays even with a loose tolerance below its density cost
    assert D.simplify(x, y, new_low, new_high, tolerance=0.3)[2] == 0


def test_prim_on_a_tiny_table_by_hand():
    # one input, failures at the top 2 of 10 values; alpha 0.1 peels one value per step
    x = np.arange(10.0)[:, None]
    y = x[:, 0] >= 8
    res = D.prim(x, y, ["x"], alpha=0.1, min_support=0.2, min_coverage=1.0, paste=False)
    assert list(res.support) == [1.0, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2]
    assert res.density[-1] == 1.0 and res.coverage[-1] == 1.0 and res.low[-1][0] == 8.0
    assert res.chosen == len(res.support) - 1


# --------------------------------------------------------------------------- on the model

@pytest.fixture(scope="module")
def config_path(tmp_path_factory):
    return write_small(tmp_path_factory.mktemp("robust"), SMALL_CONFIG + SECTION, UNCERTAIN_MODEL)


@pytest.fixture(scope="module")
def result(config_path):
    ds, found, settings = R.robustness_file(config_path, log=lambda *_: None)
    return ds, found, settings


def test_end_to_end_on_a_small_model(result):
    ds, found, s = result
    assert list(ds["policy"].values) == ["no-policy", "stock", "diversify"]
    assert ds.attrs["lanes"] == 48 and ds.sizes["point"] == 3
    regret = ds["expected_regret"].values
    assert np.all(regret >= 0) and np.all(ds["max_regret"].values >= ds["q95_regret"].values * 0.99)
    assert np.all(ds["max_regret"].values >= regret)
    assert np.all((ds["satisficing_low"] <= ds["satisficing_share"]) & (ds["satisficing_share"]
                                                                          <= ds["satisficing_high"]))
    assert np.allclose(ds["point_regret"].min("policy"), 0.0)
    assert ds.attrs["minimax_regret_mix"] in ds["policy"].values
    # discovery: failures of no-policy on its own ensemble, a box of the inputs
    assert found.attrs["scenarios"] == 96 and found.attrs["train_scenarios"] + found.attrs["test_scenarios"] == 96
    assert found["coverage"].values[0] == 1.0
    assert "products.gallium.inventory_days" in list(found["input"].values)
    text = R.format_robustness(ds) + D.format_discovery(found)
    assert "minimax" in text and "coverage" in text


@pytest.mark.slow  # a second compiled shape (about 20 s on 2 loaded cores); the streamed reduction's own
# chunk invariance is tested above without the engine
def test_chunk_size_does_not_change_the_results(config_path, result):
    from simcore.analysis.robustness import load_robustness_config, robustness_analysis, settings_from

    config, section = load_robustness_config(config_path)
    s = settings_from({**section, "chunk_size": 20}, config=config)
    other = robustness_analysis(config, s)
    ds = result[0]
    for key in ("expected_regret", "max_regret", "minimax_regret", "satisficing_share", "point_loss"):
        assert np.allclose(ds[key].values, other[key].values, rtol=1e-9, atol=1e-9), key


def test_the_command_writes_a_store_that_the_report_reads(config_path, tmp_path, capsys):
    from simcore.cli import main
    from simcore.report import write_report

    out = tmp_path / "r.zarr"
    assert main(["robustness", str(config_path), "--output", str(out), "--no-discovery", "--points", "2"]) == 0
    printed = capsys.readouterr().out
    assert "minimax regret" in printed and "wrote group 'robustness'" in printed
    report = write_report(out)
    assert "robustness" in report.files
    fig = report.figures["robustness"]
    import xarray as xr

    ds = xr.open_dataset(out, group="robustness", engine="zarr")
    bars = {a.get_gid(): a for a in fig.axes[0].patches}
    for name in ds["policy"].values:
        assert bars[f"regret:{name}"].get_width() == pytest.approx(float(ds["expected_regret"].sel(policy=name)))
        assert bars[f"minimax:{name}"].get_width() == pytest.approx(float(ds["minimax_regret"].sel(policy=name)))


def test_discovery_figure_plots_the_stored_values(result):
    from simcore.report.robustness import discovery_figure

    found = result[1]
    fig = discovery_figure(found)
    lines = {line.get_gid(): line for line in fig.axes[0].lines}
    for k in range(found.sizes["step"]):
        x, y = lines[f"prim:{k}"].get_data()
        assert x[0] == pytest.approx(found["coverage"].values[k])
        assert y[0] == pytest.approx(found["density"].values[k], nan_ok=True)


def test_bad_fields_are_reported_at_once(config_path):
    from simcore.analysis.robustness import load_robustness_config, settings_from
    from simcore.schema.errors import InputError

    config, _ = load_robustness_config(config_path)
    bad = {"points": 0, "metric": "nonsense", "discovery": {"policy": "no-policy", "peel_alpha": 0.9},
           "chunk_size": -1}
    with pytest.raises(InputError) as info:
        settings_from(bad, config=config)
    fields = [f for f, _ in info.value.problems]
    assert {"robustness.points", "robustness.metric", "robustness.discovery.peel_alpha",
            "robustness.chunk_size"} <= set(fields), fields
    names = {"policies": ["no-policy", "MISSING"], "metric": "shortage_days:unobtainium", "cost": True,
             "discovery": {"policy": "other"}}
    with pytest.raises(InputError) as info:
        settings_from(names, config=config)
    fields = dict(info.value.problems)
    assert "stock" in fields["robustness.policies[1]"]  # the allowed names
    assert "gallium" in fields["robustness.metric"]
    assert "robustness.cost" in fields and "robustness.discovery.policy" in fields


def test_a_bad_section_in_the_file_is_named_with_the_other_problems(tmp_path):
    from simcore.schema.errors import InputError

    path = write_small(tmp_path, SMALL_CONFIG + "\n[robustness]\npoints = -2\nbogus = 1\n", UNCERTAIN_MODEL)
    with pytest.raises(InputError) as info:
        R.robustness_file(path, log=lambda *_: None)
    fields = [f for f, _ in info.value.problems]
    assert "robustness.points" in fields and "robustness.bogus" in fields


def test_the_command_refuses_a_bad_section_naming_every_field(tmp_path, capsys):
    from simcore.cli import main

    path = write_small(tmp_path, SMALL_CONFIG + "\n[robustness]\npoints = -2\nmetric = \"nope\"\n", UNCERTAIN_MODEL)
    assert main(["robustness", str(path), "--output", str(tmp_path / "x.zarr")]) == 2
    err = capsys.readouterr().err
    assert "robustness.points" in err and "robustness.metric" in err and "value_added_loss" in err
    assert "Traceback" not in err and not (tmp_path / "x.zarr").exists()
