"""Faults and odd answers that broke tools like this one; each has one right behaviour."""

from __future__ import annotations

import json
import logging
from typing import Any
from urllib.parse import quote

import pytest
from airflow.sdk import DAG

from qovery_airflow.errors import QoveryConfigurationError, QoveryTimeoutError
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.operators.deployment import QoveryDeployEnvironmentOperator
from qovery_airflow.operators.deployment_stage import (
    QoveryAttachStageOperator,
    QoveryGetDeploymentStagesOperator,
)
from qovery_airflow.testing import (
    ADMIN_TOKEN,
    PRODUCTION_ENV_ID,
    SERVICE_API_ID,
    STAGE_BACKEND_ID,
    FakeQoveryAPI,
    Fault,
)
from tests.conftest import JWT_TOKEN, SLASH_PLUS_TOKEN, RunOutput, connection_json
from tests.dagrun import bare_task_context, mapped_xcoms, run_dag, task_states, xcom

STATUSES = r"/environment/[^/]+/statuses"


def _use(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_QOVERY_DEFAULT", value)


# -- odd answers ----------------------------------------------------------------------


def _stage_list_with_surprises(api: FakeQoveryAPI) -> dict[str, Any]:
    stages = api.stages(PRODUCTION_ENV_ID)
    stages[0]["created_at"] = "2026-11-30T08:15:42.123456789Z"
    stages[0]["description"] = None
    stages[0]["shiny_new_field"] = {"nested": [1, 2]}
    service = stages[0]["services"][0]
    service["service_type"] = "QUANTUM_WORKFLOW"
    service["rollout_weight"] = 0.5
    del stages[1]["services"][0]["is_skipped"]
    return {"results": stages, "next_page": None}


@pytest.mark.usefixtures("airflow_db")
def test_new_service_types_unknown_keys_nanoseconds_and_nulls(qovery_conn: FakeQoveryAPI) -> None:
    body = _stage_list_with_surprises(qovery_conn)
    qovery_conn.add_fault("GET", r"/environment/[^/]+/deploymentStage", Fault.status(200, body))
    with DAG(dag_id="odd_stage_list", schedule=None) as dag:
        QoveryGetDeploymentStagesOperator(task_id="snapshot", environment_id=PRODUCTION_ENV_ID)

    dag_run = run_dag(dag)

    assert dag_run.state == "success", task_states(dag_run)
    stages = xcom(dag_run, "snapshot")
    assert json.loads(json.dumps(stages)) == stages
    first = stages[0]
    assert first["services"][0]["service_type"] == "QUANTUM_WORKFLOW"
    assert first["created_at"] == "2026-11-30T08:15:42.123456Z"
    assert first["description"] is None
    assert "shiny_new_field" not in first
    assert stages[1]["services"][0]["is_skipped"] is False


@pytest.mark.usefixtures("airflow_db")
def test_an_attach_answered_204_without_body_re_reads_the_stages(
    qovery_conn: FakeQoveryAPI,
) -> None:
    qovery_conn.add_fault("PUT", r"/deploymentStage/.*", Fault.empty(204))
    with DAG(dag_id="attach_204", schedule=None) as dag:
        QoveryAttachStageOperator(
            task_id="attach", service_id=SERVICE_API_ID, deployment_stage_id=STAGE_BACKEND_ID
        )
    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)
    stages = xcom(dag_run, "attach")
    assert json.loads(json.dumps(stages)) == stages
    assert [s["name"] for s in stages] == ["databases", "jobs", "backend", "frontend"]


# -- deployments ----------------------------------------------------------------------


def _deploy_dag(dag_id: str, **kwargs: Any) -> DAG:
    with DAG(dag_id=dag_id, schedule=None) as dag:
        QoveryDeployEnvironmentOperator(
            task_id="deploy", environment_id=PRODUCTION_ENV_ID, poll_interval=0.05, **kwargs
        )
    return dag


