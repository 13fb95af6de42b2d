"""Snapshot and restore of stage layouts, and the release example's setup/teardown."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import DAG

from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.operators.deployment_stage import (
    QoveryGetDeploymentStagesOperator,
    QoveryRestoreDeploymentStagesOperator,
)
from qovery_airflow.testing import (
    PRODUCTION_ENV_ID,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    SERVICE_WEB_ID,
    SERVICE_WORKER_ID,
    STAGE_BACKEND_ID,
    STAGE_FRONTEND_ID,
    STAGE_JOBS_ID,
    FakeQoveryAPI,
)
from tests.conftest import RunOutput
from tests.dagrun import load_example, run_dag, task_states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")


def _placements(api: FakeQoveryAPI) -> dict[str, tuple[str, bool]]:
    return {
        s["service_id"]: (stage["id"], s["is_skipped"])
        for stage in api.stages(PRODUCTION_ENV_ID)
        for s in stage["services"]
    }


def _restore_dag(dag_id: str, snapshot: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None) as dag:
        QoveryRestoreDeploymentStagesOperator(task_id="restore", snapshot=snapshot)
    return dag


def _puts(api: FakeQoveryAPI) -> list[Any]:
    return [r for r in api.requests if r.method == "PUT"]


def test_restore_brings_back_every_placement_with_fewest_calls(
    qovery_conn: FakeQoveryAPI,
) -> None:
    snapshot = [s.to_json_dict() for s in QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)]
    original = _placements(qovery_conn)
    hook = QoveryHook()
    hook.attach_service_to_stage(STAGE_BACKEND_ID, SERVICE_WORKER_ID, is_skipped=True)  # skip
    hook.attach_service_to_stage(STAGE_FRONTEND_ID, SERVICE_API_ID, is_skipped=False)  # move
    hook.attach_service_to_stage(STAGE_BACKEND_ID, SERVICE_CACHE_ID, is_skipped=False)  # both
    hook.attach_service_to_stage(STAGE_JOBS_ID, SERVICE_WEB_ID, is_skipped=False)
    hook.attach_service_to_stage(STAGE_JOBS_ID, SERVICE_WEB_ID, is_skipped=True)
    before = len(_puts(qovery_conn))

    dag_run = run_dag(_restore_dag("restore_once", snapshot))

    assert dag_run.state == "success", task_states(dag_run)
    assert _placements(qovery_conn) == original
    # worker: unskip; api: move; cache: move + skip; web: move (un-skips too).
    assert len(_puts(qovery_conn)) - before == 5

    again = run_dag(_restore_dag("restore_twice", snapshot))
    assert again.state == "success", task_states(again)
    assert len(_puts(qovery_conn)) - before == 5
    assert xcom(again, "restore") == xcom(dag_run, "restore")


def test_snapshot_operator_pushes_the_stage_list(qovery_conn: FakeQoveryAPI) -> None:
    with DAG(dag_id="snapshot_by_name", schedule=None) as dag:
        QoveryGetDeploymentStagesOperator(
            task_id="snapshot",
            project_id="22222222-2222-4222-8222-222222222222",
            environment_name="PRODUCTION",
        )
    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)
    stages = xcom(dag_run, "snapshot")
    assert [s["name"] for s in stages] == ["databases", "jobs", "backend", "frontend"]


@pytest.mark.parametrize(
    ("snapshot", "message"),
    [
        ("not json", "snapshot is text that is neither JSON nor a Python literal"),
        ([], "non-empty list of stages"),
        ([{"name": "no id"}], "not a list of stages"),
        (
            [
                {
                    "id": "5e000000-0000-4000-8000-0000000000ff",
                    "environment": {"id": PRODUCTION_ENV_ID},
                }
            ],
            "no longer exist",
        ),
    ],
)
def test_a_bad_snapshot_fails_before_any_change(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, snapshot: Any, message: str
) -> None:
    dag_run = run_dag(_restore_dag("restore_bad", snapshot))
    assert dag_run.state == "failed"
    assert message in run_output.text
    assert _puts(qovery_conn) == []


def test_release_example_restores_the_layout_even_when_the_deployment_fails(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _placements(qovery_conn)
    qovery_conn.fail_service(SERVICE_API_ID, "BUILD_ERROR")
    monkeypatch.setenv("QOVERY_EXAMPLE_POLL_INTERVAL", "0.05")

    dag_run = run_dag(load_example("qovery_release.py", "qovery_release"))

    states = task_states(dag_run)
    assert dag_run.state == "failed"
    assert states["deploy"] == "failed"
    assert states["restore_stages"] == "success"
    assert _placements(qovery_conn) == original
    skip_bodies = [r.body for r in _puts(qovery_conn)]
    assert {"is_skipped": True} in skip_bodies


def test_release_example_succeeds(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = _placements(qovery_conn)
    monkeypatch.setenv("QOVERY_EXAMPLE_POLL_INTERVAL", "0.05")
    dag_run = run_dag(load_example("qovery_release.py", "qovery_release"))
    assert dag_run.state == "success", task_states(dag_run)
    result = xcom(dag_run, "deploy")
    worker = next(s for s in result["services"] if s["id"] == SERVICE_WORKER_ID)
    assert worker["in_deployment"] is False
    assert _placements(qovery_conn) == original
