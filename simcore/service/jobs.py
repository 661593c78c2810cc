"""Jobs: full run configs run in the background into chunked stores, persisted in SQLite.

A job is a run config in the TOML schema sent as JSON, with ``run.model`` a registry
name. Its row in ``data_dir/jobs.sqlite`` holds owner (the key id), status
(``queued`` -> ``running`` -> ``complete`` | ``failed`` | ``cancelled``) and progress;
its files are in ``data_dir/jobs/<id>/``: ``config.json`` (the request, canonical
JSON), ``result.zarr`` (the store of :func:`simcore.run.job.run_to_store`, written as
``result.zarr.partial`` until complete), ``result.json`` (the summary once complete)
and ``result.zip`` (the store as a download, made once, on first request).

Limits hold under concurrent requests: a key's job count is checked and its new job
inserted in one SQLite write transaction (``BEGIN IMMEDIATE``), so 20 simultaneous
submissions with a limit of 2 admit exactly 2 (before, the check and the insert were
separate and 17 got in); cancelling and deleting are conditional updates, safe to repeat
and to race; the zip is built once per job under a lock, into a file of its own, and
renamed into place.

Worker threads (``settings.job_workers``) take queued jobs in order. After a restart,
jobs that were queued or running are queued again and continue from their done chunks
(``run_to_store(..., resume=True)``), so their result equals an uninterrupted run's.
"""

from __future__ import annotations

import json
import logging
import os
import queue
import shutil
import tempfile
import threading
import time
import uuid
import zipfile
from dataclasses import replace
from pathlib import Path
from typing import Any

from simcore.schema.config import parse_config
from simcore.schema.errors import InputError, Problems
from simcore.service.assess import CapError
from simcore.service.job_db import ACTIVE, FINISHED, JOB_KINDS, JobDB, JobRow  # noqa: F401 - re-exported
from simcore.service.job_size import size_problems
from simcore.service.registry import Registry
from simcore.service.results import mix_effects, policy_results
from simcore.schema.spec import ConfigSpec
from simcore.service.schemas import without_nulls
from simcore.service.settings import Settings

log = logging.getLogger("simcore.service")


class JobCancelled(Exception):
    """Raised inside a running job when it was cancelled (DELETE)."""


class JobInterrupted(Exception):
    """Raised inside a running job when the server shuts down (it resumes on restart)."""


# --------------------------------------------------------------------------- checking a request


def parse_job_body(body: Any, registry: Registry, what: str = "job request"):
    """``(registered model, RunConfig)`` of a job body (a run config as JSON, ``run.model``
    a registry name; no ``run.output``, no ``cluster``); raises :class:`InputError`
    naming every bad field."""
    from simcore.schema.spec import schema_problems

    problems = Problems(what)
    body = without_nulls(body, ConfigSpec)
    if not isinstance(body, dict):
        problems.add("(body)", f"must be a JSON object (a run config), got {type(body).__name__}")
        problems.raise_if_any()
    run = body.get("run") if isinstance(body.get("run"), dict) else {}
    name = run.get("model")
    registered = registry.get(name)
    allowed = ", ".join(registry.names())
    if registered is None:
        schema_problems(ConfigSpec, body, problems)  # report everything else too
        if name is None:
            problems.add("run.model", f"is required: a registered model name ({allowed})")
        elif not any(f == "run.model" for f, _ in problems.items):
            problems.add("run.model", f"unknown model {name!r} (models are named, never given as a path); "
                         f"allowed: {allowed}")
    if "output" in run:
        problems.add("run.output", "not allowed in a request: the server chooses where the store goes")
    if body.get("cluster") is not None:
        problems.add("cluster", "not allowed in a request: jobs run on the server's own workers")
    if registered is not None:
        try:
            config = parse_config(body, loaded=registered.loaded)
        except InputError as exc:
            problems.items.extend(exc.problems)
    problems.raise_if_any()
    return registered, config


def check_job_request(body: Any, registry: Registry, settings: Settings):
    """Validate a job body (a run config as JSON). Returns ``(registered model, RunConfig)``;
    raises :class:`InputError` (422, every bad field) or :class:`CapError` (413: the scenario
    and work caps and the size caps of :mod:`simcore.service.job_size`, like the
    assessments' caps)."""
    registered, config = parse_job_body(body, registry)
    caps = []
    work = config.scenarios * config.horizon_days * len(config.policies)
    if config.scenarios > settings.max_job_scenarios:
        caps.append(("run.scenarios", f"{config.scenarios:,} exceeds the cap of {settings.max_job_scenarios:,} "
                     "scenarios per job"))
    elif work > settings.max_job_work:
        caps.append(("run.scenarios", f"scenarios x horizon_days x policies = {config.scenarios:,} x "
                     f"{config.horizon_days} x {len(config.policies)} = {work:,} exceeds the cap of "
                     f"{settings.max_job_work:,} per job"))
    caps.extend(size_problems(config, settings))
    if caps:
        raise CapError(caps)
    return registered, config


# --------------------------------------------------------------------------- running


