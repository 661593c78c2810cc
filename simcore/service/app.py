"""The FastAPI application of the Early Warning System service (see ``docs/service.md``).

:func:`create_app` builds the app from :class:`~simcore.service.settings.Settings`; its
lifespan starts and stops the :class:`~simcore.service.state.ServiceState` its endpoints
share, which scans the model registry, opens the job database (resuming unfinished
jobs), starts the job workers and warms the compiled functions in a background thread
(``/readyz`` answers 200 once that is done).

Every endpoint but ``/healthz`` and ``/readyz`` needs an API key (``X-API-Key`` header or
``Authorization: Bearer``). Errors are JSON ``{"error", "problems": [{"field",
"message"}]}``: 401 bad key, 404 unknown job or model, 409 result not ready, 413 body or
cap too large, 422 bad input (every bad field; JSON nested deeper than ``max_json_depth``;
a job above a size cap), 429 rate or job limit, 503 busy.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from contextlib import asynccontextmanager
from typing import Any, Literal

import anyio
from fastapi import Depends, FastAPI, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, StreamingResponse
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException as StarletteHTTPException

from simcore.schema.errors import InputError
from simcore.service import schemas
from simcore.service.assess import CapError, prepare, run
from simcore.service.auth import Caller, RateLimiter
from simcore.service.body import BodyError, BodyLimit, parse_json
from simcore.service.jobs import ACTIVE, FINISHED, check_job_request
from simcore.service.openapi_schema import add_request_bodies
from simcore.service.registry import Registry
from simcore.service.settings import Settings
from simcore.service.state import ServiceState

log = logging.getLogger("simcore.service")

API_TITLE = "simcore Early Warning System API"
SSE_POLL_SECONDS = 0.25
SSE_KEEPALIVE_SECONDS = 15.0


class ApiError(Exception):
    """An error answered as JSON ``{"error", "problems"}`` with ``status``."""

    def __init__(self, status: int, error: str, problems=(), headers: dict | None = None):
        self.status, self.error, self.headers = status, error, headers
        self.problems = [{"field": f, "message": m} for f, m in problems]


def _error_response(status: int, error: str, problems=(), headers=None) -> JSONResponse:
    return JSONResponse({"error": error, "problems": list(problems)}, status_code=status, headers=headers)


def _responses(*codes: int) -> dict:
    text = {400: "Bad request", 401: "Missing or wrong API key", 404: "Not found", 409: "Not ready",
            413: "Body or request above a cap (the message names the cap)", 422: "Bad input: every bad field",
            429: "Rate or job limit of this key", 503: "Busy: too many assessments waiting"}
    return {code: {"model": schemas.ErrorResponse, "description": text[code]} for code in codes}


def _body_schema(name: str) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {
        "schema": {"$ref": f"#/components/schemas/{name}"}}}}}


class _RequestLog:
    """ASGI middleware: one log line per request (method, path, status, time, key id;
    never the key). Plain ASGI rather than ``@app.middleware("http")``, whose extra task
    and streams per request cost the event loop time that /healthz waits for in a burst."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        started, status = time.perf_counter(), 500

        async def tracking_send(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        finally:
            caller = scope.get("state", {}).get("caller")
            log.info("%s %s -> %d in %.0f ms (key %s)", scope["method"], scope["path"], status,
                     1000 * (time.perf_counter() - started), caller.key_id if caller else "-")


def create_app(settings: Settings | None = None) -> FastAPI:
    """The service as an ASGI app. ``settings`` default: :meth:`Settings.from_env`."""
    settings = settings or Settings.from_env()
    state = ServiceState(settings)

    @asynccontextmanager
    async def lifespan(app: FastAPI):
        await anyio.to_thread.run_sync(state.start)
        yield
        await anyio.to_thread.run_sync(state.stop)

    app = FastAPI(title=API_TITLE, version="1", lifespan=lifespan, openapi_url=None, docs_url=None, redoc_url=None,
                  description="Impact forecasts for supply-disruption signals (simcore). See docs/service.md.")
    app.state.service = state
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, respond=_error_response)

    # ---------------------------------------------------------------- errors
    @app.exception_handler(ApiError)
    async def _api_error(request: Request, exc: ApiError):
        return _error_response(exc.status, exc.error, exc.problems, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(request: Request, exc: RequestValidationError):
        problems = [{"field": ".".join(str(p) for p in e["loc"] if p not in ("body", "query", "path")) or "(request)",
                     "message": e["msg"]} for e in exc.errors()]
        return _error_response(422, "invalid request", problems)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException):
        headers = dict(getattr(exc, "headers", None) or {})
        if exc.status_code == 405:  # Allow: every method of the path (GET and DELETE are separate routes)
            headers["Allow"] = ", ".join(_allowed_methods(app, request.url.path))
        return _error_response(exc.status_code, str(exc.detail), [], headers or None)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception):  # last resort: never a bare 500
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        return _error_response(500, "internal error (logged on the server)")

    app.add_middleware(_RequestLog)

    # ---------------------------------------------------------------- auth
    api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False)
    bearer = HTTPBearer(auto_error=False)

    # async: a key check takes microseconds, not worth a trip through the thread pool per request
    async def caller(request: Request, key: str | None = Depends(api_key_header),
                     token: HTTPAuthorizationCredentials | None = Depends(bearer)) -> Caller:
        presented = key or (token.credentials if token else None)
        if not len(state.keys):
            raise ApiError(401, "no API keys are configured on this server (SIMCORE_API_KEYS or a key file)")
        if not presented:
            raise ApiError(401, "missing API key: send X-API-Key or Authorization: Bearer",
                           headers={"WWW-Authenticate": "Bearer"})
        found = state.keys.identify(presented)
        if found is None:
            raise ApiError(401, "wrong API key", headers={"WWW-Authenticate": "Bearer"})
        request.state.caller = found
        wait = state.limiter.take(found.key_id)
        if wait:
            raise ApiError(429, f"rate limit of {settings.rate_per_minute} requests per minute for this key",
                           headers={"Retry-After": RateLimiter.retry_after(wait)})
        return found

    async def json_body(request: Request) -> Any:
        raw = await request.body()  # at most max_body_bytes (BodyLimit)
        try:
            return parse_json(raw, settings.max_json_depth)  # depth checked before parsing
        except BodyError as exc:
            raise ApiError(exc.status, exc.error, exc.problems) from None

    def registry() -> Registry:
        if state.registry is None:  # only before the lifespan ran
            raise ApiError(503, "starting up")
        return state.registry

    # ---------------------------------------------------------------- health
    # async, so answered on the event loop itself: never waits for a thread of the pool
    # that runs request checks and simulations (a burst of assessments held it for seconds)
    @app.get("/healthz", response_model=schemas.Health, tags=["health"])
    async def healthz():
        """Liveness: the process answers."""
        return {"status": "ok"}

    @app.get("/readyz", response_model=schemas.Health, tags=["health"],
             responses={503: {"model": schemas.Health, "description": "Warming up"}})
    async def readyz():
        """Readiness: 200 once the registry is loaded and the compiled functions are warm."""
        if not state.ready.is_set():
            return JSONResponse({"status": "warming up", "detail": None}, status_code=503)
        return {"status": "ready", "detail": state.warm_error}

    # ---------------------------------------------------------------- models
    @app.get("/v1/models", response_model=schemas.ModelList, tags=["models"], responses=_responses(401, 429, 503))
    def list_models(who: Caller = Depends(caller)):
        """The registered models with their products, origins, sectors and named policy mixes."""
        return {"models": [m.describe() for _, m in sorted(registry().models.items())]}

    @app.get("/v1/models/{name}", response_model=schemas.ModelDetail, tags=["models"],
             responses=_responses(401, 404, 422, 429, 503))
    def get_model(name: str, who: Caller = Depends(caller)):
        """One registered model, with product details and the levers of its named mixes."""
        found = registry().get(name)
        if found is None:
            raise ApiError(404, f"unknown model {name!r}", [("name", "allowed: " + ", ".join(registry().names()))])
        return found.describe(full=True)

    # ---------------------------------------------------------------- assessments
    @app.post("/v1/assessments", response_model=schemas.AssessmentResponse, tags=["assessments"],
              responses=_responses(401, 413, 422, 429, 503), openapi_extra=_body_schema("AssessmentRequest"))
    async def create_assessment(who: Caller = Depends(caller), body: Any = Depends(json_body)):
        """Impact forecast of a signal (synchronous): per product the shortage-day
        distribution, time to survive, price changes; per sector value-added loss; the
        price index; each mix's effect; the seed, model version and equivalent config."""
        try:  # checked on the checks' thread, computed on the simulations': the event loop stays free
            prepared = await asyncio.wrap_future(state.checks.submit(prepare, body, registry(), settings))
        except InputError as exc:
            raise ApiError(422, "invalid assessment request", exc.problems) from None
        except CapError as exc:
            raise ApiError(413, "assessment above a cap of this server", exc.problems) from None
        if state.waiting >= settings.assessment_queue:
            raise ApiError(503, f"{state.waiting} assessments are waiting; try again shortly",
                           headers={"Retry-After": "5"})
        state.waiting += 1
        queued = time.perf_counter()

        def compute():  # at most assessment_concurrency at once; the others wait in the executor's queue
            waited = time.perf_counter() - queued
            result = run(prepared, settings, waited)
            state.programs.check()  # near the mapping limit: drop the compiled programs (program_guard)
            return JSONResponse(result), result, waited  # rendered here too, not on the event loop

        try:  # a client that goes away before its turn takes its assessment out of the queue
            response, result, waited = await asyncio.wrap_future(state.simulations.submit(compute))
        finally:
            state.waiting -= 1
        log.info("assessment for key %s: model %s, %d scenarios x %d days, %d mixes, %.2f s (+%.2f s queued)",
                 who.key_id, prepared.registered.name, prepared.config.scenarios, prepared.config.horizon_days,
                 len(prepared.config.policies) - 1, result["timing"]["seconds"], waited)
        return response

    # ---------------------------------------------------------------- jobs
    def own_job(job_id: str, who: Caller):
        row = state.jobs.db.get(job_id, owner=who.key_id) if state.jobs else None
        if row is None:
            raise ApiError(404, f"no job {job_id!r} for this key")
        return row

    @app.post("/v1/jobs", status_code=202, response_model=schemas.JobStatus, tags=["jobs"],
              responses=_responses(401, 413, 422, 429, 503), openapi_extra=_body_schema("JobRequest"))
    def create_job(who: Caller = Depends(caller), body: Any = Depends(json_body)):
        """Submit a full run config (TOML schema as JSON; run.model a registered model
        name): 202 with the job; follow it at /v1/jobs/{id} or /v1/jobs/{id}/events."""
        try:
            registered, config = check_job_request(body, registry(), settings)
        except InputError as exc:
            raise ApiError(422, "invalid job request", exc.problems) from None
        except CapError as exc:
            raise ApiError(413, "job above a cap of this server", exc.problems) from None
        row = state.jobs.submit(who.key_id, body, registered, config, limit=settings.max_jobs_per_key)
        if row is None:  # the count and the insert are one transaction: the limit holds under concurrency
            raise ApiError(429, f"this key has {settings.max_jobs_per_key} jobs queued or running (the limit); "
                                "wait for one to finish or cancel one")
        return JSONResponse(row.public(), status_code=202, headers={"Location": f"/v1/jobs/{row.id}"})

    @app.post("/v1/screens", status_code=202, response_model=schemas.JobStatus, tags=["jobs"],
              responses=_responses(401, 413, 422, 429, 503), openapi_extra=_body_schema("JobRequest"))
    def create_screen(who: Caller = Depends(caller), body: Any = Depends(json_body)):
        """Submit a chokepoint screen (a run config with its `screen` table, as for
        `simcore screen`; run.model a registered model name): 202 with the job (kind
        'screen'); follow, cancel and fetch it at /v1/jobs/{id} like any job. Its result
        is the ranked table as data; format=zip the store (group 'screen')."""
        from simcore.service.screen_job import check_screen_request

        try:
            registered, config, s, _ = check_screen_request(body, registry(), settings)
        except InputError as exc:
            raise ApiError(422, "invalid screen request", exc.problems) from None
        except CapError as exc:
            raise ApiError(413, "screen above a cap of this server", exc.problems) from None
        row = state.jobs.submit(who.key_id, body, registered, config, limit=settings.max_jobs_per_key,
                                kind="screen", scenarios=s.scenarios)
        if row is None:
            raise ApiError(429, f"this key has {settings.max_jobs_per_key} jobs queued or running (the limit); "
                                "wait for one to finish or cancel one")
        return JSONResponse(row.public(), status_code=202, headers={"Location": f"/v1/jobs/{row.id}"})

    @app.get("/v1/jobs/{job_id}", response_model=schemas.JobStatus, tags=["jobs"],
             responses=_responses(401, 404, 422, 429))
    def get_job(job_id: str, who: Caller = Depends(caller)):
        """Status and progress of a job."""
        return own_job(job_id, who).public()

    @app.delete("/v1/jobs/{job_id}", response_model=schemas.JobStatus, tags=["jobs"],
                responses={**_responses(401, 404, 422, 429),
                           202: {"model": schemas.JobStatus, "description": "Cancelling a running job"}})
    def delete_job(job_id: str, who: Caller = Depends(caller)):
        """Cancel a queued or running job (202 while a running one stops after its
        current chunk); delete a finished job with its files (200, status 'deleted').
        Safe to repeat: cancelling again answers the job as it is (still 'cancelling',
        or 'cancelled'), and a job deleted by a simultaneous request answers 404."""
        row = own_job(job_id, who)
        if row.status in ACTIVE:
            row = state.jobs.cancel(row)
            if row is None:
                raise ApiError(404, f"no job {job_id!r} for this key (deleted by another request)")
            return JSONResponse(row.public(), status_code=202 if row.status == "running" else 200)
        if not state.jobs.remove(row):
            raise ApiError(404, f"no job {job_id!r} for this key (deleted by another request)")
        return {**row.public(), "status": "deleted"}

    @app.get("/v1/jobs/{job_id}/events", tags=["jobs"], responses={
        **_responses(401, 404, 422, 429),
        200: {"description": "Server-sent events: 'progress' (JobStatus JSON) on every change, then one of "
                             "'complete', 'failed', 'cancelled' or 'deleted', then the stream ends",
              # the schema of ONE event (as parsed by SSE clients and schemathesis): its name and
              # its data, a JobStatus in JSON
              "content": {"text/event-stream": {"schema": {
                  "type": "object", "required": ["event", "data"],
                  "properties": {"event": {"type": "string",
                                           "enum": ["progress", "complete", "failed", "cancelled", "deleted"]},
                                 "data": {"type": "string", "description": "JobStatus as JSON"},
                                 "id": {"type": "string"}, "retry": {"type": "integer"}}}}}}})
    async def job_events(job_id: str, request: Request, who: Caller = Depends(caller)):
        """Progress as server-sent events (text/event-stream)."""
        own_job(job_id, who)

        async def stream():
            last, last_sent = None, time.monotonic()
            while True:
                row = await anyio.to_thread.run_sync(state.jobs.db.get, job_id, who.key_id)
                if row is None:
                    yield "event: deleted\ndata: {}\n\n"
                    return
                public = row.public()
                text = json.dumps(public)
                if text != last:
                    last, last_sent = text, time.monotonic()
                    yield f"event: progress\ndata: {text}\n\n"
                if row.status in FINISHED:
                    yield f"event: {row.status}\ndata: {text}\n\n"
                    return
                if time.monotonic() - last_sent > SSE_KEEPALIVE_SECONDS:
                    last_sent = time.monotonic()
                    yield ": keep-alive\n\n"
                if await request.is_disconnected():
                    return
                await asyncio.sleep(SSE_POLL_SECONDS)

        return StreamingResponse(stream(), media_type="text/event-stream",
                                 headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})

    @app.get("/v1/jobs/{job_id}/result", response_model=schemas.JobResult | schemas.ScreenResult, tags=["jobs"],
             responses={**_responses(401, 404, 409, 422, 429),
                        200: {"description": "The summary (JSON), or with format=zip the store as a zip",
                              "content": {"application/json": {"schema": {"anyOf": [
                                              {"$ref": "#/components/schemas/JobResult"},
                                              {"$ref": "#/components/schemas/ScreenResult"}]}},
                                          "application/zip": {"schema": {"type": "string", "format": "binary"}}}}})
    def job_result(job_id: str, who: Caller = Depends(caller),
                   format: Literal["json", "zip"] = Query("json", description="json: summary; zip: the store")):
        """The result of a complete job: summary JSON, or the zarr store as a zip download."""
        row = own_job(job_id, who)
        if row.status != "complete":
            raise ApiError(409, f"job {job_id} is {row.status}; its result is there once it is complete",
                           [("status", row.status)] + ([("error", row.error)] if row.error else []))
        if format == "zip":
            path = state.jobs.zip_path(row)
            if path is None:
                raise ApiError(404, f"no job {job_id!r} for this key (deleted by another request)")
            return FileResponse(path, media_type="application/zip", filename=f"simcore-job-{job_id}.zarr.zip")
        result = state.jobs.result(row)
        if result is None:
            raise ApiError(409, f"job {job_id} has no stored result")
        return JSONResponse(result)

    # ---------------------------------------------------------------- OpenAPI: the bodies read by hand
    def openapi():
        if app.openapi_schema:
            return app.openapi_schema
        from fastapi.openapi.utils import get_openapi

        schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
        app.openapi_schema = add_request_bodies(schema)
        return app.openapi_schema

    app.openapi = openapi

    # the schema and the interactive docs: behind a key too, unless settings.public_docs
    docs_guard = [] if settings.public_docs else [Depends(caller)]

    @app.get("/openapi.json", include_in_schema=False, dependencies=docs_guard)
    def openapi_json():
        return JSONResponse(app.openapi())

    @app.get("/docs", include_in_schema=False, dependencies=docs_guard)
    def swagger_ui():
        from fastapi.openapi.docs import get_swagger_ui_html

        return get_swagger_ui_html(openapi_url="/openapi.json", title=API_TITLE)

    return app


def _allowed_methods(app: FastAPI, path: str) -> list[str]:
    from starlette.routing import Match

    methods: set[str] = set()
    for route in app.router.routes:
        match, _ = route.matches({"type": "http", "path": path, "method": "\x00", "root_path": ""})
        if match != Match.NONE and getattr(route, "methods", None):
            methods |= set(route.methods)
    return sorted(methods)

