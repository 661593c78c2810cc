"""Results store: a zarr store laid out in full at the start, filled chunk by chunk.

Layout of ``NAME.zarr`` (see ``docs/running.md``):

* root attributes: ``status`` (``running`` / ``complete``), ``config_text`` and
  ``config_sha256``, ``model_sha256``, versions, ``seed``, ``n_scenarios``,
  ``chunk_size``, ``n_chunks``, ``keep`` and the run attributes of the runner;
* root arrays (``keep = "per-scenario"``): per-scenario metrics ``[policy, scenario, ...]``
  and sampled events ``[scenario, event]``, sized to ``n_scenarios`` from the start, with
  zarr chunks equal to run chunks, so that run chunk ``i`` owns the region
  ``scenario = i * chunk_size ...`` and nothing else (writes are idempotent: a chunk
  written twice holds the same bytes);
* ``chunk_done [chunk]`` (bool, one zarr chunk per run chunk): set after the chunk's
  data is written; only done chunks are valid;
* group ``chunk_stats``: each run chunk's mergeable statistics
  (:mod:`simcore.run.stats`), one ``.npz`` blob per chunk (``chunk_stats/<index>``, a
  uint8 array with its own dimension ``npz_bytes_<index>``);
* groups written at the end: ``summary``, ``effects``, ``normal_times``, ``daily``.

Every group follows :mod:`simcore.run.conventions` (resolved ``units`` and a
``long_name`` on every data variable, per-product metadata as coordinates, one
dimension order), so the whole store opens as one ``xarray.DataTree``
(:func:`open_tree`, or ``xr.open_datatree(store, engine="zarr")``). The root attribute
``simcore_store_format`` (:data:`STORE_FORMAT`) says which layout a store has; stores
without it are format 1 (earlier releases: placeholder units, per-product metadata as
data variables, ``chunk_stats`` without dimension names); format 2 lacks the paired
differences that give the effects their intervals (a partial store of another format is
not resumed). Readers refuse a newer format (:func:`check_format`).

The store lives at a local path or an fsspec URL (:class:`StoreLocation`; zarr opens a
URL through its ``FsspecStore``).

Safety: a run writes ``NAME.zarr.partial`` beside the target under a lock
``NAME.zarr.lock`` and replaces ``NAME.zarr`` only when complete (:func:`publish`),
so an older complete result survives a failed or interrupted run. On a local
filesystem (a path or a ``file://`` URL) the lock file is held with a kernel lock for
the run's life (a killed run's lock is taken over by exactly one restarter,
:class:`OutputLock`) and the replace is an atomic rename; elsewhere (object stores) the
lock is created in fsspec's exclusive mode where the backend has one, and the replace
is a copy that writes the root ``zarr.json`` last (:func:`replace_store` says what a
reader can see meanwhile).

Where each part lives
---------------------
* :mod:`~simcore.run.store.location`: :class:`StoreLocation` (a path or a URL), the
  ``.partial`` / ``.lock`` siblings, how zarr opens a store;
* :mod:`~simcore.run.store.errors`: :class:`OutputError`;
* :mod:`~simcore.run.store.markers`: the format marker and the layout version;
* :mod:`~simcore.run.store.checks`: :func:`check_writable`, :func:`check_replaceable`;
* :mod:`~simcore.run.store.lock`: :class:`OutputLock`;
* :mod:`~simcore.run.store.layout`: :func:`create_store`, :func:`layout_coords`;
* :mod:`~simcore.run.store.chunks`: writing run chunks and the ``chunk_done`` /
  ``chunk_stats`` bookkeeping a resume reads;
* :mod:`~simcore.run.store.groups`: root attributes, the groups written at the end,
  analysis groups;
* :mod:`~simcore.run.store.replace`: :func:`delete_store`, :func:`replace_store`,
  :func:`publish`, :func:`clean_leftovers`;
* :mod:`~simcore.run.store.opening`: :func:`check_format`, :func:`open_results`,
  :func:`open_tree`.

The public names (``__all__``) are importable from ``simcore.run.store`` itself, as
before the split into modules.
"""

from simcore.run.store.checks import check_replaceable, check_writable
from simcore.run.store.chunks import done_chunks, mark_done, read_chunk_stats, write_chunk_stats, write_region
from simcore.run.store.errors import OutputError
from simcore.run.store.groups import (
    read_attributes,
    set_attributes,
    store_units,
    write_analysis_group,
    write_group,
)
from simcore.run.store.layout import CHUNK_DONE, CHUNK_STATS_GROUP, create_store, layout_coords
from simcore.run.store.location import (
    LOCK_SUFFIX,
    PARTIAL_SUFFIX,
    StoreLocation,
    Where,
    _quiet,  # noqa: F401 - simcore.run.job reads partial stores with zarr directly
    _zarr,  # noqa: F401
    as_location,
    local_output,
    lock_path,
    partial_path,
    refuse_process_memory,
)
from simcore.run.store.lock import OutputLock
from simcore.run.store.markers import (
    ROOT_METADATA,
    STORE_FORMAT,
    STORE_FORMAT_ATTR,
    STORE_MARKER,
    TREE_FORMAT,
    is_simcore_store,
    store_format,
)
from simcore.run.store.opening import check_format, open_results, open_tree
from simcore.run.store.replace import clean_leftovers, delete_store, publish, replace_store

__all__ = [
    "CHUNK_DONE", "CHUNK_STATS_GROUP", "LOCK_SUFFIX", "PARTIAL_SUFFIX", "ROOT_METADATA", "STORE_FORMAT",
    "STORE_FORMAT_ATTR", "STORE_MARKER", "TREE_FORMAT", "OutputError", "OutputLock", "StoreLocation", "Where",
    "as_location", "check_format", "check_replaceable", "check_writable", "clean_leftovers", "create_store",
    "delete_store", "done_chunks", "is_simcore_store", "layout_coords", "local_output", "lock_path", "mark_done",
    "open_results", "open_tree", "partial_path", "publish", "read_attributes", "read_chunk_stats",
    "refuse_process_memory", "replace_store", "set_attributes", "store_format", "store_units",
    "write_analysis_group", "write_chunk_stats", "write_group", "write_region",
]
