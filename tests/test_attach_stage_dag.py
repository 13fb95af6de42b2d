"""QoveryAttachStageOperator in real DAG runs (``dag.test()``) against the fake API."""

from __future__ import annotations

import json
import uuid
from typing import Any

import pytest
from airflow.sdk import DAG, task

from qovery_airflow.models import DeploymentStage
from qovery_airflow.operators.deployment_stage import QoveryAttachStageOperator
from qovery_airflow.testing import (
    PRODUCTION_ENV_ID,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    SERVICE_WORKER_ID,
    STAGE_BACKEND_ID,
    STAGE_FRONTEND_ID,
    STAGE_JOBS_ID,
    FakeQoveryAPI,
)
from tests.conftest import CANARY_TOKEN, RunOutput, connection_json
from tests.dagrun import load_example, run_dag, task_states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")


def _placement(api: FakeQoveryAPI, service_id: str) -> tuple[str, bool]:
    service = api.service(service_id)
    return service["stage_id"], service["is_skipped"]


def test_example_dag_skips_in_place_and_restages(qovery_conn: FakeQoveryAPI) -> None:
    assert _placement(qovery_conn, SERVICE_WORKER_ID) == (STAGE_BACKEND_ID, False)
    assert _placement(qovery_conn, SERVICE_CACHE_ID) == (STAGE_JOBS_ID, True)

    dag_run = run_dag(load_example("qovery_stage_changes.py", "qovery_stage_changes"))

    assert dag_run.state == "success", task_states(dag_run)
    assert _placement(qovery_conn, SERVICE_WORKER_ID) == (STAGE_BACKEND_ID, True)
    assert _placement(qovery_conn, SERVICE_CACHE_ID) == (STAGE_BACKEND_ID, False)
    stages = xcom(dag_run, "restage_service")
    assert stages == json.loads(json.dumps(stages))
    assert [s["name"] for s in stages] == ["databases", "jobs", "backend", "frontend"]
    as_parsed = [
        DeploymentStage.model_validate(s).to_json_dict()
        for s in qovery_conn.stages(PRODUCTION_ENV_ID)
    ]
    assert stages == as_parsed
    backend = stages[2]
    flags = {s["service_id"]: s["is_skipped"] for s in backend["services"]}
    assert flags[SERVICE_WORKER_ID] is True and flags[SERVICE_CACHE_ID] is False
    table = xcom(dag_run, "report_stages")
    assert "backend" in table and SERVICE_CACHE_ID in table


def _dag(dag_id: str, **operator_kwargs: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None) as dag:
        QoveryAttachStageOperator(task_id="attach", **operator_kwargs)
    return dag


def test_ids_from_xcom_as_uuid_objects_and_padded_strings(qovery_conn: FakeQoveryAPI) -> None:
    with DAG(dag_id="attach_from_xcom", schedule=None, render_template_as_native_obj=True) as dag:

        @task
        def pick() -> dict[str, Any]:
            return {"service": f"  {SERVICE_API_ID.upper()}\n", "stage": STAGE_FRONTEND_ID}

        picked = pick()
        attach = QoveryAttachStageOperator(
            task_id="attach",
            service_id="{{ ti.xcom_pull('pick')['service'] }}",
            deployment_stage_id="{{ ti.xcom_pull('pick')['stage'] }}",
            is_skipped="{{ 'false' }}",
        )
        picked >> attach

    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)
    assert _placement(qovery_conn, SERVICE_API_ID) == (STAGE_FRONTEND_ID, False)
    put = [r for r in qovery_conn.requests if r.method == "PUT"]
    assert put[0].path == f"/deploymentStage/{STAGE_FRONTEND_ID}/service/{SERVICE_API_ID}"


def test_uuid_objects_are_accepted(qovery_conn: FakeQoveryAPI) -> None:
    dag = _dag(
        "attach_uuid",
        service_id=uuid.UUID(SERVICE_API_ID),
        deployment_stage_id=uuid.UUID(STAGE_BACKEND_ID),
        is_skipped=True,
    )
    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)
    assert _placement(qovery_conn, SERVICE_API_ID) == (STAGE_BACKEND_ID, True)


@pytest.mark.parametrize(
    ("kwargs", "expected_log"),
    [
        ({"service_id": "", "is_skipped": True}, "service_id is empty"),
        ({"service_id": "{{ params.missing }}", "is_skipped": True}, "no attribute 'missing'"),
        ({"service_id": "{{ params.get('missing', '') }}", "is_skipped": True}, "is empty"),
        ({"service_id": SERVICE_API_ID, "deployment_stage_id": "frontend"}, "got 'frontend'"),
        ({"service_id": SERVICE_API_ID}, "deployment_stage_name is required"),
        ({"service_id": SERVICE_API_ID, "is_skipped": "sometimes"}, "must be a boolean"),
        (
            {
                "service_id": SERVICE_API_ID,
                "deployment_stage_id": STAGE_FRONTEND_ID,
                "is_skipped": True,
            },
            "Skipping never moves a service",
        ),
    ],
)
def test_bad_input_fails_the_task_before_any_change(
    qovery_conn: FakeQoveryAPI,
    run_output: RunOutput,
    kwargs: dict[str, Any],
    expected_log: str,
) -> None:
    before = qovery_conn.stages(PRODUCTION_ENV_ID)
    dag_run = run_dag(_dag("attach_bad_input", **kwargs))
    assert dag_run.state == "failed"
    assert expected_log in run_output.text
    assert not [r for r in qovery_conn.requests if r.method != "GET"]
    assert qovery_conn.stages(PRODUCTION_ENV_ID) == before


def test_a_result_that_contradicts_the_request_fails_the_task(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput
) -> None:
    from qovery_airflow.testing import Fault

    unchanged = {"results": qovery_conn.stages(PRODUCTION_ENV_ID)}
    qovery_conn.add_fault("PUT", r"/deploymentStage/.*", Fault.status(200, body=unchanged))
    dag_run = run_dag(
        _dag("attach_contradiction", service_id=SERVICE_API_ID, deployment_stage_id=STAGE_JOBS_ID)
    )
    assert dag_run.state == "failed"
    assert "but Qovery reports it in stage 'backend'" in run_output.text


def test_a_rejected_token_never_shows(
    fake_api: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch, run_output: RunOutput
) -> None:
    """A wrong token fails the task with 401; the token shows in no log, error or XCom."""
    wrong = CANARY_TOKEN + "-revoked"
    monkeypatch.setenv("AIRFLOW_CONN_QOVERY_DEFAULT", connection_json(fake_api.url, wrong))
    dag_run = run_dag(_dag("attach_canary", service_id=SERVICE_API_ID, is_skipped=True))
    assert dag_run.state == "failed"
    text = run_output.text
    assert "HTTP 401" in text
    assert wrong not in text
    assert wrong not in json.dumps(xcom(dag_run, "attach") or "")
