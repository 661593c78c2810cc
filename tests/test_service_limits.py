"""The service's limits and files under concurrent requests and hostile bodies (issue 17,
items 2, 3, 4, 5 and 12): the per-key job limit under 20 simultaneous submissions, the
zip built once for simultaneous first downloads, cancelling twice (and at once), JSON
depth and body size refused before parsing on a live connection, the job size caps, and
/healthz answering during a burst of assessments.

The concurrency tests repeat ``SIMCORE_SERVICE_ROUNDS`` rounds (default 5; 50 to soak).
Most run in process (TestClient: requests from many threads run concurrently on the
app's event loop and thread pool); the connection and latency tests use a real server
(``simcore serve`` in a subprocess on a loopback port), so client and server do not share
a GIL and a closed connection would show.
"""

from __future__ import annotations

import io
import json
import os
import socket
import statistics
import threading
import time
import warnings
import zipfile
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import numpy as np
import pytest
from hypothesis import given, settings as hypothesis_settings, strategies as st

warnings.filterwarnings("ignore", message=".*httpx2.*")  # starlette's TestClient notice

from fastapi.testclient import TestClient  # noqa: E402

from simcore.service import Settings, create_app  # noqa: E402
from simcore.service.body import json_depth  # noqa: E402
from simcore.service.job_size import estimated_store_bytes  # noqa: E402
from tests.test_service_jobs import KEY as SERVER_KEY, Server  # noqa: E402

ROUNDS = int(os.environ.get("SIMCORE_SERVICE_ROUNDS", "5"))
DEMO = "demo_critical_materials"
KEYS = {name: f"limits-test-key-{name}" for name in ("limit", "download", "cancel", "size", "other")}


def headers(name: str) -> dict:
    return {"X-API-Key": KEYS[name]}


def job_config(scenarios: int = 64, horizon_days: int = 90, **run) -> dict:
    return {"run": {"model": DEMO, "scenarios": scenarios, "horizon_days": horizon_days, "seed": 1, **run},
            "events": [{"origin": "CN", "products": ["gallium"], "onset_day": 0, "duration_days": 80,
                        "severity": 0.9}],
            "policies": [{"name": "stock", "stockpile": {"gov_stock_days": {"gallium": 60, "*": 0}}}]}


