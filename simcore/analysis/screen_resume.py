"""A screen in blocks of cases: the unit of work that is checkpointed, resumed and sent to
Dask workers (docs/screening.md, "Resume, Dask and the service").

Every case's statistics are independent of the other cases' (:class:`ScreenStream` keeps
per (mix, case) arrays, and the bootstrap weights are per scenario), so a contiguous
block of cases ``lo .. hi - 1`` is run alone (:meth:`ScreenWork.run`: ``run_cases`` on
the block's slice of the stacked cases, into a stream of the block's own), and its
statistics (:func:`stream_state`) are placed into the whole screen's stream at the
block's offset (:func:`place`). Blocks are ``chunk_cases``-aligned; inside a block,
``run_cases`` groups the cases into its own sub-model blocks (which depend on the block's
cases), so the numbers are those of the block layout, not of one unblocked call. Every
screen runs through the same blocks (locally, resumed or on a cluster), so a resumed or
distributed screen equals an uninterrupted local one bit for bit.

The checkpoint (:class:`Checkpoint`) is group ``screen_progress`` of the output store:
the fingerprint of everything the numbers depend on (the model's, mixes' and cases' arrays,
the scenarios, seeds, chunk and block sizes; :func:`fingerprint`), one ``.npz`` blob per
done block (``block_<k>``, uint8) and ``done`` ``[blocks]`` (bool), set only after the
block's blob is written: a block is either recorded or rerun.
"""

from __future__ import annotations

import hashlib
import io
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

PROGRESS_GROUP = "screen_progress"
FORMAT = 1  # raise when a block's state changes meaning
# the stream's per-(mix, case) arrays and the axis of their case index
CASE_AXIS = {"point_sum": 2, "point_n": 1, "count": 0, "mean": 1, "m2": 1, "short": 1, "tts_sum": 1,
             "tts_count": 1, "row_short": 1, "sector_sum": 1, "boot_sum": 2, "boot_n": 1}
BLOCK_CHUNKS = 8  # chunks per block at least (a block boundary costs one chunk of overlap)


class ResumeError(ValueError):
    """A checkpoint that belongs to another screen, or an unusable output (one line)."""


# ----------------------------------------------------------------------------- blocks

def block_size(n_cases: int, chunk_cases: int, n_lanes: int, chunk_scenarios: int) -> int:
    """Cases per block: a multiple of ``chunk_cases`` with at least :data:`BLOCK_CHUNKS`
    chunks (case chunks x scenario chunks), so a block boundary, where the next chunk is
    not yet running while the last one is read back, is rare."""
    chunk_cases = max(1, min(int(chunk_cases), max(int(n_cases), 1)))
    scenario_chunks = math.ceil(max(int(n_lanes), 1) / max(1, min(int(chunk_scenarios), max(int(n_lanes), 1))))
    return chunk_cases * max(1, math.ceil(BLOCK_CHUNKS / scenario_chunks))


def blocks(n_cases: int, size: int) -> list[tuple[int, int]]:
    """The ``(lo, hi)`` case ranges of the blocks, in order."""
    return [(lo, min(lo + size, n_cases)) for lo in range(0, n_cases, size)]


# ----------------------------------------------------------------------------- a stream's state

def stream_state(stream, lo: int = 0, hi: int | None = None) -> dict[str, np.ndarray]:
    """The statistics of cases ``lo .. hi - 1`` of a :class:`ScreenStream` as plain arrays:
    its per-(mix, case) arrays sliced on their case axis, and its sketch's cells
    (``sketch_zeros`` ``[M, c]``; each cell's bins in their insertion order as
    ``sketch_len`` ``[M, c]``, ``sketch_key``, ``sketch_count``)."""
    hi = stream.c if hi is None else hi
    state = {}
    for name, axis in CASE_AXIS.items():
        index = [slice(None)] * getattr(stream, name).ndim
        index[axis] = slice(lo, hi)
        state[name] = np.array(getattr(stream, name)[tuple(index)])
    cells = (np.arange(stream.m)[:, None] * stream.c + np.arange(lo, hi)[None, :]).ravel()
    bins = [stream.sketch.bins[cell] for cell in cells]
    state["sketch_zeros"] = np.asarray(stream.sketch.zeros[cells], np.int64).reshape(stream.m, hi - lo)
    state["sketch_len"] = np.array([len(b) for b in bins], np.int64).reshape(stream.m, hi - lo)
    state["sketch_key"] = np.array([k for b in bins for k in b], np.int64)
    state["sketch_count"] = np.array([v for b in bins for v in b.values()], np.int64)
    return state


