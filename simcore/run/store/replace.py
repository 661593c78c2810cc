"""Deleting, replacing and publishing stores, so a complete result is never half-overwritten.

:func:`publish` marks a run's ``NAME.zarr.partial`` complete and moves it onto
``NAME.zarr`` with :func:`replace_store`: an atomic rename on a local filesystem, a
copy whose root ``zarr.json`` is written last on object stores. :func:`delete_store`
and :func:`clean_leftovers` delete only stores simcore wrote
(:func:`~simcore.run.store.checks.check_replaceable`).
"""

from __future__ import annotations

import os
import posixpath
import shutil
import time
from pathlib import Path

from simcore.run.store.checks import _only_zarr_keys, check_replaceable
from simcore.run.store.errors import OutputError
from simcore.run.store.groups import set_attributes
from simcore.run.store.location import PARTIAL_SUFFIX, Where, _quiet, _zarr, as_location
from simcore.run.store.lock import _pid_alive
from simcore.run.store.markers import ROOT_METADATA, is_simcore_store


def delete_store(where: Where, *, sibling: bool = False) -> None:
    """Delete the store at ``where``, if any. At a URL its root ``zarr.json`` goes first,
    so a store deleted half-way no longer opens as a store. Refuses (:class:`OutputError`)
    a folder simcore did not write (:func:`check_replaceable`; ``sibling`` as there)."""
    location = as_location(where)
    check_replaceable(location, sibling=sibling)
    local = location.local_path
    if local is not None:
        if local.exists():
            shutil.rmtree(local)
        return
    fs, path = location.filesystem()
    if not fs.exists(path):
        return
    try:
        fs.rm_file(posixpath.join(path, ROOT_METADATA))
    except FileNotFoundError:
        pass
    fs.rm(path, recursive=True)


def clean_leftovers(target: Where) -> list[Path]:
    """Delete the ``NAME.zarr.old-PID`` folders a replace killed half-way left beside a
    local ``target`` (their process is gone; only stores simcore wrote); returns them.
    Call it while holding the output's lock."""
    location = as_location(target)
    local = location.local_path
    if local is None or not local.parent.is_dir():
        return []
    removed = []
    for path in sorted(local.parent.glob(f"{local.name}.old-*")):
        pid = path.name.rsplit("-", 1)[-1]
        if not pid.isdigit() or _pid_alive(int(pid)) or not path.is_dir():
            continue
        if not is_simcore_store(path) and not _only_zarr_keys(as_location(path)):
            continue  # not ours: never deleted
        shutil.rmtree(path, ignore_errors=True)
        removed.append(path)
    return removed


def _copy_keys(fs, sources: list[str], targets: list[str]) -> None:
    # one call per batch: async backends (s3fs, gcsfs) copy server-side and concurrently
    fs.copy(sources, targets)


def replace_store(source: Where, target: Where) -> None:
    """Move the store ``source`` onto ``target``, replacing any store there.

    Local filesystem (a path or a ``file://`` URL): ``target`` is renamed aside,
    ``source`` renamed onto it (atomic), then the old one deleted, so at every moment
    one complete store exists (as ``target``, or briefly as ``target.old-PID``).

    Elsewhere (object stores have no rename): the old ``target`` is deleted (its root
    ``zarr.json`` first), ``source`` is copied key by key with its root ``zarr.json``
    (status, attributes, consolidated metadata) last, then ``source`` is deleted. A
    reader of ``target`` finds the old store, no store (no root metadata: opening
    fails), or the new one, never a mix of both; while there is none, ``source`` still
    holds the new store, and a run killed then leaves it there (``--resume`` publishes
    it again). The copy costs a server-side copy of every object.
    """
    source, target = as_location(source), as_location(target)
    check_replaceable(target, sibling=target.url.endswith(PARTIAL_SUFFIX))
    local_source, local_target = source.local_path, target.local_path
    if local_source is not None and local_target is not None:
        aside = None
        if local_target.exists():
            aside = local_target.with_name(f"{local_target.name}.old-{os.getpid()}")
            os.replace(local_target, aside)
        os.replace(local_source, local_target)
        if aside is not None:
            shutil.rmtree(aside, ignore_errors=True)
        return
    fs, source_path = source.filesystem()
    _, target_path = target.filesystem()
    keys = fs.find(source_path)
    root = posixpath.join(source_path, ROOT_METADATA)
    if root not in keys:
        raise OutputError(f"{source} is not a zarr store (it has no {ROOT_METADATA})")
    data = [key for key in keys if key != root]
    delete_store(target)
    _copy_keys(fs, data, [target_path + key[len(source_path):] for key in data])
    _copy_keys(fs, [root], [posixpath.join(target_path, ROOT_METADATA)])  # the commit point
    delete_store(source)


def publish(partial: Where, target: Where) -> None:
    """Mark the store complete, consolidate its metadata and move it onto ``target``
    (:func:`replace_store`: atomic on a local filesystem; at a URL a copy whose root
    metadata is written last)."""
    import zarr

    set_attributes(partial, {"status": "complete", "completed": time.strftime("%Y-%m-%d %H:%M:%S")})
    with _quiet():
        zarr.consolidate_metadata(_zarr(partial))
    replace_store(partial, target)
