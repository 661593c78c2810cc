"""Sensitivities you can trust (:mod:`simcore.analysis.sensitivity`, ``file_numbers``,
``tornado``, :mod:`simcore.report.sensitivity`).

* one parameter per model-file number, named with the file's words; a number's
  directions in the Model reproduce the model builder (a single ``price_elasticity``
  moves both Model price elasticities, an import share the derived domestic share);
* the agreement / fallback rule on hand numbers;
* a hand model with a closed form: value not delivered = price x demand x (30 - stock
  days), so its elasticity to the stock days and its values at the ends of the stock
  days' range are known exactly;
* on the small test model with distributions: the reported elasticity is the gradient
  exactly where it agrees within the stated tolerance, else the finite difference;
  prices do not feed back on quantities; exposures are homogeneous of degree 1; the
  tornado's ranges are the distributions' 5th and 95th percentiles and its values are
  the exact engine run on the model file rebuilt with the number at those ends;
  results do not depend on how the exact-engine points are blocked (common random
  numbers);
* the figures draw the stored numbers (read back from the bars), the report and the
  table say which method gave each elasticity.

One compile per model and shape (module-scoped fixtures).
"""

from __future__ import annotations

import copy
import math
import tomllib

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from simcore.analysis import file_numbers as FN
from simcore.analysis import sensitivity as SE
from simcore.analysis import tornado as T
from simcore.analysis.sweep import _config_without_analysis
from simcore.schema.modelfile import parse_model
from tests.shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small

N_SCENARIOS = 200
TEMPERATURE = SE.DEFAULT_TEMPERATURE
FD_STEP = SE.DEFAULT_FD_STEP

# The small test model with distributions: gallium's one price elasticity (no world one
# given: it drives both Model fields), a triangular stock, a uniform exposure; repair
# with its own world price elasticity and a lognormal domestic one.
RANGED_MODEL = SMALL_MODEL.replace(
    "inventory_days = 5\n", "inventory_days = { low = 3, mode = 5, high = 10 }\nprice_elasticity = 0.3\n"
    "exposure = { electronics = { dist = \"uniform\", low = 0.2, high = 0.6 } }\n", 1,
).replace(
    "storable = false\n", "storable = false\nprice_elasticity = { dist = \"lognormal\", median = 0.2, sigma = 0.5 }\n"
    "world_price_elasticity = 0.1\nexposure = { services = 0.5 }\n", 1,
).replace(
    'inventory_days = "assumption: test"\n', 'inventory_days = "assumption: test"\nprice_elasticity = "assumption: '
    'test"\nexposure = "assumption: test"\n', 1,
).replace(
    'use = "assumption: test"\n\n[io]', 'use = "assumption: test"\nprice_elasticity = "assumption: test"\n'
    'world_price_elasticity = "assumption: test"\nexposure = "assumption: test"\n\n[io]', 1,
)

# Hand model (product-only): one origin cuts both products completely on days 0..29;
# stocks of s days last s days, so each product misses demand x (30 - s) units and the
# value not delivered is price x 10 x (30 - s): alpha 1000 (30 - s_alpha), beta 500 x 25.
HAND_MODEL = """
[model]
name = "hand"
currency = "USD"
origins = ["CN"]
[model.sources]
origins = "assumption: test"
""" + "".join(f"""
[[products]]
name = "{name}"
demand_per_day = 10.0
price = {price}
inventory_days = {stock}
import_share = {{ CN = 1.0 }}
[products.sources]
demand_per_day = "assumption: test"
price = "assumption: test"
inventory_days = "assumption: test"
import_share = "assumption: test"
""" for name, price, stock in (("alpha", 100.0, "{ low = 2, mode = 5, high = 8 }"), ("beta", 50.0, "5")))
HAND_CONFIG = """
[run]
model = "small.toml"
scenarios = 4
horizon_days = 60
seed = 1

[[events]]
name = "cut"
origin = "CN"
products = ["alpha", "beta"]
onset_day = 0
duration_days = 30
severity = 1.0
"""


@pytest.fixture(scope="module")
def ranged(tmp_path_factory):
    return _config_without_analysis(write_small(tmp_path_factory.mktemp("ranged"), SMALL_CONFIG, RANGED_MODEL))


@pytest.fixture(scope="module")
def ranged_raw():
    return tomllib.loads(RANGED_MODEL)


