"""What marks a folder as a store simcore wrote, and which layout version it has.

Every store simcore writes carries the root attribute ``simcore_store``
(:data:`STORE_MARKER`; stores of earlier releases ``simcore_version``) and its layout
version ``simcore_store_format`` (:data:`STORE_FORMAT_ATTR`, :func:`store_format`).
:func:`_root_attributes` reads them from the root ``zarr.json`` without opening the
store with zarr, so a folder that is not a zarr store is told apart cheaply.
"""

from __future__ import annotations

import json
import posixpath

from simcore.run.store.errors import OutputError
from simcore.run.store.location import StoreLocation, Where, as_location

ROOT_METADATA = "zarr.json"  # zarr v3: the root group's metadata (attributes, consolidated metadata)
# The format marker: a root attribute every store simcore writes carries (value: what kind
# of store, "run", "sweep" or "optimize"). simcore replaces or deletes only folders that
# carry it (or ``simcore_version``, which stores of earlier releases carry), so an
# ``--output`` that names a user's own folder is refused instead of deleted.
STORE_MARKER = "simcore_store"
_EARLIER_MARKER = "simcore_version"
# The layout version (root attribute): 1 = stores without the attribute (before the CF
# conventions of :mod:`simcore.run.conventions`), 2 = the CF layout, 3 = this layout. Raise it
# whenever a reader of the old layout would misread the new one.
STORE_FORMAT_ATTR = "simcore_store_format"
STORE_FORMAT = 3  # 3: the summary holds the paired differences of the effects (simcore.run.paired)
TREE_FORMAT = 2  # the first format that opens as one tree


def _root_attributes(location: StoreLocation) -> dict | None:
    """The root group's attributes of the zarr store at ``location``, or None if there is
    no readable root ``zarr.json`` (no store, or not a zarr store)."""
    try:
        local = location.local_path
        if local is not None:
            data = (local / ROOT_METADATA).read_bytes()
        else:
            fs, path = location.filesystem()
            data = fs.cat_file(posixpath.join(path, ROOT_METADATA))
        meta = json.loads(data)
    except OutputError:
        raise
    except Exception:  # missing, unreadable, not JSON; each backend has its own "not found"
        return None
    if not isinstance(meta, dict) or "zarr_format" not in meta:
        return None
    attrs = meta.get("attributes")
    return attrs if isinstance(attrs, dict) else {}


def is_simcore_store(where: Where) -> bool:
    """True if ``where`` is a store simcore wrote (its root carries the format marker)."""
    attrs = _root_attributes(as_location(where))
    return attrs is not None and (STORE_MARKER in attrs or _EARLIER_MARKER in attrs)


def store_format(attrs: dict) -> int:
    """The layout version of a store with these root attributes (1 where unmarked)."""
    try:
        return int(attrs.get(STORE_FORMAT_ATTR, 1))
    except (TypeError, ValueError):
        return STORE_FORMAT + 1  # not a number this release writes: a later (or foreign) format
