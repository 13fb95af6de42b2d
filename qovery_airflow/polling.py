"""One poll of a deployment, blocking or async, and the log lines it deserves.

Reads only (GET). The blocking operators, the sensor and the trigger share these so a
deployment is watched the same way in every mode.
"""

from __future__ import annotations

import logging
from typing import Any

from qovery_airflow import endpoints
from qovery_airflow.client import ApiCall, AsyncQoveryClient, QoveryClient
from qovery_airflow.errors import QoveryAPIError
from qovery_airflow.models import DeploymentRequestStatus, EnvironmentStatuses
from qovery_airflow.statuses import classify, is_queued
from qovery_airflow.watch import Observation, WatchSpec, observe


def _request_status_call(
    spec: WatchSpec, statuses: EnvironmentStatuses, previous: Observation | None
) -> ApiCall[DeploymentRequestStatus] | None:
    """Ask about this task's deployment request while its run is not recognised yet, and
    whenever the environment shows another run than this task's (then the request's own
    status tells how this task's run ended)."""
    if spec.deployment_request_id is None:
        return None
    known = previous.execution_id if previous is not None and previous.new_run_seen else None
    if known is not None and statuses.environment.last_deployment_id == known:
        return None
    return endpoints.get_deployment_request_status(spec.deployment_request_id)


def poll(client: QoveryClient, spec: WatchSpec, previous: Observation | None) -> Observation:
    statuses = client.send(endpoints.get_environment_statuses(spec.environment_id))
    request_call = _request_status_call(spec, statuses, previous)
    request_status = None
    if request_call is not None:
        try:
            request_status = client.send(request_call)
        except QoveryAPIError as exc:
            logging.getLogger(__name__).debug("Deployment request status unavailable: %s", exc)
    return observe(spec, statuses, request_status, previous)


async def apoll(
    client: AsyncQoveryClient, spec: WatchSpec, previous: Observation | None
) -> Observation:
    statuses = await client.send(endpoints.get_environment_statuses(spec.environment_id))
    request_call = _request_status_call(spec, statuses, previous)
    request_status = None
    if request_call is not None:
        try:
            request_status = await client.send(request_call)
        except QoveryAPIError as exc:
            logging.getLogger(__name__).debug("Deployment request status unavailable: %s", exc)
    return observe(spec, statuses, request_status, previous)


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
