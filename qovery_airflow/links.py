"""Buttons on the task that open the Qovery console on the environment or the deployment.

Airflow's API server never imports provider code: it shows what ``get_link`` returned on
the worker, which reads the URLs the operator pushed to XCom (before deferring, so the
buttons work while the deployment runs).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from airflow.sdk import BaseOperatorLink
from airflow.sdk.execution_time.xcom import XCom

if TYPE_CHECKING:
    from airflow.sdk import BaseOperator
    from airflow.sdk.types import TaskInstanceKey

CONSOLE_URL = "https://console.qovery.com"
#: The XCom key holding ``{"environment_url": ..., "deployment_url": ...}``.
LINKS_XCOM_KEY = "qovery_links"


def environment_url(organization_id: str, project_id: str, environment_id: str) -> str:
    return (
        f"{CONSOLE_URL}/organization/{organization_id}/project/{project_id}"
        f"/environment/{environment_id}/overview"
    )


def deployment_url(
    organization_id: str, project_id: str, environment_id: str, execution_id: str | None
) -> str:
    """The run's page when its execution id is known, else the environment's deployments."""
    base = (
        f"{CONSOLE_URL}/organization/{organization_id}/project/{project_id}"
        f"/environment/{environment_id}"
    )
    return f"{base}/deployment/{execution_id}" if execution_id else f"{base}/deployments"


class _XComLink(BaseOperatorLink):
    url_field: ClassVar[str] = ""

    def get_link(self, operator: BaseOperator, *, ti_key: TaskInstanceKey) -> str:
        links: Any = XCom.get_value(key=LINKS_XCOM_KEY, ti_key=ti_key)
        if isinstance(links, dict):
            return str(links.get(self.url_field) or "")
        return ""


class QoveryEnvironmentLink(_XComLink):
    """Opens the environment's overview in the Qovery console."""

    name = "Qovery environment"
    url_field = "environment_url"


class QoveryDeploymentLink(_XComLink):
    """Opens the deployment this task started (its stage view and logs)."""

    name = "Qovery deployment"
    url_field = "deployment_url"
