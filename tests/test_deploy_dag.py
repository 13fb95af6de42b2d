"""Deploy operators in real DAG runs, blocking and deferrable, against the fake API."""

from __future__ import annotations

import json
import threading
import time
from datetime import timedelta
from typing import Any

import httpx
import pytest
from airflow.sdk import DAG

from qovery_airflow import endpoints
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.operators.deployment import (
    QoveryDeployEnvironmentOperator,
    QoveryDeployServicesOperator,
)
from qovery_airflow.testing import (
    ADMIN_TOKEN,
    PRODUCTION_ENV_ID,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    SERVICE_WORKER_ID,
    FakeQoveryAPI,
    Fault,
)
from tests.conftest import RunOutput
from tests.dagrun import load_example, run_dag, task_states, xcom

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
        "in_deployment": True,
    }
    assert by_id[SERVICE_CACHE_ID]["in_deployment"] is False
    skipped = [s for stage in result["plan"] for s in stage["services"] if s["skipped"]]
    assert [s["id"] for s in skipped] == [SERVICE_CACHE_ID]
    links = xcom(dag_run, "deploy", key="qovery_links")
    assert links["deployment_url"].endswith(f"/deployment/{result['execution_id']}")
    ids = xcom(dag_run, "deploy", key="qovery_deployment")
    assert ids["deployment_request_id"] == result["deployment_request_id"]
    console = "https://console.qovery.com/organization/11111111-1111-4111-8111-111111111111"
    assert xcom(dag_run, "deploy", key="_link_QoveryEnvironmentLink") == (
        f"{console}/project/22222222-2222-4222-8222-222222222222"
        f"/environment/{PRODUCTION_ENV_ID}/overview"
    )
    assert xcom(dag_run, "deploy", key="_link_QoveryDeploymentLink") == links["deployment_url"]
    assert _deploy_posts(qovery_conn) == 1 and _cancels(qovery_conn) == 0


@BOTH_MODES
@pytest.mark.parametrize("state", ["BUILD_ERROR", "DEPLOYMENT_ERROR"])
def test_a_failed_service_fails_the_task_with_its_log(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, deferrable: bool, state: str
) -> None:
    qovery_conn.fail_service(SERVICE_API_ID, state, message="npm ERR! missing script: build")

    dag_run = run_dag(_deploy_dag("deploy_fails", deferrable=deferrable))

    assert dag_run.state == "failed"
    text = run_output.text
    assert "QoveryDeploymentFailedError" in text
    assert f"api (APPLICATION) ended {state}" in text
    assert "npm ERR! missing script: build" in text
    assert _cancels(qovery_conn) == 0


@BOTH_MODES
def test_recap_is_a_failure(qovery_conn: FakeQoveryAPI, deferrable: bool) -> None:
    qovery_conn.configure(step_seconds=0.3)
    # Repeated: a read at the very moment the run leaves the queue is not attributed to
    # the task yet (its request was still queued a moment before), so one may go unseen.
    _script_after_start(qovery_conn, *[{"state": "RECAP", "last_deployment_state": "RECAP"}] * 3)
    dag_run = run_dag(_deploy_dag("deploy_recap", deferrable=deferrable))
    assert dag_run.state == "failed"


def _script_after_start(api: FakeQoveryAPI, *overrides: dict[str, Any]) -> None:
    """Script the statuses the task reads while its run is going, then the simulation
    resumes (the run's own id and dates stay the simulated ones)."""
    api.script_environment_status(PRODUCTION_ENV_ID, list(overrides), while_running=True)


@BOTH_MODES
def test_a_deployment_cancelled_by_someone_else_fails_the_task(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, deferrable: bool
) -> None:
    qovery_conn.configure(step_seconds=0.5)
    canceller = threading.Timer(1.0, _cancel_in_qovery, args=(qovery_conn,))
    canceller.start()
    try:
        dag_run = run_dag(_deploy_dag("deploy_cancelled", deferrable=deferrable))
    finally:
        canceller.cancel()
    assert dag_run.state == "failed"
    assert "QoveryDeploymentCancelledError" in run_output.text
    assert _cancels(qovery_conn) == 1  # the one sent by "someone else", none by the task


def _cancel_in_qovery(api: FakeQoveryAPI) -> None:
    response = httpx.post(
        f"{api.url}/environment/{PRODUCTION_ENV_ID}/cancelDeployment",
        headers={"Authorization": f"Token {ADMIN_TOKEN}"},
        json={"force_cancel": False},
    )
    assert response.status_code == 202, response.text


