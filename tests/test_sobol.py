"""Sobol indices (simcore.analysis.sobol): the estimator against analytic indices, the
design path against the engine's own draws, a parameter that cannot move the metric,
chunk-size independence, the command and its store. Small sizes; no timed assertions."""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from shell_fixtures import SMALL_CONFIG, SMALL_MODEL, write_small
from simcore.analysis import sobol as S

# gallium: an uncertain inventory (moves shortage days) and an uncertain price elasticity
# (prices do not feed back on quantities: cannot move shortage days)
UNCERTAIN_MODEL = SMALL_MODEL.replace(
    "inventory_days = 5\n",
    "inventory_days = { low = 1, mode = 5, high = 30 }\n"
    "price_elasticity = { dist = \"uniform\", low = 0.1, high = 0.6 }\n", 1).replace(
    'inventory_days = "assumption: test"\n',
    'inventory_days = "assumption: test"\nprice_elasticity = "assumption: test"\n', 1)


@pytest.fixture(scope="module")
def config(tmp_path_factory):
    from simcore.schema.config import load_config

    return load_config(write_small(tmp_path_factory.mktemp("sobol"), SMALL_CONFIG, UNCERTAIN_MODEL))


# --------------------------------------------------------------------------- estimator

def _ishigami(x, a=7.0, b=0.1):
    z = -np.pi + 2 * np.pi * x
    return np.sin(z[:, 0]) + a * np.sin(z[:, 1]) ** 2 + b * z[:, 2] ** 4 * np.sin(z[:, 0])


def test_estimator_recovers_the_ishigami_indices():
    # analytic (a = 7, b = 0.1): S1 = (0.3139, 0.4424, 0), ST = (0.5576, 0.4424, 0.2437)
    exact_s1, exact_st = np.array([0.3139, 0.4424, 0.0]), np.array([0.5576, 0.4424, 0.2437])
    n = 4096
    a, b = S.saltelli_design(n, 3, seed=1)
    groups = [np.array([0]), np.array([1]), np.array([2])]
    f = _ishigami(S.design_rows(a, b, groups))
    s1, lo1, hi1, st, lot, hit = S.bootstrap_indices(*S.split_values(f, n, 3), resamples=200, seed=2)
    for est, lo, hi, exact in ((s1, lo1, hi1, exact_s1), (st, lot, hit, exact_st)):
        assert np.all(lo <= est) and np.all(est <= hi)
        # the exact value inside the interval, give or take the bootstrap's own noise
        slack = 0.25 * (hi - lo) + 0.005
        assert np.all(exact >= lo - slack) and np.all(exact <= hi + slack), (est, lo, hi, exact)
        assert np.allclose(est, exact, atol=0.03)


def test_estimator_on_a_linear_model_with_groups():
    # f = sum a_i x_i, x_i ~ U(0, 1): S_i = ST_i = a_i^2 / sum a^2; a group adds its members
    coef = np.array([4.0, 2.0, 1.0, 0.0, 2.0])
    exact = coef ** 2 / np.sum(coef ** 2)
    groups = [np.array([0]), np.array([1, 4]), np.array([2]), np.array([3])]
    n = 2048
    a, b = S.saltelli_design(n, 5, seed=3, sampling="random")
    f = S.design_rows(a, b, groups) @ coef
    s1, lo1, hi1, st, lot, hit = S.bootstrap_indices(*S.split_values(f, n, len(groups)), resamples=200, seed=4)
    want = np.array([exact[0], exact[1] + exact[4], exact[2], 0.0])
    assert np.allclose(s1, want, atol=0.05) and np.allclose(st, want, atol=0.05)
    assert st[3] == 0.0 and s1[3] == 0.0  # a column that does not enter: exactly 0 (f(AB) == f(A))
    assert np.all(lo1 - 0.02 <= want) and np.all(want <= hi1 + 0.02)