@pytest.fixture(scope="module")
def sensitivity(ranged):
    return SE.config_sensitivities(ranged, "stock", n_scenarios=N_SCENARIOS, temperature=TEMPERATURE,
                                   fd_step=FD_STEP)


@pytest.fixture(scope="module")
def hand(tmp_path_factory):
    config = _config_without_analysis(write_small(tmp_path_factory.mktemp("hand"), HAND_CONFIG, HAND_MODEL))
    return config, SE.config_sensitivities(config, "no-policy", n_scenarios=4, groups=("inventory_days",))


# ----------------------------------------------------------------------------- model-file numbers


def test_one_parameter_per_model_file_number(ranged_raw):
    numbers = FN.file_numbers(ranged_raw)
    by_name = {n.name: n for n in numbers}
    assert list(by_name) == [
        "products.gallium.inventory_days", "products.gallium.price_elasticity",
        "products.gallium.import_share.CN", "products.gallium.import_share.AU",
        "products.gallium.exposure.electronics", "products.repair.price_elasticity",
        "products.repair.world_price_elasticity", "products.repair.import_share.AU",
        "products.repair.exposure.services"]
    # gallium's one price elasticity drives both Model fields (no second parameter) ...
    gallium = by_name["products.gallium.price_elasticity"]
    # (and the long-run world one, which defaults to the short-run one)
    assert gallium.fields == ["price_elasticity", "world_demand_elasticity_long", "world_price_elasticity"]
    np.testing.assert_array_equal(gallium.directions["world_price_elasticity"], [1.0, 0.0])
    # ... repair's two numbers are two parameters, each driving its own field
    assert by_name["products.repair.price_elasticity"].fields == ["price_elasticity"]
    assert by_name["products.repair.world_price_elasticity"].fields == ["world_demand_elasticity_long",
                                                                        "world_price_elasticity"]
    # central values and the file's distributions
    assert by_name["products.gallium.inventory_days"].value == 5.0
    assert by_name["products.gallium.inventory_days"].distribution == {"low": 3, "mode": 5, "high": 10}
    assert by_name["products.gallium.exposure.electronics"].value == pytest.approx(0.4)
    assert by_name["products.repair.price_elasticity"].value == pytest.approx(0.2)
    assert by_name["products.gallium.import_share.CN"].distribution is None


def test_demo_model_has_one_price_elasticity_per_product():
    from simcore.schema.errors import Problems, read_toml

    raw = read_toml("models/demo_critical_materials.toml", Problems("demo"))
    numbers = FN.file_numbers(raw, groups=("price_elasticity", "world_price_elasticity"))
    names = [n.name for n in numbers]
    assert len(names) == len(set(names)) and names
    assert all(name.endswith(".price_elasticity") for name in names)  # the file gives no world one
    assert all({"price_elasticity", "world_price_elasticity"} <= set(n.fields) for n in numbers)


def test_directions_reproduce_the_model_builder(ranged_raw, ranged):
    """Moving a number along its directions gives the model the file builds with that
    number changed: the import share also moves the derived domestic share."""
    numbers = FN.file_numbers(ranged_raw)
    directions = FN.directions_by_field(numbers)
    model = ranged.loaded.model._replace(uncertainty=None)
    for name, new_value in (("products.gallium.import_share.CN", 0.55), ("products.gallium.price_elasticity", 0.45),
                            ("products.repair.exposure.services", 0.3)):
        j = [n.name for n in numbers].index(name)
        shifts = np.zeros(len(numbers), np.float32)
        shifts[j] = new_value - numbers[j].value
        moved = FN.shifted_model(model, directions, jnp.asarray(shifts))
        raw = copy.deepcopy(ranged_raw)
        _, product, key, *entry = name.split(".") + [None]
        table = next(p for p in raw["products"] if p["name"] == product)
        if entry[0] is None:
            table[key] = new_value
        else:
            table[key][entry[0]] = new_value
        rebuilt = FN.model_arrays(raw)
        for field in directions:
            np.testing.assert_allclose(np.asarray(getattr(moved, field)), rebuilt[field], atol=1e-6, err_msg=field)
    share = [n.name for n in numbers].index("products.gallium.import_share.CN")
    assert numbers[share].fields == ["domestic_share", "import_share", "world_share"]
    assert numbers[share].directions["domestic_share"][0] == pytest.approx(-1.0)


