"""The chokepoint screen as a service job (``POST /v1/screens``; docs/service.md,
docs/screening.md): a run config as JSON whose ``run.model`` is a registry name, with the
``screen`` table of ``simcore screen`` (no ``screen.output``: the server chooses the
store). It is queued, followed, cancelled and fetched as every job (``/v1/jobs/{id}``,
``/events``, ``/result``; :mod:`simcore.service.jobs`, kind ``"screen"``).

The job runs :func:`simcore.analysis.screen.screen_analysis` into the job's
``result.zarr`` with its checkpoint (blocks of cases), always with ``resume``: a job
stopped by a server restart continues from its done blocks, and its result equals an
uninterrupted one's bit for bit. Progress is reported in scenario equivalents (the
share of lanes done times the screen's scenarios); a cancel or a shutdown stops it after
the current chunk. The result (:func:`screen_result`) is the ranked table of every mix
under ``screen.rank_by`` as data; the store (group ``screen``) is the zip download.
"""

from __future__ import annotations

import math
from typing import Any

from simcore.schema.errors import InputError, Problems
from simcore.service.assess import CapError
from simcore.service.job_size import screen_size_problems
from simcore.service.jobs import parse_job_body


def _split(body: Any) -> tuple[dict, dict, list]:
    """``(run config body, screen table, problems)`` of a request."""
    problems = []
    if not isinstance(body, dict):
        return body, {}, problems
    section = body.get("screen", {})
    if section is None:
        section = {}
    if not isinstance(section, dict):
        problems.append(("screen", f"must be an object (the [screen] table), got {type(section).__name__}"))
        section = {}
    if "output" in section:
        problems.append(("screen.output", "not allowed in a request: the server chooses where the store goes"))
        section = {k: v for k, v in section.items() if k != "output"}
    body = {k: v for k, v in body.items() if k != "screen"}
    if isinstance(body.get("run"), dict) and "output" in body["run"]:  # refused here: the rest is still checked
        problems.append(("run.output", "not allowed in a request: the server chooses where the store goes"))
        body["run"] = {k: v for k, v in body["run"].items() if k != "output"}
    return body, section, problems


def check_screen_request(body: Any, registry, settings):
    """``(registered model, RunConfig, ScreenSettings, cases)`` of a screen request;
    raises :class:`InputError` (422, every bad field of the run config and of ``screen``)
    or :class:`CapError` (413: the size caps, :func:`~simcore.service.job_size.screen_size_problems`)."""
    from simcore.analysis.screen import build_cases, model_units, select_units, settings_from, with_carriers

    run_body, section, early = _split(body)
    problems = Problems("screen request")
    problems.items.extend(early)
    config = registered = None
    try:
        registered, config = parse_job_body(run_body, registry, "screen request")
    except InputError as exc:
        problems.items.extend(exc.problems)
    s = None
    if config is not None:
        try:
            s = settings_from(section, None, config=config)
        except InputError as exc:
            problems.items.extend(exc.problems)
    problems.raise_if_any()
    units = with_carriers(config, select_units(model_units(config.loaded), s), s.policies)
    cases = len(build_cases(config, units, s.disruptions)[0])
    caps = screen_size_problems(config, s, cases, settings)
    if caps:
        raise CapError(caps)
    return registered, config, s, cases