def test_centring_keeps_the_first_order_estimate_and_narrows_its_interval():
    # a large mean next to the spread (like expected shortage days): same answer, tighter
    coef = np.array([3.0, 1.0, 0.5])
    exact = coef ** 2 / np.sum(coef ** 2)
    n = 256
    a, b = S.saltelli_design(n, 3, seed=6)
    groups = [np.array([0]), np.array([1]), np.array([2])]
    f = 50.0 + S.design_rows(a, b, groups) @ coef
    parts = S.split_values(f, n, 3)
    centred, _ = S.sobol_indices(*parts)
    plain, _ = S.sobol_indices(*parts, centred=False)
    assert np.allclose(centred, exact, atol=0.08)
    spread = []
    for flag in (True, False):
        rng = np.random.default_rng(0)
        boot = [S.sobol_indices(parts[0][r], parts[1][r], parts[2][:, r], centred=flag)[0]
                for r in (rng.integers(0, n, n) for _ in range(100))]
        spread.append(np.std(boot, axis=0))
    assert np.all(spread[0] < spread[1])
    assert np.all(np.abs(plain - exact) < 10 * spread[1] + 0.05)


# --------------------------------------------------------------------------- on the engine

def test_design_point_reproduces_the_engines_own_draw(config):
    """A design row holding scenario i's own uniforms gives exactly scenario i's drawn run."""
    from simcore.core.engine import simulate_batch
    from simcore.core.model import stack_policies
    from simcore.core.uncertainty import parameter_key

    loaded = config.loaded
    params = S.parameters(loaded)
    assert sorted(params.names) == ["products.gallium.inventory_days", "products.gallium.price_elasticity"]
    base_key = jax.random.PRNGKey(config.seed)
    policies = stack_policies([config.policies[0].policy])
    streams = {}
    for name, dist in loaded.model.uncertainty.draws.items():
        for col, stream in zip(params.columns[name], np.asarray(dist.stream)):
            streams[int(col)] = int(stream)
    rows = []
    for i in (3, 5):
        key = parameter_key(base_key, i)
        rows.append([float(jnp.clip(jax.random.uniform(jax.random.fold_in(key, jnp.uint32(streams[c]))), 1e-7,
                                    1 - 1e-7)) for c in range(len(params.names))])
    got = [S.evaluate_design(loaded.model, policies, config.events, base_key, params.columns, np.asarray([row]),
                             n_scenarios=1, start=i, horizon=config.horizon_days)[0, 0] for row, i in zip(rows, (3, 5))]
    metrics, _ = simulate_batch(loaded.model, policies, config.events, base_key, jnp.asarray([3, 5], jnp.uint32),
                                horizon=config.horizon_days)
    for k, i in enumerate((3, 5)):
        short = np.asarray(metrics.shortage_days[0, k], np.float64)
        assert got[k][4:4 + short.size] == pytest.approx(short, abs=0)
        assert got[k][0] == pytest.approx(short.sum())
        assert got[k][2] == pytest.approx(float(np.sum(metrics.value_added_loss[0, k])), rel=1e-5)


@pytest.fixture(scope="module")
def small_ds(config):
    settings = S.SobolSettings(points=8, scenarios=12, metrics=("shortage_days:gallium", "peak_price_change:gallium"),
                               bootstrap=50, chunk_points=4, chunk_scenarios=12)
    return S.sobol_analysis(config, settings)


def test_parameter_that_does_not_enter_gets_zero_and_inventory_ranks_first(small_ds):
    ds = small_ds
    short = ds.sel(policy="no-policy", metric="shortage_days:gallium")
    inv, el = "products.gallium.inventory_days", "products.gallium.price_elasticity"
    assert float(short["metric_variance"]) > 0
    assert float(short["ST"].sel(group=el)) == pytest.approx(0.0, abs=1e-9)
    assert float(short["S1"].sel(group=el)) == pytest.approx(0.0, abs=1e-9)
    assert float(short["ST"].sel(group=inv)) > 0.5
    assert S.ranked(ds, "no-policy", "shortage_days:gallium")[0] == list(ds.group.values).index(inv)
    # the price elasticity does move the price metric
    assert float(ds["ST"].sel(policy="no-policy", metric="peak_price_change:gallium", group=el)) > 0.01
    for name in ("S1", "S1_low", "S1_high", "ST", "ST_low", "ST_high"):
        assert ds[name].attrs["units"] == "1" and ds[name].attrs["long_name"]
    assert np.all(ds["ST_low"].values <= ds["ST"].values + 1e-12)
    text = S.format_sobol(ds)
    assert text.index(inv) < text.index(el)