def test_percentiles_are_the_distributions_inverse_cdf():
    from simcore.core.uncertainty import DISTRIBUTION_KINDS, distribution, inverse_cdf

    # hand value: triangular (3, 5, 10), P(X < 5) = 2/7 > 0.05: 3 + sqrt(0.05 x 7 x 2)
    assert FN.percentile({"low": 3, "mode": 5, "high": 10}, 0.05) == pytest.approx(3 + math.sqrt(0.7))
    assert FN.percentile({"dist": "uniform", "low": 0.2, "high": 0.6}, 0.95) == pytest.approx(0.58)
    assert FN.percentile({"dist": "lognormal", "median": 0.2, "sigma": 0.5}, 0.95) == pytest.approx(
        0.2 * math.exp(0.5 * 1.6448536269514722))
    for table, (a, b, c) in (({"low": 3, "mode": 5, "high": 10}, (3, 5, 10)),
                             ({"low": 0.0, "mode": 0.0, "high": 2.0}, (0, 0, 2)),
                             ({"dist": "uniform", "low": 0.2, "high": 0.6}, (0.2, 0, 0.6)),
                             ({"dist": "lognormal", "median": 0.2, "sigma": 0.5}, (0.2, 0.5, 0))):
        dist = distribution([0, 0], 0, DISTRIBUTION_KINDS[table.get("dist", "triangular")], a, b, c)
        engine = np.asarray(inverse_cdf(dist, jnp.asarray([0.05, 0.95], jnp.float32)), np.float64)
        np.testing.assert_allclose([FN.percentile(table, 0.05), FN.percentile(table, 0.95)], engine, rtol=1e-5)


# ----------------------------------------------------------------------------- agreement rule


def test_gradient_used_only_where_it_agrees():
    fd = np.array([1.0, 1.0, -2.0, 0.0, 0.0, 0.5])
    grad = np.array([1.11, 1.13, -2.3, 0.019, 0.03, np.nan])
    # tolerance 0.02 + 0.1 |fd|: 0.12, 0.12, 0.22, 0.02, 0.02, 0.07
    value, method, agrees = SE.choose(grad, fd, rel_tol=0.1, abs_tol=0.02)
    np.testing.assert_array_equal(agrees, [True, False, False, True, False, False])
    np.testing.assert_array_equal(value, [1.11, 1.0, -2.0, 0.019, 0.0, 0.5])
    assert list(method) == [SE.GRADIENT, SE.FINITE_DIFFERENCE, SE.FINITE_DIFFERENCE, SE.GRADIENT,
                            SE.FINITE_DIFFERENCE, SE.FINITE_DIFFERENCE]


# ----------------------------------------------------------------------------- hand model


def test_hand_model_closed_form(hand):
    """Value not delivered = 1000 (30 - s_alpha) + 500 (30 - s_beta): its elasticity to
    s_alpha is -1000 s_alpha / loss (the central difference in ln s: that x sinh(h) / h);
    the tornado's ends are the closed form at the
    triangular (2, 5, 8) stock's 5th and 95th percentiles."""
    _, ds = hand
    assert list(ds["parameter"].values) == ["products.alpha.inventory_days", "products.beta.inventory_days"]
    va = ds.sel(metric="expected_value_added_loss")
    loss = 1000 * 25 + 500 * 25
    assert float(va["value_exact"]) == pytest.approx(loss, rel=1e-6)
    expected = np.array([-1000 * 5 / loss, -500 * 5 / loss])
    # linear in s, so the difference in ln s at step h is exactly the slope x sinh(h) / h
    np.testing.assert_allclose(va["elasticity_fd"].values, expected * math.sinh(FD_STEP) / FD_STEP, rtol=1e-5)
    np.testing.assert_allclose(va["elasticity_fd_half"].values, expected * math.sinh(FD_STEP / 2) / (FD_STEP / 2),
                               rtol=1e-5)
    np.testing.assert_allclose(va["elasticity"].values, expected, rtol=0.05)
    assert list(va["method"].values) == [SE.GRADIENT, SE.GRADIENT]
    low, high = FN.percentile({"low": 2, "mode": 5, "high": 8}, 0.05), FN.percentile({"low": 2, "mode": 5,
                                                                                       "high": 8}, 0.95)
    assert float(ds["range_low"][0]) == pytest.approx(low) and float(ds["range_high"][0]) == pytest.approx(high)
    assert float(va["tornado_low"][0]) == pytest.approx(1000 * (30 - low) + 500 * 25, rel=1e-5)
    assert float(va["tornado_high"][0]) == pytest.approx(1000 * (30 - high) + 500 * 25, rel=1e-5)
    assert np.isnan(float(va["tornado_low"][1])) and str(ds["range_kind"].values[1]) == T.NO_RANGE


