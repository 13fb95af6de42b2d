"""One poll of a deployment, blocking or async, and the log lines it deserves.

Reads only (GET). The blocking operators, the sensor and the trigger share these so a
deployment is watched the same way in every mode.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import Any

from qovery_airflow import endpoints
from qovery_airflow.client import ApiCall, AsyncQoveryClient, QoveryClient
from qovery_airflow.errors import QoveryAPIError
from qovery_airflow.models import DeploymentRequestStatus, EnvironmentStatuses
from qovery_airflow.statuses import classify, is_queued
from qovery_airflow.watch import Observation, WatchSpec, observe


def _known_run(spec: WatchSpec, previous: Observation | None) -> str | None:
    """The execution id of this task's run, once an earlier poll recognised it."""
    if spec.has_baseline and previous is not None and previous.new_run_seen:
        return previous.execution_id
    return None


def _shows_another_run(statuses: EnvironmentStatuses, known: str | None) -> bool:
    return known is not None and statuses.environment.last_deployment_id != known


def _request_call(spec: WatchSpec) -> ApiCall[DeploymentRequestStatus] | None:
    if spec.deployment_request_id is None:
        return None
    return endpoints.get_deployment_request_status(spec.deployment_request_id)


def poll(client: QoveryClient, spec: WatchSpec, previous: Observation | None) -> Observation:
    """Read the environment's statuses and, while needed, this task's deployment request.

    Until the task's run is recognised, the request is read *before* the statuses: a
    request seen running then is surely the run the statuses show, never one that ended
    just before it started. Once recognised, the request is read only when the
    environment shows another run (then the request tells how this task's run ended).
    """
    known = _known_run(spec, previous)
    request_call = _request_call(spec)
    request_status = None
    if request_call is not None and known is None:
        request_status = _optional(lambda: client.send(request_call))
    statuses = client.send(endpoints.get_environment_statuses(spec.environment_id))
    if _shows_another_run(statuses, known) and request_call is not None:
        request_status = _optional(lambda: client.send(request_call))
    return observe(spec, statuses, request_status, previous)


async def apoll(
    client: AsyncQoveryClient, spec: WatchSpec, previous: Observation | None
) -> Observation:
    """Async twin of ``poll``, in the same order."""
    known = _known_run(spec, previous)
    request_call = _request_call(spec)
    request_status = None
    if request_call is not None and known is None:
        request_status = await _aoptional(client.send(request_call))
    statuses = await client.send(endpoints.get_environment_statuses(spec.environment_id))
    if _shows_another_run(statuses, known) and request_call is not None:
        request_status = await _aoptional(client.send(request_call))
    return observe(spec, statuses, request_status, previous)


def _optional(read: Callable[[], DeploymentRequestStatus]) -> DeploymentRequestStatus | None:
    """The request's status, or None where Qovery does not give it (the endpoint is young)."""
    try:
        return read()
    except QoveryAPIError as exc:
        logging.getLogger(__name__).debug("Deployment request status unavailable: %s", exc)
        return None


async def _aoptional(
    read: Awaitable[DeploymentRequestStatus],
) -> DeploymentRequestStatus | None:
    try:
        return await read
    except QoveryAPIError as exc:
        logging.getLogger(__name__).debug("Deployment request status unavailable: %s", exc)
        return None


def _cancel_for(
    spec: WatchSpec, request: DeploymentRequestStatus | None, running: bool
) -> ApiCall[None] | None:
    if request is not None:
        if classify(request.status).is_final:
            return None
        if is_queued(request.status) and spec.deployment_request_id is not None:
            # Still queued: cancel this request only, not whatever runs now.
            return endpoints.cancel_deployment_request(spec.deployment_request_id)
        return endpoints.cancel_environment_deployment(spec.environment_id)
    return endpoints.cancel_environment_deployment(spec.environment_id) if running else None


def cancel_call(client: QoveryClient, spec: WatchSpec) -> ApiCall[None] | None:
    """The call that cancels the deployment this task started, or None if it has ended.

    The deployment request's own status decides when Qovery gave one: the environment's
    status may show a later deployment that someone else started, and a request still
    waiting in the queue is cancelled on its own so the running deployment is left alone.
    """
    request = None
    if spec.deployment_request_id is not None:
        try:
            request = client.send(
                endpoints.get_deployment_request_status(spec.deployment_request_id)
            )
        except QoveryAPIError:
            request = None
    running = request is None and not poll(client, spec, None).outcome.is_final
    return _cancel_for(spec, request, running)


async def acancel_call(client: AsyncQoveryClient, spec: WatchSpec) -> ApiCall[None] | None:
    """Async twin of ``cancel_call``."""
    request = None
    if spec.deployment_request_id is not None:
        try:
            request = await client.send(
                endpoints.get_deployment_request_status(spec.deployment_request_id)
            )
        except QoveryAPIError:
            request = None
    running = request is None and not (await apoll(client, spec, None)).outcome.is_final
    return _cancel_for(spec, request, running)


class ProgressLog:
    """Logs one line per change of state (not per poll) and warns once per unknown state."""

    def __init__(self, log: logging.Logger | Any) -> None:
        self._log = log
        self._last: tuple[Any, ...] | None = None
        self._warned: set[str] = set()

    def record(self, observation: Observation) -> None:
        for state in sorted(observation.unknown_states - self._warned):
            self._warned.add(state)
            self._log.warning(
                "Qovery reported state %r, which this provider does not know; "
                "treating it as still in progress.",
                state,
            )
        if observation.summary == self._last:
            return
        self._last = observation.summary
        services = ", ".join(
            f"{s.name or s.id}={s.state}"
            for s in observation.services
            if s.in_deployment is not False
        )
        self._log.info(
            "Deployment %s: %s%s%s",
            observation.execution_id or "(not started yet)",
            observation.state,
            "" if observation.new_run_seen else " (previous run; waiting for the new one)",
            f"; services: {services}" if services else "",
        )
