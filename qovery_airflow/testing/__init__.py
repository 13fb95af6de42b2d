"""A stateful fake of the Qovery REST API, for running DAGs and tests without a Qovery account.

The fake is a real HTTP server on 127.0.0.1 that keeps organizations, environments,
deployment stages and services in memory, simulates deployments from timestamps, and checks
every request and response against the vendored Qovery OpenAPI spec. It does not import
Airflow. It runs on the standard library's `ThreadingHTTPServer` rather than an ASGI server,
because its faults need the socket itself: a reset connection, a body cut short.

Example::

    from qovery_airflow.testing import FakeQoveryAPI, Fault, ADMIN_TOKEN, PRODUCTION_ENV_ID

    with FakeQoveryAPI(step_seconds=0.2) as api:
        api.add_fault("GET", r"/environment/[^/]+/status", Fault.status(502))
        ...  # point a client at api.url with "Authorization: Token " + ADMIN_TOKEN
        assert api.violations == []

Run it standalone with ``python -m qovery_airflow.testing`` (see ``--help``).
"""

from __future__ import annotations

import copy
import threading
from dataclasses import asdict
from pathlib import Path
from types import TracebackType
from typing import Any

from qovery_airflow.testing._app import FakeApp, RecordedRequest
from qovery_airflow.testing._faults import Fault
from qovery_airflow.testing._server import FakeHTTPServer
from qovery_airflow.testing._state import SEED_PATH, ApiError, Failure, iso, load_seed

__all__ = [
    "ADMIN_TOKEN",
    "ORGANIZATION_ID",
    "PRODUCTION_ENV_ID",
    "PROJECT_ID",
    "READONLY_TOKEN",
    "SEED_PATH",
    "SERVICE_API_ID",
    "SERVICE_CACHE_ID",
    "SERVICE_INFRA_ID",
    "SERVICE_MIGRATIONS_ID",
    "SERVICE_POSTGRES_ID",
    "SERVICE_WEB_ID",
    "SERVICE_WORKER_ID",
    "STAGE_BACKEND_ID",
    "STAGE_DATABASES_ID",
    "STAGE_FRONTEND_ID",
    "STAGE_JOBS_ID",
    "STAGING_ENV_ID",
    "FakeQoveryAPI",
    "Fault",
    "RecordedRequest",
]

# Ids of the bundled seed (data/seed.json).
ADMIN_TOKEN = "fake-qovery-api-token"
READONLY_TOKEN = "fake-qovery-readonly-token"
ORGANIZATION_ID = "11111111-1111-4111-8111-111111111111"
PROJECT_ID = "22222222-2222-4222-8222-222222222222"
PRODUCTION_ENV_ID = "33333333-3333-4333-8333-333333333333"
STAGING_ENV_ID = "33333333-3333-4333-8333-444444444444"
STAGE_DATABASES_ID = "5e000000-0000-4000-8000-000000000001"
STAGE_JOBS_ID = "5e000000-0000-4000-8000-000000000002"
STAGE_BACKEND_ID = "5e000000-0000-4000-8000-000000000003"
STAGE_FRONTEND_ID = "5e000000-0000-4000-8000-000000000004"
SERVICE_POSTGRES_ID = "5f000000-0000-4000-8000-000000000001"
SERVICE_MIGRATIONS_ID = "5f000000-0000-4000-8000-000000000002"
SERVICE_API_ID = "5f000000-0000-4000-8000-000000000003"
SERVICE_WORKER_ID = "5f000000-0000-4000-8000-000000000004"
SERVICE_WEB_ID = "5f000000-0000-4000-8000-000000000005"
SERVICE_CACHE_ID = "5f000000-0000-4000-8000-000000000006"
SERVICE_INFRA_ID = "5f000000-0000-4000-8000-000000000007"