# ----------------------------------------------------------------------------- test model


def test_reported_elasticity_is_the_gradient_only_where_it_agrees(sensitivity):
    ds = sensitivity
    print(SE.format_sensitivities(ds))
    grad, fd = ds["elasticity_gradient"].values, ds["elasticity_fd"].values
    assert np.all(np.isfinite(fd))
    used = ds["method"].values == SE.GRADIENT
    within = np.abs(grad - fd) <= ds.attrs["abs_tol"] + ds.attrs["rel_tol"] * np.abs(fd)
    np.testing.assert_array_equal(used, within)
    np.testing.assert_array_equal(ds["elasticity"].values, np.where(used, grad, fd))
    np.testing.assert_allclose(ds["fd_step_error"].values, np.abs(fd - ds["elasticity_fd_half"].values))
    np.testing.assert_array_equal(ds["fd_unsettled"].values, ds["fd_step_error"].values > ds["tolerance"].values)
    # Some elasticities matter (not vacuous), and on this model the gradient is used for the
    # value-added loss's largest one
    va = ds.sel(metric="expected_value_added_loss")
    assert np.nanmax(np.abs(va["elasticity"].values)) > 0.5
    names = list(ds["parameter"].values)
    assert va["elasticity"].values[names.index("products.gallium.inventory_days")] < 0
    assert va["elasticity"].values[names.index("products.gallium.exposure.electronics")] > 0


def test_prices_do_not_feed_back_on_quantities(sensitivity):
    """The domestic price curves never move quantities; on this model (no world stocks,
    no market sourcing) the world one does not either: exactly 0 in both estimates and
    flat over the lognormal range."""
    ds = sensitivity
    prices = np.isin(ds["parameter_group"].values, ["price_elasticity", "world_price_elasticity"])
    assert prices.sum() == 3
    for metric in ("expected_value_added_loss", "expected_shortage_days_total"):
        row = ds.sel(metric=metric)
        for name in ("elasticity_gradient", "elasticity_fd", "elasticity"):
            assert np.all(row[name].values[prices] == 0), (metric, name)
        assert np.all(row["tornado_low"].values[prices & np.isfinite(row["tornado_low"].values)]
                      == float(row["value_exact"]))
    peak = ds["elasticity"].sel(metric="expected_peak_price_change").values[prices]
    assert np.all(peak <= 0) and np.any(peak < 0)  # more elastic demand, smaller price peaks


def test_exposure_elasticities_sum_to_one(sensitivity):
    """Every sector's loss is a max / min of terms linear in the exposures, so scaling
    every exposure number by c scales the value-added loss by c (Euler: the exposure
    elasticities sum to 1; only the idle-user feedback on demand departs from it)."""
    va = sensitivity["elasticity_fd"].sel(metric="expected_value_added_loss")
    total = float(va.sel(parameter="products.gallium.exposure.electronics")) + float(
        va.sel(parameter="products.repair.exposure.services"))
    assert abs(total - 1.0) < 0.05


def test_tornado_ranges_are_the_distributions_percentiles(sensitivity, ranged, ranged_raw):
    """Each end of a range is the distribution's percentile, and the tornado value there
    is the exact engine on the model file rebuilt with that number at that value (the
    same scenarios and compiled call)."""
    ds = sensitivity
    numbers = FN.file_numbers(ranged_raw)
    ranged_names = [n.name for n in numbers if n.distribution is not None]
    assert ranged_names == ["products.gallium.inventory_days", "products.gallium.exposure.electronics",
                            "products.repair.price_elasticity"]
    assert ds.attrs["range_percentiles"] == "5 95"
    for number in numbers:
        low, high = float(ds["range_low"].sel(parameter=number.name)), float(ds["range_high"].sel(
            parameter=number.name))
        if number.distribution is None:
            assert math.isnan(low) and str(ds["range_kind"].sel(parameter=number.name).values) == T.NO_RANGE
            continue
        assert low == pytest.approx(FN.percentile(number.distribution, 0.05))
        assert high == pytest.approx(FN.percentile(number.distribution, 0.95))
    # rebuild the file with gallium's stock at its 95th percentile and run it as a centre
    raw = copy.deepcopy(ranged_raw)
    high = float(ds["range_high"].sel(parameter="products.gallium.inventory_days"))
    raw["products"][0]["inventory_days"] = high
    model = parse_model(raw).model._replace(uncertainty=None)
    policy = {p.name: p.policy for p in ranged.policies}["stock"]
    directions = {f: jnp.asarray(d) for f, d in FN.directions_by_field(numbers).items()}
    values = SE.exact_rows(model, policy, ranged.events, jax.random.PRNGKey(ranged.seed),
                           jnp.arange(N_SCENARIOS, dtype=jnp.uint32), directions, np.zeros((1, len(numbers))),
                           ranged.horizon_days)
    np.testing.assert_allclose(ds["tornado_high"].sel(parameter="products.gallium.inventory_days").values,
                               values[0], rtol=1e-5)


