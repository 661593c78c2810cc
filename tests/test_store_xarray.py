"""The results store as xarray reads it: one DataTree of every group, round-tripped;
resolved units and long names; per-product coordinates; one dimension order; the
store format version and what a reader does with a newer or an older one."""

import io
import shutil
import warnings

import numpy as np
import pytest
import xarray as xr

from simcore import load_config
from simcore.run import job as job_module
from simcore.run import store
from simcore.run.conventions import DAILY_SCENARIO, Units, describe, order_dims
from simcore.run.job import run_to_store
from simcore.run.metrics import PRODUCT_UNIT
from simcore.run.runner import Simulation, run_units
from simcore.schema.errors import InputError
from tests.conftest import tiny_config_text
from tests.shell_fixtures import SMALL_MODEL, write_small

PLACEHOLDERS = {"product unit", "currency", "IO value unit", "days", "bool", ""}
GROUPS = {"summary", "effects", "normal_times", "daily", "chunk_stats"}


def _units_model() -> str:
    """The small test model with products of two units and an IO value unit of its own
    (not the currency), so that every kind of unit resolves to something different."""
    text = SMALL_MODEL.replace('name = "gallium"\n', 'name = "gallium"\nunit = "t"\n')
    text = text.replace('name = "repair"\n', 'name = "repair"\nunit = "ship-day"\n')
    return text.replace('currency = "USD"\n', 'currency = "JPY"\nio_value_unit = "JPY million"\n')


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    """A complete tiny run (two daily-kept scenarios) of the two-unit model."""
    folder = tmp_path_factory.mktemp("xarray")
    config_path = write_small(folder, tiny_config_text(scenarios=8, chunk_size=4, daily_scenarios=2))
    (folder / "small.toml").write_text(_units_model())
    config = load_config(config_path)
    output = folder / "run.zarr"
    run_to_store(config, output, log=lambda *a: None)
    return config, output


def test_every_group_opens_as_one_tree_and_round_trips(run, tmp_path):
    _, output = run
    tree = xr.open_datatree(output, engine="zarr")  # as a user opens it, without simcore
    assert GROUPS <= set(tree.children)
    xr.testing.assert_identical(store.open_tree(output), tree)
    copy = tmp_path / "copy.zarr"
    with warnings.catch_warnings():  # zarr: fixed-width strings are not in the v3 specification yet
        warnings.simplefilter("ignore")
        tree.to_zarr(copy, mode="w")
    xr.testing.assert_identical(xr.open_datatree(copy, engine="zarr").load(), tree.load())
    # the statistics blobs read back through the tree are the chunks' own
    blob = np.asarray(tree["chunk_stats"]["1"].values, np.uint8)
    stats = store.read_chunk_stats(output, 1)
    with np.load(io.BytesIO(blob.tobytes())) as npz:
        assert sorted(npz.files) == sorted(stats)
    # one group alone keeps the in-memory names: the daily group's scenarios are "scenario"
    assert DAILY_SCENARIO in tree["daily"].dims
    assert store.open_results(output, group="daily")["unmet"].dims == ("policy", "scenario", "day", "product")


def test_every_data_variable_has_resolved_units_and_a_long_name(run):
    config, output = run
    loaded = config.loaded
    tree = store.open_tree(output)
    for node in tree.subtree:
        for name, var in node.data_vars.items():
            assert var.attrs.get("units") not in PLACEHOLDERS, (node.path, name, var.attrs.get("units"))
            assert var.attrs.get("long_name"), (node.path, name)
    both = " | ".join(dict.fromkeys(loaded.units))  # products of two units: both, in product order
    expected = {
        ("summary", "unmet"): both, ("summary", "shortage_days"): "day",
        ("summary", "undelivered_value"): loaded.currency, ("summary", "value_added_loss"): loaded.io_value_unit,
        ("summary", "p_any_shortage"): "1", ("summary", "recovered"): "1",
        ("effects", "value_added_loss_mean_reduction"): loaded.io_value_unit,
        ("effects", "shortage_days_mean_relative_reduction"): "1", ("effects", "shortage_probability"): "1",
        ("effects", "stockpile_fiscal_cost_per_year"): f"{loaded.currency} / year",
        ("normal_times", "normal_price_change"): "1", ("daily", "private_stock"): both,
        ("daily", "price_change"): "1", ("daily", "world_stock_days"): "day",
    }
    for (group, name), units in expected.items():
        assert tree[group][name].attrs["units"] == units, (group, name)
    assert tree["unmet"].attrs["units"] == both and tree["value_added_loss"].attrs["units"] == loaded.io_value_unit
    assert tree["summary"]["unmet"].attrs["unit_coordinate"] == "product_unit"
    assert tree["daily"]["day"].attrs["units"] == "day"


def test_product_metadata_are_coordinates_and_dimensions_share_one_order(run):
    config, output = run
    storable = np.asarray(config.loaded.model.storable) > 0
    tree = store.open_tree(output)
    for node in tree.subtree:
        if "product" not in node.dims or node.name == "chunk_stats":
            continue
        for name in ("product_unit", "storable"):
            assert name in node.coords and name not in node.data_vars, (node.path, name)
            assert node.coords[name].dims == ("product",)
        assert list(node["product_unit"].values) == list(config.loaded.units), node.path
        np.testing.assert_array_equal(node["storable"].values, storable)
    for node in tree.subtree:
        for name, var in node.data_vars.items():
            assert var.dims == order_dims(var.dims), (node.path, name, var.dims)
    assert tree["effects"]["shortage_days_mean_reduction"].dims == ("policy", "product")
    assert tree["summary"]["unmet"].dims == ("statistic", "policy", "product")


