"""The chokepoint screen as a service job (POST /v1/screens, simcore.service.screen_job):
submitted, followed by server-sent events, fetched (the ranked table equals the screen run
directly on the same config; the store as a zip with group 'screen'), refused with every
bad field (422) or above a cap (413), cancelled while queued. The demo model, 3 units, 4
scenarios, 60 days."""

from __future__ import annotations

import io
import zipfile

import numpy as np
import pytest
from fastapi.testclient import TestClient

from simcore.service import create_app
from tests.test_service import A, B, DEMO, DEMO_FILE, KEY_A, read_events, small_settings, wait_ready


def screen_body(**screen) -> dict:
    table = {"units": ["gallium", "gallium from CN", "germanium"], "scenarios": 4, "bootstrap": 10,
             "rank_by": "full-30", "disruptions": [{"name": "full-30", "duration_days": 30},
                                                    {"name": "hazard", "kind": "hazard"}], **screen}
    return {"run": {"model": DEMO, "horizon_days": 60, "seed": 5},
            "events": [{"name": "ga ban", "origin": "CN", "products": ["gallium"], "hazard_per_year": 2.0,
                        "duration_median_days": 20, "duration_sigma": 0.5, "severity_alpha": 3.0,
                        "severity_beta": 2.0}],
            "screen": table}


@pytest.fixture(scope="module")
def client(tmp_path_factory):
    app = create_app(small_settings(tmp_path_factory.mktemp("screen-service"), warm_models=(), job_workers=1))
    with TestClient(app) as test_client:
        wait_ready(test_client)
        yield test_client


def test_a_screen_job_runs_and_equals_the_screen(client):
    from simcore.analysis.screen import screen_analysis, settings_from
    from simcore.schema.config import parse_config
    from simcore.schema.modelfile import load_model

    submitted = client.post("/v1/screens", json=screen_body(), headers=A)
    assert submitted.status_code == 202, submitted.text
    job = submitted.json()
    assert job["kind"] == "screen" and job["scenarios"] == 4
    assert client.get(f"/v1/jobs/{job['id']}", headers=B).status_code == 404  # only its key sees it
    events = read_events(client, job["id"], A)
    assert events[-1][0] == "complete", events[-1]
    done = [data["scenarios_done"] for name, data in events if name == "progress"]
    assert done == sorted(done) and done[-1] == 4

    result = client.get(f"/v1/jobs/{job['id']}/result", headers=A).json()
    assert result["kind"] == "screen" and result["rank_by"] == "full-30"
    # the same screen run directly on the same model file
    body = screen_body()
    config = parse_config({k: v for k, v in body.items() if k != "screen"}, loaded=load_model(DEMO_FILE))
    ds = screen_analysis(config, settings_from(body["screen"], None, config=config), log=lambda *a: None)
    rows = {r["unit"]: r for r in result["mixes"][0]["units"]}
    assert [r["unit"] for r in result["mixes"][0]["units"]][0] == "gallium"  # the whole product first
    for unit in ds["unit"].values:
        for d in ("full-30", "hazard"):
            want = float(ds["expected_loss"].sel(policy="no-policy", unit=unit, disruption=d))
            got = rows[str(unit)]["losses"][d]
            assert (got is None and np.isnan(want)) or got == want, (unit, d)
        assert rows[str(unit)]["rank"] == float(ds["rank"].sel(policy="no-policy", disruption="full-30", unit=unit))
    assert rows["germanium"]["losses"]["hazard"] is None  # no event on germanium: no hazard

    download = client.get(f"/v1/jobs/{job['id']}/result?format=zip", headers=A)
    names = zipfile.ZipFile(io.BytesIO(download.content)).namelist()
    assert "result.zarr/screen/zarr.json" in names and "result.zarr/screen_progress/done/zarr.json" in names
    assert client.delete(f"/v1/jobs/{job['id']}", headers=A).json()["status"] == "deleted"


