"""Chunks of a sweep on a Dask distributed cluster (optional: ``pip install simcore[cluster]``).

The client (``simcore run --scheduler ADDRESS``) lays out the store, sends one task per
missing chunk and marks a chunk done when its task returns. Each task computes its
chunk on the worker's own devices and writes its region of the shared store itself,
so only small results travel back. A task whose worker dies is re-run elsewhere by the
scheduler; region writes are idempotent, so a chunk written twice is safe, and the
done marker is set only once, by the client, after the data is in place.

The shared store is a path every worker sees under the same name (a shared filesystem)
or an fsspec URL (``s3://``, ``gs://``, ``file://`` on a shared mount): each task gets
the :class:`~simcore.run.store.StoreLocation` (URL and ``storage_options``) and opens
the store itself. A task's work is :func:`simcore.run.chunks.write_chunk`, the same
per-chunk code as the local loop of :class:`simcore.run.job.Job`.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator

from simcore.run import store
from simcore.run.chunks import write_chunk
from simcore.run.store import OutputError

WORKER_WAIT_S = 60.0  # how long a run waits for a cluster's first worker before it gives up


def _check_address(address: str) -> None:
    """Raise ValueError for an address distributed cannot parse: an unknown scheme, or a
    host:port scheme (tcp, tls, ws, wss) whose port is not a number."""
    from distributed.comm import parse_address
    from distributed.comm.addressing import parse_host_port
    from distributed.comm.registry import get_backend

    scheme, location = parse_address(address)
    get_backend(scheme)
    if scheme in ("tcp", "tls", "ws", "wss"):
        parse_host_port(location)


def _client(scheduler):
    """``(client, owned)``: a connected ``distributed.Client`` for an address (owned: we
    close it) or the caller's own client. Malformed addresses and unreachable schedulers
    raise :class:`~simcore.run.store.OutputError`, one line each."""
    try:
        from distributed import Client
    except ImportError:  # pragma: no cover - depends on the environment
        raise OutputError("--scheduler needs Dask distributed: pip install 'simcore[cluster]' "
                          "(or pip install 'dask[distributed]')") from None
    if isinstance(scheduler, Client):
        return scheduler, False
    if not isinstance(scheduler, str) or not scheduler.strip():
        raise OutputError(f"the Dask scheduler address must be text such as tcp://10.0.0.5:8786, got {scheduler!r}")
    try:
        # parsed before a Client exists: a Client that fails to parse the address is left
        # half-made, and at exit its __del__ waits 60 s to close and prints a traceback
        _check_address(scheduler)
        # set_as_default=False: our client only submits our own tasks; as the default it
        # would route every later dask computation in this process (xarray reading a
        # store) to this cluster, and a client closed while another lives leaves that
        # setting behind ("Requested dask.distributed scheduler but no Client active").
        return Client(scheduler, timeout="30s", set_as_default=False), True
    except (OSError, TimeoutError) as exc:
        raise OutputError(f"cannot connect to the Dask scheduler at {scheduler}: {exc}") from None
    except (ValueError, TypeError) as exc:  # distributed parses the address as it connects
        raise OutputError(f"the Dask scheduler address {scheduler!r} is malformed ({exc}); expected "
                          f"tcp://HOST:PORT, e.g. tcp://10.0.0.5:8786") from None


def connect(scheduler, wait_s: float | None = None):
    """Connect to the cluster and wait until it has a worker (at most ``wait_s``, default
    :data:`WORKER_WAIT_S`): done before the store is laid out, so a malformed address,
    an unreachable scheduler or a cluster with no workers is one message and leaves no
    store. Returns ``(client, owned)`` (owned: close it when done)."""
    client, owned = _client(scheduler)
    wait = WORKER_WAIT_S if wait_s is None else wait_s
    try:
        client.wait_for_workers(1, timeout=wait)
    except (TimeoutError, OSError):
        if owned:
            client.close()
        address = scheduler if isinstance(scheduler, str) else client.scheduler.address
        raise OutputError(f"the Dask cluster at {address} has no workers (none joined within {wait:g} s); "
                          f"start some (dask worker {address}) and run again") from None
    return client, owned


def _chunk_task(sim, plan, location, index: int) -> tuple[int, int]:
    """Runs on a worker: compute chunk ``index`` and write it into the store at
    ``location`` (a :class:`~simcore.run.store.StoreLocation`); returns (index, scenarios)."""
    return index, write_chunk(sim, plan, location, index)


def run_chunks(scheduler, sim, plan, path, chunks: Iterable[int],
               on_done: Callable[[int], None] | None = None) -> None:
    """Compute and write ``chunks`` of ``plan`` into the store at ``path`` (a path, an
    fsspec URL or a :class:`~simcore.run.store.StoreLocation`) on a Dask cluster.

    ``scheduler``: an address (``tcp://host:8786``) or a ``distributed.Client``. The store
    must be reachable under the same name from every worker: a shared filesystem path,
    or a URL whose credentials the workers have (their environment, or the location's
    ``storage_options``, which travel with each task).
    ``on_done(scenarios)`` is called on the client as each chunk is marked done.
    """
    location = store.as_location(path)
    chunks = list(chunks)
    if not chunks:
        return
    client, owned = _client(scheduler)
    try:
        lost = f"the partial store stays at {location}"
        for index, count in submit_all(client, sim, _chunk_task, [(plan, location, index) for index in chunks],
                                       chunks, name="simcore-chunk", left=lost):
            store.mark_done(location, index)
            if on_done is not None:
                on_done(count)
    finally:
        if owned:
            client.close()


def submit_all(client, shared, task, arguments: list[tuple], labels: list, *, name: str, left: str) -> Iterator:
    """Send ``shared`` (the simulation, a screen's work) to every worker once, submit
    ``task(shared, *args)`` for each tuple of ``arguments`` (task keys
    ``name-RUNID-label``, not pure, 2 retries: a task whose worker dies runs elsewhere)
    and yield their results in completion order. A cluster that lost its workers is an :class:`OutputError` saying
    what is ``left`` and to continue with ``--resume``."""
    from distributed import as_completed  # Dask is optional: loaded only for a cluster run

    try:
        on_workers = client.scatter(shared, broadcast=True, hash=False)
    except TimeoutError:  # "No valid workers found": the cluster lost its workers
        raise OutputError(f"the Dask cluster at {client.scheduler.address} has no workers; {left}: start "
                          f"workers and continue with --resume") from None
    run_id = uuid.uuid4().hex[:8]
    futures = [client.submit(task, on_workers, *args, key=f"{name}-{run_id}-{label}", pure=False, retries=2)
               for args, label in zip(arguments, labels, strict=True)]
    for future in as_completed(futures):
        yield future.result()