@BOTH_MODES
def test_unknown_state_then_success(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, deferrable: bool
) -> None:
    qovery_conn.configure(step_seconds=0.2)
    _script_after_start(
        qovery_conn,
        {"state": "WAITING_RUNNING", "last_deployment_state": None, "last_deployment_date": None},
        {"state": "EXECUTING", "last_deployment_state": "EXECUTING"},
        {"state": "TELEPORTING", "last_deployment_state": "TELEPORTING"},
        {"state": "TELEPORTING", "last_deployment_state": "TELEPORTING"},
    )
    dag_run = run_dag(_deploy_dag("deploy_unknown_state", deferrable=deferrable))

    assert dag_run.state == "success", task_states(dag_run)
    text = run_output.text
    assert text.count("Qovery reported state 'TELEPORTING'") == 1
    assert xcom(dag_run, "deploy")["state"] == "DEPLOYED"


@BOTH_MODES
def test_a_stale_final_state_is_not_taken_for_the_new_run(
    qovery_conn: FakeQoveryAPI, deferrable: bool
) -> None:
    """For a while after the trigger Qovery still shows the last run's DEPLOYED; the new
    run fails. Believing the stale state would make the task green."""
    qovery_conn.configure(step_seconds=0.1, stale_seconds=1.0)
    qovery_conn.fail_service(SERVICE_API_ID, "DEPLOYMENT_ERROR")
    started = time.monotonic()

    dag_run = run_dag(_deploy_dag("deploy_stale", deferrable=deferrable))

    assert dag_run.state == "failed"
    assert time.monotonic() - started >= 1.0


@BOTH_MODES
def test_a_deployment_that_ends_before_the_first_poll(
    qovery_conn: FakeQoveryAPI, deferrable: bool
) -> None:
    qovery_conn.configure(step_seconds=0.0)
    dag_run = run_dag(_deploy_dag("deploy_instant", deferrable=deferrable, poll_interval=0.5))
    assert dag_run.state == "success", task_states(dag_run)
    result = xcom(dag_run, "deploy")
    assert result["state"] == "DEPLOYED" and result["execution_id"]


@BOTH_MODES
def test_deadline_fails_in_time_and_cancels_once(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, deferrable: bool
) -> None:
    qovery_conn.configure(step_seconds=1.0)  # queued about 1 s, then deploying for long

    dag_run = run_dag(
        _deploy_dag(
            "deploy_deadline", deferrable=deferrable, deployment_timeout=3, poll_interval=0.2
        )
    )

    assert dag_run.state == "failed"
    assert "QoveryDeploymentTimeoutError" in run_output.text
    assert "when the deadline passed after 3 s" in run_output.text
    assert "; it was cancelled." in run_output.text
    deploy = next(r for r in qovery_conn.requests if r.path.endswith("/deploy"))
    cancels = [r for r in qovery_conn.requests if r.path.endswith("/cancelDeployment")]
    assert len(cancels) == 1
    assert 3.0 <= cancels[0].at - deploy.at < 5.0
    status = QoveryHook().client.send(endpoints.get_environment_status(PRODUCTION_ENV_ID))
    assert status.state in ("CANCELING", "CANCELED")


@BOTH_MODES
def test_no_cancel_when_told_not_to(qovery_conn: FakeQoveryAPI, deferrable: bool) -> None:
    qovery_conn.configure(step_seconds=5.0)
    dag_run = run_dag(
        _deploy_dag(
            "deploy_deadline_no_cancel",
            deferrable=deferrable,
            deployment_timeout=1,
            poll_interval=0.2,
            cancel_on_timeout=False,
        )
    )
    assert dag_run.state == "failed"
    assert _cancels(qovery_conn) == 0


@BOTH_MODES
def test_a_retried_task_waits_for_the_running_deployment(
    qovery_conn: FakeQoveryAPI, deferrable: bool
) -> None:
    """The first try starts a deployment, then fails reading its status (a permanent
    error); the retry finds the deployment still running and waits for it."""
    qovery_conn.configure(step_seconds=0.3)
    qovery_conn.add_fault("GET", r"/environment/[^/]+/statuses", Fault.status(403))
    dag_run = run_dag(
        _deploy_dag("deploy_retried", deferrable=deferrable, retries=1, retry_delay=timedelta(0))
    )
    assert dag_run.state == "success", task_states(dag_run)
    assert _deploy_posts(qovery_conn) == 1
    assert xcom(dag_run, "deploy")["state"] == "DEPLOYED"


def test_dry_run_logs_the_plan_and_deploys_nothing(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput
) -> None:
    dag_run = run_dag(_deploy_dag("deploy_dry_run", dry_run=True))
    assert dag_run.state == "success", task_states(dag_run)
    result = xcom(dag_run, "deploy")
    assert result["dry_run"] is True
    assert [stage["stage"] for stage in result["plan"]] == [
        "databases",
        "jobs",
        "backend",
        "frontend",
    ]
    assert _deploy_posts(qovery_conn) == 0
    text = run_output.text
    assert "Deployment plan of environment" in text and "skipped" in text


