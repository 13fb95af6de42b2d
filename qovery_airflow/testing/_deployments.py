"""Simulated deployments, computed lazily from timestamps: no background thread runs them.

Each trigger becomes a `DeploymentRequest` in its environment's queue. A request waits one
step in the queue, then runs its stages in order; the services of a stage run in parallel,
one state per step. Whenever the fake answers a request it first calls `advance(now)`,
which starts queued requests and settles finished ones into the service records; views of
a running request are computed from its plan and the current time.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from qovery_airflow.testing._state import (
    ApiError,
    Environment,
    Failure,
    Service,
    World,
    iso,
    new_id,
)

_BUILT_TYPES = ("APPLICATION", "JOB")

# What each settled or simulated service state means for `status_details.status`.
_ACTION_STATUS = {
    "QUEUED": "QUEUED",
    "BUILDING": "ONGOING",
    "DEPLOYING": "ONGOING",
    "EXECUTING": "ONGOING",
    "CANCELING": "CANCELING",
    "CANCELED": "CANCELED",
    "DEPLOYED": "SUCCESS",
}

_TRANSMITTER_TYPES = {
    "APPLICATION": "Application",
    "CONTAINER": "Container",
    "DATABASE": "Database",
    "JOB": "Job",
    "HELM": "Helm",
    "TERRAFORM": "Terraform",
}

_STEP_LOG = {
    "QUEUED": ("Queued", "Deployment of {name} queued"),
    "BUILDING": ("Build", "Building {name} from its Dockerfile"),
    "DEPLOYING": ("Deploy", "Deploying {name}"),
    "EXECUTING": ("Deploy", "Running job {name}"),
}


def action_status_of(state: str) -> str:
    if state.endswith("_ERROR"):
        return "ERROR"
    return _ACTION_STATUS.get(state, "NEVER")


@dataclass
class ServiceRun:
    """One service's part in a deployment: the states it shows, one per step."""

    service_id: str
    steps: list[str]
    step_seconds: float
    final_state: str
    failure_message: str | None
    version: dict[str, str]
    start: float | None = None
    canceled_at: float | None = None

    @property
    def end(self) -> float:
        assert self.start is not None
        return self.start + len(self.steps) * self.step_seconds


@dataclass
class StageRun:
    stage_id: str
    stage_name: str
    runs: list[ServiceRun]


@dataclass
class DeploymentRequest:
    id: str
    environment_id: str
    execution_id: str
    created_at: float
    triggered_by: str
    service_ids: list[str]
    versions: dict[str, dict[str, str]]
    started_at: float | None = None
    ended_at: float | None = None
    outcome: str | None = None
    canceled_at: float | None = None
    stages: list[StageRun] = field(default_factory=list)

    def runs(self) -> list[ServiceRun]:
        return [run for stage in self.stages for run in stage.runs]

    def run_of(self, service_id: str) -> ServiceRun | None:
        return next((r for r in self.runs() if r.service_id == service_id), None)


@dataclass
class _Snapshot:
    until: float
    environment: dict[str, Any]
    services: dict[str, dict[str, Any]]


