"""QoveryDeploymentTrigger driven directly: serialization, polling, retries, deadline."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from qovery_airflow import endpoints
from qovery_airflow.testing import PRODUCTION_ENV_ID, FakeQoveryAPI, Fault
from qovery_airflow.triggers.deployment import QoveryDeploymentTrigger
from qovery_airflow.watch import WatchSpec
from tests.conftest import CANARY_TOKEN, connection_json


def _trigger(**watch: Any) -> QoveryDeploymentTrigger:
    spec = WatchSpec(environment_id=PRODUCTION_ENV_ID, **watch)
    return QoveryDeploymentTrigger(watch=spec.to_dict(), poll_interval=0.05)


async def _first_event(trigger: QoveryDeploymentTrigger) -> dict[str, Any]:
    event = await trigger.run().__anext__()
    return dict(event.payload)


def test_serialized_kwargs_are_plain_json_without_the_token(
    fake_api: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AIRFLOW_CONN_QOVERY_DEFAULT", connection_json(fake_api.url, CANARY_TOKEN))
    trigger = _trigger(deadline=time.time() + 60, deployment_request_id=None)
    classpath, kwargs = trigger.serialize()
    assert classpath == "qovery_airflow.triggers.deployment.QoveryDeploymentTrigger"
    assert json.loads(json.dumps(kwargs)) == kwargs
    assert kwargs["qovery_conn_id"] == "qovery_default"
    assert CANARY_TOKEN not in json.dumps(kwargs) + repr(trigger)
    rebuilt = QoveryDeploymentTrigger(**kwargs)
    assert rebuilt.serialize() == (classpath, kwargs)


async def test_final_event_for_the_current_deployment(qovery_conn: FakeQoveryAPI) -> None:
    event = await _first_event(_trigger())
    assert event["status"] == "final"
    assert event["result"]["outcome"] == "success"
    assert event["result"]["state"] == "DEPLOYED"
    assert all(r.method == "GET" for r in qovery_conn.requests)


async def test_transient_errors_are_retried_until_success(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.add_fault(
        "GET",
        r"/environment/[^/]+/statuses",
        Fault.status(502),
        Fault.reset(),
        Fault.status(503),
    )
    event = await _first_event(_trigger(deadline=time.time() + 60))
    assert event["status"] == "final"
    assert len([r for r in qovery_conn.requests if r.path.endswith("/statuses")]) >= 2


async def test_deadline_gives_a_timeout_event(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.script_environment_status(
        PRODUCTION_ENV_ID, [{"state": "DEPLOYING", "last_deployment_state": "DEPLOYING"}] * 100
    )
    started = time.monotonic()
    event = await _first_event(_trigger(deadline=time.time() + 1))
    assert event["status"] == "timeout"
    assert 1.0 <= time.monotonic() - started < 3.0
    assert event["result"]["outcome"] == "timeout"
    assert all(r.method == "GET" for r in qovery_conn.requests)


async def test_permanent_errors_end_the_wait(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = CANARY_TOKEN + "-revoked"
    monkeypatch.setenv("AIRFLOW_CONN_QOVERY_DEFAULT", connection_json(qovery_conn.url, wrong))
    event = await _first_event(_trigger(deadline=time.time() + 60))
    assert event["status"] == "error"
    assert "HTTP 401" in event["message"]
    assert wrong not in json.dumps(event)
    assert len(qovery_conn.requests) == 1


async def test_on_kill_cancels_the_deployment_the_task_started(qovery_conn: FakeQoveryAPI) -> None:
    from qovery_airflow.hooks.qovery import QoveryHook

    qovery_conn.configure(step_seconds=1.0)
    QoveryHook().client.send(endpoints.deploy_environment(PRODUCTION_ENV_ID))
    await _trigger(has_baseline=True).on_kill()
    await _trigger().on_kill()  # a sensor's watch: it started nothing, so cancels nothing
    silent = _trigger(has_baseline=True)
    silent.cancel_on_kill = False
    await silent.on_kill()
    cancels = [r for r in qovery_conn.requests if r.path.endswith("/cancelDeployment")]
    assert len(cancels) == 1
