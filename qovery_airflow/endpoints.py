"""The Qovery API operations this provider uses, as ``ApiCall`` objects.

Each function validates its ids, builds the path and says how to parse the answer; the
blocking and the async client both execute them, so a path is written in one place only.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from qovery_airflow.client import ApiCall
from qovery_airflow.ids import canonical_id
from qovery_airflow.models import (
    DeploymentLogLine,
    DeploymentRequestStatus,
    DeploymentStage,
    DeployResponse,
    Environment,
    EnvironmentStatus,
    EnvironmentStatuses,
    Organization,
    Project,
    ResultList,
    Service,
)


def _path(template: str, **ids: object) -> str:
    """Fill ``template`` with canonical, URL-quoted ids (each named for error messages)."""
    return template.format(**{k: quote(canonical_id(v, k), safe="") for k, v in ids.items()})


def _stages(data: Any) -> list[DeploymentStage]:
    return ResultList[DeploymentStage].model_validate(data).results


def list_organizations() -> ApiCall[list[Organization]]:
    return ApiCall(
        "GET", "/organization", lambda d: ResultList[Organization].model_validate(d).results
    )


def list_projects(organization_id: object) -> ApiCall[list[Project]]:
    return ApiCall(
        "GET",
        _path("/organization/{organization_id}/project", organization_id=organization_id),
        lambda d: ResultList[Project].model_validate(d).results,
    )


def list_environments(project_id: object) -> ApiCall[list[Environment]]:
    return ApiCall(
        "GET",
        _path("/project/{project_id}/environment", project_id=project_id),
        lambda d: ResultList[Environment].model_validate(d).results,
    )


def get_environment(environment_id: object) -> ApiCall[Environment]:
    return ApiCall(
        "GET",
        _path("/environment/{environment_id}", environment_id=environment_id),
        Environment.model_validate,
    )


def list_services(environment_id: object) -> ApiCall[list[Service]]:
    return ApiCall(
        "GET",
        _path("/environment/{environment_id}/services", environment_id=environment_id),
        lambda d: ResultList[Service].model_validate(d).results,
    )


def list_deployment_stages(environment_id: object) -> ApiCall[list[DeploymentStage]]:
    return ApiCall(
        "GET",
        _path("/environment/{environment_id}/deploymentStage", environment_id=environment_id),
        _stages,
    )


def get_deployment_stage(deployment_stage_id: object) -> ApiCall[DeploymentStage]:
    return ApiCall(
        "GET",
        _path("/deploymentStage/{deployment_stage_id}", deployment_stage_id=deployment_stage_id),
        DeploymentStage.model_validate,
    )


def get_service_deployment_stage(service_id: object) -> ApiCall[DeploymentStage]:
    return ApiCall(
        "GET",
        _path("/service/{service_id}/deploymentStage", service_id=service_id),
        DeploymentStage.model_validate,
    )


def attach_service_to_stage(
    deployment_stage_id: object, service_id: object, *, is_skipped: bool
) -> ApiCall[list[DeploymentStage] | None]:
    """``PUT /deploymentStage/{id}/service/{id}``; idempotent, so safe to retry.

    The answer is every stage of the environment. A body-less 2xx is tolerated (parsed as
    ``None``) so the caller can re-read the stages instead of failing on a decoding error.
    """
    return ApiCall(
        "PUT",
        _path(
            "/deploymentStage/{deployment_stage_id}/service/{service_id}",
            deployment_stage_id=deployment_stage_id,
            service_id=service_id,
        ),
        lambda d: None if d is None else _stages(d),
        json_body={"is_skipped": bool(is_skipped)},
        safety="idempotent",
        allow_empty=True,
    )


def deploy_environment(environment_id: object) -> ApiCall[DeployResponse]:
    """Deploy every service of the environment that is not skipped. Sent at most once
    unless it surely did not reach Qovery (see ``client.should_retry``)."""
    return ApiCall(
        "POST",
        _path("/environment/{environment_id}/deploy", environment_id=environment_id),
        lambda d: DeployResponse.model_validate(d or {}),
        safety="once",
        allow_empty=True,
    )


def deploy_services(environment_id: object, body: dict[str, Any]) -> ApiCall[DeployResponse]:
    """Deploy the services listed in ``body`` (the spec's ``DeployAllRequest``)."""
    return ApiCall(
        "POST",
        _path("/environment/{environment_id}/service/deploy", environment_id=environment_id),
        lambda d: DeployResponse.model_validate(d or {}),
        json_body=body,
        safety="once",
        allow_empty=True,
    )


def cancel_environment_deployment(environment_id: object) -> ApiCall[None]:
    return ApiCall(
        "POST",
        _path("/environment/{environment_id}/cancelDeployment", environment_id=environment_id),
        lambda d: None,
        json_body={"force_cancel": False},
        safety="once",
        allow_empty=True,
    )


def cancel_deployment_request(deployment_request_id: object) -> ApiCall[None]:
    """Cancel one deployment request (useful while it still waits in the queue)."""
    return ApiCall(
        "POST",
        _path(
            "/deploymentQueue/{deployment_request_id}/cancelDeployment",
            deployment_request_id=deployment_request_id,
        ),
        lambda d: None,
        json_body={},
        safety="once",
        allow_empty=True,
    )


def get_environment_status(environment_id: object) -> ApiCall[EnvironmentStatus]:
    return ApiCall(
        "GET",
        _path("/environment/{environment_id}/status", environment_id=environment_id),
        EnvironmentStatus.model_validate,
    )


def get_environment_statuses(environment_id: object) -> ApiCall[EnvironmentStatuses]:
    return ApiCall(
        "GET",
        _path("/environment/{environment_id}/statuses", environment_id=environment_id),
        EnvironmentStatuses.model_validate,
    )


def get_deployment_request_status(
    deployment_request_id: object,
) -> ApiCall[DeploymentRequestStatus]:
    request_id = canonical_id(deployment_request_id, "deployment_request_id")
    return ApiCall(
        "GET",
        "/environment/deploymentStatus",
        DeploymentRequestStatus.model_validate,
        params={"deploymentRequestId": request_id},
    )


def get_deployment_logs(
    environment_id: object, execution_id: str
) -> ApiCall[list[DeploymentLogLine]]:
    """The last deployment log lines (Qovery keeps about 1000) of one execution."""
    return ApiCall(
        "GET",
        _path("/environment/{environment_id}/logs", environment_id=environment_id),
        lambda d: [DeploymentLogLine.model_validate(line) for line in d or []],
        params={"version": execution_id},
        allow_empty=True,
    )
