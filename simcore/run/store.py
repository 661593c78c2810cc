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
"""

from __future__ import annotations

import io
import json
import os
import posixpath
import shutil
import socket
import time
import uuid
import warnings
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import xarray as xr

from simcore.run.conventions import DAILY_SCENARIO, PRODUCT_COORDS, Units, describe, order_dims
from simcore.schema.errors import InputError

try:  # kernel file locks (POSIX); elsewhere the lock falls back to exclusive creation
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None

PARTIAL_SUFFIX = ".partial"
LOCK_SUFFIX = ".lock"
CHUNK_DONE = "chunk_done"
CHUNK_STATS_GROUP = "chunk_stats"
ROOT_METADATA = "zarr.json"  # zarr v3: the root group's metadata (attributes, consolidated metadata)
# The format marker: a root attribute every store simcore writes carries (value: what kind
# of store, "run", "sweep" or "optimize"). simcore replaces or deletes only folders that
# carry it (or ``simcore_version``, which stores of earlier releases carry), so an
# ``--output`` that names a user's own folder is refused instead of deleted.
STORE_MARKER = "simcore_store"
_EARLIER_MARKER = "simcore_version"
# The layout version (root attribute): 1 = stores without the attribute (before the CF
# conventions of :mod:`simcore.run.conventions`), 2 = this layout. Raise it whenever a
# reader of the old layout would misread the new one.
STORE_FORMAT_ATTR = "simcore_store_format"
STORE_FORMAT = 3  # 3: the summary holds the paired differences of the effects (simcore.run.paired)
TREE_FORMAT = 2  # the first format that opens as one tree


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


# ---------------------------------------------------------------- where a store lives

class StoreLocation:
    """Where a store (or its ``.partial`` / ``.lock`` sibling) lives: a local path, or an
    fsspec URL (``s3://bucket/runs/a.zarr``, ``gs://...``, ``file:///shared/a.zarr``,
    ``memory://a.zarr``) with the ``storage_options`` of its fsspec filesystem.

    Small and picklable: cluster tasks receive one and open the store themselves. A
    URL's filesystem is looked up only when it is used, so building a location fails
    only for an empty one; :func:`check_writable` reports unknown protocols and missing
    backends.
    """

    def __init__(self, where: str | os.PathLike, storage_options: dict | None = None):
        text = os.fspath(where)
        if not text.strip():  # Path("") would be the current folder
            raise OutputError("output is empty: give a path such as results/run.zarr or an fsspec URL")
        self.is_url = "://" in text
        name = posixpath.basename(text.rstrip("/")) if self.is_url else Path(text).name
        if name in (".", "..") or (not self.is_url and not name):
            # '.', '..', '/': the store's siblings NAME.partial and NAME.lock would be
            # '..partial' inside it, or not beside it at all; the replace would move a folder in use
            raise OutputError(f"output {text} names a folder by '.', '..' or '/', not a store of its own; give "
                              f"the store a name, e.g. {posixpath.join(text.rstrip('/') or '/', 'run.zarr')}")
        if storage_options and not self.is_url:
            raise OutputError(f"storage_options apply to fsspec URLs only, not to the local path {text}")
        self.url = text.rstrip("/") if self.is_url else str(Path(text))
        self.storage_options = dict(storage_options or {})

    def __str__(self) -> str:
        return self.url

    def __repr__(self) -> str:
        return f"StoreLocation({self.url!r})"

    def sibling(self, suffix: str) -> "StoreLocation":
        """``NAME<suffix>`` beside this location (``.partial``, ``.lock``), same filesystem."""
        return StoreLocation(self.url + suffix, self.storage_options)

    def filesystem(self):
        """``(fsspec filesystem, path on it)``. Raises :class:`OutputError` naming an unknown
        protocol, a missing backend package or options the backend refuses."""
        import fsspec
        from fsspec.implementations.local import LocalFileSystem

        if not self.is_url:
            return LocalFileSystem(), str(Path(self.url).absolute())
        # chained URLs (simplecache::s3://...) name one protocol per link
        for protocol in (link.split("://", 1)[0] for link in self.url.split("::")):
            try:
                fsspec.get_filesystem_class(protocol)
            except ValueError:
                raise OutputError(f"output {self.url}: unknown protocol {protocol!r}; fsspec knows "
                                  f"{', '.join(sorted(fsspec.available_protocols()))}") from None
            except ImportError as exc:
                raise OutputError(f"output {self.url}: the {protocol}:// filesystem needs a package that is not "
                                  f"installed ({exc}); for s3:// and gs:// pip install 'simcore[cloud]'") from None
        try:
            return fsspec.core.url_to_fs(self.url, **self.storage_options)
        except Exception as exc:  # each backend raises its own errors for options it refuses
            raise OutputError(f"output {self.url}: cannot open its filesystem: {type(exc).__name__}: {exc}") from None

    @property
    def local_path(self) -> Path | None:
        """The path on this machine's filesystem (a plain path, or a ``file://`` URL), where
        the lock and the replace use POSIX guarantees; None elsewhere."""
        if not self.is_url:
            return Path(self.url)
        from fsspec.implementations.local import LocalFileSystem

        fs, path = self.filesystem()
        return Path(path) if isinstance(fs, LocalFileSystem) else None

    def zarr_store(self):
        """What zarr and xarray open: the path itself, or a zarr ``FsspecStore``."""
        if not self.is_url:
            return Path(self.url)
        from zarr.storage import FsspecStore

        options = dict(self.storage_options)
        if self.local_path is not None:
            options.setdefault("auto_mkdir", True)  # zarr writes keys into folders not made yet
        return FsspecStore.from_url(self.url, storage_options=options)

    def exists(self) -> bool:
        local = self.local_path
        if local is not None:
            return local.exists()
        fs, path = self.filesystem()
        return fs.exists(path)


Where = str | Path | StoreLocation  # a store as the functions below accept it


def local_output(where: str | Path, command: str) -> Path:
    """The local path of a ``command`` (sweep, optimize) store: those write local
    folders only, so a URL is refused by name (it became a folder such as
    ``./s3:/bucket/x.zarr``); an empty path too."""
    text = os.fspath(where)
    if "://" in text:
        raise OutputError(f"output {text}: simcore {command} writes a local folder, not an fsspec URL; give a path "
                          f"such as results/{command}.zarr (and copy it to object storage afterwards)")
    return as_location(text).local_path or Path(text)


def refuse_process_memory(where: Where) -> None:
    """A ``memory://`` store lives inside this process and is gone when the command
    exits: refused for the command line (the Python API may use it; tests that call
    the CLI in-process set ``SIMCORE_ALLOW_MEMORY_STORE=1``)."""
    text = where.url if isinstance(where, StoreLocation) else os.fspath(where)
    if text.split("::")[-1].startswith("memory://") and os.environ.get("SIMCORE_ALLOW_MEMORY_STORE") != "1":
        raise OutputError(f"output {text}: a memory:// store lives only inside this process and is gone when "
                          "simcore exits; give a path or a persistent URL (s3://, gs://, file://)")


def as_location(where: Where, storage_options: dict | None = None) -> StoreLocation:
    """``where`` as a :class:`StoreLocation` (``storage_options``, if given, replace its own)."""
    if isinstance(where, StoreLocation) and storage_options is None:
        return where
    return StoreLocation(where.url if isinstance(where, StoreLocation) else where, storage_options)


def _shown(location: StoreLocation) -> Path | str:
    """A location as users name it: a Path for a local path, the URL for a URL."""
    return location.url if location.is_url else Path(location.url)


def partial_path(target: Where) -> Path | str:
    """``NAME.zarr.partial`` beside ``target``: a Path for a local path, a URL for a URL."""
    return _shown(as_location(target).sibling(PARTIAL_SUFFIX))


def lock_path(target: Where) -> Path | str:
    """``NAME.zarr.lock`` beside ``target``: a Path for a local path, a URL for a URL."""
    return _shown(as_location(target).sibling(LOCK_SUFFIX))


# ---------------------------------------------------------------- checks and the lock

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


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # exists, owned by someone else
        return True
    except (OverflowError, ValueError):  # not a PID at all (a garbled lock file)
        return False
    return True


def _process_start(pid: int) -> int | None:
    """When process ``pid`` started (clock ticks since boot, ``/proc/PID/stat`` field 22),
    or None where unknown (no such process, no ``/proc``). A PID and its start time name
    one process: a PID reused by a later process has another start time."""
    try:
        text = Path(f"/proc/{int(pid)}/stat").read_text()
        # field 2 (the command name) may hold spaces and ')': count from the last ')'
        return int(text.rsplit(")", 1)[1].split()[19])
    except (OSError, ValueError, IndexError):
        return None


def _create_exclusive(location: StoreLocation, data: bytes) -> bool:
    """Create the file or object ``location`` holding ``data`` unless it exists (then
    False). Local: ``O_EXCL``. URL: fsspec's exclusive mode ``"xb"`` (S3 conditional
    writes, GCS / Azure preconditions, with current backends); a backend without it
    gets check-then-write, which a writer starting in the same instant can race."""
    local = location.local_path
    if local is not None:
        try:
            fd = os.open(local, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return False
        except OSError as exc:
            raise OutputError(f"cannot create the lock file {local}: {exc.strerror or exc}") from None
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        return True
    fs, path = location.filesystem()
    try:
        if fs.exists(path):  # also the only test where a backend ignores "xb"
            return False
        try:
            with fs.open(path, "xb") as handle:
                handle.write(data)
        except (NotImplementedError, ValueError):  # this backend has no exclusive mode
            fs.pipe_file(path, data)
    except FileExistsError:
        return False
    except Exception as exc:  # each backend raises its own errors
        raise OutputError(f"cannot create the lock {location}: {type(exc).__name__}: {exc}") from None
    return True


def _read_bytes(location: StoreLocation) -> bytes | None:
    try:
        local = location.local_path
        if local is not None:
            return local.read_bytes()
        fs, path = location.filesystem()
        return fs.cat_file(path)
    except (OSError, OutputError):  # FileNotFoundError included: gone meanwhile
        return None


def _remove_file(location: StoreLocation) -> None:
    local = location.local_path
    if local is not None:
        local.unlink(missing_ok=True)
        return
    fs, path = location.filesystem()
    try:
        fs.rm_file(path)
    except FileNotFoundError:
        pass


class OutputLock:
    """An exclusive lock on an output store: ``NAME.zarr.lock`` beside it, holding the
    owner's pid, host, start times (the lock's, and the process's: ``pid_start``, so
    a reused PID is told apart) and a random token.

    Local filesystem: the lock file is opened (created if absent) and held with a
    kernel lock (``flock``) for the run's life; the kernel drops it when the process
    ends, killed or not. So a dead run's lock is taken over by whoever gets the kernel
    lock on the file, atomically, without deleting it: two runs restarting over a dead
    run's lock cannot both hold it (issue 17: removing the stale file let a second
    restarter delete the first one's fresh lock). The owner deletes the file on
    release while still holding it, and a contender that got the kernel lock on a file
    already unlinked notices (another inode under the name) and tries again. A lock
    file that names a live process on this host, or a process on another host, is
    still refused when no kernel lock is held on it (a run of an earlier simcore, or a
    filesystem without ``flock``).

    Elsewhere (object stores), and where the filesystem refuses ``flock``: the file is
    created only if absent (:func:`_create_exclusive`) and read back, so a writer that
    lost a race on a backend without an atomic exclusive mode still notices; a dead
    owner's lock on this host is removed and created again.
    """

    def __init__(self, target: Where, storage_options: dict | None = None):
        self.target = as_location(target, storage_options)
        self.location = self.target.sibling(LOCK_SUFFIX)
        self.path = _shown(self.location)
        self.held = False
        self._fd: int | None = None

    def _me(self) -> dict:
        return {"pid": os.getpid(), "host": socket.gethostname(), "started": time.strftime("%Y-%m-%d %H:%M:%S"),
                "pid_start": _process_start(os.getpid()), "token": uuid.uuid4().hex}

    def check(self) -> None:
        """Refuse (:class:`OutputError`) if the lock file names a run that may be alive,
        creating and locking nothing: a look before work that should not start for a
        locked output (the size estimate); :meth:`acquire` decides."""
        owner = self._owner() if self.location.exists() else None
        if owner is not None and self._alive(owner, self._me()):
            self._refuse(owner)

    def acquire(self) -> "OutputLock":
        me = self._me()
        local = self.location.local_path
        if local is not None and fcntl is not None:
            if self._acquire_local(local, me):
                return self
        return self._acquire_exclusive(me)

    def _acquire_local(self, path: Path, me: dict) -> bool:
        """Take the kernel lock on the lock file (True), refuse (:class:`OutputError`), or
        False where this filesystem has no ``flock`` (then the exclusive-create protocol)."""
        for _ in range(100):  # another try only when the file was unlinked under us
            try:
                fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
            except OSError as exc:
                raise OutputError(f"cannot create the lock file {path}: {exc.strerror or exc}") from None
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:  # held by a running process
                os.close(fd)
                self._refuse(self._owner(wait=True))
            except OSError:  # no flock on this filesystem (ENOLCK, EOPNOTSUPP, ...)
                os.close(fd)
                return False
            try:
                current = os.stat(path)
            except FileNotFoundError:
                current = None
            opened = os.fstat(fd)
            if current is None or (current.st_dev, current.st_ino) != (opened.st_dev, opened.st_ino):
                os.close(fd)  # its owner released it (unlinked) after we opened it: take the new one
                continue
            # no running process holds this file: what it names is a killed run, or a run
            # of an earlier simcore (no kernel lock), which is refused while alive
            owner = self._owner()
            if owner is not None and self._alive(owner, me):
                os.close(fd)
                self._refuse(owner)
            data = json.dumps(me).encode()
            os.ftruncate(fd, 0)
            os.pwrite(fd, data, 0)
            self._fd, self.held = fd, True
            return True
        raise OutputError(f"could not take the lock {self.path} (it keeps being replaced)")

    def _acquire_exclusive(self, me: dict) -> "OutputLock":
        for _ in range(3):
            if _create_exclusive(self.location, json.dumps(me).encode()):
                if self._owner() == me:
                    self.held = True
                    return self
                owner = self._owner()  # overwritten by a writer that raced us: it holds the lock
            else:
                owner = self._owner()
                if owner is not None and not self._alive(owner, me):
                    _remove_file(self.location)  # stale: its run was killed
                    continue
            if owner is None:  # written just now by another process (not yet filled) or garbage
                owner = self._owner(wait=True)
            self._refuse(owner)
        raise OutputError(f"could not take the lock {self.path}")

    @staticmethod
    def _alive(owner: dict, me: dict) -> bool:
        """Whether the lock's owner may still be running: on another host it cannot be
        checked (alive); here its PID must exist with the start time it recorded."""
        if owner.get("host") != me["host"]:
            return True
        pid = int(owner["pid"])
        if not _pid_alive(pid):
            return False
        recorded, now = owner.get("pid_start"), _process_start(pid)
        return recorded is None or now is None or int(recorded) == now

    def _refuse(self, owner: dict | None):
        if owner is None:
            raise OutputError(f"output is locked by {self.path} (unreadable lock file); if no simcore run "
                              f"is writing it, delete {self.path}")
        raise OutputError(
            f"output {self.target} is being written by another simcore run (pid {owner.get('pid')} "
            f"on {owner.get('host')}, started {owner.get('started')}); wait for it to finish, or if that "
            f"run is dead, delete {self.path}")

    def _owner(self, wait: bool = False) -> dict | None:
        """The lock file's owner record, or None (empty, garbage, gone). ``wait``: give a
        holder that has just taken the lock a moment to write it."""
        for attempt in range(10 if wait else 1):
            try:
                owner = json.loads(_read_bytes(self.location) or b"")
                int(owner["pid"])
                return owner
            except (ValueError, KeyError, TypeError, OverflowError):
                if attempt + 1 < (10 if wait else 1):
                    time.sleep(0.05)
        return None

    def release(self) -> None:
        if not self.held:
            return
        if self._fd is not None:
            # unlink while holding the kernel lock (only our own file), then let go
            try:
                current, opened = os.stat(self.location.local_path), os.fstat(self._fd)
                if (current.st_dev, current.st_ino) == (opened.st_dev, opened.st_ino):
                    os.unlink(self.location.local_path)
            except FileNotFoundError:
                pass
            os.close(self._fd)
            self._fd = None
        else:
            _remove_file(self.location)
        self.held = False

    def __enter__(self) -> "OutputLock":
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()


# ---------------------------------------------------------------- creating and filling

def _lazy_empty(shape: tuple, dtype, chunks: tuple):
    import dask.array as da

    return da.empty(shape, dtype=dtype, chunks=chunks)


def _zarr(where) -> object:
    """The zarr store (a path or an ``FsspecStore``) of a path, URL or location."""
    return as_location(where).zarr_store()


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


def write_group(ds: xr.Dataset, path: Where, group: str) -> xr.Dataset:
    """Write ``ds`` as the sub-group ``group`` of the store (replacing it), in the store's
    conventions (:func:`~simcore.run.conventions.describe`, with the units of the root's
    model); returns what was written."""
    ds = describe(ds, store_units(path), group=group)
    with _quiet():
        ds.to_zarr(_zarr(path), group=group, mode="w", consolidated=False)
    return ds


# ---------------------------------------------------------------- replacing and publishing

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


def store_format(attrs: dict) -> int:
    """The layout version of a store with these root attributes (1 where unmarked)."""
    try:
        return int(attrs.get(STORE_FORMAT_ATTR, 1))
    except (TypeError, ValueError):
        return STORE_FORMAT + 1  # not a number this release writes: a later (or foreign) format


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