@pytest.fixture(scope="module")
def idle(tmp_path_factory):
    """An app whose jobs stay queued (no worker), with the default caps and a limit of 2
    jobs per key; one key per test."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("limits"), compilation_cache_dir="",
                        api_keys=tuple(KEYS.values()), rate_per_minute=1_000_000, warm_models=(), job_workers=0,
                        max_jobs_per_key=2)
    with TestClient(create_app(settings)) as client:
        yield client


def at_once(count: int, call):
    """``call()`` from ``count`` threads released together; the answers in thread order."""
    barrier = threading.Barrier(count)

    def one(_):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(one, range(count)))


# --------------------------------------------------------------------------- item 2: the job limit


def test_job_limit_holds_under_20_simultaneous_submissions(idle):
    """20 simultaneous POST /v1/jobs from one key with a limit of 2 admit exactly 2 (17
    got in when the count and the insert were separate); the refused leave no files."""
    jobs_dir = idle.app.state.service.jobs.root
    for round_ in range(ROUNDS):
        before = set(jobs_dir.iterdir())
        answers = at_once(20, lambda: idle.post("/v1/jobs", json=job_config(), headers=headers("limit")))
        codes = Counter(a.status_code for a in answers)
        assert codes == {202: 2, 429: 18}, (round_, codes, [a.text for a in answers if a.status_code >= 500])
        refused = next(a for a in answers if a.status_code == 429)
        assert "2 jobs queued or running (the limit)" in refused.json()["error"]
        admitted = [a.json()["id"] for a in answers if a.status_code == 202]
        assert sorted(p.name for p in set(jobs_dir.iterdir()) - before) == sorted(admitted)  # none of the refused
        for job_id in admitted:  # free the slots (cancel) and the files (delete) for the next round
            assert idle.delete(f"/v1/jobs/{job_id}", headers=headers("limit")).json()["status"] == "cancelled"
            assert idle.delete(f"/v1/jobs/{job_id}", headers=headers("limit")).json()["status"] == "deleted"


# --------------------------------------------------------------------------- item 3: downloads


def complete_job(client, key: str, seed: int) -> tuple[str, Path]:
    """A job submitted through the API and then completed as a worker completes one: a
    store of a few MB (random chunks, so the zip takes a while to build) and the row."""
    job_id = client.post("/v1/jobs", json=job_config(), headers=headers(key)).json()["id"]
    runner = client.app.state.service.jobs
    store = runner.store_path(job_id)
    rng = np.random.default_rng(seed)
    for i in range(48):
        chunk = store / f"group{i % 4}" / "c" / str(i)
        chunk.parent.mkdir(parents=True, exist_ok=True)
        chunk.write_bytes(rng.bytes(64 * 1024))
    (store / "zarr.json").write_text(json.dumps({"zarr_format": 3, "node_type": "group"}))
    runner.db.update(job_id, status="complete", scenarios_done=64, finished=time.time(), phase=None)
    return job_id, store


def test_simultaneous_first_downloads_get_one_identical_zip(idle):
    """8 simultaneous first downloads of a job's zip: all 200 with the same bytes, a
    complete zip of the store, and no temporary file left (3 of 4 were 500 when every
    request wrote the same temporary file)."""
    for round_ in range(ROUNDS):
        job_id, store = complete_job(idle, "download", round_)
        answers = at_once(8, lambda: idle.get(f"/v1/jobs/{job_id}/result?format=zip", headers=headers("download")))
        assert [a.status_code for a in answers] == [200] * 8, (round_, [a.text[:200] for a in answers])
        assert len({a.content for a in answers}) == 1
        archive = zipfile.ZipFile(io.BytesIO(answers[0].content))
        assert archive.testzip() is None
        files = sorted(str(Path("result.zarr") / p.relative_to(store)) for p in store.rglob("*") if p.is_file())
        assert sorted(archive.namelist()) == files and len(files) == 49
        assert archive.read("result.zarr/group1/c/5") == (store / "group1" / "c" / "5").read_bytes()
        assert sorted(p.name for p in store.parent.iterdir()) == ["config.json", "result.zarr", "result.zip"]
        assert idle.delete(f"/v1/jobs/{job_id}", headers=headers("download")).json()["status"] == "deleted"


# --------------------------------------------------------------------------- cancelling twice


def test_cancel_twice_and_at_once_answers_clearly(idle):
    """DELETE twice: a queued job is cancelled, then deleted, then 404; a running one
    answers 'cancelling' (202) both times. Eight DELETEs at once: each answer is the job
    cancelled, deleted (at most once) or 404, never a 500 (a cancel racing a delete read
    a row that was gone)."""
    key, jobs = headers("cancel"), idle.app.state.service.jobs

    job_id = idle.post("/v1/jobs", json=job_config(), headers=key).json()["id"]
    first, second, third = (idle.delete(f"/v1/jobs/{job_id}", headers=key) for _ in range(3))
    assert (first.status_code, first.json()["status"]) == (200, "cancelled")
    assert (second.status_code, second.json()["status"]) == (200, "deleted")
    assert third.status_code == 404 and third.json()["error"] == f"no job {job_id!r} for this key"

    running = idle.post("/v1/jobs", json=job_config(), headers=key).json()["id"]
    jobs.db.update(running, status="running", started=time.time(), phase="running")  # as a worker does
    for _ in range(2):
        answer = idle.delete(f"/v1/jobs/{running}", headers=key)
        assert answer.status_code == 202 and answer.json()["status"] == "running"
        assert answer.json()["phase"] == "cancelling" and jobs.db.get(running).cancel_requested == 1
    jobs.db.update(running, status="cancelled", finished=time.time(), phase=None)  # as the worker then does

    for round_ in range(ROUNDS):
        job_id = idle.post("/v1/jobs", json=job_config(), headers=key).json()["id"]
        answers = at_once(8, lambda: idle.delete(f"/v1/jobs/{job_id}", headers=key))
        outcomes = Counter((a.status_code, a.json().get("status")) for a in answers)
        assert set(outcomes) <= {(200, "cancelled"), (200, "deleted"), (404, None)}, (round_, outcomes)
        assert outcomes[(200, "cancelled")] >= 1 and outcomes[(200, "deleted")] <= 1, (round_, outcomes)
        if outcomes[(200, "deleted")] == 0:
            assert idle.delete(f"/v1/jobs/{job_id}", headers=key).json()["status"] == "deleted"
        assert jobs.db.get(job_id) is None and not jobs.job_dir(job_id).exists()


# --------------------------------------------------------------------------- item 5: job size caps


def test_oversize_jobs_are_413_naming_the_fields_and_the_cap(idle):
    """Jobs had no size cap (about 70 GB of store at the old caps): the simulated volume
    and the estimated store are capped, 413 like every cap of the server (assessments',
    jobs' scenario and work caps), naming the fields and the setting."""
    key = headers("size")
    volume = idle.post("/v1/jobs", json=job_config(5_000_000, 365), headers=key)
    assert volume.status_code == 413, volume.text
    [(field, message)] = [(p["field"], p["message"]) for p in volume.json()["problems"]]
    assert field == "run.scenarios"
    assert ("run.scenarios x run.horizon_days x products x policies (with the no-policy baseline) = "
            "5,000,000 x 365 x 7 x 2 = 25,550,000,000 exceeds the cap of 25,000,000,000 per job (max_job_size)"
            in message)

    store = idle.post("/v1/jobs", json=job_config(9_000_000, 30), headers=key)
    assert store.status_code == 413, store.text
    [(field, message)] = [(p["field"], p["message"]) for p in store.json()["problems"]]
    assert field == "run.keep"
    assert 'run.scenarios = 9,000,000 with run.keep = "per-scenario"' in message
    assert "above the cap of 10.0 GB per job (max_job_store_bytes)" in message and "2 policies, 7 products" in message

    both = idle.post("/v1/jobs", json=job_config(10_000_000, 365), headers=key)
    assert both.status_code == 413 and [p["field"] for p in both.json()["problems"]] == ["run.scenarios", "run.keep"]

    summary_only = idle.post("/v1/jobs", json=job_config(9_000_000, 30, keep="summary"), headers=key)
    assert summary_only.status_code == 202, summary_only.text  # statistics only: a small store
    assert idle.delete(f"/v1/jobs/{summary_only.json()['id']}", headers=key).json()["status"] == "cancelled"


def test_store_estimate_matches_the_runs_own(tmp_path):
    """The size cap's store estimate is close to the estimate of the job itself (which
    lays the store out; the cap must decide before that)."""
    from simcore.run.job import Job
    from simcore.schema.config import load_config
    from simcore.service.settings import REPO_ROOT

    config = load_config(REPO_ROOT / "configs" / "quickstart.toml")
    config.scenarios, config.daily_scenarios = 10_000, 0
    with Job(config, tmp_path / "out.zarr", scenarios=10_000, log=lambda *a: None) as job:
        job.prepare()
        assert 0.75 < estimated_store_bytes(config) / job.estimated_store_bytes() < 1.25


# --------------------------------------------------------------------------- item 4: the body's depth


def depth(value) -> int:
    if isinstance(value, list):
        return 1 + max((depth(v) for v in value), default=0)
    if isinstance(value, dict):
        return 1 + max((depth(v) for v in value.values()), default=0)
    return 0


TRICKY_TEXT = st.text(alphabet=st.sampled_from('[]{}"\\ aé\n'), max_size=8)
JSON_VALUES = st.recursive(st.none() | st.integers() | TRICKY_TEXT,
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TRICKY_TEXT, inner, max_size=3),
                           max_leaves=30)


