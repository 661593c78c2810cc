"""The exclusive lock on an output store: ``NAME.zarr.lock``, one run at a time.

:class:`OutputLock` is held for a run's life: with a kernel lock (``flock``) on a local
filesystem, so a killed run's lock is taken over by exactly one restarter, and by
exclusive creation elsewhere (object stores). The helpers tell a live owner from a
dead one (its PID and that process's start time, ``/proc/PID/stat``).
"""

from __future__ import annotations

import json
import os
import socket
import time
import uuid
from pathlib import Path

from simcore.run.store.errors import OutputError
from simcore.run.store.location import LOCK_SUFFIX, StoreLocation, Where, _shown, as_location

try:  # kernel file locks (POSIX); elsewhere the lock falls back to exclusive creation
    import fcntl
except ImportError:  # pragma: no cover - Windows
    fcntl = None


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
