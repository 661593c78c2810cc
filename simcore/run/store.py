"""Results store: per-scenario metrics streamed to zarr, summaries beside them.

Layout of ``NAME.zarr``: the root group holds per-scenario metrics
``[policy, scenario, ...]`` appended chunk by chunk along ``scenario``; groups
``summary`` (statistics across scenarios), ``effects`` (each mix against the
no-policy baseline) and ``normal_times`` (policy side effects without disruption).
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from pathlib import Path

import xarray as xr


@contextmanager
def _quiet():
    # zarr warns that fixed-width unicode (our name coordinates) is not in the v3 spec yet.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
        yield


def write_chunk(ds: xr.Dataset, path: str | Path, first: bool) -> None:
    """Write the first chunk (replacing any store) or append one along ``scenario``."""
    with _quiet():
        if first:
            ds.to_zarr(path, mode="w", consolidated=False)
        else:
            fixed = ["policy", "product", "sector", "event", "product_unit"]
            ds.drop_vars(fixed, errors="ignore").to_zarr(path, append_dim="scenario", consolidated=False)


def write_group(ds: xr.Dataset, path: str | Path, group: str) -> None:
    """Write ``ds`` as the sub-group ``group`` of the store (replacing it)."""
    with _quiet():
        ds.to_zarr(path, group=group, mode="w", consolidated=False)


def set_attributes(path: str | Path, attrs: dict) -> None:
    import zarr

    root = zarr.open_group(str(path), mode="a")
    root.attrs.update(attrs)


def open_results(path: str | Path, group: str | None = None) -> xr.Dataset:
    """Open a results store (or one of its groups) lazily."""
    return xr.open_zarr(path, group=group, consolidated=False)
