"""Assessments: a signal against a registered model, answered synchronously.

A request is checked in two passes like a config file (every bad field at once), then
turned into the very run config a TOML file would give (``[run]``, ``[[events]]``,
``[[policies]]`` with ``run.model`` the registry name), parsed by
:func:`simcore.schema.config.parse_config`, run chunk by chunk through
:func:`simcore.run.runner.iter_chunks` with the streaming statistics
(:func:`simcore.run.streaming.stream_stats`), and summarised with
:func:`simcore.run.summary.pillar_effects`. The response carries that config: running
it through the Python API or ``simcore run`` gives the same numbers.

Compiled shapes are fixed per model, so requests reuse compiled functions:

* events are padded (:mod:`simcore.run.padding`) with null events (no origin, no
  product, severity 0, never starting) to the next power of two (1, 2, 4, ...; at most ``settings.max_signals``,
  :func:`event_slots`): a few shapes, not one, because every padded event costs the
  engine about as much as a real one every day (one signal padded to four took 1.6x
  the time of one alone); scenario ``i``'s draws depend only on the seed, ``i`` and
  the event's index, so the padding changes no number;
* chunks have one of ``settings.chunk_sizes`` scenarios (the one that computes the
  fewest); the last chunk is computed in full and its extra (real, independent)
  scenarios are dropped;
* horizons are one of ``settings.assessment_horizons``;
* the policy count is 1 + mixes: one compiled shape per count (no mixes and as many
  as the model has, up to ``max_mixes``, are warmed at start-up), or with
  ``settings.policy_slots`` one shape for all (policies padded with baseline copies,
  whose results are dropped: predictable latency for a cost per padded slot).
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import jax

from simcore.run import pad_events, padded_simulation  # noqa: F401 - pad_events: importable here as before
from simcore.run.chunks import result_coords, storable_mask
from simcore.run.paired import SUMMARY_INFO
from simcore.run.riders import read_riders
from simcore.run.runner import Simulation, _version, iter_chunks, normal_times
from simcore.run.stats import finalize
from simcore.run.streaming import stream_stats
from simcore.run.summary import pillar_effects
from simcore.schema.config import BASELINE_POLICY, RunConfig, parse_config
from simcore.schema.config import check_policies  # the config loader's pass 2
from simcore.schema.errors import InputError, Problems
from simcore.schema.spec import schema_problems
from simcore.service.registry import Registry, RegisteredModel
from simcore.service.results import mix_effects, policy_results
from simcore.service.schemas import SHARED_EVENT_FIELDS, AssessmentRequest, without_nulls

REGIME_FIELDS = ("destinations", "world_loss_share", "licence_delay_days", "approval_easing", "easing_days",
                 "leakage_share", "leakage_delay_days")
from simcore.service.settings import Settings


class CapError(Exception):
    """The request is valid but above a server cap (HTTP 413): ``problems`` names each."""

    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{f}: {m}" for f, m in problems))


@dataclass
class PreparedAssessment:
    registered: RegisteredModel
    config_raw: dict  # the equivalent run config (TOML schema)
    config: RunConfig
    signals: list[dict]
    as_of: dt.date
    chunk_size: int
    warnings: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- checks


def _dict(value) -> dict:
    return value if isinstance(value, dict) else {}


def _list(value) -> list:
    return value if isinstance(value, list) else []


def _allowed(names) -> str:
    return ", ".join(names)


def beta_from_range(low: float, high: float) -> tuple[float, float]:
    """Beta(alpha, beta) on [0, 1] with the mean and variance of uniform(low, high)
    (``[0, 1]`` gives alpha = beta = 1, the uniform itself)."""
    mean, var = 0.5 * (low + high), (high - low) ** 2 / 12.0
    common = mean * (1.0 - mean) / var - 1.0
    return mean * common, (1.0 - mean) * common


def chunk_size_for(n_scenarios: int, sizes: tuple[int, ...]) -> int:
    """The chunk size of ``sizes`` that computes the fewest scenarios for ``n_scenarios``
    (whole chunks); on a tie the larger one (fewer chunks). 500 of (256, 2500) -> 256
    (512 computed), 10,000 -> 2500 (exactly 10,000)."""
    return min(sizes, key=lambda size: (-(-n_scenarios // size) * size, -size))


def _check_signals(problems: Problems, signals: list, given: list, loaded, as_of: dt.date) -> None:
    for i, signal in enumerate(signals):
        if not isinstance(signal, dict):
            continue
        where, raw = f"signals[{i}]", given[i] if i < len(given) and isinstance(given[i], dict) else {}
        origin = signal.get("origin")
        if origin is not None and origin not in loaded.origins:
            problems.add(f"{where}.origin", f"unknown origin {origin!r}; allowed: {_allowed(loaded.origins)}")
        hit = signal.get("products")
        names = list(hit) if isinstance(hit, (list, dict)) else []
        for name in names:
            if name not in loaded.product_names:  # a product with user segments means all of them
                problems.add(f"{where}.products.{name}", f"unknown product; allowed: {_allowed(loaded.product_names)}")
        if ("onset_days_ahead" in raw) == ("onset_date" in raw):
            problems.add(where, "give exactly one of onset_days_ahead (days from as_of) or onset_date (YYYY-MM-DD)")
        date = signal.get("onset_date")
        if isinstance(date, str):
            try:
                onset = dt.date.fromisoformat(date)
            except ValueError:
                onset = None  # reported by pass 1
            if onset is not None and onset < as_of:
                problems.add(f"{where}.onset_date", f"must be on or after as_of ({as_of.isoformat()}), got {date}")
        if ("duration_days" in raw) == ("duration_median_days" in raw):
            problems.add(where, "give exactly one of duration_days (fixed) or duration_median_days (lognormal, "
                         "with duration_sigma)")
        has_beta = "severity_alpha" in raw or "severity_beta" in raw
        given_kinds = [k for k, present in (("severity", "severity" in raw), ("severity_alpha/severity_beta",
                       has_beta), ("severity_range", "severity_range" in raw)) if present]
        if len(given_kinds) != 1:
            problems.add(where, "give exactly one of severity (fixed share withheld, 0-1), severity_alpha and "
                         "severity_beta (Beta) or severity_range [low, high]"
                         + (f"; got {', '.join(given_kinds)}" if given_kinds else ""))
        for key in ("severity_alpha", "severity_beta"):
            if has_beta and key not in raw:
                problems.add(f"{where}.{key}", "is required with a Beta severity (severity_alpha and severity_beta)")


def _check_mixes(problems: Problems, mixes: list, policies: list, registered: RegisteredModel | None) -> None:
    seen: dict[str, str] = {BASELINE_POLICY: "the baseline"}
    for i, name in enumerate(mixes):
        if not isinstance(name, str):
            continue
        if registered is not None and name not in registered.mixes:
            allowed = _allowed(registered.mixes) or "(this model has no named mixes)"
            problems.add(f"mixes[{i}]", f"unknown mix {name!r} of model {registered.name}; allowed: {allowed}")
        if name in seen:
            problems.add(f"mixes[{i}]", f"{name!r} is also {seen[name]}; mix names must be unique")
        seen.setdefault(name, f"mixes[{i}]")
    for i, policy in enumerate(policies):  # clashes among inline mixes: the config's own check
        name = _dict(policy).get("name")
        if isinstance(name, str) and name in seen and name != BASELINE_POLICY:
            problems.add(f"policies[{i}].name", f"{name!r} is also {seen[name]}; mix names must be unique")
    if registered is not None:  # the [[policies]] checks of run configs: names, origins, totals, services
        check_policies(problems, [p if isinstance(p, dict) else None for p in policies], registered.loaded)


def _map_field(name: str, n_mixes: int) -> str:
    """A problem of the built config -> the request field it came from."""
    if name.startswith("events["):
        name = "signals[" + name[len("events["):]
        return name.replace(".onset_day", ".onset_days_ahead")
    if name.startswith("policies["):
        index = int(name[len("policies["):].split("]", 1)[0])
        rest = name.split("]", 1)[1]
        return f"mixes[{index}]{rest}" if index < n_mixes else f"policies[{index - n_mixes}]{rest}"
    if name.startswith("run."):
        return name[len("run."):]
    return name


def prepare(body: Any, registry: Registry, settings: Settings, today: dt.date | None = None) -> PreparedAssessment:
    """Check a request body and build its run config. Raises :class:`InputError` (422:
    every bad field, and any cap exceeded) or :class:`CapError` (413: only caps)."""
    problems = Problems("assessment request")
    body = without_nulls(body, AssessmentRequest)
    body_dict = _dict(body)
    registered = registry.get(body_dict.get("model"))
    products = ", ".join(registered.loaded.product_names) if registered else "the model's products"
    hints = {"model": f"a registered model: {_allowed(registry.names())}",
             "signals": "at least one signal (origin, products, onset, duration, severity)",
             "signals.*.origin": f"one of {', '.join(registered.loaded.origins)}" if registered else "an origin",
             "signals.*.products": f"the affected products (or {{product: weight}}) from: {products}"}
    if not isinstance(body, dict):
        problems.add("(body)", f"must be a JSON object, got {type(body).__name__}")
        problems.raise_if_any()
    spec, clean = schema_problems(AssessmentRequest, body, problems, hints=hints)
    clean = _dict(clean)
    if "model" in clean and registered is None:
        problems.add("model", f"unknown model {clean['model']!r}; allowed: {_allowed(registry.names())}")

    as_of = clean.get("as_of")
    as_of = dt.date.fromisoformat(as_of) if isinstance(as_of, str) else (today or dt.datetime.now(dt.UTC).date())
    horizon = clean.get("horizon_days", settings.default_horizon_days)
    if "horizon_days" in body_dict and "horizon_days" not in clean:
        horizon = None
    elif horizon not in settings.assessment_horizons:
        problems.add("horizon_days", f"must be one of {', '.join(map(str, settings.assessment_horizons))} (the "
                     f"horizons compiled on this server), got {horizon}")
        horizon = None
    signals, mixes, policies = _list(clean.get("signals")), _list(clean.get("mixes")), _list(clean.get("policies"))
    if registered is not None:
        _check_signals(problems, signals, _list(body_dict.get("signals")), registered.loaded, as_of)
    _check_mixes(problems, mixes, policies, registered)

    # caps (413 when nothing else is wrong)
    caps: list[tuple[str, str]] = []
    scenarios = clean.get("scenarios", settings.default_assessment_scenarios)
    if isinstance(scenarios, int) and scenarios > settings.max_assessment_scenarios:
        caps.append(("scenarios", f"{scenarios} exceeds the cap of {settings.max_assessment_scenarios} scenarios per "
                     "assessment (submit a job for more)"))
    if len(signals) > settings.max_signals:
        caps.append(("signals", f"{len(signals)} signals exceed the cap of {settings.max_signals}"))
    n_mixes = len(mixes) + len(policies)
    max_mixes = min(settings.max_mixes, settings.policy_slots - 1) if settings.policy_slots else settings.max_mixes
    if n_mixes > max_mixes:
        caps.append(("mixes", f"{n_mixes} mixes (mixes + policies) exceed the cap of {max_mixes}"))
    if isinstance(scenarios, int) and horizon and not caps:
        work = scenarios * horizon * (1 + n_mixes)
        if work > settings.max_assessment_work:
            caps.append(("scenarios", f"scenarios x horizon_days x policies = {scenarios} x {horizon} x "
                         f"{1 + n_mixes} = {work:,} exceeds the cap of {settings.max_assessment_work:,} "
                         "(submit a job for more)"))
    if problems.items:
        for item in caps:
            problems.add(*item)
        problems.raise_if_any()
    if caps:
        raise CapError(caps)
    assert spec is not None and registered is not None and horizon is not None

    seed = spec.seed if spec.seed is not None else secrets.randbelow(2**31)
    chunk = chunk_size_for(scenarios, settings.chunk_sizes)
    events, resolved = [], []
    for i, (signal, raw) in enumerate(zip(spec.signals, body_dict["signals"])):
        event = {key: raw[key] for key in SHARED_EVENT_FIELDS if key in raw}
        event.setdefault("name", f"signal {i}")
        onset = (float(signal.onset_days_ahead) if signal.onset_days_ahead is not None
                 else float((signal.onset_date - as_of).days))
        event["onset_day"] = onset
        severity_text = None
        if signal.severity_range is not None:
            low, high = signal.severity_range
            event["severity_alpha"], event["severity_beta"] = beta_from_range(low, high)
            severity_text = (f"range [{low:g}, {high:g}] as Beta({event['severity_alpha']:.4g}, "
                             f"{event['severity_beta']:.4g})")
        events.append(event)
        weights = signal.products if isinstance(signal.products, dict) else {p: 1.0 for p in signal.products}
        resolved.append({
            "name": event["name"], "origin": signal.origin, "products": {k: float(v) for k, v in weights.items()},
            "onset_day": onset, "onset_date": (as_of + dt.timedelta(days=math.floor(onset))).isoformat(),
            "announcement_lead_days": float(signal.announcement_lead_days),
            "duration": (f"fixed {signal.duration_days:g} days" if signal.duration_days is not None else
                         f"lognormal, median {signal.duration_median_days:g} days, sigma {signal.duration_sigma:g}"),
            "severity": severity_text or (f"fixed {signal.severity:g}" if signal.severity is not None else
                                          f"Beta({signal.severity_alpha:g}, {signal.severity_beta:g})"),
            "regime": {key: raw[key] for key in REGIME_FIELDS if key in raw},
        })
    inline = [p for p in body_dict.get("policies", [])]
    config_raw = {
        "run": {"model": registered.name, "scenarios": scenarios, "horizon_days": horizon, "seed": seed,
                "chunk_size": chunk},
        "events": events,
        "policies": [registered.mixes[name].raw for name in mixes] + inline,
    }
    warnings = [f"{r['name']}: onset day {r['onset_day']:g} is at or beyond the horizon ({horizon} days), so it "
                "never starts in this run" for r in resolved if r["onset_day"] >= horizon]
    try:
        config = parse_config(config_raw, loaded=registered.loaded)
    except InputError as exc:
        raise InputError("assessment request", [(_map_field(f, len(mixes)), m) for f, m in exc.problems]) from None
    return PreparedAssessment(registered, config_raw, config, resolved, as_of, chunk, warnings)


# --------------------------------------------------------------------------- running


def event_slots(n_events: int, max_signals: int) -> int:
    """The event count an assessment of ``n_events`` signals is padded to: the next power
    of two, at most ``max_signals`` (and never fewer than ``n_events``). 1 -> 1, 2 -> 2,
    3 -> 4 with ``max_signals`` 4."""
    slots = 1
    while slots < n_events:
        slots *= 2
    return max(n_events, min(slots, max_signals))


def simulation(prepared: PreparedAssessment, pad_events_to: int, policy_slots: int = 0) -> Simulation:
    """The run of ``prepared`` with events padded to ``pad_events_to`` and, with
    ``policy_slots``, the policies padded with no-policy copies named ``(padding i)``
    (their results are dropped): :func:`simcore.run.padding.padded_simulation`."""
    return padded_simulation(prepared.config, pad_events_to, policy_slots)


def stream_summary(sim: Simulation, n_scenarios: int, chunk_size: int):
    """``(summary dataset, normal-times lane)`` of ``n_scenarios`` scenarios computed in
    full chunks of ``chunk_size`` (the last chunk's extra scenarios dropped): one
    compiled shape, normal times riding along in it (:mod:`simcore.run.riders`)."""
    n_chunks = -(-n_scenarios // chunk_size)
    normal = []

    def chunks():  # one chunk of metrics at a time; no draws kept
        for first, metrics, _, riders in iter_chunks(sim, n_chunks * chunk_size, chunk_size, draws=False, kept=0):
            if first == 0:
                normal.append(read_riders([riders], 0)[0])
            count = min(chunk_size, n_scenarios - first)
            yield {k: v[:, :count] for k, v in metrics.items()}

    stats = stream_stats(chunks(), SUMMARY_INFO, storable_mask(sim))
    return finalize(stats, result_coords(sim), SUMMARY_INFO), normal[0]


def run(prepared: PreparedAssessment, settings: Settings, queued_seconds: float = 0.0) -> dict:
    """Compute an assessment; returns the :class:`AssessmentResponse` as a dict."""
    started = time.perf_counter()
    config = prepared.config
    sim = simulation(prepared, event_slots(len(config.event_names), settings.max_signals), settings.policy_slots)
    real = [p.name for p in config.policies]
    summary, normal = stream_summary(sim, config.scenarios, prepared.chunk_size)
    summary = summary.sel(policy=real)
    effects = pillar_effects(summary, normal_times(sim, normal).sel(policy=real))
    loaded, registered = config.loaded, prepared.registered
    descriptions = {p.name: p.description for p in config.policies}
    n_chunks = -(-config.scenarios // prepared.chunk_size)
    return {
        "model": {"name": registered.name, "title": loaded.name, "version": registered.version},
        "seed": config.seed, "scenarios": config.scenarios, "horizon_days": config.horizon_days,
        "as_of": prepared.as_of.isoformat(), "currency": loaded.currency, "io_value_unit": loaded.io_value_unit,
        "signals": prepared.signals,
        "policies": policy_results(summary, loaded.units, descriptions),
        "effects": mix_effects(effects),
        "config": prepared.config_raw,
        "warnings": prepared.warnings,
        "simcore_version": _version(), "jax_version": jax.__version__,
        "timing": {"seconds": time.perf_counter() - started, "queued_seconds": queued_seconds,
                   "chunk_size": prepared.chunk_size, "scenarios_computed": n_chunks * prepared.chunk_size},
    }


def warm_request(registered: RegisteredModel, horizon: int, scenarios: int, n_mixes: int,
                 n_signals: int = 1) -> dict:
    """A small request with the shapes of real ones (for start-up warm-up)."""
    signal = {"origin": registered.loaded.origins[0], "products": [registered.loaded.products[0]],
              "onset_days_ahead": 0, "duration_days": 30, "severity": 1.0}
    return {"model": registered.name, "horizon_days": horizon, "scenarios": scenarios, "seed": 0,
            "signals": [dict(signal) for _ in range(n_signals)], "mixes": list(registered.mixes)[:n_mixes]}


def warm_up(registry: Registry, settings: Settings, log=print,
            stop: threading.Event | None = None, after_shape=None) -> list[str]:
    """Compile (or load from the persistent cache) every shape a request is likely to
    use: per warmed model and horizon, baseline only and baseline + all named mixes
    (within ``max_mixes``), each chunk size, one signal (the most common request; more
    signals compile on their first request and stay in the persistent cache). Returns
    what was warmed. ``stop``, once set, ends the warm-up before its next shape (a
    stopping service does not go on compiling behind its own back). ``after_shape()``
    runs after each shape (the service's :class:`~simcore.service.program_guard.ProgramGuard`)."""
    done = []
    models = registry.names() if settings.warm_models is None else [m for m in settings.warm_models
                                                                    if registry.get(m)]
    horizons = settings.warm_horizons if settings.warm_horizons is not None else (settings.default_horizon_days,)
    for name in models:
        registered = registry.get(name)
        counts = {0, min(len(registered.mixes), settings.max_mixes)}
        for horizon in horizons:
            if horizon not in settings.assessment_horizons:
                continue
            for n_mixes, chunk, n_signals in itertools.product(
                    sorted(counts), sorted(set(settings.chunk_sizes)), (1,)):
                n_policies = max(1 + n_mixes, settings.policy_slots)
                label = (f"{name} horizon {horizon} policies {n_policies} chunk {chunk} events "
                         f"{event_slots(n_signals, settings.max_signals)}")
                if label in done:
                    continue
                if stop is not None and stop.is_set():
                    return done
                started = time.perf_counter()
                body = warm_request(registered, horizon, min(chunk, settings.max_assessment_scenarios),
                                    n_mixes, n_signals)
                try:
                    prepared = prepare(body, registry, settings)
                except (InputError, CapError):
                    continue  # e.g. above a cap of this server: not a shape requests can have
                run(prepared, settings)
                log(f"warmed {label} in {time.perf_counter() - started:.1f} s")
                done.append(label)
                if after_shape is not None:
                    after_shape()
    return done
