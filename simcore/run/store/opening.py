"""Opening a results store for reading: one group as a dataset, or the whole store as a tree.

:func:`open_results` and :func:`open_tree` open a store at a path or an fsspec URL
lazily, complete or partial, of this layout version or an earlier one;
:func:`check_format` refuses a newer one first
(:class:`~simcore.schema.errors.InputError`, one line on the command line).
"""

from __future__ import annotations

import xarray as xr

from simcore.run.conventions import DAILY_SCENARIO
from simcore.run.store.location import StoreLocation, Where, _quiet, _shown, as_location
from simcore.run.store.markers import STORE_FORMAT, STORE_FORMAT_ATTR, TREE_FORMAT, _root_attributes, store_format
from simcore.schema.errors import InputError


def check_format(location: StoreLocation) -> int:
    """The store's layout version; raises :class:`~simcore.schema.errors.InputError`
    (one problem: the CLI prints one line, status 2) for a format newer than this
    release reads. A location without a readable root passes (opening it fails
    as before)."""
    attrs = _root_attributes(location) or {}
    found = store_format(attrs)
    if found > STORE_FORMAT:
        from simcore.run.runner import _version

        raise InputError(str(_shown(location)), [(STORE_FORMAT_ATTR, (
            f"the store has format {attrs.get(STORE_FORMAT_ATTR)!r}, written by simcore "
            f"{attrs.get('simcore_version', '(unknown)')}; this simcore ({_version()}) reads formats 1 to "
            f"{STORE_FORMAT}: upgrade simcore to read it"))])
    return found


def open_results(path: Where, group: str | None = None, storage_options: dict | None = None) -> xr.Dataset:
    """Open a results store (or one of its groups), at a path or an fsspec URL, lazily;
    works on complete stores (consolidated metadata) and on partial ones (check
    ``attrs["status"]`` and ``chunk_done``), of this format or an earlier one; refuses
    a newer format (:func:`check_format`).

    One group alone has the dimension names of the in-memory datasets
    (:func:`simcore.run.runner.daily_trajectories`): the ``daily`` group's
    ``daily_scenario`` (its name in the tree, :func:`open_tree`) is ``scenario`` here."""
    location = as_location(path, storage_options)
    check_format(location)
    store = location.zarr_store()
    with _quiet():
        try:
            ds = xr.open_zarr(store, group=group, consolidated=True)
        except (KeyError, ValueError, FileNotFoundError, OSError):
            ds = xr.open_zarr(store, group=group, consolidated=False)
    if group is not None and group.strip("/") == "daily" and DAILY_SCENARIO in ds.dims:
        ds = ds.rename({DAILY_SCENARIO: "scenario"})
    return ds


def open_tree(path: Where, storage_options: dict | None = None) -> xr.DataTree:
    """The whole store (at a path or an fsspec URL) as one lazy ``xarray.DataTree``:
    the root's per-scenario arrays and every group (``summary``, ``effects``,
    ``normal_times``, ``daily``, ``chunk_stats``, and ``attribution`` / ``sensitivity``
    where written). The same as ``xr.open_datatree(store, engine="zarr")`` after
    :func:`check_format`; a store of format 1 (earlier releases) does not open as one
    tree and is refused with a message naming :func:`open_results`, which reads it."""
    location = as_location(path, storage_options)
    if check_format(location) < TREE_FORMAT:
        raise InputError(str(_shown(location)), [(STORE_FORMAT_ATTR, (
            "the store was written by an earlier simcore (format 1) and does not open as one tree; "
            "read its groups with simcore.run.store.open_results(store, group=...), or run it again"))])
    store = location.zarr_store()
    with _quiet():
        try:
            return xr.open_datatree(store, engine="zarr", consolidated=True)
        except (KeyError, ValueError, FileNotFoundError, OSError):
            return xr.open_datatree(store, engine="zarr", consolidated=False)
