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
  (:mod:`simcore.run.stats`), one ``.npz`` blob per chunk (``chunk_stats/<index>``);
* groups written at the end: ``summary``, ``effects``, ``normal_times``, ``daily``.

Safety: a run writes ``NAME.zarr.partial`` beside the target under a lock file
``NAME.zarr.lock`` and replaces ``NAME.zarr`` only when complete (:func:`publish`),
so an older complete result survives a failed or interrupted run.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import socket
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import xarray as xr

PARTIAL_SUFFIX = ".partial"
LOCK_SUFFIX = ".lock"
CHUNK_DONE = "chunk_done"
CHUNK_STATS_GROUP = "chunk_stats"


class OutputError(Exception):
    """The output store cannot be used (unwritable, locked, mismatching resume): the CLI
    prints the message and exits with status 2."""


@contextmanager
def _quiet():
    # zarr warns that fixed-width unicode (our name coordinates) is not in the v3 spec
    # yet, and that consolidated metadata is not in the v3 spec either.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
        warnings.filterwarnings("ignore", message=".*Consolidated metadata is currently not part.*")
        yield


# ---------------------------------------------------------------- paths and the lock

def partial_path(target: str | Path) -> Path:
    target = Path(target)
    return target.with_name(target.name + PARTIAL_SUFFIX)


def lock_path(target: str | Path) -> Path:
    target = Path(target)
    return target.with_name(target.name + LOCK_SUFFIX)


def check_writable(target: str | Path) -> Path:
    """Make sure ``target`` (a directory store) can be written, before anything is
    computed: its parent is created if needed and must be a writable directory, and the
    target, if it exists, must be a directory. Raises :class:`OutputError`."""
    target = Path(target)
    if target.exists() and not target.is_dir():
        raise OutputError(f"output {target} exists and is not a directory (a zarr store is a directory)")
    parent = target.parent if str(target.parent) else Path(".")
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
    return target


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    return True


