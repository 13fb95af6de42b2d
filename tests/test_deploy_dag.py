"""Deploy operators in real DAG runs, blocking and deferrable, against the fake API."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest
from airflow.sdk import DAG

from qovery_airflow.operators.deployment import (
    QoveryDeployEnvironmentOperator,
    QoveryDeployServicesOperator,
)
from qovery_airflow.testing import (
    PRODUCTION_ENV_ID,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    SERVICE_WORKER_ID,
    FakeQoveryAPI,
)
from tests.conftest import RunOutput
from tests.dagrun import run_dag, task_states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")
BOTH_MODES = pytest.mark.parametrize("deferrable", [False, True], ids=["blocking", "deferrable"])


def _deploy_dag(dag_id: str, **kwargs: Any) -> DAG:
    kwargs.setdefault("poll_interval", 0.05)
    with DAG(dag_id=dag_id, schedule=None) as dag:
        QoveryDeployEnvironmentOperator(
            task_id="deploy", environment_id=PRODUCTION_ENV_ID, **kwargs
        )
    return dag


def _deploy_posts(api: FakeQoveryAPI) -> int:
    return sum(1 for r in api.requests if r.method == "POST" and r.path.endswith("/deploy"))


def _cancels(api: FakeQoveryAPI) -> int:
    return sum(1 for r in api.requests if r.path.endswith("/cancelDeployment"))


@BOTH_MODES
def test_success_pushes_result_plan_and_links(qovery_conn: FakeQoveryAPI, deferrable: bool) -> None:
    dag_run = run_dag(_deploy_dag("deploy_ok", deferrable=deferrable))

    assert dag_run.state == "success", task_states(dag_run)
    result = xcom(dag_run, "deploy")
    assert result == json.loads(json.dumps(result))
    assert result["outcome"] == "success" and result["state"] == "DEPLOYED"
    assert result["environment_id"] == PRODUCTION_ENV_ID
    assert result["deployment_request_id"] and result["execution_id"]
    assert result["duration_seconds"] >= 0
    by_id = {s["id"]: s for s in result["services"]}
    assert by_id[SERVICE_API_ID] == {
        "id": SERVICE_API_ID,
        "name": "api",
        "type": "APPLICATION",
        "state": "DEPLOYED",
    }
    skipped = [s for stage in result["plan"] for s in stage["services"] if s["skipped"]]
    assert [s["id"] for s in skipped] == [SERVICE_CACHE_ID]
    links = xcom(dag_run, "deploy", key="qovery_links")
    assert links["deployment_url"].endswith(f"/deployment/{result['execution_id']}")
    assert _deploy_posts(qovery_conn) == 1 and _cancels(qovery_conn) == 0
