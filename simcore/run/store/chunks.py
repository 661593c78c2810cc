"""Filling a laid-out store run chunk by run chunk, and the bookkeeping a resume reads.

Run chunk ``i`` writes its per-scenario region ``scenario = i * chunk_size ...``
(:func:`write_region`) and its mergeable statistics as one ``.npz`` blob
``chunk_stats/<index>`` (:func:`write_chunk_stats`), then sets ``chunk_done[i]``
(:func:`mark_done`). Every write is idempotent, and only done chunks
(:func:`done_chunks`) count, so a resumed run redoes exactly the others.
"""

from __future__ import annotations

import io

import numpy as np
import xarray as xr

from simcore.run.conventions import order_dims
from simcore.run.store.layout import CHUNK_DONE, CHUNK_STATS_GROUP
from simcore.run.store.location import Where, _quiet, _zarr


def write_region(path: Where, ds: xr.Dataset, first: int) -> None:
    """Write one run chunk's per-scenario dataset into its region ``scenario = first ...``.

    Idempotent: writing the same chunk twice stores the same bytes."""
    count = ds.sizes["scenario"]
    # the fixed coordinates and the scenario index were written when the store was laid
    # out; leaving them out means a chunk touches only zarr chunks it owns alone
    along = ds.drop_vars([name for name, var in ds.variables.items()
                          if "scenario" not in var.dims or name == "scenario"])
    along = along.transpose(*order_dims(tuple(along.dims)))  # the layout's order (create_store)
    with _quiet():
        along.to_zarr(_zarr(path), region={"scenario": slice(first, first + count)}, mode="r+", consolidated=False)


def write_chunk_stats(path: Where, index: int, arrays: dict[str, np.ndarray]) -> None:
    """Store run chunk ``index``'s statistics arrays (any shapes: histograms and sketches
    differ from chunk to chunk) as one ``.npz`` blob ``chunk_stats/<index>``, a uint8 array
    with a dimension of its own (``npz_bytes_<index>``: xarray needs dimension names, and
    blobs differ in length). Idempotent."""
    import zarr

    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(value) for name, value in arrays.items()})
    blob = np.frombuffer(buffer.getvalue(), dtype=np.uint8)
    group = zarr.open_group(_zarr(path), path=CHUNK_STATS_GROUP, mode="r+")
    attributes = {"units": "1", "long_name": f"run chunk {index}'s mergeable statistics (.npz bytes)"}
    with _quiet():
        group.create_array(str(index), shape=blob.shape, dtype=np.uint8, chunks=blob.shape or (1,),
                           dimension_names=(f"npz_bytes_{index}",), attributes=attributes,
                           overwrite=True)[...] = blob


def mark_done(path: Where, index: int) -> None:
    """Mark run chunk ``index`` done (after its data and statistics are written)."""
    import zarr

    zarr.open_array(_zarr(path), path=CHUNK_DONE, mode="r+")[index] = True


def done_chunks(path: Where) -> np.ndarray:
    """``chunk_done`` as a boolean array ``[chunk]``."""
    import zarr

    return np.asarray(zarr.open_array(_zarr(path), path=CHUNK_DONE, mode="r")[:], dtype=bool)


def read_chunk_stats(path: Where, index: int) -> dict[str, np.ndarray] | None:
    """Run chunk ``index``'s statistics arrays (None if it has none)."""
    import zarr

    group = zarr.open_group(_zarr(path), path=CHUNK_STATS_GROUP, mode="r")
    try:
        blob = np.asarray(group[str(index)][...], dtype=np.uint8)
    except KeyError:
        return None
    with np.load(io.BytesIO(blob.tobytes()), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}
