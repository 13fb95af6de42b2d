"""Pydantic models of the Qovery API objects this provider reads. No I/O here.

The spec marks almost nothing as required and Qovery adds fields and enum values over
time, so every model accepts missing optional fields and ignores keys it does not know.
Enumerated values (service types, states) are kept as the strings Qovery sent.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, Field


class QoveryModel(BaseModel):
    """Common configuration: tolerant of new fields, frozen, dumps in API field names."""

    model_config = ConfigDict(extra="ignore", frozen=True, populate_by_name=True)

    def to_json_dict(self) -> dict[str, Any]:
        """Return a JSON-safe dict in API field names (timestamps as ISO-8601 strings)."""
        return self.model_dump(mode="json", by_alias=True)


class Reference(QoveryModel):
    """A ``{"id": ...}`` reference to another object."""

    id: str


class DeploymentStageService(QoveryModel):
    """One service's membership of a stage.

    ``id`` identifies the stage-service link itself; the service is ``service_id``.
    """

    id: str
    service_id: str | None = None
    service_type: str | None = None
    is_skipped: bool = False
    created_at: datetime | None = None
    updated_at: datetime | None = None


class DeploymentStage(QoveryModel):
    """A deployment stage of an environment and the services it holds."""

    id: str
    name: str | None = None
    description: str | None = None
    deployment_order: int | None = None
    environment: Reference | None = None
    created_at: datetime | None = None
    updated_at: datetime | None = None
    services: list[DeploymentStageService] = Field(default_factory=list)

    def find_service(self, service_id: str) -> DeploymentStageService | None:
        """Return this stage's entry for ``service_id``, if the service is in it."""
        return next((s for s in self.services if s.service_id == service_id), None)


def ordered_stages(stages: list[DeploymentStage]) -> list[DeploymentStage]:
    """Return ``stages`` in deployment order; stages without an order go last, stably."""
    last = max((s.deployment_order or 0 for s in stages), default=0) + 1
    return sorted(
        stages, key=lambda s: s.deployment_order if s.deployment_order is not None else last
    )


def find_service_stage(
    stages: list[DeploymentStage], service_id: str
) -> tuple[DeploymentStage, DeploymentStageService] | None:
    """Return the stage holding ``service_id`` and the service's entry in it, if any."""
    for stage in stages:
        entry = stage.find_service(service_id)
        if entry is not None:
            return stage, entry
    return None


class Organization(QoveryModel):
    id: str
    name: str | None = None


class Project(QoveryModel):
    id: str
    name: str | None = None
    organization: Reference | None = None


class Environment(QoveryModel):
    id: str
    name: str | None = None
    mode: str | None = None
    cluster_id: str | None = None
    project: Reference | None = None
    organization: Reference | None = None


class Service(QoveryModel):
    """Any kind of service, as ``GET /environment/{id}/services`` lists them."""

    id: str
    name: str | None = None
    service_type: str | None = None


ItemT = TypeVar("ItemT", bound=QoveryModel)


class ResultList(QoveryModel, Generic[ItemT]):
    """The ``{"results": [...]}`` envelope of every Qovery list endpoint."""

    results: list[ItemT] = Field(default_factory=list)


class StatusDetails(QoveryModel):
    action: str | None = None
    status: str | None = None
    sub_action: str | None = None


class ServiceStatus(QoveryModel):
    """A service's deployment status (the spec's ``Status``)."""

    id: str
    state: str | None = None
    service_deployment_status: str | None = None
    status_details: StatusDetails | None = None
    is_part_last_deployment: bool | None = None
    deployment_request_id: str | None = None
    last_deployment_date: datetime | None = None
    execution_id: str | None = None


class EnvironmentStatus(QoveryModel):
    """An environment's deployment status (the spec's ``EnvironmentStatus``)."""

    id: str
    state: str | None = None
    last_deployment_state: str | None = None
    last_deployment_date: datetime | None = None
    last_deployment_id: str | None = None
    deployment_request_id: str | None = None
    total_deployment_duration_in_seconds: int | None = None
    deployment_status: str | None = None


class EnvironmentStatuses(QoveryModel):
    """``GET /environment/{id}/statuses``: the environment and each service by type."""

    environment: EnvironmentStatus
    applications: list[ServiceStatus] = Field(default_factory=list)
    containers: list[ServiceStatus] = Field(default_factory=list)
    jobs: list[ServiceStatus] = Field(default_factory=list)
    databases: list[ServiceStatus] = Field(default_factory=list)
    helms: list[ServiceStatus] = Field(default_factory=list)
    terraforms: list[ServiceStatus] = Field(default_factory=list)
    agentic_workflows: list[ServiceStatus] | None = None

    def services(self) -> list[ServiceStatus]:
        """Every service status, whatever its type."""
        return [
            *self.applications,
            *self.containers,
            *self.jobs,
            *self.databases,
            *self.helms,
            *self.terraforms,
            *(self.agentic_workflows or []),
        ]


class DeployResponse(QoveryModel):
    """What a deploy call answers: ``Status`` for an environment, ``EnvironmentStatus``
    for selected services. Only the fields both share are read."""

    id: str | None = None
    state: str | None = None
    deployment_request_id: str | None = None


class DeploymentRequestStatus(QoveryModel):
    """``GET /environment/deploymentStatus?deploymentRequestId=``."""

    deployment_request_id: str | None = None
    environment_id: str | None = None
    status: str | None = None


class LogError(QoveryModel):
    tag: str | None = None
    user_log_message: str | None = None
    hint_message: str | None = None


class LogMessage(QoveryModel):
    safe_message: str | None = None


class DeploymentLogLine(QoveryModel):
    """One line of ``GET /environment/{id}/logs?version=``."""

    type: str | None = None
    timestamp: datetime | None = None
    details: dict[str, Any] | None = None
    message: LogMessage | None = None
    error: LogError | None = None

    def text(self) -> str:
        """The readable part of the line: the error's message, else the message."""
        if self.error is not None:
            parts = [self.error.user_log_message, self.error.hint_message]
            text = " ".join(p.strip() for p in parts if p and p.strip())
            if text:
                return text
        if self.message is not None and self.message.safe_message:
            return self.message.safe_message.strip()
        return ""