def place(stream, lo: int, state: dict[str, np.ndarray]) -> None:
    """Put a block's :func:`stream_state` into ``stream`` at case offset ``lo`` (its
    cases there must be empty: a block is placed once)."""
    n = state["count"].shape[0]
    for name, axis in CASE_AXIS.items():
        target = getattr(stream, name)
        index = [slice(None)] * target.ndim
        index[axis] = slice(lo, lo + n)
        target[tuple(index)] = state[name]
    cells = (np.arange(stream.m)[:, None] * stream.c + np.arange(lo, lo + n)[None, :]).ravel()
    ends = np.cumsum(state["sketch_len"].ravel())
    keys, counts = state["sketch_key"].tolist(), state["sketch_count"].tolist()
    start = 0
    for cell, zeros, end in zip(cells, state["sketch_zeros"].ravel(), ends):
        stream.sketch.zeros[cell] = zeros
        stream.sketch.bins[cell] = dict(zip(keys[start:end], counts[start:end]))  # insertion order kept
        start = int(end)


# ----------------------------------------------------------------------------- the work

@dataclass
class ScreenWork:
    """Everything a block of cases needs, apart from its range: picklable, so it travels
    to Dask workers. ``cases``: the stacked cases ``(events [C, J], share delta [C, P, O],
    domestic kept [C, P], no transit [C, P, O])``."""

    model: object
    policies: object
    cases: tuple
    base_key: object
    n_scenarios: int
    start: int
    horizon: int
    chunk_cases: int
    chunk_scenarios: int
    n_policies: int
    n_products: int
    n_sectors: int
    replicates: int
    seed: int
    n_points: int = 1
    point_u: object = None
    columns: object = None

    @property
    def n_cases(self) -> int:
        return int(np.shape(self.cases[0].hazard_per_year)[0])

    @property
    def n_lanes(self) -> int:
        return int(self.n_scenarios) * max(int(self.n_points), 1)

    def block_size(self) -> int:
        return block_size(self.n_cases, self.chunk_cases, self.n_lanes, self.chunk_scenarios)

    def lanes(self, lo: int, hi: int) -> int:
        """Lanes (case x mix x scenario-or-point) of cases ``lo .. hi - 1``."""
        return (hi - lo) * int(self.n_policies) * self.n_lanes

    def run(self, lo: int, hi: int, progress=None) -> dict[str, np.ndarray]:
        """Cases ``lo .. hi - 1`` on every scenario: their :func:`stream_state`.
        ``progress(lanes)`` after each chunk with the chunk's lane count."""
        import jax

        from simcore.analysis.screen_run import ScreenStream, run_cases

        stream = ScreenStream(self.n_policies, hi - lo, self.n_products, self.n_sectors, self.replicates, self.seed,
                              n_points=self.n_points)
        # cut on the host: a slice of a JAX array compiles a program for each block size
        block = jax.tree_util.tree_map(lambda x: np.asarray(x)[lo:hi], self.cases)

        def consume(c_lo, c_hi, scenario_index, point, out):
            stream.add(c_lo, c_hi, scenario_index, point, out)
            if progress is not None:
                progress((c_hi - c_lo) * int(self.n_policies) * len(scenario_index))

        run_cases(self.model, self.policies, block, self.base_key, n_scenarios=self.n_scenarios, start=self.start,
                  horizon=self.horizon, chunk_cases=self.chunk_cases, chunk_scenarios=self.chunk_scenarios,
                  consume=consume, point_u=self.point_u, columns=self.columns)
        return stream_state(stream)