def test_bad_screens_are_422_with_every_field(client):
    body = screen_body(units=["gallium", "gold"], output="/tmp/x.zarr")
    body["run"]["output"] = "/tmp/y.zarr"
    response = client.post("/v1/screens", json=body, headers=A)
    assert response.status_code == 422, response.text
    problems = {p["field"]: p["message"] for p in response.json()["problems"]}
    assert set(problems) == {"screen.output", "run.output", "screen.units[1]"}, problems
    assert "unknown unit 'gold'" in problems["screen.units[1]"]
    # the Python client's submit_screen posts the same body to the same endpoint
    from simcore.client import Client, ServiceError

    with Client("http://testserver", KEY_A, transport=client._transport) as python_client:
        with pytest.raises(ServiceError) as refused:
            python_client.submit_screen(body)
    assert refused.value.status == 422 and {field for field, _ in refused.value.problems} == set(problems)


def test_a_screen_above_the_size_cap_is_413(tmp_path):
    # 3 units x 2 disruptions (germanium has no hazard: 5 cases) x 1 mix x 4 scenarios x 60 days x products
    app = create_app(small_settings(tmp_path, warm_models=(), job_workers=0, max_job_size=1000))
    with TestClient(app) as idle:
        response = idle.post("/v1/screens", json=screen_body(), headers=A)
        assert response.status_code == 413
        [problem] = response.json()["problems"]
        assert problem["field"] == "screen.scenarios" and "5 x 1 x 4 x 1 x 60 x" in problem["message"]
        assert "max_job_size" in problem["message"]
        assert idle.post("/v1/screens", json=screen_body(units=["germanium"]), headers=A).status_code == 413
        assert idle.post("/v1/screens", json=screen_body(units=["germanium"], scenarios=2),
                         headers=A).status_code == 202  # 1 case x 2 scenarios x 60 days x 7 products: under it


def test_a_queued_screen_is_cancelled(tmp_path):
    app = create_app(small_settings(tmp_path, warm_models=(), job_workers=0))
    with TestClient(app) as idle:  # no worker: the job stays queued
        job = idle.post("/v1/screens", json=screen_body(), headers=A).json()
        assert job["status"] == "queued" and job["kind"] == "screen"
        cancelled = idle.delete(f"/v1/jobs/{job['id']}", headers=A)
        assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
        assert idle.get(f"/v1/jobs/{job['id']}/result", headers=A).status_code == 409


class _JobProgress:
    """The job runner's progress interface; raises ``stop`` after ``advances`` advances
    (a shutdown between chunks)."""

    def __init__(self, advances=None, stop=Exception):
        self.advances, self.stop_with, self.done = advances, stop, []

    def start(self, total, done, horizon_days):
        self.done.append(done)

    def phase(self, text):
        pass

    def advance(self, scenarios):
        self.done.append(self.done[-1] + scenarios)
        if self.advances is not None and len(self.done) > self.advances:
            raise self.stop_with()

    def stop(self):
        pass


def test_a_screen_job_stopped_by_a_shutdown_resumes_with_the_same_result(tmp_path):
    from types import SimpleNamespace

    from simcore.schema.modelfile import load_model
    from simcore.service.jobs import JobInterrupted
    from simcore.service.screen_job import run_screen_job

    registered = SimpleNamespace(name=DEMO, version="test", loaded=load_model(DEMO_FILE))
    body = screen_body(scenarios=6, chunk_cases=1, chunk_scenarios=3)  # 5 cases: blocks of 4 cases
    whole = run_screen_job(body, registered, tmp_path / "whole.zarr", _JobProgress(), "a")
    with pytest.raises(JobInterrupted):  # stopped in the second block
        run_screen_job(body, registered, tmp_path / "job.zarr", _JobProgress(advances=9, stop=JobInterrupted), "a")
    again = _JobProgress()
    resumed = run_screen_job(body, registered, tmp_path / "job.zarr", again, "a")
    assert again.done[0] > 0  # the first block was loaded, not rerun
    assert resumed == whole