@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize("deferrable", [False, True], ids=["blocking", "deferrable"])
def test_build_error_at_the_first_poll_fails_at_once(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, deferrable: bool
) -> None:
    qovery_conn.configure(step_seconds=0.0)
    qovery_conn.fail_service(SERVICE_API_ID, "BUILD_ERROR")

    dag_run = run_dag(_deploy_dag("deploy_build_error", deferrable=deferrable))

    assert dag_run.state == "failed"
    assert "ended BUILD_ERROR" in run_output.text
    polls = [r for r in qovery_conn.requests if r.path.endswith("/statuses")]
    assert len(polls) == 1
    assert "running trigger in line" not in run_output.text


@pytest.mark.usefixtures("airflow_db")
@pytest.mark.parametrize("deferrable", [False, True], ids=["blocking", "deferrable"])
def test_polls_survive_502_reset_and_429_with_retry_after(
    qovery_conn: FakeQoveryAPI, run_output: RunOutput, deferrable: bool
) -> None:
    qovery_conn.configure(step_seconds=0.2)
    qovery_conn.add_fault(
        "GET",
        STATUSES,
        Fault.status(502),
        Fault.reset(),
        Fault.status(429, headers={"Retry-After": "2"}),
    )

    dag_run = run_dag(_deploy_dag("deploy_flaky_polls", deferrable=deferrable))

    assert dag_run.state == "success", task_states(dag_run)
    polls = [r for r in qovery_conn.requests if r.path.endswith("/statuses")]
    assert [p.status for p in polls[:3]] == [502, 0, 429]
    assert polls[3].at - polls[2].at >= 2.0
    text = run_output.text
    assert "retry 1 of 5" in text and "HTTP 429" in text