@given(JSON_VALUES, st.booleans())
@hypothesis_settings(max_examples=300, deadline=None)
def test_json_depth_scan_equals_the_parsed_depth(value, ascii_only):
    """Brackets inside strings (escaped quotes and backslashes included) do not count."""
    assert json_depth(json.dumps(value, ensure_ascii=ascii_only).encode()) == depth(value)


# --------------------------------------------------------------------------- a real server


@pytest.fixture(scope="module")
def server(tmp_path_factory, jax_cache_env):
    """``simcore serve`` warmed for one small assessment shape (the one test_service.py
    compiles: demo model, 90 days, chunks of 32, 2 policy slots), bodies up to 64 KiB."""
    data_dir = tmp_path_factory.mktemp("limits-server")
    shape = {"SIMCORE_ASSESSMENT_HORIZONS": "90", "SIMCORE_DEFAULT_HORIZON_DAYS": "90", "SIMCORE_CHUNK_SIZES": "32",
             "SIMCORE_POLICY_SLOTS": "2", "SIMCORE_MAX_MIXES": "1", "SIMCORE_MAX_ASSESSMENT_SCENARIOS": "64",
             "SIMCORE_WARM_MODELS": DEMO, "SIMCORE_WARM_HORIZONS": "90", "SIMCORE_MAX_BODY_BYTES": "65536",
             "SIMCORE_ASSESSMENT_QUEUE": "256"}
    running = Server(data_dir, jax_cache_env, pause_s=0.0, extra_env=shape)
    try:
        deadline = time.monotonic() + 300
        while running.client.http.get("/readyz").status_code != 200:
            assert time.monotonic() < deadline, "the server did not warm up"
            time.sleep(0.2)
        yield running
    finally:
        running.stop()


@pytest.fixture
def http(server):
    with httpx.Client(base_url=server.url, headers={"X-API-Key": SERVER_KEY}, timeout=120,
                      limits=httpx.Limits(max_connections=64)) as client:
        yield client


def nested(levels: int, kind: str = "[") -> bytes:
    if kind == "[":
        return b"[" * levels + b"]" * levels
    return b'{"a":' * levels + b"1" + b"}" * levels


