"""The service as a real uvicorn process on 127.0.0.1: killed during a job and started
again, the job resumes from its done chunks and its result equals an uninterrupted
run's. Uses the Python client (simcore.client) for every call; loopback only."""

from __future__ import annotations

import os
import signal as signals
import socket
import subprocess
import sys
import time

import pytest

from simcore.client import Client, ServiceError

KEY = "restart-test-key-0001"
DEMO = "demo_critical_materials"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def job_config(scenarios: int) -> dict:
    return {"run": {"model": DEMO, "scenarios": scenarios, "horizon_days": 60, "chunk_size": 16, "seed": 9},
            "events": [{"name": "ships", "origin": "EU", "products": ["cable_repair_service"], "onset_day": 2,
                        "duration_median_days": 20, "duration_sigma": 0.8, "severity_alpha": 2.0,
                        "severity_beta": 2.0}],
            "policies": [{"name": "recycle", "recycling": {"share": {"gallium": 0.2, "*": 0}}}]}


class Server:
    """``simcore serve`` (``python -m simcore.cli serve``) in a subprocess, on a free loopback port."""

    def __init__(self, data_dir, env, pause_s: float, extra_env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        environment = dict(env)
        environment.update({"SIMCORE_API_KEYS": KEY, "SIMCORE_DATA_DIR": str(data_dir), "SIMCORE_WARM_MODELS": "none",
                            "SIMCORE_JOB_CHUNK_PAUSE_S": str(pause_s), "SIMCORE_CPU_DEVICES": "1",
                            "SIMCORE_RATE_PER_MINUTE": "100000"})
        environment.update(extra_env or {})
        self.log = open(os.path.join(data_dir, f"server-{self.port}.log"), "w")
        self.process = subprocess.Popen([sys.executable, "-m", "simcore.cli", "serve", "--host", "127.0.0.1", "--port",
                                         str(self.port), "--log-level", "warning"], env=environment,
                                        stdout=self.log, stderr=subprocess.STDOUT)
        self.client = Client(self.url, KEY, timeout=300)
        deadline = time.monotonic() + 180
        while True:
            assert self.process.poll() is None, f"server exited: {open(self.log.name).read()[-2000:]}"
            try:
                if self.client.http.get("/healthz").status_code == 200:
                    break
            except Exception:
                pass
            assert time.monotonic() < deadline, "server did not start"
            time.sleep(0.2)

    def kill(self) -> None:
        self.process.send_signal(signals.SIGKILL)  # no clean shutdown: a crash
        self.process.wait(30)
        self.client.close()
        self.log.close()

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(30)
            except subprocess.TimeoutExpired:
                self.process.kill()
        self.client.close()
        self.log.close()


def test_serve_refuses_to_start_without_keys(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIMCORE_")}
    env["SIMCORE_DATA_DIR"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "simcore.cli", "serve", "--port", str(free_port())], env=env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 2 and "no API keys" in done.stderr


@pytest.mark.slow
def test_killed_server_resumes_job_with_the_uninterrupted_result(tmp_path, jax_cache_env):
    scenarios = 160  # 10 chunks of 16, a pause after each: time to kill the server half way
    first = Server(tmp_path, jax_cache_env, pause_s=0.6)
    try:
        job = first.client.submit_job(job_config(scenarios))
        deadline = time.monotonic() + 400
        while (status := first.client.job(job["id"]))["scenarios_done"] < 32:
            assert status["status"] in ("queued", "running"), status
            assert time.monotonic() < deadline, "the job did not progress"
            time.sleep(0.1)
    finally:
        first.kill()
    assert status["scenarios_done"] < scenarios

    second = Server(tmp_path, jax_cache_env, pause_s=0.0)
    try:
        events = list(second.client.follow_job(job["id"], timeout=600))
        assert events[-1][0] == "complete", events[-1]
        running = [status["scenarios_done"] for name, status in events if status["status"] == "running"]
        assert min(running) >= 16  # resumed from its done chunks, not from scratch
        assert second.client.job(job["id"])["restarts"] == 1
        resumed = second.client.job_result(job["id"])

        again = second.client.submit_job(job_config(scenarios))  # the same run, uninterrupted
        assert list(second.client.follow_job(again["id"], timeout=600))[-1][0] == "complete"
        uninterrupted = second.client.job_result(again["id"])
        assert resumed["policies"] == uninterrupted["policies"] and resumed["effects"] == uninterrupted["effects"]
        cable = resumed["policies"][0]["products"]["cable_repair_service"]["shortage_days"]
        assert cable["p_positive"] > 0  # a result with something in it

        other = Client(second.url, "some-other-key-123")
        with pytest.raises(ServiceError) as refused:
            other.job(job["id"])
        assert refused.value.status == 401
        other.close()
    finally:
        second.stop()
