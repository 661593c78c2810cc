"""A store's root attributes and the groups written after its chunks.

:func:`read_attributes` / :func:`set_attributes` read and update the root attributes
(``status``, the config, the run's attributes); :func:`write_group` writes a group
(``summary``, ``effects``, ``normal_times``, ``daily``, ``attribution``) in the store's
conventions with the units of its model (:func:`store_units`), and
:func:`write_analysis_group` an analysis result (sensitivities, Sobol indices) into a
local store.
"""

from __future__ import annotations

import warnings

import xarray as xr

from simcore.run.conventions import Units, describe
from simcore.run.store.location import Where, _quiet, _zarr


def read_attributes(path: Where) -> dict:
    import zarr

    with _quiet():  # a consolidated store's root holds its arrays' metadata too
        return dict(zarr.open_group(_zarr(path), mode="r").attrs)


def set_attributes(path: Where, attrs: dict) -> None:
    import zarr

    with _quiet():
        root = zarr.open_group(_zarr(path), mode="a")
        root.attrs.update(attrs)


def store_units(path: Where) -> Units:
    """The units of the store's model (:class:`~simcore.run.conventions.Units`) from its
    root: the per-product coordinates and the ``currency`` / ``io_value_unit`` attributes."""
    with _quiet():
        root = xr.open_zarr(_zarr(path), consolidated=False)
    try:
        return Units.of(root)
    finally:
        root.close()


def write_analysis_group(ds: xr.Dataset, path: str, group: str) -> None:
    """Write an analysis result (sensitivities, Sobol indices) as group ``group`` of a zarr
    store at a local ``path`` (created if missing; a run's store or one of its own),
    replacing the group, with its scalar attributes only (zarr keeps no others), and
    consolidate the store's metadata."""
    import zarr

    clean = ds.copy()
    clean.attrs = {k: v for k, v in ds.attrs.items() if isinstance(v, (str, int, float, bool))}
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*Zarr V3.*|.*Consolidated metadata.*|.*does not have a Zarr.*")
        clean.to_zarr(str(path), group=group, mode="w", consolidated=False)
        zarr.consolidate_metadata(str(path))


def write_group(ds: xr.Dataset, path: Where, group: str, units: Units | None = None) -> xr.Dataset:
    """Write ``ds`` as the sub-group ``group`` of the store (replacing it), in the store's
    conventions (:func:`~simcore.run.conventions.describe`, with the units of the root's
    model: ``units``, default :func:`store_units` read from the root, about 0.1 s: a
    caller writing several groups reads them once); returns what was written."""
    ds = describe(ds, store_units(path) if units is None else units, group=group)
    with _quiet():
        ds.to_zarr(_zarr(path), group=group, mode="w", consolidated=False)
    return ds