class _Progress:
    """The progress interface of :meth:`simcore.run.job.Job.run`, writing to the DB and
    checking for cancellation between chunks."""

    def __init__(self, runner: "JobRunner", job_id: str):
        self.runner, self.job_id = runner, job_id
        self.done = 0
        self._last_write = 0.0

    def start(self, total: int, done: int, horizon_days: int) -> None:
        self.done = done
        self.runner.db.update(self.job_id, scenarios_done=done, phase="starting")

    def phase(self, text: str | None) -> None:
        self.runner.db.update(self.job_id, phase=text or "running")
        self._check()

    def advance(self, scenarios: int) -> None:
        self.done += scenarios
        self.runner.db.update(self.job_id, scenarios_done=self.done)
        pause = self.runner.settings.job_chunk_pause_s
        if pause > 0:
            time.sleep(pause)
        self._check()

    def stop(self) -> None:
        self.runner.db.update(self.job_id, phase="done")

    def _check(self) -> None:
        if self.runner.stopping.is_set():
            raise JobInterrupted()
        row = self.runner.db.get(self.job_id)
        if row is None or row.cancel_requested:
            raise JobCancelled()


class JobRunner:
    """Worker threads running queued jobs one after the other (``settings.job_workers``)."""

    def __init__(self, settings: Settings, registry: Registry, after_job=None):
        self.settings, self.registry = settings, registry
        self.after_job = after_job  # called after each job (the service's ProgramGuard.check)
        self.root = Path(settings.data_dir) / "jobs"
        self.root.mkdir(parents=True, exist_ok=True)
        self.db = JobDB(Path(settings.data_dir) / "jobs.sqlite")
        self.queue: queue.Queue[str | None] = queue.Queue()
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self._zip_locks: dict[str, threading.Lock] = {}
        self._zip_locks_guard = threading.Lock()

    # -- paths
    def job_dir(self, job_id: str) -> Path:
        return self.root / job_id

    def store_path(self, job_id: str) -> Path:
        return self.job_dir(job_id) / "result.zarr"

    # -- lifecycle
    def start(self) -> None:
        for row in self.db.unfinished():  # resume what a stopped or killed server left
            if row.status == "running":
                self.db.update(row.id, status="queued", restarts=row.restarts + 1, phase="resuming")
            self.queue.put(row.id)
            log.info("job %s queued again after a restart", row.id)
        for n in range(self.settings.job_workers):  # 0: jobs wait for a server that runs them
            thread = threading.Thread(target=self._work, name=f"simcore-job-{n}", daemon=True)
            thread.start()
            self.threads.append(thread)

    def stop(self, timeout: float = 10.0) -> None:
        """Stop after the current chunk; running jobs stay 'running' and resume on restart."""
        self.stopping.set()
        for _ in self.threads:
            self.queue.put(None)
        for thread in self.threads:
            thread.join(timeout)

    # -- requests
    def submit(self, owner: str, body: dict, registered, config, limit: int | None = None, kind: str = "run",
               scenarios: int | None = None) -> JobRow | None:
        """Queue a checked job of ``kind`` (:data:`JOB_KINDS`; ``scenarios``: its progress
        total, default the run's); None (nothing kept) if ``owner`` has ``limit`` jobs
        queued or running already (:meth:`JobDB.admit`)."""
        scenarios = int(config.scenarios if scenarios is None else scenarios)
        job_id = uuid.uuid4().hex
        directory = self.job_dir(job_id)
        directory.mkdir(parents=True)
        (directory / "config.json").write_text(json.dumps(body if kind == "screen" else without_nulls(body, ConfigSpec),
                                                          sort_keys=True, indent=1))
        row = JobRow(id=job_id, owner=owner, status="queued", model=registered.name,
                     model_version=registered.version, scenarios=scenarios, scenarios_done=0,
                     phase="queued", created=time.time(), started=None, finished=None, restarts=0, error=None,
                     cancel_requested=0, kind=kind)
        if limit is None:
            self.db.insert(row)
        elif not self.db.admit(row, limit):
            shutil.rmtree(directory, ignore_errors=True)
            return None
        self.queue.put(job_id)
        log.info("%s job %s submitted by key %s: model %s, %d scenarios", kind, job_id, owner, registered.name,
                 scenarios)
        return row

    def cancel(self, row: JobRow) -> JobRow | None:
        """Cancel a queued job at once; ask a running one to stop after its chunk. Each
        step is a conditional update, so a second or simultaneous cancel changes nothing
        and the job's state as it is now is returned (None: deleted meanwhile)."""
        cancelled = dict(status="cancelled", cancel_requested=1, finished=time.time(), phase=None)
        if self.db.update_if(row.id, ("queued",), **cancelled):
            # this request cancelled it: it answers so even if another one deleted the row since
            now = self.db.get(row.id)
            return now if now is not None else replace(row, **cancelled)
        self.db.update_if(row.id, ("running",), cancel_requested=1, phase="cancelling")
        return self.db.get(row.id)

    def remove(self, row: JobRow) -> bool:
        """Delete a finished job and its files; False if it was not finished or is gone
        already (another request deleted it)."""
        if not self.db.delete(row.id, FINISHED):
            return False
        with self._zip_lock(row.id):  # not while its download is being built
            shutil.rmtree(self.job_dir(row.id), ignore_errors=True)
        with self._zip_locks_guard:
            self._zip_locks.pop(row.id, None)
        return True

    def result(self, row: JobRow) -> dict | None:
        path = self.job_dir(row.id) / "result.json"
        return json.loads(path.read_text()) if path.exists() else None

    def _zip_lock(self, job_id: str) -> threading.Lock:
        with self._zip_locks_guard:
            return self._zip_locks.setdefault(job_id, threading.Lock())

    def zip_path(self, row: JobRow) -> Path | None:
        """The complete store as a zip, made once next to it; None if the job's files are
        gone (deleted meanwhile). Concurrent first downloads wait for one build (a lock
        per job) instead of all writing one file; the build goes to a temporary file of
        its own, renamed into place when complete, so a reader never sees a partial zip
        (and another server process on the same data is safe too)."""
        target = self.job_dir(row.id) / "result.zip"
        if target.exists():
            return target
        with self._zip_lock(row.id):
            if target.exists():  # built while this request waited
                return target
            store = self.store_path(row.id)
            if not store.is_dir():
                return None
            fd, name = tempfile.mkstemp(prefix="result.zip.", suffix=".partial", dir=target.parent)
            try:
                with os.fdopen(fd, "wb") as handle, zipfile.ZipFile(handle, "w", zipfile.ZIP_DEFLATED) as archive:
                    for path in sorted(store.rglob("*")):
                        if path.is_file():
                            archive.write(path, Path("result.zarr") / path.relative_to(store))
                os.replace(name, target)
            except BaseException:
                Path(name).unlink(missing_ok=True)
                raise
        return target

    # -- the worker
    def _work(self) -> None:
        while not self.stopping.is_set():
            job_id = self.queue.get()
            if job_id is None or self.stopping.is_set():
                return
            try:
                self._run(job_id)
            except JobInterrupted:
                log.info("job %s interrupted by shutdown; it resumes on restart", job_id)
                return
            except Exception:  # never let a worker die
                log.exception("job %s: unexpected error", job_id)
            if self.after_job is not None:
                self.after_job()

    def _run(self, job_id: str) -> None:
        row = self.db.get(job_id)
        if row is None or row.status not in ACTIVE:
            return
        if row.cancel_requested:
            self.db.update(job_id, status="cancelled", finished=time.time())
            return
        from simcore.run.job import run_to_store

        if not self.db.update_if(job_id, ACTIVE, status="running", started=row.started or time.time(),
                                 phase="preparing"):
            return  # cancelled (and maybe deleted) since it was read
        try:
            registered = self.registry.get(row.model)
            if registered is None or registered.version != row.model_version:
                raise RuntimeError(f"model {row.model} changed or was removed since the job was submitted "
                                   f"(version {row.model_version[:12]}); submit it again")
            config_path = self.job_dir(job_id) / "config.json"
            if row.kind == "screen":  # the chokepoint screen: its own runner and result
                from simcore.service.screen_job import run_screen_job

                result = run_screen_job(json.loads(config_path.read_text()), registered, self.store_path(job_id),
                                        _Progress(self, job_id), job_id)
                (self.job_dir(job_id) / "result.json").write_text(json.dumps(result))
                self.db.update(job_id, status="complete", finished=time.time(), phase=None, scenarios_done=row.scenarios)
                log.info("job %s complete", job_id)
                return
            config = parse_config(json.loads(config_path.read_text()), loaded=registered.loaded)
            config.path = str(config_path)  # the store's identity includes this file's hash
            summary, effects = run_to_store(config, self.store_path(job_id), resume=True,
                                            progress=_Progress(self, job_id), log=lambda *a, **k: None)
            result = {
                "id": job_id,
                "model": {"name": registered.name, "title": registered.loaded.name, "version": registered.version},
                "seed": config.seed, "scenarios": config.scenarios, "horizon_days": config.horizon_days,
                "currency": registered.loaded.currency, "io_value_unit": registered.loaded.io_value_unit,
                "policies": policy_results(summary, registered.loaded.units,
                                           {p.name: p.description for p in config.policies}),
                "effects": mix_effects(effects),
            }
            (self.job_dir(job_id) / "result.json").write_text(json.dumps(result))
            self.db.update(job_id, status="complete", finished=time.time(), phase=None,
                           scenarios_done=config.scenarios)
            log.info("job %s complete", job_id)
        except JobCancelled:
            self.db.update(job_id, status="cancelled", finished=time.time(), phase=None)
            for path in self.job_dir(job_id).glob("result.zarr*"):
                shutil.rmtree(path, ignore_errors=True) if path.is_dir() else path.unlink(missing_ok=True)
            log.info("job %s cancelled", job_id)
        except JobInterrupted:
            raise
        except Exception as exc:  # a failed job reports why; the server goes on
            message = str(exc).strip().splitlines()[0][:500] if str(exc).strip() else type(exc).__name__
            self.db.update(job_id, status="failed", finished=time.time(), phase=None, error=message)
            log.warning("job %s failed: %s", job_id, message)
