"""Another deployment of the same environment never passes for the one this task started."""

from __future__ import annotations

import threading
import time

import pytest

from qovery_airflow import endpoints
from qovery_airflow.errors import QoveryDeploymentFailedError, QoveryDeploymentTimeoutError
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.operators.deployment import QoveryDeployServicesOperator
from qovery_airflow.testing import PRODUCTION_ENV_ID, SERVICE_API_ID, SERVICE_WEB_ID, FakeQoveryAPI
from tests.dagrun import bare_task_context


def _someone_else_deploys(api_ids: list[str]) -> str:
    body = {"applications": [{"application_id": i} for i in api_ids]}
    response = QoveryHook().client.send(endpoints.deploy_services(PRODUCTION_ENV_ID, body))
    assert response.deployment_request_id
    return response.deployment_request_id


def test_a_run_queued_before_ours_is_not_taken_for_ours(qovery_conn: FakeQoveryAPI) -> None:
    # Wide steps keep the race windows wide on a loaded machine: the other run waits in
    # the queue for 1 s (our baseline is read then), runs from 1 s to about 4 s.
    qovery_conn.configure(step_seconds=1.0)
    _someone_else_deploys([SERVICE_API_ID, SERVICE_WEB_ID])

    def fail_our_run() -> None:
        # The other run started after one step (1 s); reading the fake settles its plan,
        # so the failure set next can only apply to api's next deployment: ours.
        qovery_conn.service(SERVICE_API_ID)
        qovery_conn.fail_service(SERVICE_API_ID, times=1)

    threading.Timer(1.5, fail_our_run).start()
    operator = QoveryDeployServicesOperator(
        task_id="deploy",
        environment_id=PRODUCTION_ENV_ID,
        services=[SERVICE_API_ID],
        poll_interval=0.1,
    )
    with pytest.raises(QoveryDeploymentFailedError) as caught:
        operator.execute(bare_task_context())
    result = caught.value.result
    assert result is not None
    assert result["execution_id"].endswith("-3")  # ours is the third run, not the second
    assert "DEPLOYMENT_ERROR" in str(caught.value)


def test_giving_up_while_queued_cancels_only_our_request(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.configure(step_seconds=1.0)
    other = _someone_else_deploys([SERVICE_WEB_ID])
    time.sleep(1.2)  # the other run has started; ours will wait behind it
    operator = QoveryDeployServicesOperator(
        task_id="deploy",
        environment_id=PRODUCTION_ENV_ID,
        services=[SERVICE_API_ID],
        poll_interval=0.2,
        deployment_timeout=1.0,
    )
    with pytest.raises(QoveryDeploymentTimeoutError, match="it was cancelled"):
        operator.execute(bare_task_context())

    hook = QoveryHook()
    ours = operator._started.deployment_request_id  # type: ignore[union-attr]
    assert hook.client.send(endpoints.get_deployment_request_status(ours)).status == "CANCELED"
    assert hook.client.send(endpoints.get_deployment_request_status(other)).status not in (
        "CANCELING",
        "CANCELED",
    )
    cancels = [r.path for r in qovery_conn.requests if r.path.endswith("/cancelDeployment")]
    assert cancels == [f"/deploymentQueue/{ours}/cancelDeployment"]