def test_exact_points_do_not_depend_on_their_block(sensitivity, ranged, ranged_raw):
    """Common random numbers: a point's expected metrics are the same whichever block of
    the compiled call it shares (here the centre and two finite-difference points,
    permuted, against the stored values)."""
    ds = sensitivity
    numbers = FN.file_numbers(ranged_raw)
    directions = {f: jnp.asarray(d) for f, d in FN.directions_by_field(numbers).items()}
    policy = {p.name: p.policy for p in ranged.policies}["stock"]
    model = ranged.loaded.model._replace(uncertainty=None)
    j = [n.name for n in numbers].index("products.gallium.inventory_days")
    rows = SE.fd_shifts(numbers, FD_STEP)[[j + len(numbers), j]]  # -h, +h
    rows = np.concatenate([rows, np.zeros((1, len(numbers)))])
    values = SE.exact_rows(model, policy, ranged.events, jax.random.PRNGKey(ranged.seed),
                           jnp.arange(N_SCENARIOS, dtype=jnp.uint32), directions, rows, ranged.horizon_days)
    np.testing.assert_allclose(values[2], ds["value_exact"].values, rtol=1e-6)
    fd = (values[1] - values[0]) / (2 * FD_STEP * values[2])
    np.testing.assert_allclose(fd, ds["elasticity_fd"].sel(parameter=numbers[j].name).values, rtol=1e-5, atol=1e-9)


def test_peak_price_is_taken_without_the_mixs_normal_time_markup(ranged, ranged_raw):
    """Issue 20: a premium the mix pays in normal times is not a crisis peak. At the
    central numbers the sensitivity's peak of the "diversify" mix (premium 0.1 on the
    shifted gallium share) is the engine's peak divided by (1 + markup), per scenario."""
    from simcore.analysis.markups import central_markups, peak_without_markup
    from simcore.core.engine import simulate_batch

    numbers = FN.file_numbers(ranged_raw)
    directions = {f: jnp.asarray(d) for f, d in FN.directions_by_field(numbers).items()}
    policy = {p.name: p.policy for p in ranged.policies}["diversify"]
    model = ranged.loaded.model._replace(uncertainty=None)
    key, index = jax.random.PRNGKey(ranged.seed), jnp.arange(N_SCENARIOS, dtype=jnp.uint32)
    centre = SE.exact_rows(model, policy, ranged.events, key, index, directions, np.zeros((1, len(numbers))),
                           ranged.horizon_days)[0]
    one = jax.tree_util.tree_map(lambda x: jnp.asarray(x)[None], policy)
    metrics, _ = simulate_batch(model, one, ranged.events, key, index, horizon=ranged.horizon_days)
    markup = central_markups(model, one)  # [1, P]
    assert markup.max() > 0.01  # the premium is there to be removed
    peak = np.asarray(metrics.peak_price_change, np.float64)  # [1, N, P]
    expected = peak_without_markup(peak, markup[:, None, :]).sum(-1).mean()
    metric = list(SE.SENSITIVITY_METRICS).index("expected_peak_price_change")
    np.testing.assert_allclose(centre[metric], expected, rtol=1e-5)
    assert centre[metric] < peak.sum(-1).mean()  # the markup made the engine's peak larger