class DeploymentEngine:
    """Queues, runs and reports deployments of the environments of a `World`."""

    def __init__(self, world: World, step_seconds: float, stale_seconds: float) -> None:
        self.world = world
        self.step_seconds = max(0.0, step_seconds)
        self.stale_seconds = max(0.0, stale_seconds)
        self.queues: dict[str, list[DeploymentRequest]] = {}
        self.history: list[DeploymentRequest] = []
        self._last_end: dict[str, float] = {}
        self._snapshots: dict[str, _Snapshot] = {}

    # -- triggers ------------------------------------------------------------------

    def trigger(
        self,
        env: Environment,
        service_ids: list[str],
        versions: dict[str, dict[str, str]],
        triggered_by: str,
        now: float,
    ) -> DeploymentRequest:
        """Queue a deployment; the caller renders the pre-trigger status as its answer."""
        if self.stale_seconds > 0:
            self._snapshots[env.id] = _Snapshot(
                now + self.stale_seconds,
                self.environment_status(env, now, fresh=True),
                {
                    s.id: self.service_status(s, now, fresh=True)
                    for s in self.world.env_services(env.id)
                },
            )
        for service_id, version in versions.items():
            service = self.world.services[service_id]
            service.version.update(version)
            service.updated_at = now
        env.deployment_count += 1
        request = DeploymentRequest(
            id=new_id(),
            environment_id=env.id,
            execution_id=f"{env.id}-{env.deployment_count}",
            created_at=now,
            triggered_by=triggered_by,
            service_ids=list(service_ids),
            versions=copy.deepcopy(versions),
        )
        self.queues.setdefault(env.id, []).append(request)
        self.advance(now)
        return request

    def cancel(self, env: Environment, now: float) -> None:
        """Cancel the env's current deployment; requests queued behind it still run.

        Every service of it that has not finished shows CANCELING for one step, then
        CANCELED, whether it had started or was still waiting for its stage. A request
        still in its queue step is started on the spot, so that the env shows it canceled.
        """
        queue = self.queues.get(env.id, [])
        head = queue[0] if queue else None
        if head is None:
            raise ApiError(
                409,
                f"environment {env.name} ({env.id}) has no deployment to cancel: nothing is "
                "running or queued",
            )
        if head.canceled_at is not None:
            raise ApiError(409, f"the deployment {head.execution_id} is already being canceled")
        if head.started_at is None:
            self._plan(head, now)
        head.canceled_at = now
        canceling = False
        for run in head.runs():
            if run.start is not None and run.start <= now and run.end <= now:
                continue  # finished before the cancel: its result stands
            run.start = now if run.start is None else min(run.start, now)
            run.canceled_at = now
            canceling = True
        head.ended_at = now + (self.step_seconds if canceling else 0.0)
        head.outcome = "CANCELED"
        self.advance(now)

    def is_running(self, env_id: str, now: float) -> bool:
        """Whether a deployment of the environment has started and not ended."""
        self.advance(now)
        queue = self.queues.get(env_id, [])
        head = queue[0] if queue else None
        return (
            head is not None
            and head.started_at is not None
            and head.started_at <= now
            and (head.ended_at is None or head.ended_at > now)
        )

    def cancel_request(self, request: DeploymentRequest, now: float) -> None:
        """Cancel one request: the running one as `cancel` does, a queued one by dropping
        it from the queue (it never starts; its status becomes CANCELED)."""
        self.advance(now)
        queue = self.queues.get(request.environment_id, [])
        if request not in queue:
            raise ApiError(409, f"deployment request {request.id} has already ended")
        if queue[0] is request:
            self.cancel(self.world.environment(request.environment_id), now)
            return
        queue.remove(request)
        request.outcome = "CANCELED"
        request.canceled_at = request.ended_at = now
        self.history.append(request)

    # -- time ----------------------------------------------------------------------

    def advance(self, now: float) -> None:
        """Start and settle every request of every environment up to `now`."""
        for env_id, queue in self.queues.items():
            while queue:
                head = queue[0]
                if head.started_at is None:
                    start = max(head.created_at + self.step_seconds, self._last_end.get(env_id, 0))
                    if start > now:
                        break
                    self._plan(head, start)
                assert head.ended_at is not None
                if head.ended_at > now:
                    break
                self._settle(head)
                queue.pop(0)
                self.history.append(head)
                self._last_end[env_id] = head.ended_at

    def _plan(self, request: DeploymentRequest, start: float) -> None:
        """Lay out the whole run: which service does what, when, and how it ends."""
        request.started_at = start
        wanted = set(request.service_ids)
        cursor = start
        failed = False
        for stage in self.world.env_stages(request.environment_id):
            members = [s for s in self.world.stage_services(stage.id) if s.id in wanted]
            if not members:
                continue
            runs = [self._service_run(s, request) for s in members]
            request.stages.append(StageRun(stage.id, stage.name, runs))
            if failed:
                continue
            for run in runs:
                run.start = cursor
            cursor = max(run.end for run in runs)
            failed = any(run.final_state != "DEPLOYED" for run in runs)
        request.ended_at = cursor
        request.outcome = "DEPLOYMENT_ERROR" if failed else "DEPLOYED"

    def _service_run(self, service: Service, request: DeploymentRequest) -> ServiceRun:
        steps = ["QUEUED"]
        if service.type in _BUILT_TYPES:
            steps.append("BUILDING")
        steps.append("EXECUTING" if service.type == "JOB" else "DEPLOYING")
        step_seconds = self.step_seconds
        if service.deploy_seconds is not None:
            step_seconds = max(0.0, service.deploy_seconds) / len(steps)
        final_state, message = "DEPLOYED", None
        failure = self._take_failure(service.id)
        if failure is not None:
            final_state, message = failure.state, failure.message
            if failure.state == "BUILD_ERROR" and "BUILDING" in steps:
                steps = steps[: steps.index("BUILDING") + 1]
        version = {**service.version, **request.versions.get(service.id, {})}
        return ServiceRun(service.id, steps, step_seconds, final_state, message, version)

    def _take_failure(self, service_id: str) -> Failure | None:
        failure = self.world.failures.get(service_id)
        if failure is None:
            return None
        if failure.remaining is not None:
            failure.remaining -= 1
            if failure.remaining <= 0:
                del self.world.failures[service_id]
        return failure

    def _settle(self, request: DeploymentRequest) -> None:
        """Write a finished request's results into the env and service records."""
        assert request.started_at is not None
        assert request.ended_at is not None
        for run in request.runs():
            if run.start is None:
                continue  # its stage never ran: the service stays as it was
            service = self.world.services.get(run.service_id)
            if service is None:
                continue
            state = self._run_state(run, request.ended_at)
            service.state = state
            service.action_status = action_status_of(state)
            service.execution_id = request.execution_id
            service.last_deployment_date = request.started_at
            service.last_duration = round(min(run.end, request.ended_at) - run.start)
            if state == "DEPLOYED":
                service.deployed_version = dict(run.version)
        env = self.world.environments.get(request.environment_id)
        if env is not None:
            env.last_deployment_id = request.execution_id
            env.last_deployment_date = request.started_at
            env.last_deployment_state = request.outcome or "DEPLOYED"
            env.last_deployment_duration = round(request.ended_at - request.started_at)
            env.last_triggered_by = request.triggered_by

    def _run_state(self, run: ServiceRun, now: float) -> str:
        """The state a service shows at `now` while its deployment runs."""
        if run.start is None or now < run.start:
            return "QUEUED"
        if run.canceled_at is not None and now >= run.canceled_at:
            return "CANCELING" if now < run.canceled_at + self.step_seconds else "CANCELED"
        if now >= run.end:
            return run.final_state
        return run.steps[min(int((now - run.start) // run.step_seconds), len(run.steps) - 1)]

    # -- lookups -------------------------------------------------------------------

    def running(self, env_id: str) -> DeploymentRequest | None:
        queue = self.queues.get(env_id, [])
        if queue and queue[0].started_at is not None:
            return queue[0]
        return None

    def pending(self, env_id: str) -> list[DeploymentRequest]:
        return list(self.queues.get(env_id, []))

    def find_request(self, request_id: str) -> DeploymentRequest:
        for request in [*self.history, *(r for q in self.queues.values() for r in q)]:
            if request.id == request_id:
                return request
        raise ApiError(404, f"deployment request {request_id} not found")

    def find_execution(self, env_id: str, execution_id: str | None) -> DeploymentRequest | None:
        """The request with that execution id; None picks the latest one that started."""
        candidates = [r for r in self.history if r.environment_id == env_id]
        candidates += [r for r in self.queues.get(env_id, []) if r.started_at is not None]
        if execution_id is None:
            started = [r for r in candidates if r.started_at is not None]
            return started[-1] if started else None
        return next((r for r in candidates if r.execution_id == execution_id), None)

    # -- views ---------------------------------------------------------------------

    def environment_status(
        self, env: Environment, now: float, *, fresh: bool = False
    ) -> dict[str, Any]:
        """`EnvironmentStatus`; during the stale window after a trigger, the pre-trigger one."""
        snapshot = self._snapshots.get(env.id)
        if not fresh and snapshot is not None and now < snapshot.until:
            return copy.deepcopy(snapshot.environment)
        status: dict[str, Any] = {
            "id": env.id,
            "state": env.last_deployment_state,
            "last_deployment_state": env.last_deployment_state,
            "last_deployment_date": _iso_or_none(env.last_deployment_date),
            "last_deployment_id": env.last_deployment_id,
            "total_deployment_duration_in_seconds": env.last_deployment_duration,
            "origin": "API" if env.last_triggered_by else None,
            "triggered_by": env.last_triggered_by,
            "deployment_status": _env_deployment_status(env.last_deployment_state),
            "deployment_request_id": None,
            "metrics": None,
        }
        queue = self.queues.get(env.id, [])
        queued = [r for r in queue if r.started_at is None]
        if queued:
            status["deployment_request_id"] = queued[0].id
        running = self.running(env.id)
        if running is not None:
            state = self._request_state(running, now)
            status.update(
                {
                    "state": state,
                    "last_deployment_state": state,
                    "last_deployment_date": _iso_or_none(running.started_at),
                    "last_deployment_id": running.execution_id,
                    "total_deployment_duration_in_seconds": None,
                    "origin": "API",
                    "triggered_by": running.triggered_by,
                    "deployment_status": "OUT_OF_DATE",
                }
            )
        elif queued:
            status["state"] = status["last_deployment_state"] = "DEPLOYMENT_QUEUED"
        return status

    def _request_state(self, request: DeploymentRequest, now: float) -> str:
        """Env-level state of a running request: BUILDING while any build runs."""
        if request.canceled_at is not None:
            return "CANCELING"
        states = {self._run_state(run, now) for run in request.runs()}
        if "BUILDING" in states:
            return "BUILDING"
        return "DEPLOYING"

    def request_status(self, request: DeploymentRequest, now: float) -> str:
        """`EnvDeploymentStatus.status` of one request."""
        if request.started_at is None or request.started_at > now:
            return request.outcome or "DEPLOYMENT_QUEUED"
        if request.ended_at is not None and request.ended_at <= now:
            return request.outcome or "DEPLOYED"
        return self._request_state(request, now)

    def service_status(
        self, service: Service, now: float, *, fresh: bool = False
    ) -> dict[str, Any]:
        """`Status` of one service; stale like the env's right after a trigger."""
        snapshot = self._snapshots.get(service.environment_id)
        stale = not fresh and snapshot is not None and now < snapshot.until
        if stale and snapshot is not None and service.id in snapshot.services:
            return copy.deepcopy(snapshot.services[service.id])
        env = self.world.environment(service.environment_id)
        state, action_status = service.state, service.action_status
        execution_id, deployed_at = service.execution_id, service.last_deployment_date
        total: int | None = service.last_duration
        running = self.running(env.id)
        run = running.run_of(service.id) if running is not None else None
        if running is not None and run is not None:
            state = self._run_state(run, now)
            action_status = action_status_of(state)
            execution_id, deployed_at, total = running.execution_id, running.started_at, None
        including = [r for r in self.queues.get(env.id, []) if service.id in r.service_ids]
        waiting = [r for r in including if r.started_at is None]
        current_env_run = running.execution_id if running is not None else env.last_deployment_id
        status: dict[str, Any] = {
            "id": service.id,
            "state": state,
            "service_deployment_status": _service_deployment_status(service, state),
            "status_details": {
                "action": "DEPLOY",
                "status": action_status,
                "sub_action": "NONE",
            },
            "is_part_last_deployment": execution_id is not None and execution_id == current_env_run,
            "deployment_requests_count": len(including),
            "deployment_request_id": waiting[0].id if waiting else None,
            "steps": {
                "total_duration_sec": total,
                "total_computing_duration_sec": total or 0,
                "details": [],
            },
        }
        if execution_id is not None:
            status["execution_id"] = execution_id
        if deployed_at is not None:
            status["last_deployment_date"] = iso(deployed_at)
        return status

    def queue_view(self, env: Environment, now: float) -> list[dict[str, Any]]:
        """`QueuedDeploymentRequestWithStages` for each request not finished yet."""
        return [self._queued_request(request, now) for request in self.pending(env.id)]

    def _queued_request(self, request: DeploymentRequest, now: float) -> dict[str, Any]:
        if request.started_at is not None:
            stages = [
                {
                    "name": stage.stage_name,
                    "status": self._stage_status(stage, now),
                    "services": [self._queued_service(r.service_id, r, now) for r in stage.runs],
                }
                for stage in request.stages
            ]
        else:
            wanted = set(request.service_ids)
            stages = []
            for stage in self.world.env_stages(request.environment_id):
                members = [s for s in self.world.stage_services(stage.id) if s.id in wanted]
                if members:
                    services = [self._queued_service(s.id, None, now) for s in members]
                    stages.append({"name": stage.name, "status": "QUEUED", "services": services})
        return {
            "identifier": {
                "deployment_request_id": request.id,
                "environment_id": request.environment_id,
            },
            "auditing_data": {"triggered_by": request.triggered_by, "origin": "API"},
            "trigger_action": "DEPLOY",
            "stages": stages,
        }

    def _queued_service(
        self, service_id: str, run: ServiceRun | None, now: float
    ) -> dict[str, Any]:
        service = self.world.services[service_id]
        body: dict[str, Any] = {
            "identifier": {
                "service_id": service.id,
                "service_type": service.type,
                "name": service.name,
            },
            "status": self._stage_status_of_run(run, now),
        }
        if service.type == "JOB":
            body["details"] = {"job_type": service.job_type}
        return body

    def _stage_status(self, stage: StageRun, now: float) -> str:
        statuses = [self._stage_status_of_run(run, now) for run in stage.runs]
        for status in ("ERROR", "ONGOING", "CANCELED", "QUEUED"):
            if status in statuses:
                return status
        return "DONE"

    def _stage_status_of_run(self, run: ServiceRun | None, now: float) -> str:
        if run is None or run.start is None or now < run.start:
            return "QUEUED"
        state = self._run_state(run, now)
        if state == "DEPLOYED":
            return "DONE"
        if state.endswith("_ERROR"):
            return "ERROR"
        if state == "CANCELED":
            return "CANCELED"
        return "ONGOING"

    def logs(self, env: Environment, execution_id: str | None, now: float) -> list[dict[str, Any]]:
        """`EnvironmentLogs` lines of one execution, as far as it got by `now`."""
        request = self.find_execution(env.id, execution_id)
        if request is None:
            return []
        lines: list[tuple[float, dict[str, Any]]] = []
        for stage in request.stages:
            for run in stage.runs:
                lines.extend(self._run_logs(env, request, stage, run, now))
        lines.sort(key=lambda item: item[0])
        return [line for _, line in lines]

    def _run_logs(
        self,
        env: Environment,
        request: DeploymentRequest,
        stage: StageRun,
        run: ServiceRun,
        now: float,
    ) -> list[tuple[float, dict[str, Any]]]:
        """Log lines of one service: one per step started, then how it ended."""
        if run.start is None:
            return []
        service = self.world.services.get(run.service_id)
        name = service.name if service else run.service_id
        kind = service.type if service else "APPLICATION"
        log = _LogWriter(
            {
                "organization_id": env.organization_id,
                "cluster_id": env.cluster_id,
                "execution_id": request.execution_id,
                "transmitter": {
                    "id": run.service_id,
                    "name": name,
                    "type": _TRANSMITTER_TYPES.get(kind, "Service"),
                },
            },
            stage,
        )
        stop = run.canceled_at if run.canceled_at is not None else run.end
        for index, step_state in enumerate(run.steps):
            at = run.start + index * run.step_seconds
            if at > now or at > stop:
                break
            step, text = _STEP_LOG[step_state]
            log.add(at, step, text.format(name=name))
        if run.canceled_at is not None and run.canceled_at <= now:
            log.add(run.canceled_at, "Cancel", f"Deployment of {name} canceled")
        elif run.end <= now and run.final_state == "DEPLOYED":
            log.add(run.end, "Deployed", f"Deployment of {name} succeeded")
        elif run.end <= now:
            message = run.failure_message or f"{name} ended in {run.final_state}"
            step = "Build" if run.final_state == "BUILD_ERROR" else "Deploy"
            error = {
                "tag": run.final_state,
                "user_log_message": message,
                "hint_message": f"Check the {step.lower()} output of {name} above.",
                "link": "https://hub.qovery.com/docs/using-qovery/troubleshoot/",
                "underlying_error": {"message": message, "full_details": message},
            }
            log.add(run.end, step, f"{name}: {message}", error)
        return log.lines


@dataclass
class _LogWriter:
    """Builds `EnvironmentLogs` lines that share a transmitter and a stage."""

    details: dict[str, Any]
    stage: StageRun
    lines: list[tuple[float, dict[str, Any]]] = field(default_factory=list)

    def add(self, at: float, step: str, text: str, error: dict[str, Any] | None = None) -> None:
        stage = {"step": step, "id": self.stage.stage_id, "name": self.stage.stage_name}
        line = {
            "type": "error" if error else "info",
            "timestamp": iso(at),
            "details": {**self.details, "stage": stage},
            "message": {"safe_message": text, "full_details": text},
            "error": error,
        }
        self.lines.append((at, line))


def _iso_or_none(timestamp: float | None) -> str | None:
    return iso(timestamp) if timestamp is not None else None


def _env_deployment_status(last_state: str) -> str:
    if last_state == "READY":
        return "NEVER_DEPLOYED"
    return "UP_TO_DATE" if last_state == "DEPLOYED" else "OUT_OF_DATE"


def _service_deployment_status(service: Service, state: str) -> str:
    if service.execution_id is None and state == "READY":
        return "NEVER_DEPLOYED"
    if state == "DEPLOYED" and service.version == service.deployed_version:
        return "UP_TO_DATE"
    return "OUT_OF_DATE"
