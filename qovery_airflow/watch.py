"""Deciding, from one status snapshot, where a deployment stands. No I/O here.

The operators, the sensor and the trigger all poll through ``observe``: it tells the
deployment this task started from the previous one (Qovery's status can still show the
last run right after a trigger), classifies states through ``qovery_airflow.statuses`` and
builds the result that lands in XCom, the same whether the task deferred or not.
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

from qovery_airflow.models import DeploymentRequestStatus, EnvironmentStatuses, ServiceStatus
from qovery_airflow.statuses import Action, Outcome, classify, is_known, is_queued


@dataclass(frozen=True)
class WatchSpec:
    """What to wait for; plain JSON values so it crosses into the trigger unchanged.

    ``baseline_*`` describe the environment's last deployment *before* this task triggered
    one; a final state only counts once the status shows a newer run (or the deployment
    request this task created has ended). Without a baseline (the sensor), the current
    deployment's outcome counts.
    """

    environment_id: str
    service_ids: list[str] | None = None
    action: str = Action.DEPLOY.value
    has_baseline: bool = False
    baseline_execution_id: str | None = None
    baseline_date: str | None = None
    deployment_request_id: str | None = None
    started_at: float = field(default_factory=time.time)
    deadline: float | None = None
    service_names: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, values: dict[str, Any]) -> WatchSpec:
        """Rebuild a spec; keys another version of the provider wrote are ignored."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})

    def seconds_left(self, now: float | None = None) -> float | None:
        if self.deadline is None:
            return None
        return self.deadline - (time.time() if now is None else now)


@dataclass(frozen=True)
class ServiceObservation:
    id: str
    name: str | None
    type: str | None
    state: str | None
    outcome: Outcome
    #: Whether the service takes part in the watched run (None when Qovery does not say).
    in_deployment: bool | None = None


@dataclass(frozen=True)
class Observation:
    """Where the watched deployment stands after one poll."""

    outcome: Outcome
    state: str | None
    execution_id: str | None
    new_run_seen: bool
    services: list[ServiceObservation]
    unknown_states: frozenset[str]
    #: Watched service ids the environment's status does not list at all.
    missing_services: tuple[str, ...] = ()

    @property
    def summary(self) -> tuple[Any, ...]:
        """What changes are logged on: the state and each service's state."""
        return (self.state, self.execution_id, tuple((s.id, s.state) for s in self.services))


def observe(
    spec: WatchSpec,
    statuses: EnvironmentStatuses,
    request_status: DeploymentRequestStatus | None = None,
    previous: Observation | None = None,
) -> Observation:
    """Classify one status snapshot for ``spec``.

    The environment's status only counts once it shows this task's run. That run is
    recognised when the deployment request has left Qovery's queue and the environment
    shows a newer run than the baseline; its execution id is then kept (``previous``
    carries it) so a later deployment by someone else is never taken for it. When the
    environment shows another run, the request's own status says how this one ended.
    """
    action = Action(spec.action)
    env = statuses.environment
    ours = _our_execution(
        spec, env.last_deployment_id, env.last_deployment_date, request_status, previous
    )
    current_is_ours = not spec.has_baseline or (ours is not None and env.last_deployment_id == ours)
    types = _service_types(statuses)
    watched = [
        s for s in statuses.services() if spec.service_ids is None or s.id in spec.service_ids
    ]
    run_id = env.last_deployment_id if current_is_ours else None
    services = [_service(spec, s, types.get(s.id), run_id, action) for s in watched]
    state = env.last_deployment_state or env.state
    unknown = frozenset(
        x for x in [state, env.state, *(s.state for s in watched)] if x and not is_known(x)
    )

    if current_is_ours and spec.service_ids is not None:
        outcome = _combine([s.outcome for s in services], len(spec.service_ids))
    elif current_is_ours:
        outcome = classify(state, action)
    elif request_status is not None and classify(request_status.status).is_final:
        state = request_status.status
        outcome = classify(state, action)
    else:
        outcome = Outcome.IN_PROGRESS
    if outcome is Outcome.NOT_STARTED:
        outcome = Outcome.IN_PROGRESS
    listed = {s.id for s in watched}
    return Observation(
        outcome=outcome,
        state=state,
        execution_id=ours if spec.has_baseline else env.last_deployment_id,
        new_run_seen=ours is not None or outcome.is_final,
        services=services,
        unknown_states=unknown,
        missing_services=tuple(i for i in spec.service_ids or [] if i not in listed),
    )