def fingerprint(work: ScreenWork, names: dict) -> str:
    """sha256 of every number a screen's statistics depend on: the arrays of the model,
    the mixes, the cases, the key, the parameter points, and the scalars of ``work`` and
    ``names`` (units, disruptions, mixes: what the cases mean)."""
    import jax

    digest = hashlib.sha256()
    for leaf in jax.tree_util.tree_leaves((work.model, work.policies, work.cases, work.base_key, work.point_u,
                                           work.columns)):
        array = np.asarray(leaf)
        digest.update(f"{array.dtype}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    scalars = {key: getattr(work, key) for key in ("n_scenarios", "start", "horizon", "chunk_cases",
                                                   "chunk_scenarios", "n_policies", "n_products", "n_sectors",
                                                   "replicates", "seed", "n_points")}
    digest.update(json.dumps({"format": FORMAT, "block": work.block_size(), **scalars, **names},
                             sort_keys=True, default=str).encode())
    return digest.hexdigest()


# ----------------------------------------------------------------------------- the checkpoint

def _pack(state: dict[str, np.ndarray]) -> np.ndarray:
    buffer = io.BytesIO()
    np.savez(buffer, **state)
    return np.frombuffer(buffer.getvalue(), dtype=np.uint8)


def _unpack(blob: np.ndarray) -> dict[str, np.ndarray]:
    with np.load(io.BytesIO(np.asarray(blob, np.uint8).tobytes()), allow_pickle=False) as npz:
        return {name: npz[name] for name in npz.files}


class Checkpoint:
    """Group :data:`PROGRESS_GROUP` of the zarr store at a local ``path`` (module doc).

    :meth:`open` lays it out (a new screen) or reads the done blocks (``resume`` with the
    same fingerprint); :meth:`save` records one block."""

    def __init__(self, path, digest: str, n_blocks: int, describe: dict | None = None):
        self.path, self.digest, self.n_blocks = str(path), digest, int(n_blocks)
        self.describe = dict(describe or {})

    def _group(self, mode: str):
        import zarr

        return zarr.open_group(self.path, path=PROGRESS_GROUP, mode=mode, use_consolidated=False)

    def open(self, resume: bool, log=print) -> dict[int, dict[str, np.ndarray]]:
        """The done blocks' states by index (empty for a new screen). ``resume``: continue
        the checkpoint of the same screen; one of another screen raises
        :class:`ResumeError`. Without ``resume`` any checkpoint there is replaced."""
        import zarr

        target = Path(self.path)
        if target.exists() and not target.is_dir():
            raise ResumeError(f"the output {self.path} is a file, not a zarr store (a folder)")
        stored = self._stored() if target.exists() else None
        if resume and stored is not None:
            attrs, done = stored
            if attrs.get("fingerprint") != self.digest:
                differ = [f"{k}: stored {attrs.get(k)!r}, now {v!r}" for k, v in self.describe.items()
                          if attrs.get(k) != v]
                what = "; ".join(differ) if differ else "the model, mixes, units or settings differ"
                raise ResumeError(f"cannot resume the screen in {self.path}: it belongs to a different screen "
                                  f"({what}); run without --resume to start over")
            group = self._group("r")
            return {int(k): _unpack(group[f"block_{k}"][...]) for k in np.flatnonzero(done)}
        if resume:
            log(f"note: no screen to resume in {self.path}; starting a new one")
        fresh = not target.exists()
        root = zarr.open_group(self.path, mode="a", use_consolidated=False)
        if fresh:
            root.attrs["kind"] = "screen"
        group = root.create_group(PROGRESS_GROUP, overwrite=True)
        group.attrs.update({"fingerprint": self.digest, "blocks": self.n_blocks, "format": FORMAT,
                            **{k: v for k, v in self.describe.items()}})
        group.create_array("done", shape=(self.n_blocks,), dtype=bool, fill_value=False,
                           chunks=(max(self.n_blocks, 1),), dimension_names=("screen_block",))[...] = False
        return {}

    def _stored(self):
        """``(attrs, done)`` of the checkpoint there, or None (none, or not readable)."""
        try:
            group = self._group("r")
            return dict(group.attrs), np.asarray(group["done"][...], bool)
        except Exception:  # no store, no group, a half-made group: nothing to resume
            return None

    def save(self, index: int, state: dict[str, np.ndarray]) -> None:
        """Record block ``index``: its blob, then its done mark (a block killed between
        the two is rerun)."""
        blob = _pack(state)
        group = self._group("r+")
        group.create_array(f"block_{index}", shape=blob.shape, dtype=np.uint8, chunks=blob.shape or (1,),
                           dimension_names=(f"block_{index}_bytes",), overwrite=True)[...] = blob
        group["done"][index] = True


