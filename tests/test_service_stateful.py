"""Issue 17 (keep them closed): the jobs API run statefully by schemathesis: jobs are
created, polled, their events and results fetched, cancelled and deleted in sequences
schemathesis derives from the OpenAPI document (links inferred from ``job_id``), and no
sequence may give a 5xx or a response outside the schema.

Schema-generated job bodies are almost never valid configs, so a job creation gets a
small valid config (the one of the direct-run test) half the time and the generated one
otherwise: both the refusal and the whole life of a job are exercised."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, settings

from simcore.service import create_app
from tests.test_service import A, job_config, small_settings, wait_ready

STEPS = int(os.environ.get("SIMCORE_STATEFUL_EXAMPLES", "6"))


@pytest.fixture(scope="module")
def app():
    with tempfile.TemporaryDirectory(prefix="simcore-stateful-") as data_dir:
        application = create_app(small_settings(Path(data_dir), job_workers=1, max_jobs_per_key=3))
        with TestClient(application) as client:  # the lifespan: registry, job worker, warm-up
            wait_ready(client)
            yield application


def test_the_jobs_api_statefully(app):
    schema = schemathesis.openapi.from_dict(app.openapi())
    schema.app = app
    base = schema.as_state_machine()
    created = {"valid": 0}

    class Jobs(base):
        def before_call(self, case):
            case.headers = {**(case.headers or {}), **A}
            if case.method == "POST" and case.path == "/v1/jobs" and created["valid"] % 2 == 0:
                case.body = job_config(scenarios=32)
            if case.method == "POST" and case.path == "/v1/jobs":
                created["valid"] += 1

        def validate_response(self, response, case, **kwargs):
            assert response.status_code < 500, (case.method, case.path, response.status_code, response.text)
            # every call carries the valid key (before_call): the auth checks belong to test_service
            case.validate_response(response, excluded_checks=[schemathesis.checks.positive_data_acceptance,
                                                              schemathesis.checks.ignored_auth])

    Jobs.run(settings=settings(max_examples=STEPS, stateful_step_count=6, deadline=None,
                               suppress_health_check=list(HealthCheck)))
    assert created["valid"] > 0  # the machine did create jobs
