"""A sweep written to a fault-tolerant store: plan, lock, fill chunk by chunk, resume, publish.

:func:`run_to_store` is the whole job; :class:`Job` splits it in steps so that the
CLI can check the output and show the estimated store size *before* anything is
compiled (the store's template and that estimate: :mod:`simcore.run.store_layout`).
One chunk's work (plan, compute, reduce, write) is :mod:`simcore.run.chunks`, shared
with the cluster's tasks (:mod:`simcore.run.distributed`); the job fills the chunks
locally or sends them there, then merges their statistics (:mod:`simcore.run.streaming`)
into the summary.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from pathlib import Path

import jax
import numpy as np
import xarray as xr

from simcore.run import distributed, riders, stats, store, store_layout
from simcore.run.chunks import (  # noqa: F401 - write_chunk: re-exported, the job's name before chunks.py
    RunPlan,
    iter_plan_chunks,
    plan_fans,
    preload_plan_program,
    result_coords,
    store_chunk,
    write_chunk,
)
from simcore.run.paired import SUMMARY_INFO
from simcore.run.runner import (
    KeptRun,
    Simulation,
    _version,
    daily_dataset,
    normal_times,
    run_attributes,
    run_units,
)
from simcore.run.store import OutputError
from simcore.run.fans import FanStats, fan_dataset
from simcore.run.store_layout import StoreTooLarge  # also imported from here (the CLI)
# the template under the job's own name: tests replace it to check nothing is traced too early
from simcore.run.store_layout import template as _template
from simcore.run.streaming import merge_stream
from simcore.run.summary import pillar_effects

KEEP_CHOICES = ("per-scenario", "summary")


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_text(path) -> bytes:
    try:
        return Path(path).read_bytes() if path else b""
    except OSError:
        return b""


def _config_bytes(config) -> bytes:
    """The config file's bytes as :func:`~simcore.schema.config.load_config` read them
    (read once: a pipe such as ``<(cat run.toml)`` cannot be read again), else the file."""
    text = getattr(config, "source", None)
    if isinstance(text, bytes):
        return text
    return _file_text(getattr(config, "path", None))


def _versions() -> dict:
    import zarr

    return {"simcore_version": _version(), "jax_version": jax.__version__, "numpy_version": np.__version__,
            "xarray_version": xr.__version__, "zarr_version": zarr.__version__}


# ---------------------------------------------------------------- the job

@dataclass
class Job:
    """One sweep into one store. Use as a context manager (it holds the output lock)::

        with Job(config, output, scenarios=..., chunk_size=...) as job:
            job.prepare()            # check output, lock, resume state, estimates
            summary, effects = job.run()
    """

    config: object
    output: store.Where
    scenarios: int | None = None
    chunk_size: int | None = None
    keep: str | None = None
    resume: bool = False
    log: object = print
    storage_options: dict | None = None
    sim: Simulation | None = None
    plan: RunPlan | None = None
    todo: list[int] = field(default_factory=list)
    already_complete: bool = False
    max_store_bytes: float | None = None
    _lock: store.OutputLock | None = None
    _template_plan: RunPlan | None = None
    _client: object = None
    _owns_client: bool = False
    _store_template: store_layout.Template | None = None
    _fans: FanStats | None = None  # the merged fan histograms (_summary), written by _finish
    _riders: list | None = None  # the riders' arrays of the rider chunks (_summary), read by _finish
    _layout_pending: bool = False  # prepare left the new partial store's layout to lay_out

    def __post_init__(self):
        # a path or an fsspec URL; the partial store and the lock sit beside it
        self.output = store.as_location(self.output, self.storage_options)
        self.partial = self.output.sibling(store.PARTIAL_SUFFIX)

    # -- context: the lock
    def __enter__(self) -> "Job":
        return self

    def __exit__(self, *exc) -> None:
        if self._lock is not None:
            self._lock.release()
        if self._client is not None and self._owns_client:
            self._client.close()
        self._client = None

    # -- step 1: everything that can fail before compiling
    def prepare(self, scheduler=None) -> "Job":
        """Check the size and the output, take the lock, find what is left to do and
        make the store's template; a new partial store is laid out later
        (:meth:`lay_out`, from :meth:`run`). ``scheduler`` (an address or a
        ``distributed.Client``): connect to the cluster and wait for a worker before the
        layout, so an unusable cluster leaves no store; :meth:`run` then uses that client."""
        config = self.config
        keep = self.keep or getattr(config, "keep", None) or "per-scenario"
        if keep not in KEEP_CHOICES:
            raise OutputError(f"keep must be one of {', '.join(KEEP_CHOICES)}, got {keep!r}")
        config_text = _config_bytes(config)
        model_text = _file_text(getattr(config.loaded, "path", None))
        self.identity = {
            "config_sha256": _sha256(config_text),
            "model_sha256": _sha256(model_text),
            "seed": int(config.seed),
            "horizon_days": int(config.horizon_days),
        }
        self.config_text = config_text.decode("utf-8", errors="replace")
        n_scenarios = int(self.scenarios or config.scenarios)
        # unknown protocol, missing backend, unwritable: before tracing or compiling, and
        # before creating anything (an oversize run below leaves nothing on disk)
        store.check_writable(self.output, create=False)
        store.OutputLock(self.output).check()  # a live run writing it: before tracing too
        if scheduler is None:  # the output is usable: read the chunk program back meanwhile
            self._preload(n_scenarios, keep)
        if self.max_store_bytes is not None:
            # size before layout: laying out a huge store takes minutes and GBs (issue 17), so
            # an oversize run is refused before the output's folder, lock or layout exist
            self._check_size(n_scenarios, keep)
        if self.output.local_path is not None:
            store.check_writable(self.output)  # now create the output's folder
        self._lock = store.OutputLock(self.output).acquire()
        for leftover in store.clean_leftovers(self.output):  # replaced stores a killed run left aside
            self.log(f"removed {leftover} (an older result a killed run left while replacing it)")

        chunk_size = self.chunk_size
        stored = self._resumable_attributes() if self.resume else None
        if stored is not None:
            chunk_size = self._check_resume(stored, n_scenarios, chunk_size, keep)
        chunk_size = self._chunk_size(n_scenarios, chunk_size)
        self.plan = self._plan(n_scenarios, chunk_size, keep)

        if stored is None and self.resume:
            if self._complete_matches():
                self.already_complete = True
                self.todo = []
                return self
            if self.output.exists():
                self.log(f"note: {self.output} holds another run; starting a new one (it replaces {self.output} "
                         f"only when complete)")
        if stored is None:
            if self.partial.exists() and not self.resume:
                self.log(f"note: removing an interrupted run's {self.partial} (use --resume to continue it)")
            self.todo = list(range(self.plan.n_chunks))
        else:
            done = store.done_chunks(self.partial)
            self.todo = [int(i) for i in np.flatnonzero(~done)]
        if scheduler is not None and self.todo:
            self._client, self._owns_client = distributed.connect(scheduler)
        self._make_template()
        if stored is not None:
            missing, lost = self._damage()
            if missing:  # e.g. a partial store half-deleted by hand: its layout is gone
                self.log(f"note: {self.partial} is damaged (missing {', '.join(missing[:5])}"
                         f"{', ...' if len(missing) > 5 else ''}); starting a new run")
                stored = None
                self.todo = list(range(self.plan.n_chunks))
            elif lost:
                self.log(f"note: {len(lost)} done chunk(s) of {self.partial} lost their statistics (or lack the "
                         f"normal times and kept trajectories riding with them); computing them again")
                self.todo = sorted(set(self.todo) | set(lost))
        # a new partial store is laid out once the first chunk computes (lay_out): the
        # layout's 0.3-0.6 s of host work then overlaps the engine's (issue 19 item 1)
        self._layout_pending = stored is None
        return self

    def _preload(self, n_scenarios: int, keep: str) -> None:
        """Start reading the chunk program of this run back from the disk cache in a
        background thread (:func:`simcore.run.chunks.preload_plan_program`), while the
        template, the checks and the lock follow here. The plan is the one expected (a
        resume may keep another chunk size: then the first chunk loads its own)."""
        if self.sim is None:
            self.sim = Simulation.from_config(self.config)
        preload_plan_program(self.sim, self._plan(n_scenarios, self._chunk_size(n_scenarios), keep))

    def _chunk_size(self, n_scenarios: int, chunk_size: int | None = None) -> int:
        """The run's chunk size: ``chunk_size`` (a resumed store's), else the job's, else
        the config's, at most ``n_scenarios``."""
        return max(1, min(int(chunk_size or self.chunk_size or self.config.chunk_size), n_scenarios))

    def _plan(self, n_scenarios: int, chunk_size: int, keep: str) -> RunPlan:
        config = self.config
        daily = min(int(getattr(config, "daily_scenarios", 0) or 0), n_scenarios)
        riding = riders.riding_scenarios(daily, config.horizon_days, len(config.policies),
                                         len(config.loaded.products), len(config.loaded.sectors))
        return RunPlan(n_scenarios, chunk_size, keep, daily_scenarios=daily, riding_scenarios=riding)

    def _damage(self) -> tuple[list[str], list[int]]:
        """What a resumed partial store lacks: ``(missing arrays or groups of its layout,
        done chunks without statistics)``. The first means starting over, the second
        computing those chunks again (their region writes are idempotent). A done chunk
        whose statistics lack the riders it should hold (:mod:`simcore.run.riders`;
        written by a simcore without them) counts as without statistics."""
        import zarr

        with store._quiet():
            root = zarr.open_group(store._zarr(self.partial), mode="r")
            arrays, groups = set(root.array_keys()), set(root.group_keys())
            expected = [store.CHUNK_DONE, "chunk", "policy", "product", "sector", "event"]
            if self.plan.keep == "per-scenario":
                expected += ["scenario", *self._store_template.dataset.data_vars]
            missing = [name for name in expected if name not in arrays]
            if store.CHUNK_STATS_GROUP not in groups:
                return missing + [store.CHUNK_STATS_GROUP], []
            with_stats = set(root[store.CHUNK_STATS_GROUP].array_keys())
        todo = set(self.todo)
        lost = [i for i in range(self.plan.n_chunks) if i not in todo and str(i) not in with_stats]
        plan = self.plan
        for index in riders.rider_chunks(plan.riding_scenarios, plan.chunk_size):
            if index not in todo and index not in lost and not riders.has_riders(
                    store.read_chunk_stats(self.partial, index) or {}, index, plan.riding_scenarios, plan.chunk_size):
                lost.append(index)
        return missing, sorted(lost)

    def _make_template(self) -> None:
        """The simulation and the store's template for ``self.plan`` (shapes only: traced,
        not compiled); kept when the size check already made them for the same plan."""
        if self.sim is None:
            self.sim = Simulation.from_config(self.config)
        if self._template_plan != self.plan:
            self._store_template = _template(self.sim, self.plan)
            self._template_plan = self.plan

    def _check_size(self, n_scenarios: int, keep: str) -> None:
        """Refuse (:class:`StoreTooLarge`) a run whose store would exceed
        ``max_store_bytes``, from the template alone: nothing is written or laid out. A
        resume whose output is already complete writes nothing and is not refused."""
        self.plan = self._plan(n_scenarios, self._chunk_size(n_scenarios), keep)
        if self.resume and self._complete_matches():
            return
        self._make_template()
        size = self.estimated_store_bytes()
        if size > self.max_store_bytes:
            raise StoreTooLarge(size, self.max_store_bytes, keep)

    def _resumable_attributes(self) -> dict | None:
        if not self.partial.exists():
            if not self.output.exists():
                self.log(f"note: nothing to resume at {self.partial}; starting a new run")
            return None
        try:
            attrs = store.read_attributes(self.partial)
            store.done_chunks(self.partial)
        except Exception:  # created but never laid out (killed at once): start over
            self.log(f"note: {self.partial} is not a readable store; starting a new run")
            return None
        return attrs

    def _check_resume(self, stored: dict, n_scenarios: int, chunk_size: int | None, keep: str) -> int:
        """Refuse to resume a different run; returns the stored chunk size."""
        wanted = dict(self.identity, n_scenarios=n_scenarios, keep=keep)
        wanted[store.STORE_FORMAT_ATTR] = store.STORE_FORMAT  # another layout cannot be continued
        if chunk_size:
            wanted["chunk_size"] = int(chunk_size)
        labels = {"config_sha256": "config file (sha256)", "model_sha256": "model file (sha256)", "seed": "seed",
                  "horizon_days": "horizon_days", "n_scenarios": "scenario count", "keep": "keep",
                  "chunk_size": "chunk size", store.STORE_FORMAT_ATTR: "store format"}
        differ = [f"{labels[k]}: stored {stored.get(k)!r}, now {v!r}" for k, v in wanted.items() if stored.get(k) != v]
        if differ:
            raise OutputError(f"cannot resume {self.partial}: it belongs to a different run ("
                              + "; ".join(differ) + "). Run without --resume to start over.")
        return int(stored["chunk_size"])

    def _complete_matches(self) -> bool:
        """True if the target is a complete store of this very run (resume: nothing to do)."""
        if not self.output.exists():
            return False
        try:
            attrs = store.read_attributes(self.output)
        except Exception:
            return False
        wanted = dict(self.identity, n_scenarios=self.plan.n_scenarios, keep=self.plan.keep, status="complete")
        return all(attrs.get(k) == v for k, v in wanted.items())

    def lay_out(self) -> None:
        """Lay out the new partial store where :meth:`prepare` left that to do, once: a
        local run does it as soon as its first chunk computes, a cluster run before it
        sends chunks. Until then nothing is written (an older partial store stays)."""
        if self._layout_pending:
            self._create()
            self._layout_pending = False

    def _create(self) -> None:
        # lay out beside, then move into place (a rename locally; at a URL a copy whose root
        # metadata comes last): a '.partial' store that opens always has its full layout
        staging = self.partial.sibling(".new")
        for old in (staging, self.partial):
            store.delete_store(old, sibling=True)
        sim, plan = self.sim, self.plan
        attrs = dict(run_attributes(sim, plan.n_scenarios))
        attrs.update(_versions())
        attrs.update(self.identity)
        attrs.update({
            store.STORE_MARKER: "run",
            "status": "running", "started": time.strftime("%Y-%m-%d %H:%M:%S"),
            "config": str(getattr(self.config, "path", "")), "config_text": self.config_text,
            "n_scenarios": plan.n_scenarios, "chunk_size": plan.chunk_size, "n_chunks": plan.n_chunks,
            "keep": plan.keep,
        })
        per_scenario = self._store_template.dataset if plan.keep == "per-scenario" else None
        coords = store.layout_coords(self._store_template.dataset)
        store.create_store(staging, per_scenario, n_scenarios=plan.n_scenarios,
                           chunk_size=plan.chunk_size, coords=coords, attrs=attrs)
        store.replace_store(staging, self.partial)

    # -- estimates
    def estimated_store_bytes(self) -> int:
        """Uncompressed size of the chunk data and the kept trajectories (an upper bound
        for the store on disk): :func:`simcore.run.store_layout.estimated_bytes`."""
        if self._store_template is None or self.already_complete:  # nothing to write
            return 0
        return store_layout.estimated_bytes(self._store_template, self.plan, self.config)

    @property
    def scenarios_done(self) -> int:
        todo = set(self.todo)
        return sum(self.plan.chunk_range(i)[1] for i in range(self.plan.n_chunks) if i not in todo)

    # -- step 2: compute, then summarise and publish
    def run(self, progress=None, scheduler=None):
        """Fill the missing chunks (locally or on a Dask cluster at ``scheduler``),
        write the summary groups and publish the store; returns ``(summary, effects)``."""
        progress = progress or NullProgress()
        if self._client is not None:  # connected by prepare
            scheduler = self._client
        if self.already_complete:
            self.log(f"{self.output} is already complete for this run; nothing to resume")
            return self._read_summary(self.output)
        plan = self.plan
        progress.start(total=plan.n_scenarios, done=self.scenarios_done, horizon_days=self.sim.horizon_days)
        if scheduler is not None or not self.todo:
            self.lay_out()
        if scheduler is not None:
            progress.phase("sending chunks to the cluster")
            distributed.run_chunks(scheduler, self.sim, plan, self.partial, self.todo, on_done=progress.advance)
        else:
            self._run_local(progress)
        progress.phase("summarising")
        summary, effects = self._finish()
        progress.stop()
        return summary, effects

    def _run_local(self, progress) -> None:
        sim, plan = self.sim, self.plan
        progress.phase("compiling")
        for n, (index, *item) in enumerate(iter_plan_chunks(sim, plan, self.todo, on_dispatch=self.lay_out)):
            count = store_chunk(sim, plan, self.partial, index, *item)
            store.mark_done(self.partial, index)
            progress.advance(count)
            if n == 0:
                progress.phase(None)

    def _finish(self):
        sim, plan, path = self.sim, self.plan, self.partial
        missing = np.flatnonzero(~store.done_chunks(path))
        if missing.size:
            raise OutputError(f"chunks {missing.tolist()[:10]} of {path} are not done; cannot summarise (continue "
                              f"with --resume)")
        summary = self._summary(path)
        # normal times and the kept trajectories rode along in the chunk program (the
        # trajectories only within riders.RIDING_BUDGET_BYTES; more get a program of their own)
        normal_lane, daily = riders.read_riders(self._riders, plan.riding_scenarios)
        normal = normal_times(sim, normal_lane)
        effects = pillar_effects(summary, normal)
        units = run_units(sim)  # the root's (from the model: no read of the store), for every group
        if daily is not None:
            store.write_group(daily_dataset(sim, daily, np.arange(plan.riding_scenarios)), path, "daily", units)
        elif plan.daily_scenarios:
            store.write_group(KeptRun(sim, plan.daily_scenarios).trajectories(), path, "daily", units)
        layout = plan_fans(sim)
        if layout is not None:
            if self._fans is None:
                raise OutputError(f"{path}: the chunks hold no fan histograms; start the run again (without "
                                  f"--resume)")
            store.write_group(fan_dataset(self._fans, layout, sim.policy_names, sim.loaded.products,
                                          sim.loaded.sectors, plan.n_scenarios), path, "daily_quantiles", units)
        summary = store.write_group(summary, path, "summary", units)  # as stored: resolved units, coordinates
        store.write_group(normal, path, "normal_times", units)
        effects = store.write_group(effects, path, "effects", units)
        store.publish(path, self.output)
        self._lock.release()
        return summary, effects

    def _summary(self, path) -> xr.Dataset:
        """The summary group from the chunks' merged statistics; merges their fan
        histograms into ``self._fans`` and keeps the riders' blobs
        (:func:`simcore.run.riders.rider_chunks`) in ``self._riders`` on the way (one read
        of each chunk)."""
        self._fans, self._riders = None, []
        plan = self.plan
        rider_chunks = set(riders.rider_chunks(plan.riding_scenarios, plan.chunk_size))

        def chunk_stats():  # read one chunk at a time: memory stays flat in the chunk count
            for index in range(self.plan.n_chunks):
                part = store.read_chunk_stats(path, index)
                if part is None:
                    raise OutputError(f"{path}: done chunk {index} has no statistics; start the run again "
                                      f"(without --resume)")
                fans = FanStats.from_arrays(part)
                if fans is not None:
                    self._fans = fans if self._fans is None else self._fans.merge(fans)
                if index in rider_chunks:
                    if not riders.has_riders(part, index, plan.riding_scenarios, plan.chunk_size):
                        raise OutputError(f"{path}: done chunk {index} lacks its normal times or kept "
                                          f"trajectories; continue with --resume (it computes that chunk again)")
                    self._riders.append({key: value for key, value in part.items()  # in chunk order
                                         if key.startswith((riders.KEPT_PREFIX, riders.NORMAL_PREFIX))})
                yield stats.ChunkStats.from_arrays(part)

        # merging is exact, so the order of the chunks (or of a resume) does not matter
        merged = merge_stream(chunk_stats())
        summary = stats.finalize(merged, result_coords(self.sim), SUMMARY_INFO)
        summary.attrs.update({k: v for k, v in store.read_attributes(path).items()
                              if isinstance(v, (str, int, float)) and k not in ("config_text", store.STORE_MARKER)})
        # the statistics exist only once every chunk is done: the group is complete (the
        # root says so when the store is published; it said "running" until then)
        summary.attrs["status"] = "complete"
        return summary

    def _read_summary(self, path):
        return store.open_results(path, group="summary").load(), store.open_results(path, group="effects").load()