@pytest.mark.slow
def test_expected_metrics_split_over_scenarios(ranged, sensitivity):
    """The centre on scenarios 0..199 is the mean of the centres on 0..99 and 100..199
    (each scenario's draws depend only on its index)."""
    halves = [SE.config_sensitivities(ranged, "stock", n_scenarios=N_SCENARIOS // 2, start=start)
              for start in (0, N_SCENARIOS // 2)]
    np.testing.assert_allclose((halves[0]["value_exact"] + halves[1]["value_exact"]).values / 2,
                               sensitivity["value_exact"].values, rtol=1e-5)


# ----------------------------------------------------------------------------- figures, table, report


def test_tornado_draws_each_numbers_own_range(sensitivity, tmp_path):
    from simcore.report import figures as F
    from simcore.report.sensitivity import tornado_figure
    from simcore.run.store import open_results

    store = tmp_path / "sens.zarr"
    SE.sensitivity_to_store(sensitivity, store)
    stored = open_results(store, group="sensitivity").load()
    metrics = [str(m) for m in stored["metric"].values]
    fig = tornado_figure(stored, metrics, caption=F.caption_text(stored.attrs))
    names = list(stored["parameter"].values)
    ranged = [j for j in range(len(names)) if np.isfinite(stored["range_low"].values[j])]
    for metric in metrics:
        ax = next(a for a in fig.axes if a.get_title() == metric)
        centre = float(stored["value_exact"].sel(metric=metric))
        low = [p for p in ax.patches if p.get_gid() == f"tornado_low:{metric}"]
        high = [p for p in ax.patches if p.get_gid() == f"tornado_high:{metric}"]
        at_low = stored["tornado_low"].sel(metric=metric).values
        at_high = stored["tornado_high"].sel(metric=metric).values
        order = sorted(ranged, key=lambda j: -abs(at_high[j] - at_low[j]))[::-1]
        assert [t.get_text().split("\n")[0] for t in ax.get_yticklabels()] == [names[j] for j in order]
        np.testing.assert_allclose([p.get_x() for p in low], centre, rtol=1e-6)
        np.testing.assert_allclose([p.get_x() + p.get_width() for p in low], at_low[order], rtol=1e-6)
        np.testing.assert_allclose([p.get_x() + p.get_width() for p in high], at_high[order], rtol=1e-6)
    caption = next(t.get_text() for t in fig.texts if t.get_gid() == "caption").replace("\n", " ")  # wrapped lines
    assert "5th / 95th percentile of its own distribution" in caption
    assert "No range in the model file (not drawn): products.gallium.price_elasticity" in caption
    assert f"{N_SCENARIOS} scenarios" in caption and "model small" in caption


def test_elasticity_figure_marks_the_method(sensitivity):
    from simcore.report.sensitivity import elasticity_figure, elasticity_order

    fig = elasticity_figure(sensitivity, ["expected_value_added_loss"])
    ax = fig.axes[0]
    order = elasticity_order(sensitivity, "expected_value_added_loss")
    bars = [p for p in ax.patches if p.get_gid() == "elasticity:expected_value_added_loss"]
    row = sensitivity.sel(metric="expected_value_added_loss")
    np.testing.assert_allclose([b.get_width() for b in bars], row["elasticity"].values[order], rtol=1e-6)
    grey = [b.get_facecolor()[:3] == pytest.approx((0.6, 0.6, 0.6)) for b in bars]
    assert grey == list(row["method"].values[order] == SE.FINITE_DIFFERENCE)


def test_table_and_report_say_which_method(sensitivity, tmp_path):
    from simcore.report.build import Report, _sensitivity_section
    from simcore.run.store import open_results

    text = SE.format_sensitivities(sensitivity)
    assert "| method |" in text and "no range in the model file" in text
    assert f"{SE.ABSOLUTE_TOLERANCE} + {SE.RELATIVE_TOLERANCE} |fd|" in text
    store = tmp_path / "sens.zarr"
    SE.sensitivity_to_store(sensitivity, store)
    report = Report(index=tmp_path / "index.md")
    sections = _sensitivity_section(open_results(store, group="sensitivity").load(), "caption", report)
    assert {"tornado", "elasticities"} <= set(report.figures)
    page = "\n".join(sections)
    assert "own uncertainty range" in page and ("| gradient |" in page or "| finite difference |" in page)
    # a group of the earlier format (no method, no ranges) is not drawn, and the report says so
    old = Report(index=tmp_path / "old.md")
    assert _sensitivity_section(sensitivity.drop_vars(["method", "tornado_low"]), "caption", old) == []
    assert old.notes and "earlier version" in old.notes[0]