@pytest.fixture(scope="module")
def design_args(config):
    """The engine arguments of a 12-point Saltelli design of the small model (two policies)."""
    from simcore.core.model import stack_policies

    params = S.parameters(config.loaded)
    a, b = S.saltelli_design(3, len(params.names), seed=5)
    rows = S.design_rows(a, b, params.group_columns)  # 12 points
    policies = stack_policies([p.policy for p in config.policies[:2]])
    return (config.loaded.model, policies, config.events, jax.random.PRNGKey(config.seed), params.columns, rows)


def test_results_do_not_depend_on_the_chunk_sizes(config, design_args):
    loaded, args = config.loaded, design_args
    one = S.evaluate_design(*args, n_scenarios=10, start=2, horizon=60, chunk_points=12, chunk_scenarios=10)
    other = S.evaluate_design(*args, n_scenarios=10, start=2, horizon=60, chunk_points=5, chunk_scenarios=3)
    assert one.shape == (2, 12, 4 + 2 * len(loaded.products))
    # every lane is computed alone; only the float64 sum over scenarios is ordered differently
    np.testing.assert_allclose(one, other, rtol=1e-12, atol=1e-9)


def test_groups_by_field_and_product(config):
    by_field = S.parameters(config.loaded, "field")
    assert by_field.groups == ["inventory_days", "price_elasticity"]
    by_product = S.parameters(config.loaded, "product")
    assert by_product.groups == ["gallium"] and list(by_product.group_columns[0]) == [0, 1]
    # names the schema gives: an IO number, a segment's own number, a hidden link of a segment
    segments = {"magnet": ["magnet.lean"]}
    assert S._product_of("io.value_added.services", ["gallium"], {}) == ("io", "value_added")
    assert S._product_of("products.magnet.lean.inventory_days", ["magnet.lean"], segments) == (
        "magnet", "inventory_days")
    assert S._product_of("products.magnet.lean.hidden_dependence.VN.dy.CN", ["magnet.lean"], segments) == (
        "magnet", "hidden_dependence")
    with pytest.raises(ValueError, match="unknown product"):
        S.metric_columns(["shortage_days:tin"], list(config.loaded.products))
    with pytest.raises(ValueError, match="unknown metric"):
        S.metric_columns(["fun"], list(config.loaded.products))


def test_command_writes_the_store_and_help_exits_0(tmp_path, capsys):
    import xarray as xr

    from simcore.cli import main as cli_main

    assert cli_main(["sobol", "--help"]) == 0
    config_path = write_small(tmp_path, SMALL_CONFIG + "\n[sobol]\npoints = 4\nchunk_points = 4\n"
                                                      "chunk_scenarios = 6\nbootstrap = 20\n", UNCERTAIN_MODEL)
    store = tmp_path / "sobol.zarr"
    assert cli_main(["sobol", str(config_path), "--scenarios", "6", "--metrics", "shortage_days,value_added_loss",
                     "--out", str(store)]) == 0
    out = capsys.readouterr().out
    assert "products.gallium.inventory_days" in out and "ST" in out
    ds = xr.open_zarr(str(store), group="sobol")
    assert list(ds.metric.values) == ["shortage_days", "value_added_loss"]
    assert ds["ST_high"].attrs["units"] == "1" and "upper end" in ds["ST_high"].attrs["long_name"]
    assert cli_main(["sobol", str(config_path), "--metrics", "nonsense"]) == 2
    bad = write_small(tmp_path, SMALL_CONFIG + "\n[sobol]\npointz = 4\n", UNCERTAIN_MODEL)
    assert cli_main(["sobol", str(bad)]) == 2
    capsys.readouterr()
    assert cli_main(["sobol", "/dev/zero"]) == 2  # the bounded reader of every config
    assert "1 MiB" in capsys.readouterr().err
    (tmp_path / "exact").mkdir()
    exact = write_small(tmp_path / "exact", SMALL_CONFIG, SMALL_MODEL)
    assert cli_main(["sobol", str(exact)]) == 2  # a model without distributions: one line, no traceback
    assert "no uncertain numbers" in capsys.readouterr().err


