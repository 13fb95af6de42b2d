"""Environments, stages and services by name, as Qovery compares them (case-insensitive)."""

from __future__ import annotations

import pytest
from airflow.sdk import DAG

from qovery_airflow.errors import QoveryInvalidInputError, QoveryNotFoundError
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.operators.deployment_stage import QoveryAttachStageOperator
from qovery_airflow.testing import (
    PRODUCTION_ENV_ID,
    PROJECT_ID,
    SERVICE_CACHE_ID,
    SERVICE_WEB_ID,
    STAGE_BACKEND_ID,
    STAGE_JOBS_ID,
    FakeQoveryAPI,
    Fault,
)
from tests.conftest import RunOutput
from tests.dagrun import run_dag, task_states


def test_find_by_name_is_case_insensitive(qovery_conn: FakeQoveryAPI) -> None:
    hook = QoveryHook()
    assert hook.find_environment(PROJECT_ID, "Production").id == PRODUCTION_ENV_ID
    assert hook.find_deployment_stage(PRODUCTION_ENV_ID, " BACKEND ").id == STAGE_BACKEND_ID
    assert hook.find_service(PRODUCTION_ENV_ID, "Cache").id == SERVICE_CACHE_ID


def test_not_found_lists_what_exists(qovery_conn: FakeQoveryAPI) -> None:
    hook = QoveryHook()
    with pytest.raises(QoveryNotFoundError) as caught:
        hook.find_deployment_stage(PRODUCTION_ENV_ID, "middle")
    assert "No stage named 'middle'" in str(caught.value)
    assert "'backend', 'databases', 'frontend', 'jobs'" in str(caught.value)
    with pytest.raises(QoveryNotFoundError, match="'production', 'staging'"):
        hook.find_environment(PROJECT_ID, "prod")


def test_ambiguous_names_ask_for_the_id(qovery_conn: FakeQoveryAPI) -> None:
    services = [
        {"id": SERVICE_WEB_ID, "name": "web", "service_type": "APPLICATION"},
        {"id": SERVICE_CACHE_ID, "name": "WEB", "service_type": "HELM"},
    ]
    qovery_conn.add_fault(
        "GET", r"/environment/[^/]+/services", Fault.status(200, {"results": services})
    )
    with pytest.raises(QoveryInvalidInputError, match="2 services are named 'web'"):
        QoveryHook().find_service(PRODUCTION_ENV_ID, "web")


@pytest.mark.usefixtures("airflow_db")
def test_attach_by_names_with_the_environment_by_name(qovery_conn: FakeQoveryAPI) -> None:
    with DAG(dag_id="attach_by_names", schedule=None) as dag:
        QoveryAttachStageOperator(
            task_id="attach",
            project_id=PROJECT_ID,
            environment_name="production",
            service_name="web",
            deployment_stage_name="Jobs",
        )
    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)
    service = qovery_conn.service(SERVICE_WEB_ID)
    assert (service["stage_id"], service["is_skipped"]) == (STAGE_JOBS_ID, False)


@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"service_name": "web", "deployment_stage_name": "jobs"}, "The environment is missing"),
        (
            {"environment_name": "production", "service_name": "web", "is_skipped": True},
            "environment_name needs project_id",
        ),
        (
            {"environment_id": PRODUCTION_ENV_ID, "service_name": "nope", "is_skipped": True},
            "No service named 'nope'",
        ),
        (
            {"service_id": SERVICE_WEB_ID, "service_name": "web", "is_skipped": True},
            "exactly one of service_id and service_name",
        ),
    ],
)
def test_name_errors_fail_before_any_change(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, kwargs: dict[str, object], message: str
) -> None:
    with DAG(dag_id="attach_name_errors", schedule=None) as dag:
        QoveryAttachStageOperator(task_id="attach", **kwargs)
    dag_run = run_dag(dag)
    assert dag_run.state == "failed"
    assert message in run_output.text
    assert not [r for r in qovery_conn.requests if r.method != "GET"]
