"""Checks before anything is computed or replaced: can the output be written, is it simcore's.

:func:`check_writable` makes sure a store's folder (a path or a URL) can be written
before a run computes anything; :func:`check_replaceable` refuses to replace or delete
a folder simcore did not write (no format marker, :mod:`simcore.run.store.markers`),
accepting what a store deleted or copied half-way leaves behind. Both raise
:class:`~simcore.run.store.errors.OutputError`.
"""

from __future__ import annotations

import os
import posixpath
import uuid
from pathlib import Path

from simcore.run.store.errors import OutputError
from simcore.run.store.location import StoreLocation, Where, _shown, as_location
from simcore.run.store.markers import _EARLIER_MARKER, ROOT_METADATA, STORE_MARKER, _root_attributes


def check_writable(target: Where, storage_options: dict | None = None, *, create: bool = True) -> Path | str:
    """Make sure ``target`` (a directory store, at a path or a URL) can be written, before
    anything is computed; returns it (a Path, or the URL). Raises :class:`OutputError`.

    Local filesystem: the parent is created if needed (``create``; else only checked to
    be creatable: its nearest existing folder must be a writable directory, and nothing
    is left on disk) and must be a writable directory, and the target, if it exists, a
    directory. URL: the protocol must be known and its backend installed, the target
    must not be a file, and a probe object beside it must be writable (this catches a
    missing bucket, missing credentials, a read-only filesystem)."""
    location = as_location(target, storage_options)
    local = location.local_path
    if local is not None:
        _check_local_writable(local, create)
    else:
        _check_remote_writable(location)
    return _shown(location)


def _check_local_writable(target: Path, create: bool = True) -> None:
    if target.exists() and not target.is_dir():
        raise OutputError(f"output {target} exists and is not a directory (a zarr store is a directory)")
    check_replaceable(target)
    parent = target.parent if str(target.parent) else Path(".")
    if parent.exists() and not parent.is_dir():
        raise OutputError(f"cannot create the output folder {parent}: a file of that name exists")
    if not create and not parent.exists():
        existing = parent.absolute()
        while not existing.exists() and existing != existing.parent:
            existing = existing.parent
        if not existing.is_dir():
            raise OutputError(f"cannot create the output folder {parent}: {existing} is not a directory")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise OutputError(f"cannot create the output folder {parent}: {existing} is not writable")
        return
    try:
        parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OutputError(f"cannot create the output folder {parent}: {exc.strerror or exc}") from None
    if not parent.is_dir():
        raise OutputError(f"output folder {parent} is not a directory")
    probe = parent / f".simcore-write-test-{os.getpid()}"
    try:
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise OutputError(f"output folder {parent} is not writable: {exc.strerror or exc}") from None


def _check_remote_writable(location: StoreLocation) -> None:
    fs, path = location.filesystem()
    parent = posixpath.dirname(path)
    if not parent:  # s3://bucket: its siblings NAME.partial, NAME.lock would be other buckets
        raise OutputError(f"output {location} names no folder: put the store inside a bucket or folder, "
                          f"e.g. {location.url}/results/run.zarr")
    probe = posixpath.join(parent, f".simcore-write-test-{os.getpid()}-{uuid.uuid4().hex[:8]}")
    try:
        is_file = fs.isfile(path)
        if not is_file:
            fs.pipe_file(probe, b"")
            fs.rm_file(probe)
    except Exception as exc:  # each backend raises its own errors: no bucket, no credentials, read-only
        raise OutputError(f"output {location} is not writable: {type(exc).__name__}: {exc}") from None
    if is_file:
        raise OutputError(f"output {location} exists and is a file (a zarr store is a folder of objects)")
    check_replaceable(location)


def _is_empty_folder(location: StoreLocation) -> bool:
    local = location.local_path
    if local is not None:
        return local.is_dir() and not any(local.iterdir())
    fs, path = location.filesystem()
    try:
        return not fs.find(path)
    except Exception:
        return False


def _only_zarr_keys(location: StoreLocation) -> bool:
    """True if every file under ``location`` is a zarr v3 key (``.../zarr.json`` metadata, a
    chunk under a ``c/`` folder, or a 0-d array's ``c``): what a store deleted or copied half-way leaves behind
    (object stores have no rename: its root ``zarr.json`` goes first, :func:`delete_store`)."""
    fs, path = location.filesystem()
    try:
        keys = fs.find(path)
    except Exception:
        return False
    for key in keys:
        parts = key[len(path):].strip("/").split("/")
        if parts[-1] not in (ROOT_METADATA, "c") and "c" not in parts[:-1]:  # "c": a 0-d array's chunk
            return False
    return bool(keys)


def check_replaceable(target: Where, *, sibling: bool = False) -> None:
    """Refuse (:class:`OutputError`) to replace or delete ``target`` unless simcore wrote
    it: it must not exist, be an empty folder, or be a store carrying the format marker.
    ``sibling``: ``target`` is one of simcore's own working copies (``NAME.zarr.partial``,
    ``.new``), which a kill can leave before its root attributes are written; there any
    zarr store (a root ``zarr.json``) is accepted too."""
    location = as_location(target)
    if not location.exists() or _is_empty_folder(location):
        return
    attrs = _root_attributes(location)
    if attrs is not None and (STORE_MARKER in attrs or _EARLIER_MARKER in attrs or sibling):
        return
    if attrs is None and _only_zarr_keys(location):  # a store simcore deleted or copied half-way
        return
    what = "a zarr store simcore did not write" if attrs is not None else "not a simcore results store"
    raise OutputError(f"output {_shown(location)} exists and is {what}; simcore replaces only its own "
                      f"stores (root attribute {STORE_MARKER!r}). Choose another --output, or move or "
                      f"delete that folder yourself")