def test_figure_bars_read_back_the_stored_indices(small_ds):
    from simcore.report.sobol import sobol_figure

    fig = sobol_figure(small_ds, caption="test caption")
    bars = {p.get_gid(): p for ax in fig.axes for p in ax.patches if p.get_gid()}
    for metric in small_ds["metric"].values:
        row = small_ds.sel(policy="no-policy", metric=metric)
        for group in small_ds["group"].values:
            for key in ("ST", "S1"):
                bar = bars[f"sobol:{metric}:{key}:{group}"]
                assert bar.get_width() == pytest.approx(float(row[key].sel(group=group)))
    # ranked: the inventory's ST bar above the elasticity's in the shortage panel
    inv = bars["sobol:shortage_days:gallium:ST:products.gallium.inventory_days"]
    el = bars["sobol:shortage_days:gallium:ST:products.gallium.price_elasticity"]
    assert inv.get_y() > el.get_y()
    fig.savefig(__import__("io").BytesIO(), format="png")


@pytest.mark.slow  # three designs on the engine; the chunk-size test runs by default
def test_an_interrupted_design_resumes_from_the_store(design_args, tmp_path):
    args = design_args
    kw = dict(n_scenarios=10, start=2, horizon=60, chunk_points=5, chunk_scenarios=3)
    whole = S.evaluate_design(*args, **kw)
    store = tmp_path / "resume.zarr"
    seen = []

    def stop_after_three(done, total):
        seen.append(done)
        if done == 3:
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        S.evaluate_design(*args, **kw, progress=stop_after_three,
                          checkpoint=S.StoreCheckpoint(store, "design-1"), checkpoint_every_s=0.0)
    sums, done = S.StoreCheckpoint(store, "design-1").load()
    assert done.sum() == 3 and done.size == 12
    assert S.StoreCheckpoint(store, "other design").load() is None
    counted = []
    resumed = S.evaluate_design(*args, **kw, progress=lambda d, t: counted.append(d),
                                checkpoint=S.StoreCheckpoint(store, "design-1"), checkpoint_every_s=0.0)
    assert counted[0] == 4 and counted[-1] == 12  # the three finished chunks were skipped
    np.testing.assert_array_equal(resumed, whole)


def test_the_report_section_draws_the_indices_and_lists_them(small_ds, tmp_path):
    """simcore report's Sobol section (a store with a ``sobol`` group): the figure and the
    ranked table of the stored indices."""
    from simcore.report import Report, _sobol_section

    report = Report(index=tmp_path / "index.md")
    sections = _sobol_section(small_ds, "caption", report)
    assert "sobol" in report.figures and "sobol.png" in sections[0]
    assert "products.gallium.inventory_days" in sections[1]


def test_the_sobol_table_is_checked_by_the_config_schema(tmp_path):
    """[sobol] is a section of the run-config schema (issue 18 item 4): a config with it
    loads (the service's registry skipped sobol_japan.toml's mixes), its bad fields are
    named with the rest of the config's, and a command-line override is named as its
    option."""
    from simcore.schema.config import load_config
    from simcore.schema.errors import InputError

    table = "\n[sobol]\npoints = 4\npolicies = [\"no-policy\"]\nmetrics = [\"shortage_days:gallium\"]\n"
    good = write_small(tmp_path, SMALL_CONFIG + table, UNCERTAIN_MODEL)
    assert load_config(good).scenarios > 0
    config, section = S.load_sobol_config(good)
    settings = S.settings_from(section, {"confidence": 0.8, "metrics": ("value_added_loss",)})
    assert (settings.points, settings.confidence, settings.metrics) == (4, 0.8, ("value_added_loss",))
    assert settings.bootstrap == S.SobolSettings().bootstrap  # not given: the default
    with pytest.raises(InputError) as info:
        S.settings_from(section, {"confidence": 1.5, "points": 1, "group_by": "sector"})
    assert dict(info.value.problems) == {"--confidence": "must be in (0, 1), got 1.5",
                                         "--points": "must be an integer in [2, 1000000], got 1",
                                         "--group-by": "must be one of entry, field, product, got 'sector'"}
    (tmp_path / "bad").mkdir()
    bad = write_small(tmp_path / "bad", SMALL_CONFIG.replace("horizon_days = ", "horizon_days = -")
                      + "\n[sobol]\npointz = 4\nsampling = \"halton\"\n", UNCERTAIN_MODEL)
    with pytest.raises(InputError) as info:
        S.load_sobol_config(bad)
    fields = [field for field, _ in info.value.problems]
    assert fields == ["run.horizon_days", "sobol.sampling", "sobol.pointz"], info.value
