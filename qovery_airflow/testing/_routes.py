"""The Qovery endpoints the fake implements, as a table of path templates and handlers."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from qovery_airflow.testing._deployments import DeploymentEngine, action_status_of
from qovery_airflow.testing._state import ApiError, Service, Token, World, is_uuid

# Lists of `DeployAllRequest` and the service type each must hold.
_DEPLOY_LISTS = {
    "applications": "APPLICATION",
    "databases": "DATABASE",
    "containers": "CONTAINER",
    "jobs": "JOB",
    "helms": "HELM",
    "terraforms": "TERRAFORM",
}

# Fields of a `DeployAllRequest` item that carry a version, by list.
_VERSION_FIELDS = {
    "applications": ("git_commit_id",),
    "containers": ("image_tag",),
    "jobs": ("image_tag", "git_commit_id"),
    "helms": ("chart_version", "git_commit_id", "values_override_git_commit_id"),
    "terraforms": ("git_commit_id",),
}

_STATUS_LISTS = {
    "APPLICATION": "applications",
    "CONTAINER": "containers",
    "JOB": "jobs",
    "DATABASE": "databases",
    "HELM": "helms",
    "TERRAFORM": "terraforms",
}

# The path prefix of each service type's own endpoints.
_TYPE_PATHS = {
    "APPLICATION": "application",
    "CONTAINER": "container",
    "DATABASE": "database",
    "JOB": "job",
    "HELM": "helm",
    "TERRAFORM": "terraform",
}


@dataclass
class Call:
    """One authenticated API request, as a handler sees it."""

    params: dict[str, str]
    query: dict[str, str]
    body: Any
    has_body: bool
    token: Token
    now: float


@dataclass
class Answer:
    status: int
    body: Any = None
    # Scripted answers may hold invented values; the contract check leaves them alone.
    exempt: bool = False


class ScriptBook:
    """Scripted environment statuses: each status read takes the next override.

    Overrides added with ``while_running`` wait until a deployment of the environment
    has left the queue, so a test scripts what a run shows however long it was queued.
    """

    def __init__(self) -> None:
        self._scripts: dict[str, list[tuple[dict[str, Any], bool]]] = {}
        self._lock = threading.Lock()

    def add(
        self, env_id: str, overrides: list[dict[str, Any]], *, while_running: bool = False
    ) -> None:
        with self._lock:
            queue = self._scripts.setdefault(env_id, [])
            queue.extend((dict(o), while_running) for o in overrides)

    def take(self, env_id: str, running: bool) -> dict[str, Any] | None:
        with self._lock:
            queue = self._scripts.get(env_id)
            if not queue or (queue[0][1] and not running):
                return None
            return queue.pop(0)[0]

    def clear(self) -> None:
        with self._lock:
            self._scripts.clear()


Handler = Callable[["Backend", Call], Answer]


@dataclass
class Route:
    method: str
    template: str
    handler: Handler
    pattern: re.Pattern[str] = field(init=False)

    def __post_init__(self) -> None:
        regex = re.sub(r"\{(\w+)\}", r"(?P<\1>[^/]+)", self.template)
        self.pattern = re.compile(regex + "$")


@dataclass
class Backend:
    """What handlers work on: the records, the deployments and the scripted statuses."""

    world: World
    engine: DeploymentEngine
    scripts: ScriptBook


def find_route(method: str, path: str) -> tuple[Route, dict[str, str]] | None:
    """The route for this request; raises a 405 when only the method is wrong."""
    path_matched = False
    for route in ROUTES:
        match = route.pattern.match(path)
        if match is None:
            continue
        path_matched = True
        if route.method == method:
            return route, match.groupdict()
    if path_matched:
        raise ApiError(405, f"{method} is not supported on {path}")
    return None


def check_path_ids(params: dict[str, str]) -> None:
    for name, value in params.items():
        if not is_uuid(value):
            raise ApiError(400, f"path parameter {name} must be a UUID, got {value!r}")


# -- body helpers -------------------------------------------------------------------


def _object_body(call: Call, *, required: bool) -> dict[str, Any]:
    if not call.has_body:
        if required:
            raise ApiError(400, "request body is required (a JSON object)")
        return {}
    if not isinstance(call.body, dict):
        raise ApiError(400, f"request body must be a JSON object, got {_json_type(call.body)}")
    return call.body


def _string_field(body: dict[str, Any], name: str, *, required: bool) -> str | None:
    value = body.get(name)
    if value is None:
        if required:
            raise ApiError(400, f"field {name!r} is required")
        return None
    if not isinstance(value, str):
        raise ApiError(400, f"field {name!r} must be a string, got {_json_type(value)}")
    return value


def _required_string(body: dict[str, Any], name: str) -> str:
    value = _string_field(body, name, required=True)
    assert value is not None  # _string_field raised otherwise
    return value


def _json_type(value: Any) -> str:
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if value is None:
        return "null"
    return "an object"


# -- organizations, projects, environments, services --------------------------------


def list_organizations(backend: Backend, call: Call) -> Answer:
    world = backend.world
    return Answer(
        200, {"results": [world.render_organization(o) for o in world.organizations.values()]}
    )


def list_projects(backend: Backend, call: Call) -> Answer:
    world = backend.world
    org = world.organization(call.params["organizationId"])
    projects = [p for p in world.projects.values() if p.organization_id == org.id]
    return Answer(200, {"results": [world.render_project(p) for p in projects]})


def list_environments(backend: Backend, call: Call) -> Answer:
    world = backend.world
    project = world.project(call.params["projectId"])
    envs = [e for e in world.environments.values() if e.project_id == project.id]
    return Answer(200, {"results": [world.render_environment(e) for e in envs]})


def create_environment(backend: Backend, call: Call) -> Answer:
    body = _object_body(call, required=True)
    name = _required_string(body, "name")
    mode = _string_field(body, "mode", required=False) or "DEVELOPMENT"
    if mode not in ("DEVELOPMENT", "PRODUCTION", "STAGING"):
        raise ApiError(400, f"mode must be DEVELOPMENT, PRODUCTION or STAGING, got {mode!r}")
    cluster = _string_field(body, "cluster", required=False)
    if cluster is not None and not is_uuid(cluster):
        raise ApiError(400, f"cluster must be a UUID, got {cluster!r}")
    env = backend.world.create_environment(call.params["projectId"], name, mode, cluster, call.now)
    return Answer(201, backend.world.render_environment(env))


def get_environment(backend: Backend, call: Call) -> Answer:
    world = backend.world
    return Answer(200, world.render_environment(world.environment(call.params["environmentId"])))


def list_services(backend: Backend, call: Call) -> Answer:
    world = backend.world
    env = world.environment(call.params["environmentId"])
    return Answer(200, {"results": [world.render_service(s) for s in world.env_services(env.id)]})


def _typed_service_routes(service_type: str) -> list[Route]:
    prefix = _TYPE_PATHS[service_type]
    id_name = f"{prefix}Id"

    def get_one(backend: Backend, call: Call) -> Answer:
        service = backend.world.service(call.params[id_name], service_type)
        return Answer(200, backend.world.render_service(service))

    def list_of_type(backend: Backend, call: Call) -> Answer:
        world = backend.world
        env = world.environment(call.params["environmentId"])
        services = [s for s in world.env_services(env.id) if s.type == service_type]
        return Answer(200, {"results": [world.render_service(s) for s in services]})

    def status_one(backend: Backend, call: Call) -> Answer:
        service = backend.world.service(call.params[id_name], service_type)
        return Answer(200, backend.engine.service_status(service, call.now))

    routes = [
        Route("GET", f"/{prefix}/{{{id_name}}}", get_one),
        Route("GET", f"/environment/{{environmentId}}/{prefix}", list_of_type),
    ]
    if service_type != "TERRAFORM":  # the spec has no /terraform/{id}/status
        routes.append(Route("GET", f"/{prefix}/{{{id_name}}}/status", status_one))
    return routes


# -- deployment stages -----------------------------------------------------------------


def list_stages(backend: Backend, call: Call) -> Answer:
    env = backend.world.environment(call.params["environmentId"])
    return Answer(200, backend.world.render_stage_list(env.id))


def create_stage(backend: Backend, call: Call) -> Answer:
    body = _object_body(call, required=True)
    name = _required_string(body, "name")
    description = _string_field(body, "description", required=False)
    world = backend.world
    stage = world.create_stage(call.params["environmentId"], name, description, call.now)
    return Answer(200, world.render_stage(stage))


def get_stage(backend: Backend, call: Call) -> Answer:
    world = backend.world
    return Answer(200, world.render_stage(world.stage(call.params["deploymentStageId"])))


def edit_stage(backend: Backend, call: Call) -> Answer:
    body = _object_body(call, required=True)
    name = _required_string(body, "name")
    description = _string_field(body, "description", required=False)
    world = backend.world
    stage = world.edit_stage(call.params["deploymentStageId"], name, description, call.now)
    return Answer(200, world.render_stage(stage))


def delete_stage(backend: Backend, call: Call) -> Answer:
    backend.world.delete_stage(call.params["deploymentStageId"], call.now)
    return Answer(204)


def _move(after: bool) -> Handler:
    def move(backend: Backend, call: Call) -> Answer:
        world = backend.world
        stage = world.stage(call.params["deploymentStageId"])
        world.move_stage(stage.id, call.params["stageId"], after=after, now=call.now)
        return Answer(200, world.render_stage_list(stage.environment_id))

    return move


def attach_service(backend: Backend, call: Call) -> Answer:
    body = _object_body(call, required=False)
    is_skipped = body.get("is_skipped", False)
    if is_skipped is None:
        is_skipped = False
    if not isinstance(is_skipped, bool):
        raise ApiError(400, f"field 'is_skipped' must be a boolean, got {_json_type(is_skipped)}")
    world = backend.world
    stage = world.stage(call.params["deploymentStageId"])
    world.attach(stage.id, call.params["serviceId"], is_skipped=is_skipped, now=call.now)
    return Answer(200, world.render_stage_list(stage.environment_id))


def service_stage(backend: Backend, call: Call) -> Answer:
    world = backend.world
    service = world.service(call.params["serviceId"])
    return Answer(200, world.render_stage(world.stage(service.stage_id)))


# -- deployments -------------------------------------------------------------------------


def deploy_environment(backend: Backend, call: Call) -> Answer:
    world, engine = backend.world, backend.engine
    env = world.environment(call.params["environmentId"])
    before = engine.environment_status(env, call.now)
    services = [s.id for s in world.env_services(env.id) if not s.is_skipped]
    request = engine.trigger(env, services, {}, call.token.name, call.now)
    # The answer is the service-shaped `Status` with the env's pre-trigger values.
    answer: dict[str, Any] = {
        "id": env.id,
        "state": before["state"],
        "service_deployment_status": before["deployment_status"] or "NEVER_DEPLOYED",
        "status_details": {
            "action": "DEPLOY",
            "status": _action_status(before["state"]),
            "sub_action": "NONE",
        },
        "is_part_last_deployment": False,
        "deployment_requests_count": len(engine.pending(env.id)),
        "deployment_request_id": request.id,
    }
    if before["last_deployment_date"] is not None:
        answer["last_deployment_date"] = before["last_deployment_date"]
    if before["last_deployment_id"] is not None:
        answer["execution_id"] = before["last_deployment_id"]
    return Answer(202, answer)


def _action_status(env_state: str) -> str:
    if env_state == "READY":
        return "NEVER"
    if env_state == "DEPLOYMENT_QUEUED":
        return "QUEUED"
    status = action_status_of(env_state)
    return "ONGOING" if status == "NEVER" else status


def deploy_services(backend: Backend, call: Call) -> Answer:
    world, engine = backend.world, backend.engine
    env = world.environment(call.params["environmentId"])
    body = _object_body(call, required=True)
    versions: dict[str, dict[str, str]] = {}
    for list_name, service_type in _DEPLOY_LISTS.items():
        items = body.get(list_name)
        if items is None:
            continue
        if not isinstance(items, list):
            raise ApiError(400, f"field {list_name!r} must be an array, got {_json_type(items)}")
        for item in items:
            service, version = _deploy_item(world, env.id, list_name, service_type, item)
            versions[service.id] = version
    unknown = sorted(set(body) - set(_DEPLOY_LISTS))
    if unknown:
        raise ApiError(400, f"unknown field(s) {', '.join(unknown)} in DeployAllRequest")
    if not versions:
        raise ApiError(400, "DeployAllRequest names no service to deploy")
    before = engine.environment_status(env, call.now)
    request = engine.trigger(env, list(versions), versions, call.token.name, call.now)
    before["deployment_request_id"] = request.id
    return Answer(202, before)


def _deploy_item(
    world: World, env_id: str, list_name: str, service_type: str, item: Any
) -> tuple[Service, dict[str, str]]:
    if list_name == "databases":
        service_id, fields = item, {}
    elif isinstance(item, dict):
        id_field = "application_id" if list_name == "applications" else "id"
        service_id, fields = item.get(id_field), item
    else:
        raise ApiError(400, f"items of {list_name!r} must be objects, got {_json_type(item)}")
    if not isinstance(service_id, str) or not is_uuid(service_id):
        raise ApiError(400, f"{list_name}: {service_id!r} is not a service UUID")
    service = world.services.get(service_id)
    if service is None or service.environment_id != env_id:
        raise ApiError(400, f"{list_name}: service {service_id} is not in environment {env_id}")
    if service.type != service_type:
        raise ApiError(
            400,
            f"{list_name}: service {service_id} ({service.name}) is a {service.type}, "
            f"not a {service_type}",
        )
    version: dict[str, str] = {}
    for name in _VERSION_FIELDS.get(list_name, ()):
        value = fields.get(name)
        if value is None or value == "":
            continue  # an empty version keeps the current one
        if not isinstance(value, str):
            raise ApiError(400, f"{list_name}: {name} must be a string, got {_json_type(value)}")
        version[name] = value
    return service, version


def cancel_deployment(backend: Backend, call: Call) -> Answer:
    world, engine = backend.world, backend.engine
    env = world.environment(call.params["environmentId"])
    body = _object_body(call, required=False)
    force = body.get("force_cancel", False)
    if not isinstance(force, bool):
        raise ApiError(400, f"field 'force_cancel' must be a boolean, got {_json_type(force)}")
    engine.cancel(env, call.now)
    return Answer(202, engine.environment_status(env, call.now))


def cancel_deployment_request(backend: Backend, call: Call) -> Answer:
    engine = backend.engine
    request = engine.find_request(call.params["deploymentRequestId"])
    engine.cancel_request(request, call.now)
    # The spec declares this 202 with `content: {}` (no body); openapi-core reads that as
    # a body it cannot find, so this empty answer is exempt from the response check.
    return Answer(202, None, exempt=True)


def environment_status(backend: Backend, call: Call) -> Answer:
    env = backend.world.environment(call.params["environmentId"])
    status = backend.engine.environment_status(env, call.now)
    override = backend.scripts.take(env.id, backend.engine.is_running(env.id, call.now))
    if override is not None:
        status.update(override)
        return Answer(200, status, exempt=True)
    return Answer(200, status)


def environment_statuses(backend: Backend, call: Call) -> Answer:
    world, engine = backend.world, backend.engine
    env = world.environment(call.params["environmentId"])
    env_status = engine.environment_status(env, call.now)
    override = backend.scripts.take(env.id, engine.is_running(env.id, call.now))
    if override is not None:
        env_status.update(override)
    body: dict[str, Any] = {"environment": env_status, "agentic_workflows": []}
    for list_name in _STATUS_LISTS.values():
        body[list_name] = []
    for service in world.env_services(env.id):
        body[_STATUS_LISTS[service.type]].append(engine.service_status(service, call.now))
    return Answer(200, body, exempt=override is not None)


def deployment_request_status(backend: Backend, call: Call) -> Answer:
    request_id = call.query.get("deploymentRequestId")
    if not request_id:
        raise ApiError(400, "query parameter deploymentRequestId is required")
    if not is_uuid(request_id):
        raise ApiError(400, f"deploymentRequestId must be a UUID, got {request_id!r}")
    engine = backend.engine
    request = engine.find_request(request_id)
    return Answer(
        200,
        {
            "deployment_request_id": request.id,
            "environment_id": request.environment_id,
            "status": engine.request_status(request, call.now),
        },
    )


def environment_logs(backend: Backend, call: Call) -> Answer:
    env = backend.world.environment(call.params["environmentId"])
    return Answer(200, backend.engine.logs(env, call.query.get("version"), call.now))


def deployment_queue(backend: Backend, call: Call) -> Answer:
    env = backend.world.environment(call.params["environmentId"])
    return Answer(200, {"results": backend.engine.queue_view(env, call.now)})


ROUTES: list[Route] = [
    Route("GET", "/organization", list_organizations),
    Route("GET", "/organization/{organizationId}/project", list_projects),
    Route("GET", "/project/{projectId}/environment", list_environments),
    Route("POST", "/project/{projectId}/environment", create_environment),
    # Before /environment/{environmentId}, which would take "deploymentStatus" as an id.
    Route("GET", "/environment/deploymentStatus", deployment_request_status),
    Route("GET", "/environment/{environmentId}", get_environment),
    Route("GET", "/environment/{environmentId}/services", list_services),
    Route("GET", "/environment/{environmentId}/deploymentStage", list_stages),
    Route("POST", "/environment/{environmentId}/deploymentStage", create_stage),
    Route("GET", "/deploymentStage/{deploymentStageId}", get_stage),
    Route("PUT", "/deploymentStage/{deploymentStageId}", edit_stage),
    Route("DELETE", "/deploymentStage/{deploymentStageId}", delete_stage),
    Route("PUT", "/deploymentStage/{deploymentStageId}/moveBefore/{stageId}", _move(False)),
    Route("PUT", "/deploymentStage/{deploymentStageId}/moveAfter/{stageId}", _move(True)),
    Route("PUT", "/deploymentStage/{deploymentStageId}/service/{serviceId}", attach_service),
    Route("GET", "/service/{serviceId}/deploymentStage", service_stage),
    Route("POST", "/environment/{environmentId}/deploy", deploy_environment),
    Route("POST", "/environment/{environmentId}/service/deploy", deploy_services),
    Route("POST", "/environment/{environmentId}/cancelDeployment", cancel_deployment),
    Route("GET", "/environment/{environmentId}/status", environment_status),
    Route("GET", "/environment/{environmentId}/statuses", environment_statuses),
    Route("GET", "/environment/{environmentId}/logs", environment_logs),
    Route("GET", "/environment/{environmentId}/deploymentQueue", deployment_queue),
    Route(
        "POST",
        "/deploymentQueue/{deploymentRequestId}/cancelDeployment",
        cancel_deployment_request,
    ),
    *(route for kind in _TYPE_PATHS for route in _typed_service_routes(kind)),
]
