"""The API token never shows: not in logs, errors, XCom, rendered fields or triggers.

Every operator and the sensor run with a canary token, on success and on failure paths;
then the captured output and every byte Airflow stored (its whole home folder, metadata
DB included: XCom, rendered templates, trigger kwargs) are searched for the canary.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from airflow.sdk import DAG

from qovery_airflow.operators.deployment import (
    QoveryDeployEnvironmentOperator,
    QoveryDeployServicesOperator,
)
from qovery_airflow.operators.deployment_stage import (
    QoveryAttachStageOperator,
    QoveryGetDeploymentStagesOperator,
    QoveryRestoreDeploymentStagesOperator,
)
from qovery_airflow.sensors.deployment import QoveryDeploymentSensor
from qovery_airflow.testing import (
    PRODUCTION_ENV_ID,
    SERVICE_API_ID,
    STAGE_BACKEND_ID,
    FakeQoveryAPI,
    Fault,
)
from tests.conftest import CANARY_TOKEN, RunOutput, connection_json
from tests.dagrun import run_dag

pytestmark = pytest.mark.usefixtures("airflow_db")


def _dag(dag_id: str, deferrable: bool) -> DAG:
    """One of everything, in one DAG, so one run exercises every class."""
    with DAG(dag_id=dag_id, schedule=None) as dag:
        snapshot = QoveryGetDeploymentStagesOperator(
            task_id="snapshot", environment_id="{{ params.env }}"
        )
        attach = QoveryAttachStageOperator(
            task_id="attach",
            environment_id="{{ params.env }}",
            service_name="api",
            deployment_stage_id=STAGE_BACKEND_ID,
        )
        deploy = QoveryDeployEnvironmentOperator(
            task_id="deploy",
            environment_id="{{ params.env }}",
            poll_interval=0.05,
            deferrable=deferrable,
        )
        services = QoveryDeployServicesOperator(
            task_id="deploy_services",
            environment_id="{{ params.env }}",
            services=[{"id": SERVICE_API_ID, "git_commit_id": "abc1234"}],
            poll_interval=0.05,
            deferrable=deferrable,
        )
        sensor = QoveryDeploymentSensor(
            task_id="sensor",
            environment_id="{{ params.env }}",
            poke_interval=0.05,
            timeout=30,
            deferrable=deferrable,
        )
        restore = QoveryRestoreDeploymentStagesOperator(task_id="restore", snapshot=snapshot.output)
        snapshot >> attach >> deploy >> services >> sensor >> restore
        restore.as_teardown(setups=snapshot)
    dag.params = {"env": PRODUCTION_ENV_ID}  # type: ignore[assignment]
    return dag


def _everything_airflow_stored(home: str) -> bytes:
    return b"".join(p.read_bytes() for p in Path(home).rglob("*") if p.is_file())


@pytest.mark.parametrize("deferrable", [False, True], ids=["blocking", "deferrable"])
@pytest.mark.parametrize(
    "failure",
    [None, "deployment fails", "server error", "flaky"],
    ids=["success", "deployment-fails", "server-error", "flaky"],
)
def test_the_canary_token_shows_nowhere(
    qovery_conn: FakeQoveryAPI,
    monkeypatch: pytest.MonkeyPatch,
    run_output: RunOutput,
    airflow_home: str,
    deferrable: bool,
    failure: Any,
) -> None:
    monkeypatch.setenv(
        "AIRFLOW_CONN_QOVERY_DEFAULT", connection_json(qovery_conn.url, CANARY_TOKEN)
    )
    if failure == "deployment fails":
        qovery_conn.fail_service(SERVICE_API_ID, "BUILD_ERROR", message="boom")
    if failure == "server error":
        qovery_conn.add_fault("POST", r"/environment/[^/]+/deploy", Fault.status(500))
    if failure == "flaky":  # retried and recovered: the run succeeds
        qovery_conn.add_fault("*", r".*", Fault.status(502), Fault.reset(), Fault.status(503))

    dag_run = run_dag(_dag(f"canary_{deferrable}_{failure}".replace(" ", "_"), deferrable))

    assert dag_run.state == ("success" if failure in (None, "flaky") else "failed")
    assert any(r.status == 200 for r in qovery_conn.requests)  # the canary was used
    assert CANARY_TOKEN not in run_output.text
    assert CANARY_TOKEN.encode() not in _everything_airflow_stored(airflow_home)