def test_401_403_404_are_sent_exactly_once(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    for status in (401, 403, 404):
        qovery_conn.reset()
        qovery_conn.add_fault("GET", r"/organization", Fault.status(status))
        ok, message = QoveryHook().test_connection()
        assert not ok and f"HTTP {status}" in message
        assert len(qovery_conn.requests) == 1


def test_a_slow_answer_succeeds_with_default_timeouts(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.add_fault("GET", r"/organization", Fault.latency(8))
    ok, _ = QoveryHook().test_connection()
    assert ok
    assert len(qovery_conn.requests) == 1


def test_a_slow_answer_with_a_short_timeout_names_the_call(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, connection_json(qovery_conn.url, read_timeout=2, max_retries=1))
    qovery_conn.add_fault(
        "GET", r"/environment/[^/]+/deploymentStage", Fault.latency(4), Fault.latency(4)
    )
    with pytest.raises(QoveryTimeoutError) as caught:
        QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)
    assert f"GET /environment/{PRODUCTION_ENV_ID}/deploymentStage" in str(caught.value)
    assert "read_timeout" in str(caught.value)


# -- connections ----------------------------------------------------------------------


def _conn_forms(url: str) -> list[tuple[str, str, str]]:
    host_port = url.removeprefix("http://")
    return [
        ("plain password", connection_json(url, ADMIN_TOKEN), "Token"),
        (
            "JSON form",
            json.dumps({"conn_type": "qovery", "host": url, "password": ADMIN_TOKEN}),
            "Token",
        ),
        (
            "URI, percent-encoded",
            f"qovery://:{quote(SLASH_PLUS_TOKEN, safe='')}@{host_port}",
            "Token",
        ),
        ("already prefixed", connection_json(url, f"Token {ADMIN_TOKEN}"), "Token"),
        ("trailing newline", connection_json(url, f"{ADMIN_TOKEN}\n"), "Token"),
        ("three-part JWT", connection_json(url, JWT_TOKEN), "Bearer"),
        ("forced Bearer", connection_json(url, ADMIN_TOKEN, token_type="Bearer"), "Bearer"),
    ]


def test_every_token_form_gives_one_scheme_and_the_clean_token(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    for label, value, scheme in _conn_forms(qovery_conn.url):
        qovery_conn.reset()
        _use(monkeypatch, value)
        ok, message = QoveryHook().test_connection()
        assert ok, (label, message)  # the fake accepts only the exact, clean token
        (request,) = qovery_conn.requests
        assert (request.auth_scheme, request.auth_words) == (scheme, 2), label


def test_an_empty_password_fails_before_any_request(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, connection_json(qovery_conn.url, ""))
    with pytest.raises(QoveryConfigurationError, match="has no API token"):
        QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)
    assert qovery_conn.requests == []


async def test_host_forms_give_the_same_base_url_in_blocking_and_async_calls(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    host_port = qovery_conn.url.removeprefix("http://")
    host, port = host_port.split(":")
    forms = [
        ({"host": qovery_conn.url + "/"}, qovery_conn.url),
        ({"host": host_port}, qovery_conn.url),
        ({"host": host, "port": int(port)}, qovery_conn.url),
        ({"host": ""}, "https://api.qovery.com"),
        ({}, "https://api.qovery.com"),
    ]
    for fields, expected in forms:
        _use(monkeypatch, json.dumps({"conn_type": "qovery", "password": ADMIN_TOKEN, **fields}))
        hook = QoveryHook()
        blocking = hook.get_client_settings().base_url
        asynchronous = (await hook.aget_client_settings()).base_url
        assert blocking == asynchronous == expected, fields


def test_retries_log_one_warning_each(
    qovery_conn: FakeQoveryAPI, caplog: pytest.LogCaptureFixture
) -> None:
    qovery_conn.add_fault("GET", r"/organization", Fault.status(503), Fault.status(504))
    with caplog.at_level(logging.WARNING, logger="qovery_airflow.client"):
        ok, _ = QoveryHook().test_connection()
    assert ok
    warnings = [r.getMessage() for r in caplog.records if r.name == "qovery_airflow.client"]
    assert len(warnings) == 2
    assert "HTTP 503" in warnings[0] and "retry 1 of 5 in" in warnings[0]


@pytest.mark.parametrize(
    ("fault", "retried"),
    [
        (Fault.status(503), True),
        (Fault.status(429, headers={"Retry-After": "0"}), True),
        (Fault.status(502), False),
        (Fault.status(504), False),
        (Fault.reset(), False),
    ],
    ids=["503", "429", "502", "504", "reset"],
)
def test_a_deploy_is_resent_only_when_it_surely_did_not_start(
    qovery_conn: FakeQoveryAPI, fault: Fault, retried: bool
) -> None:
    from qovery_airflow import endpoints
    from qovery_airflow.errors import QoveryServerError

    qovery_conn.add_fault("POST", r"/environment/[^/]+/deploy", fault)
    client = QoveryHook().client
    if retried:
        client.send(endpoints.deploy_environment(PRODUCTION_ENV_ID))
    else:
        with pytest.raises(QoveryServerError):
            client.send(endpoints.deploy_environment(PRODUCTION_ENV_ID))
    posts = [r for r in qovery_conn.requests if r.method == "POST"]
    assert len(posts) == (2 if retried else 1)


def test_the_idempotent_attach_is_retried_after_a_reset(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.add_fault("PUT", r"/deploymentStage/.*", Fault.reset(), Fault.truncated())
    stages = QoveryHook().attach_service_to_stage(STAGE_BACKEND_ID, SERVICE_API_ID, is_skipped=True)
    assert stages[2].find_service(SERVICE_API_ID).is_skipped  # type: ignore[union-attr]
    assert len([r for r in qovery_conn.requests if r.method == "PUT"]) == 3


def test_connection_refused_is_retried_then_named(monkeypatch: pytest.MonkeyPatch) -> None:
    from qovery_airflow.errors import QoveryConnectionError

    _use(monkeypatch, connection_json("http://127.0.0.1:9", max_retries=2, retry_max_seconds=5))
    with pytest.raises(QoveryConnectionError, match="GET /organization") as caught:
        QoveryHook().client.send(
            __import__("qovery_airflow.endpoints").endpoints.list_organizations()
        )
    assert "ConnectError" in str(caught.value)


def test_error_hints_say_whether_the_call_was_or_may_be_sent_again(
    qovery_conn: FakeQoveryAPI,
) -> None:
    from qovery_airflow import endpoints
    from qovery_airflow.errors import QoveryServerError

    client = QoveryHook().client
    qovery_conn.add_fault("GET", r"/organization", Fault.status(500))
    with pytest.raises(QoveryServerError, match="Such errors are not retried"):
        client.send(endpoints.list_organizations())
    qovery_conn.add_fault("POST", r"/environment/[^/]+/deploy", Fault.status(502))
    with pytest.raises(QoveryServerError, match="it may have reached Qovery"):
        client.send(endpoints.deploy_environment(PRODUCTION_ENV_ID))


@pytest.mark.usefixtures("airflow_db")
def test_mapped_deferrable_deploys_each_keep_their_own_plan(qovery_conn: FakeQoveryAPI) -> None:
    from qovery_airflow.testing import STAGING_ENV_ID

    with DAG(dag_id="mapped_deploys", schedule=None) as dag:
        QoveryDeployEnvironmentOperator.partial(
            task_id="deploy", poll_interval=0.05, deferrable=True
        ).expand(environment_id=[PRODUCTION_ENV_ID, STAGING_ENV_ID])
    dag_run = run_dag(dag)
    assert dag_run.state == "success", task_states(dag_run)
    results = mapped_xcoms(dag_run, "deploy")
    plans = {r["environment_id"]: r["plan"] for r in results}
    assert [s["stage"] for s in plans[PRODUCTION_ENV_ID]] == [
        "databases",
        "jobs",
        "backend",
        "frontend",
    ]
    assert all(isinstance(stage, dict) for stage in plans[STAGING_ENV_ID])


def test_a_failing_console_link_lookup_does_not_change_the_outcome(
    qovery_conn: FakeQoveryAPI,
) -> None:
    """After the deployment ends the links are refreshed; that lookup failing is logged."""
    import threading

    qovery_conn.configure(step_seconds=0.2)

    threading.Timer(
        0.5, lambda: qovery_conn.add_fault("GET", r"/environment/[^/]+", *[Fault.status(500)] * 5)
    ).start()
    operator = QoveryDeployEnvironmentOperator(
        task_id="deploy", environment_id=PRODUCTION_ENV_ID, poll_interval=0.1
    )
    result = operator.execute(bare_task_context())
    assert result["outcome"] == "success"
    assert len([r for r in qovery_conn.requests if r.path.endswith("/deploy")]) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"poll_interval": "soon"}, "poll_interval must be a number of seconds"),
        ({"deployment_timeout": 0}, "deployment_timeout must be a number of seconds"),
        ({"request_retries": "three"}, "request_retries must be a whole number"),
        ({"request_retry_seconds": -1}, "request_retry_seconds must be a number"),
    ],
)
def test_operator_arguments_are_checked_when_the_dag_is_parsed(
    kwargs: dict[str, Any], message: str
) -> None:
    from qovery_airflow.errors import QoveryInvalidInputError

    with pytest.raises(QoveryInvalidInputError, match=message):
        QoveryDeployEnvironmentOperator(task_id="d", environment_id=PRODUCTION_ENV_ID, **kwargs)
    assert (
        QoveryDeployEnvironmentOperator(
            task_id="d", environment_id=PRODUCTION_ENV_ID, poll_interval="15"
        ).poll_interval
        == 15.0
    )


@pytest.mark.parametrize(
    "no_proxy",
    [
        "127.0.0.1,10.0.0.0/8,.corp.internal,::1",  # the exact address, beside a network
        "10.0.0.0/8,127.0.0.0/8",  # only a network holding it (httpx alone misses this)
    ],
    ids=["address", "network"],
)
async def test_dead_proxies_with_no_proxy_reach_the_fake(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch, no_proxy: str
) -> None:
    from qovery_airflow import endpoints

    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    monkeypatch.setenv("NO_PROXY", no_proxy)
    _use(monkeypatch, connection_json(qovery_conn.url, max_retries=0))
    hook = QoveryHook()
    assert len(hook.list_deployment_stages(PRODUCTION_ENV_ID)) == 4
    async with await hook.aget_client() as client:
        stages = await client.send(endpoints.list_deployment_stages(PRODUCTION_ENV_ID))
    assert len(stages) == 4
