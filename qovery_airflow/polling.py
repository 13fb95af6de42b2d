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
from qovery_airflow.models import DeploymentRequestStatus
from qovery_airflow.statuses import classify
from qovery_airflow.watch import Observation, WatchSpec, observe


def _request_status_call(
    spec: WatchSpec, previous: Observation | None
) -> ApiCall[DeploymentRequestStatus] | None:
    """Ask about this task's deployment request only until its run shows in the status:
    that covers a request Qovery merged into another, or one that ended before a poll."""
    if spec.deployment_request_id is None or (previous and previous.new_run_seen):
        return None
    return endpoints.get_deployment_request_status(spec.deployment_request_id)


def poll(client: QoveryClient, spec: WatchSpec, previous: Observation | None) -> Observation:
    statuses = client.send(endpoints.get_environment_statuses(spec.environment_id))
    request_call = _request_status_call(spec, previous)
    request_status = None
    if request_call is not None:
        try:
            request_status = client.send(request_call)
        except QoveryAPIError as exc:
            logging.getLogger(__name__).debug("Deployment request status unavailable: %s", exc)
    return observe(spec, statuses, request_status)


async def apoll(
    client: AsyncQoveryClient, spec: WatchSpec, previous: Observation | None
) -> Observation:
    statuses = await client.send(endpoints.get_environment_statuses(spec.environment_id))
    request_call = _request_status_call(spec, previous)
    request_status = None
    if request_call is not None:
        try:
            request_status = await client.send(request_call)
        except QoveryAPIError as exc:
            logging.getLogger(__name__).debug("Deployment request status unavailable: %s", exc)
    return observe(spec, statuses, request_status)


def _request_ended(status: DeploymentRequestStatus) -> bool:
    return classify(status.status).is_final


def still_running(client: QoveryClient, spec: WatchSpec) -> bool:
    """Whether the deployment this task started is still going (worth a cancel).

    The deployment request's own status decides when Qovery gave one: the environment's
    status may already show a later deployment that someone else started.
    """
    if spec.deployment_request_id is not None:
        try:
            request = client.send(
                endpoints.get_deployment_request_status(spec.deployment_request_id)
            )
            return not _request_ended(request)
        except QoveryAPIError:
            pass
    return not poll(client, spec, None).outcome.is_final


async def astill_running(client: AsyncQoveryClient, spec: WatchSpec) -> bool:
    """Async twin of ``still_running``."""
    if spec.deployment_request_id is not None:
        try:
            request = await client.send(
                endpoints.get_deployment_request_status(spec.deployment_request_id)
            )
            return not _request_ended(request)
        except QoveryAPIError:
            pass
    return not (await apoll(client, spec, None)).outcome.is_final


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