def _our_execution(
    spec: WatchSpec,
    execution_id: str | None,
    date: datetime | None,
    request_status: DeploymentRequestStatus | None,
    previous: Observation | None,
) -> str | None:
    """The execution id of the run this task started, once it is known."""
    if previous is not None and previous.execution_id and spec.has_baseline:
        return previous.execution_id
    if request_status is not None and is_queued(request_status.status):
        return None  # the environment shows somebody else's run, or the previous one
    if spec.has_baseline and execution_id and _is_new_run(spec, execution_id, date):
        return execution_id
    return None


def _service(
    spec: WatchSpec,
    status: ServiceStatus,
    kind: str | None,
    execution_id: str | None,
    action: Action,
) -> ServiceObservation:
    """A service's part in the run: its state only counts once it belongs to the run.

    Without a baseline (the sensor waits for whatever ran last) the service's own state
    counts, whether or not it took part in the environment's last deployment.
    """
    in_deployment = None
    if execution_id and status.execution_id:
        in_deployment = status.execution_id == execution_id
    outcome = classify(status.state, action)
    if in_deployment is False and spec.has_baseline:
        outcome = Outcome.IN_PROGRESS
    return ServiceObservation(
        id=status.id,
        name=spec.service_names.get(status.id),
        type=kind,
        state=status.state,
        outcome=outcome,
        in_deployment=in_deployment,
    )


def _is_new_run(spec: WatchSpec, execution_id: str | None, date: datetime | None) -> bool:
    if not spec.has_baseline:
        return True
    if execution_id and execution_id != spec.baseline_execution_id:
        return True
    if date is not None and spec.baseline_date is not None:
        return date > datetime.fromisoformat(spec.baseline_date.replace("Z", "+00:00"))
    return date is not None and spec.baseline_date is None


def _combine(outcomes: list[Outcome], expected: int) -> Outcome:
    """The outcome of several services: any failure or cancel decides, else all must pass."""
    if Outcome.FAILURE in outcomes:
        return Outcome.FAILURE
    if Outcome.CANCELLED in outcomes:
        return Outcome.CANCELLED
    if len(outcomes) >= expected and all(o is Outcome.SUCCESS for o in outcomes):
        return Outcome.SUCCESS
    return Outcome.IN_PROGRESS


def _service_types(statuses: EnvironmentStatuses) -> dict[str, str]:
    groups: dict[str, list[ServiceStatus]] = {
        "APPLICATION": statuses.applications,
        "CONTAINER": statuses.containers,
        "JOB": statuses.jobs,
        "DATABASE": statuses.databases,
        "HELM": statuses.helms,
        "TERRAFORM": statuses.terraforms,
        "AGENTIC_WORKFLOW": statuses.agentic_workflows or [],
    }
    return {s.id: kind for kind, items in groups.items() for s in items}


def iso(epoch: float) -> str:
    return datetime.fromtimestamp(epoch, tz=timezone.utc).isoformat().replace("+00:00", "Z")


def build_result(
    spec: WatchSpec,
    observation: Observation | None,
    *,
    finished_at: float | None = None,
    timed_out: bool = False,
) -> dict[str, Any]:
    """The XCom value of a deployment, identical for the blocking and deferrable paths."""
    finished_at = time.time() if finished_at is None else finished_at
    services = observation.services if observation else []
    return {
        "environment_id": spec.environment_id,
        "deployment_request_id": spec.deployment_request_id,
        "execution_id": observation.execution_id
        if observation and observation.new_run_seen
        else None,
        "state": observation.state if observation else None,
        "outcome": "timeout" if timed_out else (observation.outcome.value if observation else None),
        "started_at": iso(spec.started_at),
        "finished_at": iso(finished_at),
        "duration_seconds": round(finished_at - spec.started_at, 3),
        "services": [
            {
                "id": s.id,
                "name": s.name,
                "type": s.type,
                "state": s.state,
                "in_deployment": s.in_deployment,
            }
            for s in services
        ],
    }
