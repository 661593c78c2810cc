"""A small Python client of the Early Warning System service (``simcore serve``), on httpx.

Example::

    from simcore.client import Client

    with Client("http://127.0.0.1:8000", api_key="...") as ews:
        answer = ews.assess("japan_critical_minerals", origin="CN", products={"gallium": 1.0, "germanium": 0.8},
                            onset_days_ahead=30, announcement_lead_days=14,
                            duration={"median_days": 120, "sigma": 0.6}, severity={"alpha": 8, "beta": 2},
                            mixes=["stockpile-60-180"], scenarios=10_000, seed=1)
        print(answer["policies"][0]["products"]["gallium"]["shortage_days"])

        job = ews.submit_job(config_dict)           # a run config in the TOML schema, as a dict
        for event, status in ews.follow_job(job["id"]):
            print(event, status["scenarios_done"], "/", status["scenarios"])
        result = ews.job_result(job["id"])

Errors raise :class:`ServiceError` with the HTTP status and the service's list of
``(field, message)`` problems. Imports nothing of simcore's engine (no JAX).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx


class ServiceError(Exception):
    """An error answer: ``status`` (HTTP), ``error`` (one line), ``problems`` [(field, message)]."""

    def __init__(self, status: int, error: str, problems: list[tuple[str, str]]):
        self.status, self.error, self.problems = status, error, problems
        lines = [f"HTTP {status}: {error}"] + [f"  - {field}: {message}" for field, message in problems]
        super().__init__("\n".join(lines))


def _raise_for(response: httpx.Response) -> None:
    if response.status_code < 400:
        return
    try:
        body = response.json()
        error, problems = body.get("error", response.reason_phrase), body.get("problems", [])
        problems = [(p.get("field", ""), p.get("message", "")) for p in problems]
    except (ValueError, AttributeError):
        error, problems = response.text[:200] or response.reason_phrase, []
    raise ServiceError(response.status_code, error, problems)


def signal(origin: str, products, *, onset_days_ahead: float | None = None, onset_date: str | None = None,
           announcement_lead_days: float = 0.0, duration: float | dict = 90.0, severity: float | dict = 1.0,
           tightening_days: float = 0.0, name: str | None = None) -> dict:
    """One signal as the API wants it.

    ``products``: a list or ``{product: weight}``; ``duration``: days, or
    ``{"median_days", "sigma"}`` (lognormal); ``severity``: a share, ``{"alpha", "beta"}``
    (Beta) or ``{"low", "high"}`` (a range); the onset: ``onset_days_ahead`` or
    ``onset_date`` (``YYYY-MM-DD``), default today.
    """
    out: dict[str, Any] = {"origin": origin, "products": products, "announcement_lead_days": announcement_lead_days,
                           "tightening_days": tightening_days}
    if name is not None:
        out["name"] = name
    if onset_date is not None:
        out["onset_date"] = onset_date
    else:
        out["onset_days_ahead"] = 0.0 if onset_days_ahead is None else onset_days_ahead
    if isinstance(duration, dict):
        out["duration_median_days"], out["duration_sigma"] = duration["median_days"], duration.get("sigma", 0.0)
    else:
        out["duration_days"] = duration
    if isinstance(severity, dict) and "alpha" in severity:
        out["severity_alpha"], out["severity_beta"] = severity["alpha"], severity["beta"]
    elif isinstance(severity, dict):
        out["severity_range"] = [severity["low"], severity["high"]]
    else:
        out["severity"] = severity
    return out


class Client:
    """The service's endpoints as methods; answers are the JSON bodies as dicts."""

    def __init__(self, base_url: str, api_key: str, *, timeout: float = 120.0, transport=None):
        self.http = httpx.Client(base_url=base_url.rstrip("/"), headers={"X-API-Key": api_key}, timeout=timeout,
                                 transport=transport)

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        self.http.close()

    def _get(self, path: str, **kwargs) -> Any:
        response = self.http.get(path, **kwargs)
        _raise_for(response)
        return response.json()

    # -- service
    def ready(self) -> bool:
        return self.http.get("/readyz").status_code == 200

    def models(self) -> list[dict]:
        return self._get("/v1/models")["models"]

    def model(self, name: str) -> dict:
        return self._get(f"/v1/models/{name}")

    # -- assessments
    def assess(self, model: str, origin: str | None = None, products=None, *, signals: list[dict] | None = None,
               mixes: list[str] | None = None, policies: list[dict] | None = None, scenarios: int | None = None,
               horizon_days: int | None = None, seed: int | None = None, as_of: str | None = None,
               **signal_fields) -> dict:
        """``POST /v1/assessments``: one signal from ``origin``/``products`` and the
        keywords of :func:`signal`, or ``signals`` (a list of :func:`signal` dicts)."""
        if signals is None:
            signals = [signal(origin, products, **signal_fields)]
        body: dict[str, Any] = {"model": model, "signals": signals, "mixes": mixes or [], "policies": policies or []}
        for key, value in (("scenarios", scenarios), ("horizon_days", horizon_days), ("seed", seed),
                           ("as_of", as_of)):
            if value is not None:
                body[key] = value
        response = self.http.post("/v1/assessments", json=body)
        _raise_for(response)
        return response.json()

    # -- jobs
    def submit_job(self, config: dict | str | Path) -> dict:
        """``POST /v1/jobs`` with a run config: a dict, or a TOML file whose ``run.model``
        is a registered model name."""
        return self._submit("/v1/jobs", config)

    def submit_screen(self, config: dict | str | Path) -> dict:
        """``POST /v1/screens``: a chokepoint screen of a run config with its ``screen``
        table (a dict, or a TOML file as for ``simcore screen`` whose ``run.model`` is a
        registered model name). Returns the job (kind ``screen``): follow, fetch and
        cancel it with :meth:`follow_job`, :meth:`job_result` and :meth:`cancel_job`."""
        return self._submit("/v1/screens", config)

    def _submit(self, path: str, config: dict | str | Path) -> dict:
        if not isinstance(config, dict):
            import tomllib

            config = tomllib.loads(Path(config).read_text())
        response = self.http.post(path, json=config)
        _raise_for(response)
        return response.json()

    def job(self, job_id: str) -> dict:
        return self._get(f"/v1/jobs/{job_id}")

    def follow_job(self, job_id: str, timeout: float | None = None) -> Iterator[tuple[str, dict]]:
        """Yield ``(event, status)`` from the job's server-sent events until it ends
        (event ``complete``, ``failed``, ``cancelled`` or ``deleted``)."""
        event = "message"
        with self.http.stream("GET", f"/v1/jobs/{job_id}/events", timeout=timeout) as response:
            if response.status_code >= 400:
                response.read()
                _raise_for(response)
            for line in response.iter_lines():
                if line.startswith("event: "):
                    event = line[len("event: "):]
                elif line.startswith("data: "):
                    yield event, json.loads(line[len("data: "):])

    def job_result(self, job_id: str) -> dict:
        return self._get(f"/v1/jobs/{job_id}/result")

    def download_job(self, job_id: str, path: str | Path) -> Path:
        """Save the job's store as a zip file at ``path``."""
        path = Path(path)
        with self.http.stream("GET", f"/v1/jobs/{job_id}/result", params={"format": "zip"}) as response:
            if response.status_code >= 400:
                response.read()
                _raise_for(response)
            with path.open("wb") as handle:
                for block in response.iter_bytes():
                    handle.write(block)
        return path

    def cancel_job(self, job_id: str) -> dict:
        response = self.http.delete(f"/v1/jobs/{job_id}")
        _raise_for(response)
        return response.json()