# ----------------------------------------------------------------------------- the driver

def run_blocks(work: ScreenWork, *, store=None, resume: bool = False, names: dict | None = None,
               describe: dict | None = None, scheduler=None, progress=None, log=print):
    """The whole screen's :class:`ScreenStream`, block by block: the done blocks of a
    resumed checkpoint loaded, the others run locally (or on the Dask cluster at
    ``scheduler``: :mod:`~simcore.analysis.screen_distributed`) and recorded in the
    checkpoint of ``store`` (a local zarr path; None: no checkpoint).
    ``progress(done, total)`` in lanes (case x mix x scenario-or-point), once before
    the first block (the loaded blocks done) and after each chunk (a block on a cluster:
    after the block)."""
    client = owned = None
    if scheduler is not None:  # before the store is laid out: a bad address or no workers leave none
        from simcore.run.distributed import connect

        client, owned = connect(scheduler)
    try:
        return _run_blocks(work, store, resume, names, describe, client, progress, log)
    finally:
        if owned:
            client.close()


def _run_blocks(work, store, resume, names, describe, client, progress, log):
    from simcore.analysis.screen_run import ScreenStream

    scheduler = client
    stream = ScreenStream(work.n_policies, work.n_cases, work.n_products, work.n_sectors, work.replicates,
                          work.seed, n_points=work.n_points)
    ranges = blocks(work.n_cases, work.block_size())
    checkpoint = (Checkpoint(store, fingerprint(work, names or {}), len(ranges), describe)
                  if store is not None else None)
    done = checkpoint.open(resume, log) if checkpoint is not None else {}
    for k, state in done.items():
        place(stream, ranges[k][0], state)
    if done:
        log(f"screen: resuming with {len(done)} of {len(ranges)} blocks of cases done")
    total = work.lanes(0, work.n_cases)
    count = [sum(work.lanes(*ranges[k]) for k in done)]

    def tick(lanes: int) -> None:
        count[0] += lanes
        progress(count[0], total)

    if progress is not None:
        progress(count[0], total)
    todo = [k for k in range(len(ranges)) if k not in done]
    start_of = {ranges[k][0]: k for k in todo}

    def finished(k: int, state: dict) -> None:
        if checkpoint is not None:
            checkpoint.save(k, state)
        place(stream, ranges[k][0], state)

    if scheduler is None:
        for k in todo:
            finished(k, work.run(*ranges[k], progress=tick if progress is not None else None))
    else:
        from simcore.analysis.screen_distributed import run_blocks as on_cluster

        for lo, state in on_cluster(scheduler, work, [ranges[k] for k in todo]):
            finished(start_of[lo], state)
            if progress is not None:
                tick(work.lanes(*ranges[start_of[lo]]))
    return stream
