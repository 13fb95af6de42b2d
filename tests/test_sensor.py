"""QoveryDeploymentSensor in real DAG runs: poke, reschedule and deferrable."""

from __future__ import annotations

from typing import Any

import pytest
from airflow.sdk import DAG

from qovery_airflow.sensors.deployment import QoveryDeploymentSensor
from qovery_airflow.testing import PRODUCTION_ENV_ID, SERVICE_API_ID, FakeQoveryAPI
from tests.conftest import RunOutput
from tests.dagrun import run_dag, task_states, xcom

pytestmark = pytest.mark.usefixtures("airflow_db")


def _sensor_dag(dag_id: str, **kwargs: Any) -> DAG:
    kwargs.setdefault("poke_interval", 0.1)
    kwargs.setdefault("timeout", 30)
    with DAG(dag_id=dag_id, schedule=None) as dag:
        QoveryDeploymentSensor(task_id="wait", environment_id=PRODUCTION_ENV_ID, **kwargs)
    return dag


def _deploy_now(api: FakeQoveryAPI) -> None:
    import httpx

    from qovery_airflow.testing import ADMIN_TOKEN

    response = httpx.post(
        f"{api.url}/environment/{PRODUCTION_ENV_ID}/deploy",
        headers={"Authorization": f"Token {ADMIN_TOKEN}"},
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    "mode_kwargs",
    [{"mode": "poke"}, {"mode": "reschedule"}, {"deferrable": True}],
    ids=["poke", "reschedule", "deferrable"],
)
def test_sensor_waits_for_a_running_deployment(
    qovery_conn: FakeQoveryAPI, mode_kwargs: dict[str, Any]
) -> None:
    qovery_conn.configure(step_seconds=0.1)
    _deploy_now(qovery_conn)
    dag_run = run_dag(_sensor_dag("sensor_waits", **mode_kwargs))
    assert dag_run.state == "success", task_states(dag_run)
    result = xcom(dag_run, "wait")
    assert result["state"] == "DEPLOYED" and result["outcome"] == "success"


@pytest.mark.parametrize("deferrable", [False, True], ids=["poke", "deferrable"])
def test_sensor_fails_on_a_failed_service(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, deferrable: bool
) -> None:
    qovery_conn.configure(step_seconds=0.1)
    qovery_conn.fail_service(SERVICE_API_ID, "BUILD_ERROR")
    _deploy_now(qovery_conn)
    dag_run = run_dag(
        _sensor_dag("sensor_fails", service_ids=[SERVICE_API_ID], deferrable=deferrable)
    )
    assert dag_run.state == "failed"
    assert "QoveryDeploymentFailedError" in run_output.text
    assert "BUILD_ERROR" in run_output.text


def test_sensor_restart_action(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.script_environment_status(
        PRODUCTION_ENV_ID, [{"state": "RESTARTED", "last_deployment_state": "RESTARTED"}]
    )
    dag_run = run_dag(_sensor_dag("sensor_restart", action="restart"))
    assert dag_run.state == "success", task_states(dag_run)
    assert len([r for r in qovery_conn.requests if r.path.endswith("/statuses")]) == 1


def test_a_watched_service_left_out_of_the_last_deployment_counts_by_its_own_state(
    qovery_conn: FakeQoveryAPI,
) -> None:
    from qovery_airflow.testing import SERVICE_CACHE_ID  # skipped in the seed

    qovery_conn.configure(step_seconds=0.0)
    _deploy_now(qovery_conn)
    dag_run = run_dag(_sensor_dag("sensor_skipped_service", service_ids=f"['{SERVICE_CACHE_ID}']"))
    assert dag_run.state == "success", task_states(dag_run)


def test_an_unknown_service_id_fails_at_once(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput
) -> None:
    missing = "5f000000-0000-4000-8000-0000000000ff"
    dag_run = run_dag(_sensor_dag("sensor_unknown_service", service_ids=[missing]))
    assert dag_run.state == "failed"
    assert f"has no service {missing}" in run_output.text
    assert len([r for r in qovery_conn.requests if r.path.endswith("/statuses")]) == 1


def test_a_bad_action_is_refused_when_the_dag_is_parsed() -> None:
    from qovery_airflow.errors import QoveryInvalidInputError

    with pytest.raises(QoveryInvalidInputError, match="action must be one of DEPLOY"):
        QoveryDeploymentSensor(task_id="s", environment_id=PRODUCTION_ENV_ID, action="redeploy")
