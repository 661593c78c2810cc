"""Where a store lives, what its siblings are called, and how zarr opens it.

A store is a local path or an fsspec URL (:class:`StoreLocation`, with the
``storage_options`` of its filesystem); a run writes ``NAME.zarr.partial`` and holds
``NAME.zarr.lock`` beside it (:func:`partial_path`, :func:`lock_path`). zarr opens a
path as is and a URL through its ``FsspecStore`` (:func:`_zarr`); :func:`_quiet`
silences zarr's warnings about what the v3 specification lacks.
"""

from __future__ import annotations

import os
import posixpath
import warnings
from contextlib import contextmanager
from pathlib import Path

from simcore.run.store.errors import OutputError

PARTIAL_SUFFIX = ".partial"
LOCK_SUFFIX = ".lock"


@contextmanager
def _quiet():
    # zarr warns that fixed-width unicode (our name coordinates) is not in the v3 spec
    # yet, and that consolidated metadata is not in the v3 spec either.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*does not have a Zarr V3 specification.*")
        warnings.filterwarnings("ignore", message=".*Consolidated metadata is currently not part.*")
        yield


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


def _zarr(where) -> object:
    """The zarr store (a path or an ``FsspecStore``) of a path, URL or location."""
    return as_location(where).zarr_store()