class NullProgress:
    """Progress display that shows nothing (``--quiet`` and library use)."""

    def start(self, total: int, done: int, horizon_days: int) -> None: ...
    def phase(self, text: str | None) -> None: ...
    def advance(self, scenarios: int) -> None: ...
    def stop(self) -> None: ...


def run_to_store(config, output: store.Where, *, scenarios: int | None = None, chunk_size: int | None = None,
                 keep: str | None = None, resume: bool = False, scheduler=None, progress=None, log=print,
                 storage_options: dict | None = None, max_store_bytes: float | None = None):
    """Run the sweep of ``config`` into the store ``output`` (a path or an fsspec URL);
    returns ``(summary, effects)``.

    Writes ``output.partial`` under the lock ``output.lock`` and replaces ``output`` only
    when complete. ``resume``: continue an interrupted run's done chunks. ``scheduler``:
    a Dask scheduler address (or ``distributed.Client``) to send chunks to.
    ``storage_options``: options of the URL's fsspec filesystem (credentials, endpoint);
    with a scheduler they travel to the workers with each task.
    ``max_store_bytes``: refuse (:class:`StoreTooLarge`) a run whose store would be larger,
    before anything is written.
    Raises :class:`~simcore.run.store.OutputError` for unusable outputs.
    """
    with Job(config, output, scenarios=scenarios, chunk_size=chunk_size, keep=keep, resume=resume,
             log=log, storage_options=storage_options, max_store_bytes=max_store_bytes) as job:
        job.prepare(scheduler=scheduler)
        return job.run(progress=progress, scheduler=scheduler)