class OutputLock:
    """An exclusive lock on an output store: ``NAME.zarr.lock`` created with ``O_EXCL``,
    holding the owner's pid, host and start time.

    A lock left by a dead process on this host (killed run) is taken over; a live
    owner, or an owner on another host, gives :class:`OutputError`.
    """

    def __init__(self, target: str | Path):
        self.path = lock_path(target)
        self.held = False

    def acquire(self) -> "OutputLock":
        me = {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S")}
        for _ in range(3):
            try:
                fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
            except FileExistsError:
                owner = self._owner()
                if owner is not None and owner.get("host") == me["host"] and not _pid_alive(int(owner["pid"])):
                    self.path.unlink(missing_ok=True)  # stale: its run was killed
                    continue
                if owner is None:
                    # written just now by another process (not yet filled) or garbage
                    time.sleep(0.2)
                    owner = self._owner()
                    if owner is None:
                        raise OutputError(f"output is locked by {self.path} (unreadable lock file); if no simcore run "
                                          f"is writing it, delete {self.path}") from None
                raise OutputError(
                    f"output {self.path.with_suffix('')} is being written by another simcore run (pid {owner.get('pid')} "
                    f"on {owner.get('host')}, started {owner.get('started')}); wait for it to finish, or if that "
                    f"run is dead, delete {self.path}") from None
            except OSError as exc:
                raise OutputError(f"cannot create the lock file {self.path}: {exc.strerror or exc}") from None
            with os.fdopen(fd, "w") as handle:
                json.dump(me, handle)
            self.held = True
            return self
        raise OutputError(f"could not take the lock {self.path}")

    def _owner(self) -> dict | None:
        try:
            owner = json.loads(self.path.read_text())
            int(owner["pid"])
            return owner
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def release(self) -> None:
        if self.held:
            self.path.unlink(missing_ok=True)
            self.held = False

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


# ---------------------------------------------------------------- creating and filling

def _lazy_empty(shape: tuple, dtype, chunks: tuple):
    import dask.array as da

    return da.empty(shape, dtype=dtype, chunks=chunks)


def create_store(path: str | Path, per_scenario: xr.Dataset | None, *, n_scenarios: int, chunk_size: int,
                 coords: dict, attrs: dict) -> None:
    """Lay out a new store at ``path`` (replacing anything there) with its final shape;
    no chunk data is written (unwritten regions read as NaN for floats, 0 / False else).

    ``per_scenario``: one chunk's per-scenario dataset (any number of scenarios; only
    variable names, dims, dtypes and attributes are used) or None (``keep = "summary"``).
    ``coords``: the fixed coordinates (policy, product, sector, event, ...).
    """
    import zarr

    n_chunks = -(-n_scenarios // chunk_size)
    data_vars = {
        CHUNK_DONE: (("chunk",), _lazy_empty((n_chunks,), bool, (1,)),
                     {"description": "true once the run chunk's data and statistics are written"}),
    }
    all_coords = dict(coords)
    all_coords["chunk"] = np.arange(n_chunks, dtype=np.int64)
    if per_scenario is not None:
        all_coords["scenario"] = np.arange(n_scenarios, dtype=np.int64)
        for name, var in per_scenario.data_vars.items():
            if "scenario" not in var.dims:
                data_vars[name] = var  # e.g. product_unit: small, written now
                continue
            shape = tuple(n_scenarios if d == "scenario" else var.sizes[d] for d in var.dims)
            chunks = tuple(chunk_size if d == "scenario" else var.sizes[d] for d in var.dims)
            data_vars[name] = (var.dims, _lazy_empty(shape, var.dtype, chunks), dict(var.attrs))
    root = xr.Dataset(data_vars, coords=all_coords, attrs=dict(attrs))
    # bool/int arrays need no fill value; floats read NaN where never written
    encoding = {name: {"_FillValue": None} for name, var in root.data_vars.items()
                if not np.issubdtype(var.dtype, np.floating)}
    with _quiet():
        root.to_zarr(path, mode="w", compute=False, consolidated=False, encoding=encoding)
        group = zarr.open_group(str(path), mode="r+").create_group(CHUNK_STATS_GROUP, overwrite=True)
        group.attrs["description"] = ("one uint8 array per run chunk (named by its index): the chunk's "
                                      "statistics (simcore.run.stats.ChunkStats.to_arrays) as .npz bytes")


def write_region(path: str | Path, ds: xr.Dataset, first: int) -> None:
    """Write one run chunk's per-scenario dataset into its region ``scenario = first ...``.

    Idempotent: writing the same chunk twice stores the same bytes."""
    count = ds.sizes["scenario"]
    # the fixed coordinates and the scenario index were written when the store was laid
    # out; leaving them out means a chunk touches only zarr chunks it owns alone
    along = ds.drop_vars([name for name, var in ds.variables.items()
                          if "scenario" not in var.dims or name == "scenario"])
    with _quiet():
        along.to_zarr(path, region={"scenario": slice(first, first + count)}, mode="r+", consolidated=False)


def write_chunk_stats(path: str | Path, index: int, arrays: dict[str, np.ndarray]) -> None:
    """Store run chunk ``index``'s statistics arrays (any shapes: histograms and sketches
    differ from chunk to chunk) as one ``.npz`` blob ``chunk_stats/<index>``. Idempotent."""
    import zarr

    buffer = io.BytesIO()
    np.savez(buffer, **{name: np.asarray(value) for name, value in arrays.items()})
    blob = np.frombuffer(buffer.getvalue(), dtype=np.uint8)
    group = zarr.open_group(str(path), path=CHUNK_STATS_GROUP, mode="r+")
    with _quiet():
        group.create_array(str(index), shape=blob.shape, dtype=np.uint8, chunks=blob.shape or (1,),
                           overwrite=True)[...] = blob


def mark_done(path: str | Path, index: int) -> None:
    """Mark run chunk ``index`` done (after its data and statistics are written)."""
    import zarr

    zarr.open_array(str(path), path=CHUNK_DONE, mode="r+")[index] = True


def done_chunks(path: str | Path) -> np.ndarray:
    """``chunk_done`` as a boolean array ``[chunk]``."""
    import zarr

    return np.asarray(zarr.open_array(str(path), path=CHUNK_DONE, mode="r")[:], dtype=bool)


def read_chunk_stats(path: str | Path, index: int) -> dict[str, np.ndarray] | None:
    """Run chunk ``index``'s statistics arrays (None if it has none)."""
    import zarr

    group = zarr.open_group(str(path), path=CHUNK_STATS_GROUP, mode="r")
    try:
        blob = np.asarray(group[str(index)][...], dtype=np.uint8)
    except KeyError:
        return None
    with np.load(io.BytesIO(blob.tobytes()), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


def read_attributes(path: str | Path) -> dict:
    import zarr

    return dict(zarr.open_group(str(path), mode="r").attrs)


def set_attributes(path: str | Path, attrs: dict) -> None:
    import zarr

    root = zarr.open_group(str(path), mode="a")
    root.attrs.update(attrs)


def write_group(ds: xr.Dataset, path: str | Path, group: str) -> None:
    """Write ``ds`` as the sub-group ``group`` of the store (replacing it)."""
    with _quiet():
        ds.to_zarr(path, group=group, mode="w", consolidated=False)


def publish(partial: str | Path, target: str | Path) -> None:
    """Mark the store complete, consolidate its metadata and move it onto ``target``.

    An existing ``target`` is first renamed aside and deleted only after the new store is
    in place, so at every moment one complete result exists on disk (as ``target``, or
    briefly as ``target.old-PID``)."""
    import zarr

    partial, target = Path(partial), Path(target)
    set_attributes(partial, {"status": "complete", "completed": time.strftime("%Y-%m-%d %H:%M:%S")})
    with _quiet():
        zarr.consolidate_metadata(str(partial))
    aside = None
    if target.exists():
        aside = target.with_name(f"{target.name}.old-{os.getpid()}")
        os.replace(target, aside)
    os.replace(partial, target)
    if aside is not None:
        shutil.rmtree(aside, ignore_errors=True)


def open_results(path: str | Path, group: str | None = None) -> xr.Dataset:
    """Open a results store (or one of its groups) lazily; works on complete stores
    (consolidated metadata) and on partial ones (check ``attrs["status"]`` and
    ``chunk_done``)."""
    with _quiet():
        try:
            return xr.open_zarr(path, group=group, consolidated=True)
        except (KeyError, ValueError, FileNotFoundError, OSError):
            return xr.open_zarr(path, group=group, consolidated=False)