class FakeQoveryAPI:
    """The fake Qovery API server; use it as a context manager, or call start() and stop().

    :param seed: a seed file path or an already parsed seed dict (default: the bundled seed).
    :param strict: answer 400 to, and record in `violations`, any request that breaks the spec.
    :param step_seconds: length of one deployment step (QUEUED, BUILDING, DEPLOYING...);
        0 makes deployments finish as soon as they are triggered.
    :param stale_seconds: for this long after a trigger, status endpoints keep showing the
        pre-trigger status, as Qovery's do.
    :param host: address to listen on.
    :param port: port to listen on; 0 picks a free one.
    """

    def __init__(
        self,
        seed: str | Path | dict[str, Any] | None = SEED_PATH,
        *,
        strict: bool = True,
        step_seconds: float = 1.0,
        stale_seconds: float = 0.0,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._seed_source = seed
        self._strict = strict
        self._step_seconds = step_seconds
        self._stale_seconds = stale_seconds
        self._address = (host, port)
        self._app: FakeApp | None = None
        self._server: FakeHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> FakeQoveryAPI:
        """Load the seed and the spec, then listen; returns self."""
        if self._server is not None:
            return self
        app = FakeApp(
            load_seed(self._seed_source),
            strict=self._strict,
            step_seconds=self._step_seconds,
            stale_seconds=self._stale_seconds,
        )
        server = FakeHTTPServer(self._address, app)
        thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="fake-qovery-api",
            daemon=True,
        )
        thread.start()
        self._app, self._server, self._thread = app, server, thread
        return self

    def stop(self) -> None:
        """Stop listening and close every open connection."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        server.close_connections()
        if thread is not None:
            thread.join(timeout=5)
        self._server = self._thread = None

    def serve_forever(self) -> None:
        """Serve on the calling thread until `stop()` is called from another thread."""
        self.start()
        assert self._thread is not None
        self._thread.join()

    def __enter__(self) -> FakeQoveryAPI:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.stop()

    # -- what tests read ---------------------------------------------------------------

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (no trailing slash)."""
        host, port = self._running_server().server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every API request answered so far, in order (admin routes excluded)."""
        return self._running_app().requests

    @property
    def violations(self) -> list[str]:
        """Every mismatch with the spec seen so far, in requests and responses."""
        return self._running_app().violations

    def stages(self, env_id: str) -> list[dict[str, Any]]:
        """The env's stages as `GET /environment/{id}/deploymentStage` shows them."""
        app = self._running_app()
        with app.backend.world.lock:
            try:
                return list(app.backend.world.render_stage_list(env_id)["results"])
            except ApiError as error:
                raise KeyError(error.message) from None

    def service(self, service_id: str) -> dict[str, Any]:
        """The internal record of a service, with its live deployment status under "status"."""
        app = self._running_app()
        world, engine = app.backend.world, app.backend.engine
        with world.lock:
            now = app.clock()
            engine.advance(now)
            try:
                record = world.service(service_id)
            except ApiError as error:
                raise KeyError(error.message) from None
            status = engine.service_status(record, now, fresh=True)
            body = asdict(record)
        for key in ("created_at", "updated_at", "link_created_at", "link_updated_at"):
            body[key] = iso(body[key])
        if record.last_deployment_date is not None:
            body["last_deployment_date"] = iso(record.last_deployment_date)
        body["state"] = status["state"]
        body["execution_id"] = status.get("execution_id")
        body["status"] = status
        return body

    # -- what tests arrange ------------------------------------------------------------

    def add_fault(self, method: str, path_regex: str, *faults: Fault) -> None:
        """Make the next matching requests misbehave, one fault per request, in order.

        `path_regex` must match the whole path (query string excluded); `method` "*"
        matches any method. Once a rule's faults are used up the route behaves normally.
        """
        self._running_app().faults.add(method, path_regex, list(faults))

    def fail_service(
        self,
        service_id: str,
        state: str = "DEPLOYMENT_ERROR",
        *,
        message: str | None = None,
        times: int | None = None,
    ) -> None:
        """Make the next deployments of the service end in `state` (BUILD_ERROR ends after
        the build step). `times` None: every later deployment, until `reset()`."""
        if not state.endswith("_ERROR"):
            raise ValueError(f"a failure state ends in _ERROR, e.g. BUILD_ERROR; got {state!r}")
        app = self._running_app()
        with app.backend.world.lock:
            try:
                service = app.backend.world.service(service_id)
            except ApiError as error:
                raise KeyError(error.message) from None
            text = message or f"{service.name} failed with {state}"
            app.backend.world.failures[service_id] = Failure(state, text, times)

    def script_environment_status(
        self, env_id: str, overrides: list[dict[str, Any]], *, while_running: bool = False
    ) -> None:
        """Each read of the env's /status or /statuses merges the next dict over the
        simulated environment status, without spec checks; then simulation resumes.

        With `while_running`, the overrides apply only to reads made while a deployment
        of the environment runs (after its queue step), i.e. to what the new run shows.
        """
        self._running_app().scripts.add(
            env_id, copy.deepcopy(overrides), while_running=while_running
        )

    def configure(
        self, *, step_seconds: float | None = None, stale_seconds: float | None = None
    ) -> None:
        """Change the deployment timing, then `reset()` (the new timing needs a fresh run)."""
        app = self._running_app()
        if step_seconds is not None:
            app.step_seconds = self._step_seconds = step_seconds
        if stale_seconds is not None:
            app.stale_seconds = self._stale_seconds = stale_seconds
        app.reset()

    def reset(self) -> None:
        """Back to the seed: records, deployments, faults, scripts and request log."""
        self._running_app().reset()

    def _running_app(self) -> FakeApp:
        if self._app is None:
            raise RuntimeError("the fake Qovery API is not started: use it in a with block")
        return self._app

    def _running_server(self) -> FakeHTTPServer:
        if self._server is None:
            raise RuntimeError("the fake Qovery API is not started: use it in a with block")
        return self._server