def test_deeply_nested_json_is_422_and_the_connection_lives_on(http):
    """500 levels in 1 KB: 422 naming the limit, before parsing (it was a 500 from a
    RecursionError, and the server closed the connection under the next request)."""
    for path, body in (("/v1/jobs", nested(500)), ("/v1/assessments", nested(500, "{"))):
        answer = http.post(path, content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 422, answer.text
        assert answer.json() == {"error": "request body nested 500 levels deep, above the limit of 32",
                                 "problems": [{"field": "(body)", "message": "JSON may nest at most 32 levels "
                                               "(max_json_depth), got 500"}]}
        assert http.get("/v1/models").status_code == 200  # the same client, its connection still served
    # at the limit: parsed and checked as usual (the unknown field named), one deeper: refused
    at_limit = {"model": DEMO, "signals": [], "deep": json.loads(nested(31))}  # 32 levels with the body's
    answer = http.post("/v1/assessments", json=at_limit)
    assert answer.status_code == 422 and "deep" in {p["field"] for p in answer.json()["problems"]}
    at_limit["deep"] = json.loads(nested(32))
    assert http.post("/v1/assessments", json=at_limit).json()["error"] == ("request body nested 33 levels deep, "
                                                                           "above the limit of 32")


def test_oversized_bodies_are_413_and_the_connection_lives_on(http):
    """Above max_body_bytes: 413 naming the limit, by Content-Length and for a chunked
    body (no length given), and the next request on the client is served."""
    too_big = b" " * (65536 + 1)
    declared = http.post("/v1/jobs", content=too_big, headers={"content-type": "application/json"})
    chunked = http.post("/v1/assessments", content=(too_big[i:i + 4096] for i in range(0, len(too_big), 4096)),
                        headers={"content-type": "application/json"})
    for answer in (declared, chunked):
        assert answer.status_code == 413, answer.text
        assert answer.json()["problems"] == [{"field": "(body)", "message": "must be at most 65536 bytes "
                                              "(max_body_bytes)"}]
    assert "transfer-encoding" in chunked.request.headers
    assert http.get("/v1/models").status_code == 200


# --------------------------------------------------------------------------- item 12: /healthz under load


def raw_request(port: int, request: bytes) -> int:
    """One request on its own connection, as prepared bytes (the least client work, so
    the times measure the server); returns the status code."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as connection:
        connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
    return int(answer[9:12])


def test_healthz_answers_at_once_during_a_burst_of_assessments(server):
    """24 assessments sent at once and, while they are in flight, 8 health probes: the
    median probe takes under 5 % of the burst's wall time. It waited while the event loop
    checked each request and started a thread per waiting assessment: 4.4 s in a burst of
    100, a median of 110 to 250 ms in this one (5 to 50 ms now, on a loaded 2-core
    machine). The bound is relative to the burst, not in milliseconds: a loaded machine
    slows both alike (a fixed 100 ms bound failed under load with the server correct)."""
    signal = {"origin": "CN", "products": {"gallium": 1.0, "germanium": 0.5}, "onset_days_ahead": 0,
              "duration_median_days": 80, "duration_sigma": 0.3, "severity_range": [0.7, 1.0]}
    body = json.dumps({"model": DEMO, "scenarios": 32, "seed": 11, "signals": [signal],
                       "mixes": ["stockpile-60d"]}).encode()
    assess = (f"POST /v1/assessments HTTP/1.1\r\nHost: test\r\nX-API-Key: {SERVER_KEY}\r\nContent-Type: "
              f"application/json\r\nContent-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    health = b"GET /healthz HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n"
    assert raw_request(server.port, assess) == 200  # warm
    burst, probes = 24, 8
    barrier = threading.Barrier(burst + probes)
    finished, latencies = [], []

    def assessment():
        barrier.wait()
        status = raw_request(server.port, assess)
        finished.append(time.perf_counter())
        return status

    def probe(i):
        barrier.wait()
        time.sleep(0.005 * i)
        started = time.perf_counter()
        status = raw_request(server.port, health)
        latencies.append(time.perf_counter() - started)
        return status, time.perf_counter()

    burst_started = time.perf_counter()
    with ThreadPoolExecutor(burst + probes) as pool:
        assessed = [pool.submit(assessment) for _ in range(burst)]
        probed = [pool.submit(probe, i) for i in range(probes)]
        codes = [f.result() for f in assessed]
        health_answers = [f.result() for f in probed]
    assert codes == [200] * burst and [code for code, _ in health_answers] == [200] * probes
    assert max(at for _, at in health_answers) < max(finished)  # the probes ran while assessments were in flight
    burst_seconds = max(finished) - burst_started
    assert statistics.median(latencies) < 0.05 * burst_seconds, (sorted(round(1000 * s) for s in latencies),
                                                                  round(1000 * burst_seconds))
