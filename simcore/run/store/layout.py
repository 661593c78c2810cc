"""Laying out a new run store in full: every array at its final shape, no data yet.

:func:`create_store` writes the root attributes (with the format marker and layout
version, :mod:`simcore.run.store.markers`), the per-scenario arrays ``[policy,
scenario, ...]`` sized to ``n_scenarios`` with zarr chunks equal to run chunks,
``chunk_done [chunk]`` and the empty ``chunk_stats`` group; the chunks are filled
later (:mod:`simcore.run.store.chunks`). :func:`layout_coords` gives its fixed
coordinates from one chunk's dataset.
"""

from __future__ import annotations

import numpy as np
import xarray as xr

from simcore.run.conventions import PRODUCT_COORDS, Units, describe, order_dims
from simcore.run.store.location import Where, _quiet, _zarr
from simcore.run.store.markers import STORE_FORMAT, STORE_FORMAT_ATTR, STORE_MARKER

CHUNK_DONE = "chunk_done"
CHUNK_STATS_GROUP = "chunk_stats"


def _lazy_empty(shape: tuple, dtype, chunks: tuple):
    import dask.array as da

    return da.empty(shape, dtype=dtype, chunks=chunks)


def create_store(path: Where, per_scenario: xr.Dataset | None, *, n_scenarios: int, chunk_size: int,
                 coords: dict, attrs: dict) -> None:
    """Lay out a new store at ``path`` (replacing anything there) with its final shape;
    no chunk data is written (unwritten regions read as NaN for floats, 0 / False else).

    ``per_scenario``: one chunk's per-scenario dataset (any number of scenarios; only
    variable names, dims, dtypes and attributes are used) or None (``keep = "summary"``).
    ``coords``: the fixed coordinates (policy, product, sector, event, ...) as values,
    and per-product metadata (``product_unit``, ``storable``) as ``("product", values)``
    (:func:`layout_coords`). ``attrs``: the root attributes (``currency`` and
    ``io_value_unit`` resolve the variables' units, :mod:`simcore.run.conventions`).
    """
    import zarr

    n_chunks = -(-n_scenarios // chunk_size)
    data_vars = {
        CHUNK_DONE: (("chunk",), _lazy_empty((n_chunks,), bool, (1,)),
                     {"units": "1", "long_name": "run chunk done",
                      "description": "true once the run chunk's data and statistics are written"}),
    }
    all_coords = dict(coords)
    all_coords["chunk"] = np.arange(n_chunks, dtype=np.int64)
    if per_scenario is not None:
        all_coords["scenario"] = np.arange(n_scenarios, dtype=np.int64)
        for name, var in per_scenario.data_vars.items():
            if "scenario" not in var.dims:
                if name in PRODUCT_COORDS:
                    all_coords.setdefault(name, var)  # small, written now
                else:
                    data_vars[name] = var
                continue
            dims = order_dims(var.dims)
            shape = tuple(n_scenarios if d == "scenario" else var.sizes[d] for d in dims)
            chunks = tuple(chunk_size if d == "scenario" else var.sizes[d] for d in dims)
            data_vars[name] = (dims, _lazy_empty(shape, var.dtype, chunks), dict(var.attrs))
    # the format marker (simcore may replace this store later) and the layout version
    attrs = {STORE_MARKER: "run", STORE_FORMAT_ATTR: STORE_FORMAT, **attrs}
    root = xr.Dataset(data_vars, coords=all_coords, attrs=attrs)
    root = describe(root, Units.of(root))
    # bool/int arrays need no fill value; floats read NaN where never written
    encoding = {name: {"_FillValue": None} for name, var in root.data_vars.items()
                if not np.issubdtype(var.dtype, np.floating)}
    store = _zarr(path)
    with _quiet():
        root.to_zarr(store, mode="w", compute=False, consolidated=False, encoding=encoding)
        group = zarr.open_group(store, mode="r+").create_group(CHUNK_STATS_GROUP, overwrite=True)
        group.attrs["description"] = ("one uint8 array per run chunk (named by its index, dimension "
                                      "npz_bytes_<index>): the chunk's statistics "
                                      "(simcore.run.stats.ChunkStats.to_arrays) as .npz bytes")


def layout_coords(template: xr.Dataset) -> dict:
    """The fixed coordinates of a run's store from one chunk's per-scenario dataset
    (:func:`simcore.run.runner.chunk_dataset`): ``policy``, ``product``, ``sector``,
    ``event`` as values and the per-product metadata as ``("product", values)``, for
    :func:`create_store` (the root holds them whatever is kept)."""
    coords = {name: template[name].values for name in ("policy", "product", "sector", "event") if name in template}
    for name in PRODUCT_COORDS:
        if name in template.variables:
            coords[name] = ("product", template[name].values)
    return coords
