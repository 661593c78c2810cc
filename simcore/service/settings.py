"""Service settings: limits, paths, warm-up, read from the environment or given in code.

Every setting has an environment variable ``SIMCORE_<NAME>`` (upper case), read by
:meth:`Settings.from_env`; :func:`simcore.service.app.create_app` takes a
:class:`Settings` object so tests and embedders set them directly.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[2]


def _ints(text: str) -> tuple[int, ...]:
    return tuple(int(part) for part in text.replace(" ", "").split(",") if part)


def _names(text: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in text.split(",") if part.strip())


@dataclass(frozen=True)
class Settings:
    """What the service allows and where it keeps its files.

    Paths: ``data_dir`` holds the job database (``jobs.sqlite``), the job stores
    (``jobs/<id>/``) and the server secret for key hashes (``secret``). JAX's persistent
    compilation cache follows the rule every entry point uses
    (:func:`simcore.core.compile_cache.cache_dir`: ``$SIMCORE_CACHE_DIR``, else
    ``$XDG_CACHE_HOME/simcore``, else ``~/.cache/simcore``), so the service reads back
    what ``simcore run`` compiled and the other way round; ``compilation_cache_dir``
    gives another folder, ``""`` (or ``SIMCORE_NO_CACHE=1``) runs without it.
    """

    # --- registry and files
    models_dir: Path = REPO_ROOT / "models"
    configs_dir: Path = REPO_ROOT / "configs"
    data_dir: Path = Path("results") / "service"
    compilation_cache_dir: Path | None = None  # None: the common rule (see above); "": off

    # --- security
    api_keys: tuple[str, ...] = ()  # plain keys (hashed at start-up, never kept or logged)
    api_key_file: Path | None = None  # one key per line; '#' starts a comment
    rate_per_minute: int = 120  # requests per key per minute (token bucket, burst = the same number)
    max_jobs_per_key: int = 2  # queued + running jobs per key
    max_body_bytes: int = 256 * 1024  # 413 beyond, checked while the body streams in
    max_json_depth: int = 32  # nesting of a JSON body (configs nest about 6); 422 beyond, before parsing
    public_docs: bool = False  # True: /openapi.json and /docs without a key

    # --- assessment caps and compiled shapes
    assessment_horizons: tuple[int, ...] = (90, 180, 365, 730, 1095)  # allowed horizons (one compile each)
    default_horizon_days: int = 365
    max_assessment_scenarios: int = 20_000
    default_assessment_scenarios: int = 2_000
    max_mixes: int = 8  # named + inline mixes per assessment (the no-policy baseline is extra)
    max_signals: int = 4  # events per assessment; padded to this count (one compiled shape)
    policy_slots: int = 0  # > 0: pad every assessment's policies to this many (one compiled shape)
    # scenarios x horizon_days x policies (incl. the baseline): the work cap of one assessment
    max_assessment_work: int = 10_000 * 365 * 9
    chunk_sizes: tuple[int, ...] = (256, 2_500)  # an assessment uses the one that computes the fewest scenarios
    assessment_concurrency: int = 1  # assessments computed at once (more queue)
    assessment_queue: int = 64  # assessments waiting at most; beyond: 503

    # --- jobs
    job_workers: int = 1
    max_job_scenarios: int = 10_000_000
    max_job_work: int = 10_000_000 * 365 * 9  # scenarios x horizon_days x policies
    # scenarios x horizon_days x products x policies: the volume a job simulates (a million scenarios of
    # the demo model's 7 products over a year with 9 policies is 2.3e10); 422 beyond
    max_job_size: int = 25_000_000_000
    # the job's estimated store (per-scenario metrics, daily trajectories); 422 beyond
    max_job_store_bytes: int = 10_000_000_000
    job_chunk_pause_s: float = 0.0  # pause after each job chunk (demos and the restart test)

    # --- start-up
    warm_models: tuple[str, ...] | None = None  # None: every registered model; () none
    warm_horizons: tuple[int, ...] | None = None  # None: (default_horizon_days,)

    extra: dict = field(default_factory=dict)  # free-form, for embedders

    @property
    def cache_dir(self) -> Path | None:
        """The compilation cache folder, None when off (read from the environment now)."""
        from simcore.run import cache_dir, cache_disabled  # the core's, re-exported (loads no JAX)

        if cache_disabled() or (self.compilation_cache_dir is not None and not str(self.compilation_cache_dir)):
            return None
        return cache_dir() if self.compilation_cache_dir is None else Path(self.compilation_cache_dir)

    def with_(self, **changes) -> "Settings":
        return replace(self, **changes)

    @classmethod
    def from_env(cls, environ: dict | None = None, **overrides) -> "Settings":
        """Settings from ``SIMCORE_*`` variables (``SIMCORE_API_KEYS`` comma-separated,
        ``SIMCORE_CHUNK_SIZES=256,2500``, ``SIMCORE_WARM_MODELS=demo_critical_materials``
        or ``none``); ``overrides`` win."""
        environ = os.environ if environ is None else environ
        values: dict = {}
        for item in fields(cls):
            if item.name == "extra":
                continue
            raw = environ.get(f"SIMCORE_{item.name.upper()}")
            if raw is None:
                continue
            default = item.default
            if item.name == "api_keys":
                values[item.name] = _names(raw)
            elif item.name in ("warm_models",):
                values[item.name] = () if raw.strip().lower() in ("none", "") else _names(raw)
            elif item.name in ("warm_horizons",):
                values[item.name] = () if raw.strip().lower() in ("none", "") else _ints(raw)
            elif isinstance(default, tuple):
                values[item.name] = _ints(raw)
            elif isinstance(default, bool):
                values[item.name] = raw.strip().lower() in ("1", "true", "yes")
            elif isinstance(default, int):
                values[item.name] = int(raw)
            elif isinstance(default, float):
                values[item.name] = float(raw)
            else:  # paths
                values[item.name] = Path(raw) if raw else ("" if item.name == "compilation_cache_dir" else None)
        values.update(overrides)
        return cls(**values)