def test_the_units_the_job_takes_from_the_model_are_those_its_root_holds(run):
    """The job writes its groups with units taken from the model (``run_units``), not
    read back from the root: both must be the same, here for products of two units and an
    IO value unit other than the currency."""
    config, output = run
    assert run_units(Simulation.from_config(config)) == store.store_units(output)


def test_describe_orders_dimensions_and_keeps_values_encoding_and_coordinates():
    """A group as the engine and the statistics leave it (placeholders, dimensions in
    another order, an encoding): ordered dimensions, resolved units, values untouched;
    the encoding kept where the order is (dropped where not: its chunks are in the old
    order); the coordinates and the dataset's attributes as they were, plus
    their long names; the input left as it was."""
    units = Units(("gallium", "cable ships"), ("t", "ship-day"), (True, False), "USD", "JPY million")
    values = np.arange(12, dtype=np.float32).reshape(2, 3, 2)  # [product, statistic, policy]
    ds = xr.Dataset(
        {"unmet": (("product", "statistic", "policy"), values, {"units": PRODUCT_UNIT, "description": "unmet"}),
         "shortage_days": (("policy",), np.array([1.0, 2.0]), {"units": "days"})},
        coords={"product": ["gallium", "cable ships"], "policy": ["none", "mix"], "statistic": ["mean", "p50", "p95"]},
        attrs={"model": "small"})
    ds["unmet"].encoding = {"chunks": (2, 3, 2)}
    ds["shortage_days"].encoding = {"chunks": (2,)}
    before = ds.copy(deep=True)
    out = describe(ds, units, group="summary")
    xr.testing.assert_identical(ds, before)  # the input is not changed
    assert out["unmet"].dims == ("statistic", "policy", "product")
    np.testing.assert_array_equal(out["unmet"].values, np.moveaxis(values, 0, -1))
    assert out["unmet"].attrs["units"] == "t | ship-day" and out["unmet"].attrs["unit_coordinate"] == "product_unit"
    assert out["unmet"].encoding == {} and out["shortage_days"].encoding == {"chunks": (2,)}
    assert out["shortage_days"].attrs["units"] == "day"
    assert list(out.data_vars) == ["unmet", "shortage_days"] and out.attrs == {"model": "small"}
    assert list(out["product_unit"].values) == ["t", "ship-day"] and list(out["storable"].values) == [True, False]
    assert out["policy"].attrs["long_name"] == "policy mix" and "long_name" not in ds["policy"].attrs


def _copy(output, tmp_path, name):
    copy = tmp_path / name
    shutil.copytree(output, copy)
    return copy


def test_a_newer_store_format_is_refused_with_one_message(run, tmp_path, capsys):
    from simcore.cli import main

    _, output = run
    newer = _copy(output, tmp_path, "newer.zarr")
    store.set_attributes(newer, {store.STORE_FORMAT_ATTR: store.STORE_FORMAT + 1})
    for read in (lambda: store.open_results(newer), lambda: store.open_results(newer, group="summary"),
                 lambda: store.open_tree(newer)):
        with pytest.raises(InputError, match=f"format {store.STORE_FORMAT + 1}.*upgrade simcore"):
            read()
    capsys.readouterr()
    assert main(["report", str(newer), "--out", str(tmp_path / "report")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "upgrade simcore" in err and "Traceback" not in err


def test_a_store_of_the_earlier_format_is_read_and_refused_as_a_tree(run, tmp_path):
    """Format 1 (no format attribute, statistics blobs without dimension names) still
    opens group by group, its statistics still read; only the tree is refused, by name."""
    import zarr

    _, output = run
    older = _copy(output, tmp_path, "older.zarr")
    attrs = store.read_attributes(older)
    attrs.pop(store.STORE_FORMAT_ATTR)
    group = zarr.open_group(older, mode="r+")
    group.attrs.put(attrs)
    stats = zarr.open_group(older, path=store.CHUNK_STATS_GROUP, mode="r+")
    blob = np.asarray(stats["0"][...])
    stats.create_array("0", shape=blob.shape, dtype=np.uint8, chunks=blob.shape, overwrite=True)[...] = blob
    assert store.read_chunk_stats(older, 0).keys() == store.read_chunk_stats(output, 0).keys()
    for group_name in (None, "summary", "effects", "normal_times", "daily"):
        xr.testing.assert_identical(store.open_results(older, group=group_name).load().drop_attrs(),
                                    store.open_results(output, group=group_name).load().drop_attrs())
    with pytest.raises(InputError, match="earlier simcore \\(format 1\\).*open_results"):
        store.open_tree(older)


def test_resume_refuses_a_partial_store_of_the_earlier_format(run, tmp_path, monkeypatch):
    config, _ = run
    output = tmp_path / "out.zarr"
    real = job_module.store_chunk

    def first_only(sim, plan, path, index, *args):
        if index > 0:
            raise RuntimeError("stopped after the first chunk")
        return real(sim, plan, path, index, *args)

    monkeypatch.setattr(job_module, "store_chunk", first_only)
    with pytest.raises(RuntimeError, match="first chunk"):
        run_to_store(config, output, log=lambda *a: None)
    monkeypatch.undo()
    partial = store.partial_path(output)
    store.set_attributes(partial, {store.STORE_FORMAT_ATTR: 1})
    with pytest.raises(store.OutputError, match=f"cannot resume .*store format: stored 1, now {store.STORE_FORMAT}"):
        run_to_store(config, output, resume=True, log=lambda *a: None)
