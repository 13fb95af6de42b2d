"""Simulated deployments: progression, queueing, failures with logs, cancel, staleness."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest

from qovery_airflow.testing import (
    ADMIN_TOKEN,
    PRODUCTION_ENV_ID,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    SERVICE_MIGRATIONS_ID,
    SERVICE_POSTGRES_ID,
    SERVICE_WEB_ID,
    SERVICE_WORKER_ID,
    STAGING_ENV_ID,
    FakeQoveryAPI,
)

ENV = f"/environment/{PRODUCTION_ENV_ID}"
FIRST_EXECUTION = f"{PRODUCTION_ENV_ID}-1"
TERMINAL = {"DEPLOYED", "DEPLOYMENT_ERROR", "BUILD_ERROR", "CANCELED"}


@pytest.fixture
def fake(request: pytest.FixtureRequest) -> Iterator[FakeQoveryAPI]:
    options: dict[str, Any] = getattr(request, "param", {})
    with FakeQoveryAPI(**{"step_seconds": 0.05, **options}) as api:
        yield api


@pytest.fixture
def http(fake: FakeQoveryAPI) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {ADMIN_TOKEN}"}
    with httpx.Client(base_url=fake.url, headers=headers, timeout=5) as client:
        yield client


def wait_for(check: Callable[[], Any], timeout: float = 5.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"condition not met within {timeout}s")


def statuses_by_id(http: httpx.Client) -> dict[str, dict[str, Any]]:
    body = http.get(f"{ENV}/statuses").json()
    lists = ("applications", "containers", "jobs", "databases", "helms", "terraforms")
    return {status["id"]: status for name in lists for status in body[name]} | {
        "environment": body["environment"]
    }


def finished(http: httpx.Client, execution_id: str) -> dict[str, Any] | None:
    status = http.get(f"{ENV}/status").json()
    if status["last_deployment_id"] == execution_id and status["state"] in TERMINAL:
        return dict(status)
    return None


def dedupe(states: list[str]) -> list[str]:
    return [s for i, s in enumerate(states) if i == 0 or states[i - 1] != s]


@pytest.mark.parametrize("fake", [{"step_seconds": 0.1}], indirect=True)
def test_environment_deploy_progresses_stage_by_stage(
    http: httpx.Client, fake: FakeQoveryAPI
) -> None:
    triggered = http.post(f"{ENV}/deploy")

    assert triggered.status_code == 202
    answer = triggered.json()
    # Qovery answers with the pre-trigger snapshot and the id of the new request.
    assert answer["state"] == "DEPLOYED"
    assert answer["execution_id"] == FIRST_EXECUTION
    assert answer["deployment_request_id"]
    env_states: list[str] = []
    api_states: list[str] = []
    job_states: list[str] = []
    web_seen_before_api_done = False
    while True:
        statuses = statuses_by_id(http)
        env = statuses["environment"]
        env_states.append(env["state"])
        api_states.append(statuses[SERVICE_API_ID]["state"])
        job_states.append(statuses[SERVICE_MIGRATIONS_ID]["state"])
        if statuses[SERVICE_WEB_ID]["state"] in ("BUILDING", "DEPLOYING"):
            web_seen_before_api_done |= statuses[SERVICE_API_ID]["state"] != "DEPLOYED"
        if env["state"] in TERMINAL:
            break
        time.sleep(0.02)

    execution_id = f"{PRODUCTION_ENV_ID}-2"
    assert env_states[-1] == "DEPLOYED"
    assert set(env_states) <= {"DEPLOYED", "DEPLOYMENT_QUEUED", "BUILDING", "DEPLOYING"}
    assert {"BUILDING", "DEPLOYING"} <= set(env_states)
    assert dedupe(api_states)[-4:] == ["QUEUED", "BUILDING", "DEPLOYING", "DEPLOYED"]
    assert "EXECUTING" in job_states
    assert not web_seen_before_api_done
    final = statuses_by_id(http)
    assert final["environment"]["last_deployment_id"] == execution_id
    assert final["environment"]["last_deployment_state"] == "DEPLOYED"
    for service_id in (SERVICE_API_ID, SERVICE_WEB_ID, SERVICE_POSTGRES_ID, SERVICE_WORKER_ID):
        status = final[service_id]
        assert status["execution_id"] == execution_id
        assert status["is_part_last_deployment"] is True
        assert status["status_details"] == {
            "action": "DEPLOY",
            "status": "SUCCESS",
            "sub_action": "NONE",
        }
    # The skipped helm chart was left out.
    assert final[SERVICE_CACHE_ID]["execution_id"] == FIRST_EXECUTION
    assert final[SERVICE_CACHE_ID]["is_part_last_deployment"] is False
    assert fake.violations == []


def test_service_deploy_records_versions_and_queues_behind_a_running_one(
    http: httpx.Client, fake: FakeQoveryAPI
) -> None:
    first = http.post(f"{ENV}/deploy").json()["deployment_request_id"]
    second = http.post(
        f"{ENV}/service/deploy",
        json={
            "applications": [{"application_id": SERVICE_WEB_ID, "git_commit_id": "cafe" * 10}],
            "containers": [{"id": SERVICE_WORKER_ID, "image_tag": "2.0.0"}],
        },
    )

    assert second.status_code == 202
    second_id = second.json()["deployment_request_id"]
    assert second_id != first
    assert fake.service(SERVICE_WEB_ID)["version"]["git_commit_id"] == "cafe" * 10
    queue = http.get(f"{ENV}/deploymentQueue").json()["results"]
    assert [q["identifier"]["deployment_request_id"] for q in queue] == [first, second_id]
    queued = http.get("/environment/deploymentStatus", params={"deploymentRequestId": second_id})
    assert queued.json()["status"] == "DEPLOYMENT_QUEUED"

    wait_for(lambda: finished(http, f"{PRODUCTION_ENV_ID}-3"), timeout=8)

    done = http.get("/environment/deploymentStatus", params={"deploymentRequestId": second_id})
    assert done.json()["status"] == "DEPLOYED"
    statuses = statuses_by_id(http)
    assert statuses[SERVICE_WEB_ID]["execution_id"] == f"{PRODUCTION_ENV_ID}-3"
    assert statuses[SERVICE_API_ID]["execution_id"] == f"{PRODUCTION_ENV_ID}-2"
    assert statuses[SERVICE_API_ID]["is_part_last_deployment"] is False
    web = http.get(f"/application/{SERVICE_WEB_ID}").json()
    assert web["git_repository"]["deployed_commit_id"] == "cafe" * 10
    assert http.get(f"/container/{SERVICE_WORKER_ID}").json()["tag"] == "2.0.0"
    assert http.get(f"{ENV}/deploymentQueue").json()["results"] == []
    assert fake.violations == []


def test_service_deploy_validates_the_lists(http: httpx.Client, fake: FakeQoveryAPI) -> None:
    wrong_type = http.post(
        f"{ENV}/service/deploy", json={"containers": [{"id": SERVICE_API_ID, "image_tag": "x"}]}
    )
    other_env = http.post(
        f"/environment/{STAGING_ENV_ID}/service/deploy",
        json={"applications": [{"application_id": SERVICE_API_ID}]},
    )
    nothing = http.post(f"{ENV}/service/deploy", json={})

    assert wrong_type.status_code == 400
    assert "APPLICATION" in wrong_type.json()["message"]
    assert other_env.status_code == 400
    assert STAGING_ENV_ID in other_env.json()["message"]
    assert nothing.status_code == 400
    assert fake.requests[-1].status == 400
    assert fake.violations == []


def test_failed_service_stops_later_stages_and_logs_why(
    http: httpx.Client, fake: FakeQoveryAPI
) -> None:
    fake.fail_service(SERVICE_API_ID, "BUILD_ERROR", message="npm ERR! missing script: build")

    http.post(f"{ENV}/deploy")
    env = wait_for(lambda: finished(http, f"{PRODUCTION_ENV_ID}-2"))

    assert env["state"] == "DEPLOYMENT_ERROR"
    assert env["last_deployment_state"] == "DEPLOYMENT_ERROR"
    statuses = statuses_by_id(http)
    assert statuses[SERVICE_API_ID]["state"] == "BUILD_ERROR"
    assert statuses[SERVICE_API_ID]["status_details"]["status"] == "ERROR"
    # Same stage, deployed in parallel; the frontend stage never ran.
    assert statuses[SERVICE_WORKER_ID]["state"] == "DEPLOYED"
    assert statuses[SERVICE_WEB_ID]["execution_id"] == FIRST_EXECUTION
    assert statuses[SERVICE_WEB_ID]["state"] == "DEPLOYED"
    assert fake.service(SERVICE_API_ID)["state"] == "BUILD_ERROR"

    logs = http.get(f"{ENV}/logs", params={"version": f"{PRODUCTION_ENV_ID}-2"}).json()
    errors = [line for line in logs if line.get("error")]
    assert len(errors) == 1
    assert errors[0]["error"]["user_log_message"] == "npm ERR! missing script: build"
    assert "npm ERR!" in errors[0]["message"]["safe_message"]
    assert errors[0]["details"]["transmitter"]["id"] == SERVICE_API_ID
    assert all(line["details"]["execution_id"] == f"{PRODUCTION_ENV_ID}-2" for line in logs)
    assert http.get(f"{ENV}/logs", params={"version": "nope"}).json() == []
    assert fake.violations == []


def test_deployment_error_after_deploying(http: httpx.Client, fake: FakeQoveryAPI) -> None:
    fake.fail_service(SERVICE_POSTGRES_ID, "DEPLOYMENT_ERROR", times=1)

    http.post(f"{ENV}/deploy")
    env = wait_for(lambda: finished(http, f"{PRODUCTION_ENV_ID}-2"))

    assert env["state"] == "DEPLOYMENT_ERROR"
    statuses = statuses_by_id(http)
    assert statuses[SERVICE_POSTGRES_ID]["state"] == "DEPLOYMENT_ERROR"
    assert statuses[SERVICE_MIGRATIONS_ID]["execution_id"] == FIRST_EXECUTION

    http.post(f"{ENV}/deploy")
    again = wait_for(lambda: finished(http, f"{PRODUCTION_ENV_ID}-3"))
    assert again["state"] == "DEPLOYED"


@pytest.mark.parametrize("fake", [{"step_seconds": 0.2}], indirect=True)
def test_cancel_a_running_deployment(http: httpx.Client, fake: FakeQoveryAPI) -> None:
    idle = http.post(f"{ENV}/cancelDeployment")
    assert idle.status_code == 409
    assert "no deployment to cancel" in idle.json()["message"]

    http.post(f"{ENV}/deploy")
    wait_for(lambda: http.get(f"{ENV}/status").json()["state"] in ("BUILDING", "DEPLOYING"))
    canceled = http.post(f"{ENV}/cancelDeployment", json={"force_cancel": False})

    assert canceled.status_code == 202
    assert canceled.json()["state"] == "CANCELING"
    env = wait_for(lambda: finished(http, f"{PRODUCTION_ENV_ID}-2"))
    assert env["state"] == "CANCELED"
    statuses = statuses_by_id(http)
    # Started or still waiting for its stage, every service of the run ends CANCELED.
    for service_id in (SERVICE_POSTGRES_ID, SERVICE_WEB_ID):
        assert statuses[service_id]["state"] == "CANCELED"
        assert statuses[service_id]["status_details"]["status"] == "CANCELED"
        assert statuses[service_id]["execution_id"] == f"{PRODUCTION_ENV_ID}-2"
    assert statuses[SERVICE_CACHE_ID]["execution_id"] == FIRST_EXECUTION
    assert fake.violations == []


@pytest.mark.parametrize("fake", [{"step_seconds": 5}], indirect=True)
def test_cancel_while_still_queued(http: httpx.Client, fake: FakeQoveryAPI) -> None:
    http.post(f"{ENV}/deploy")
    assert http.get(f"{ENV}/status").json()["state"] == "DEPLOYMENT_QUEUED"

    canceled = http.post(f"{ENV}/cancelDeployment")

    assert canceled.status_code == 202
    assert canceled.json()["state"] == "CANCELING"
    assert canceled.json()["last_deployment_id"] == f"{PRODUCTION_ENV_ID}-2"
    assert fake.service(SERVICE_API_ID)["state"] == "CANCELING"
    assert fake.violations == []


@pytest.mark.parametrize("fake", [{"step_seconds": 0}], indirect=True)
def test_zero_step_finishes_before_the_first_poll(http: httpx.Client, fake: FakeQoveryAPI) -> None:
    request_id = http.post(f"{ENV}/deploy").json()["deployment_request_id"]

    status = http.get(f"{ENV}/status").json()

    assert status["state"] == "DEPLOYED"
    assert status["last_deployment_id"] == f"{PRODUCTION_ENV_ID}-2"
    by_request = http.get(
        "/environment/deploymentStatus", params={"deploymentRequestId": request_id}
    )
    assert by_request.json()["status"] == "DEPLOYED"
    assert fake.violations == []


@pytest.mark.parametrize("fake", [{"step_seconds": 0, "stale_seconds": 0.4}], indirect=True)
def test_status_is_stale_right_after_a_trigger(http: httpx.Client, fake: FakeQoveryAPI) -> None:
    http.post(f"{ENV}/deploy")

    stale = http.get(f"{ENV}/status").json()
    stale_service = statuses_by_id(http)[SERVICE_API_ID]
    time.sleep(0.45)
    fresh = http.get(f"{ENV}/status").json()

    assert stale["last_deployment_id"] == FIRST_EXECUTION
    assert stale_service["execution_id"] == FIRST_EXECUTION
    assert fresh["last_deployment_id"] == f"{PRODUCTION_ENV_ID}-2"
    assert fake.violations == []


def test_unknown_deployment_request_is_404(http: httpx.Client) -> None:
    response = http.get(
        "/environment/deploymentStatus",
        params={"deploymentRequestId": "99999999-9999-4999-8999-999999999999"},
    )

    assert response.status_code == 404
    assert "99999999-9999-4999-8999-999999999999" in response.json()["message"]