def test_without_waiting_returns_the_request(qovery_conn: FakeQoveryAPI) -> None:
    dag_run = run_dag(_deploy_dag("deploy_no_wait", wait_for_completion=False))
    assert dag_run.state == "success", task_states(dag_run)
    result = xcom(dag_run, "deploy")
    assert result["outcome"] == "triggered" and result["deployment_request_id"]
    assert _deploy_posts(qovery_conn) == 1


def _services_dag(dag_id: str, services: Any, **kwargs: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None, render_template_as_native_obj=True) as dag:
        QoveryDeployServicesOperator(
            task_id="deploy",
            environment_id=PRODUCTION_ENV_ID,
            services=services,
            poll_interval=0.05,
            **kwargs,
        )
    return dag


@BOTH_MODES
def test_deploy_services_at_versions(qovery_conn: FakeQoveryAPI, deferrable: bool) -> None:
    services = [
        {"id": SERVICE_API_ID, "git_commit_id": "4f2a9c1"},
        {"id": SERVICE_WORKER_ID, "image_tag": "1.8.0"},
    ]
    dag_run = run_dag(_services_dag("deploy_services", services, deferrable=deferrable))

    assert dag_run.state == "success", task_states(dag_run)
    body = next(r.body for r in qovery_conn.requests if r.path.endswith("/service/deploy"))
    assert body == {
        "applications": [{"application_id": SERVICE_API_ID, "git_commit_id": "4f2a9c1"}],
        "containers": [{"id": SERVICE_WORKER_ID, "image_tag": "1.8.0"}],
    }
    result = xcom(dag_run, "deploy")
    assert {s["id"] for s in result["services"]} == {SERVICE_API_ID, SERVICE_WORKER_ID}
    assert all(s["state"] == "DEPLOYED" for s in result["services"])


def test_services_rendered_as_text_are_read_back(qovery_conn: FakeQoveryAPI) -> None:
    """Without native rendering, ``{{ params.services }}`` renders as Python text."""
    with DAG(
        dag_id="deploy_services_text",
        schedule=None,
        params={"services": [{"name": "API", "git_commit_id": "4f2a9c1"}]},
    ) as dag:
        QoveryDeployServicesOperator(
            task_id="deploy",
            environment_id=PRODUCTION_ENV_ID,
            services="{{ params.services }}",
            poll_interval=0.05,
        )
    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)
    body = next(r.body for r in qovery_conn.requests if r.path.endswith("/service/deploy"))
    assert body == {
        "applications": [{"application_id": SERVICE_API_ID, "git_commit_id": "4f2a9c1"}]
    }


def test_deploy_services_example_dag(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QOVERY_EXAMPLE_POLL_INTERVAL", "0.05")
    dag = load_example("qovery_deploy_services.py", "qovery_deploy_services")
    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)


@pytest.mark.parametrize(
    ("services", "message"),
    [
        ([], "non-empty list"),
        ("not-an-id", "got 'not-an-id'"),
        ([{"id": SERVICE_API_ID, "image_tag": "v1.0"}], "does not take ['image_tag']"),
        ([{"id": SERVICE_WORKER_ID, "image_tag": "1.0"}], "got float 1.0"),
        ([{"id": "00000000-0000-4000-8000-0000000000ff"}], "is not in this environment"),
        ([{"id": SERVICE_API_ID, "git_commit_id": ""}], "must be a non-empty string"),
        ([SERVICE_API_ID, SERVICE_API_ID], "same service twice"),
    ],
)
def test_deploy_services_rejects_bad_requests_before_deploying(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, services: Any, message: str
) -> None:
    dag_run = run_dag(_services_dag("deploy_services_bad", services))
    assert dag_run.state == "failed"
    assert message in run_output.text
    assert not [r for r in qovery_conn.requests if r.method != "GET"]


def test_killing_a_blocking_task_cancels_its_deployment(qovery_conn: FakeQoveryAPI) -> None:
    """``on_kill`` (a person marks the running task failed) cancels what the task started."""
    from qovery_airflow.watch import WatchSpec

    qovery_conn.configure(step_seconds=1.0)
    operator = QoveryDeployEnvironmentOperator(task_id="deploy", environment_id=PRODUCTION_ENV_ID)
    operator.on_kill()  # nothing started yet: nothing to cancel
    QoveryHook().client.send(endpoints.deploy_environment(PRODUCTION_ENV_ID))
    operator._started = WatchSpec(environment_id=PRODUCTION_ENV_ID, has_baseline=True)
    operator.on_kill()
    assert _cancels(qovery_conn) == 1