class _ScreenProgress:
    """``progress(done, total)`` of a screen (lanes) on a job's progress
    (``start``/``advance``, which write the job's row and raise on cancel or shutdown),
    in scenario equivalents."""

    def __init__(self, job_progress, scenarios: int, horizon_days: int):
        self.job, self.scenarios, self.horizon = job_progress, int(scenarios), int(horizon_days)
        self.done = None

    def __call__(self, done: int, total: int) -> None:
        equivalent = int(self.scenarios * done // max(total, 1))
        if self.done is None:
            self.job.start(self.scenarios, equivalent, self.horizon)
            self.job.phase("screening")
        else:
            self.job.advance(equivalent - self.done)
        self.done = equivalent


def run_screen_job(body: dict, registered, store, job_progress, job_id: str) -> dict:
    """Run a checked screen request into ``store`` (resuming its checkpoint) and return
    :func:`screen_result`."""
    from simcore.analysis.screen import screen_analysis, settings_from, to_store

    run_body, section, _ = _split(body)
    _, config = parse_job_body(run_body, _One(registered))
    s = settings_from(section, None, config=config)
    progress = _ScreenProgress(job_progress, s.scenarios, config.horizon_days)
    ds = screen_analysis(config, s, progress=progress, store=str(store), resume=True, log=lambda *a, **k: None)
    job_progress.phase("writing the store")
    to_store(ds, store)
    job_progress.stop()
    return {"id": job_id, "kind": "screen",
            "model": {"name": registered.name, "title": registered.loaded.name, "version": registered.version},
            **screen_result(ds)}


class _One:
    """A registry of the one model a job was checked against (its version is checked by
    the runner before it starts)."""

    def __init__(self, registered):
        self.registered = registered

    def get(self, name):
        return self.registered if name == self.registered.name else None

    def names(self):
        return [self.registered.name]


def _number(value) -> float | None:
    value = float(value)
    return value if math.isfinite(value) else None


def screen_result(ds) -> dict:
    """The screen's ranked table as data: per mix, every unit under ``rank_by`` in rank
    order (rank, bootstrap interval, expected loss with its standard error, CVaR95,
    q95, P(shortage), time to survive, the expected loss under every disruption, the
    annual loss of the hazard, supply share, hazard rate, single point of failure);
    NaN as null."""
    a = ds.attrs
    by = a["rank_by"]
    mixes = []
    for mix in ds["policy"].values:
        view = ds.sel(policy=mix, disruption=by)
        order = sorted(range(ds.sizes["unit"]), key=lambda i: (float(view["rank"][i]), i))
        rows = []
        for i in order:
            row = view.isel(unit=i)
            rows.append({
                "rank": _number(row["rank"]), "rank_low": _number(row["rank_low"]),
                "rank_high": _number(row["rank_high"]), "unit": str(ds["unit"].values[i]),
                "kind": str(ds["kind"].values[i]), "expected_loss": _number(row["expected_loss"]),
                "expected_loss_se": _number(row["expected_loss_se"]), "cvar95_loss": _number(row["cvar95_loss"]),
                "q95_loss": _number(row["q95_loss"]), "p_shortage": _number(row["p_shortage"]),
                "time_to_survive": _number(row["time_to_survive"]), "beats_next": _number(row["beats_next"]),
                "point_rank_low": _number(row["point_rank_low"]), "point_rank_high": _number(row["point_rank_high"]),
                "losses": {str(d): _number(ds["expected_loss"].sel(policy=mix, disruption=d).isel(unit=i))
                           for d in ds["disruption"].values},
                "annual_loss": _number(ds["annual_loss"].sel(policy=mix).isel(unit=i)),
                "supply_share": _number(ds["supply_share"][i]), "hazard_per_year": _number(ds["hazard_per_year"][i]),
                "spof": bool(ds["spof"][i]), "spof_confirmed": bool(ds["spof_confirmed"][i]),
                "spof_sectors": str(ds["spof_sectors"].values[i])})
        mixes.append({"name": str(mix), "units": rows})
    return {"seed": int(a["seed"]), "scenarios": int(a["scenarios"]), "horizon_days": int(a["horizon_days"]),
            "points": int(a["points"]), "bootstrap": int(a["bootstrap"]), "cases": int(a["cases"]),
            "io_value_unit": str(a["units"]), "rank_by": by, "confidence": float(a["confidence"]),
            "disruptions": [str(d) for d in ds["disruption"].values], "mixes": mixes}
