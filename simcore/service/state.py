"""The service's shared state and its lifecycle (see ``docs/service.md``).

:class:`ServiceState` is what the endpoints of :func:`simcore.service.app.create_app`
share: settings, registry, keys, limits, job workers, the assessment executors and
readiness. Its first start enables the compilation cache, warns about a low memory-mapping
limit (:mod:`simcore.service.map_limit`) and arms the guard that drops compiled programs
before the process reaches it (:mod:`simcore.service.program_guard`), scans the model registry, starts the job
workers (resuming unfinished jobs) and warms the compiled functions in a background
thread; its last stop stops and waits for the jobs and the warm-up.
"""

from __future__ import annotations

import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor

from simcore.service.assess import warm_up
from simcore.service.auth import KeyStore, RateLimiter, load_secret, read_key_file
from simcore.service.jobs import JobRunner
from simcore.service.map_limit import map_limit_warning, max_map_count
from simcore.service.program_guard import ProgramGuard
from simcore.service.registry import Registry
from simcore.service.settings import Settings

log = logging.getLogger("simcore.service")


def _configure_compilation_cache(settings: Settings) -> None:
    """Enable JAX's persistent compilation cache through the function every entry point
    uses (:func:`simcore.core.compile_cache.enable_compilation_cache`, through
    :mod:`simcore.run`: the same folder rule, size bound and settings; process-wide, the
    first decision wins; an unusable folder warns once and the service runs without it)."""
    from simcore.run import enable_compilation_cache

    directory = settings.cache_dir
    enable_compilation_cache(directory, enabled=directory is not None)


class ServiceState:
    """What the endpoints share: settings, registry, keys, limits, jobs, readiness."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.registry: Registry | None = None
        self.jobs: JobRunner | None = None
        self.ready = threading.Event()
        self.warm_error: str | None = None
        self.warmed: list[str] = []
        keys = list(settings.api_keys)
        if settings.api_key_file:
            keys += read_key_file(settings.api_key_file)
        self.keys = KeyStore(keys, load_secret(settings.data_dir))
        del keys  # only the hashes stay
        self.limiter = RateLimiter(settings.rate_per_minute)
        # Assessments are checked and computed on threads of their own, made once: a burst
        # neither starts a thread per request from the event loop (each start waited for the
        # GIL there) nor takes the shared pool; /healthz, async, never waits for either.
        # Executors, not anyio limiters: an app may be driven by more than one event loop.
        self.checks = ThreadPoolExecutor(1, thread_name_prefix="simcore-check")  # one at a time: less GIL contention
        self.simulations = ThreadPoolExecutor(max(1, settings.assessment_concurrency),
                                              thread_name_prefix="simcore-assessment")
        self.waiting = 0
        self.programs = ProgramGuard(None)  # armed at start, with the kernel's limit
        self._warm_stop = threading.Event()
        self._warm_thread: threading.Thread | None = None
        self._lifespans = 0
        self._lifespan_lock = threading.Lock()

    def start(self) -> None:
        """Start once: an app can get several lifespans (a server and a test client, say);
        the service runs from the first start to the last stop."""
        with self._lifespan_lock:
            self._lifespans += 1
            if self._lifespans > 1:
                return
            self._start()

    def stop(self, timeout: float = 60.0) -> None:
        """At the last stop: the jobs stop after their current chunk, and the warm-up
        before its next shape; both are waited for (up to ``timeout`` seconds each), so
        no compile of this service runs on after it (nor beside the next one in the
        process)."""
        with self._lifespan_lock:
            self._lifespans -= 1
            if self._lifespans != 0:
                return
            self._warm_stop.set()
            if self.jobs is not None:
                self.jobs.stop()
            if self._warm_thread is not None:
                self._warm_thread.join(timeout)

    def _start(self) -> None:
        settings = self.settings
        _configure_compilation_cache(settings)
        limit = max_map_count()
        warning = map_limit_warning(limit)
        if warning:
            log.warning(warning)
        self.programs = ProgramGuard(limit, log=log.warning)
        self.registry = Registry.scan(settings.models_dir, settings.configs_dir)
        log.info("registry: %s", ", ".join(f"{n} ({len(m.mixes)} mixes)" for n, m in self.registry.models.items()))
        self.jobs = JobRunner(settings, self.registry, after_job=self.programs.check)
        self.jobs.start()
        self._warm_stop.clear()
        self._warm_thread = threading.Thread(target=self._warm, name="simcore-warm-up", daemon=True)
        self._warm_thread.start()

    def _warm(self) -> None:
        started = time.perf_counter()
        try:
            self.warmed = warm_up(self.registry, self.settings, log=log.info, stop=self._warm_stop,
                                  after_shape=self.programs.check)
        except Exception as exc:  # still serve: requests compile on first use
            self.warm_error = f"{type(exc).__name__}: {exc}"
            log.exception("warm-up failed")
        log.info("ready after %.1f s of warm-up", time.perf_counter() - started)
        self.ready.set()
