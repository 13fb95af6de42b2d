"""QoveryHook against the fake Qovery API over real HTTP on 127.0.0.1."""

from __future__ import annotations

import json
from typing import Any

import pytest

from qovery_airflow.errors import (
    QoveryAuthenticationError,
    QoveryConfigurationError,
    QoveryInvalidInputError,
    QoveryRequestRejectedError,
    QoveryResourceNotFoundError,
    QoveryUnexpectedResponseError,
)
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.testing import (
    PRODUCTION_ENV_ID,
    READONLY_TOKEN,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    STAGE_BACKEND_ID,
    STAGE_FRONTEND_ID,
    STAGE_JOBS_ID,
    FakeQoveryAPI,
    Fault,
)
from tests.conftest import connection_json

MISSING_ID = "00000000-0000-4000-8000-0000000000ff"


def _use(monkeypatch: pytest.MonkeyPatch, value: str, conn_id: str = "qovery_default") -> None:
    monkeypatch.setenv(f"AIRFLOW_CONN_{conn_id.upper()}", value)


def test_lists_stages_in_order_with_link_and_service_ids(qovery_conn: FakeQoveryAPI) -> None:
    stages = QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)
    assert [s.name for s in stages] == ["databases", "jobs", "backend", "frontend"]
    assert [s.deployment_order for s in stages] == [0, 1, 2, 3]
    backend = stages[2]
    entry = backend.find_service(SERVICE_API_ID)
    assert entry is not None and entry.id != entry.service_id
    assert entry.service_type == "APPLICATION"
    assert stages[1].find_service(SERVICE_CACHE_ID).is_skipped is True  # type: ignore[union-attr]


def test_attach_skips_and_restages(qovery_conn: FakeQoveryAPI) -> None:
    hook = QoveryHook()
    stages = hook.attach_service_to_stage(STAGE_BACKEND_ID, SERVICE_API_ID, is_skipped=True)
    backend = next(s for s in stages if s.id == STAGE_BACKEND_ID)
    assert backend.find_service(SERVICE_API_ID).is_skipped is True  # type: ignore[union-attr]

    stages = hook.attach_service_to_stage(STAGE_FRONTEND_ID, SERVICE_API_ID, is_skipped=False)
    frontend = next(s for s in stages if s.id == STAGE_FRONTEND_ID)
    assert frontend.find_service(SERVICE_API_ID).is_skipped is False  # type: ignore[union-attr]
    assert hook.get_service_deployment_stage(SERVICE_API_ID).id == STAGE_FRONTEND_ID
    sent = [r for r in qovery_conn.requests if r.method == "PUT"]
    assert [r.body for r in sent] == [{"is_skipped": True}, {"is_skipped": False}]


def test_requests_carry_token_scheme_and_user_agent(qovery_conn: FakeQoveryAPI) -> None:
    hook = QoveryHook()
    hook.get_environment(PRODUCTION_ENV_ID)
    headers = hook.client.settings.httpx_options()["headers"]
    assert headers["Authorization"].startswith("Token ")
    assert headers["User-Agent"].startswith("qovery-airflow/")


def test_test_connection(qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    ok, message = QoveryHook().test_connection()
    assert ok and "acme" in message
    _use(monkeypatch, connection_json(qovery_conn.url, token="wrong-token"))
    ok, message = QoveryHook().test_connection()
    assert not ok and "HTTP 401" in message


def test_401_names_the_call_and_what_to_check(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, connection_json(qovery_conn.url, token="wrong-token"))
    with pytest.raises(QoveryAuthenticationError) as caught:
        QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)
    text = str(caught.value)
    assert f"GET /environment/{PRODUCTION_ENV_ID}/deploymentStage" in text
    assert "HTTP 401" in text and "API token" in text
    assert "wrong-token" not in text
    assert len(qovery_conn.requests) == 1


def test_403_for_a_read_only_token_is_not_retried(
    qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch
) -> None:
    _use(monkeypatch, connection_json(qovery_conn.url, token=READONLY_TOKEN))
    with pytest.raises(QoveryAuthenticationError, match="HTTP 403"):
        QoveryHook().attach_service_to_stage(STAGE_BACKEND_ID, SERVICE_API_ID, is_skipped=True)
    assert len(qovery_conn.requests) == 1


def test_404_for_an_unknown_stage(qovery_conn: FakeQoveryAPI) -> None:
    with pytest.raises(QoveryResourceNotFoundError, match="HTTP 404") as caught:
        QoveryHook().attach_service_to_stage(MISSING_ID, SERVICE_API_ID, is_skipped=False)
    assert f"PUT /deploymentStage/{MISSING_ID}/service/{SERVICE_API_ID}" in str(caught.value)
    assert len(qovery_conn.requests) == 1


def test_400_carries_qoverys_message(qovery_conn: FakeQoveryAPI) -> None:
    body = {"status": 400, "detail": "service cannot be attached to this stage"}
    qovery_conn.add_fault("PUT", r"/deploymentStage/.*", Fault.status(400, body=body))
    with pytest.raises(QoveryRequestRejectedError) as caught:
        QoveryHook().attach_service_to_stage(STAGE_JOBS_ID, SERVICE_API_ID, is_skipped=False)
    assert "service cannot be attached to this stage" in str(caught.value)


def test_a_body_that_is_not_json_is_a_clear_error(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.add_fault("GET", r"/environment/.*/deploymentStage", Fault.not_json())
    with pytest.raises(QoveryUnexpectedResponseError, match="not JSON"):
        QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)


def test_malformed_ids_fail_before_any_request(qovery_conn: FakeQoveryAPI) -> None:
    with pytest.raises(QoveryInvalidInputError, match="deployment_stage_id"):
        QoveryHook().attach_service_to_stage("backend", SERVICE_API_ID, is_skipped=True)
    assert qovery_conn.requests == []


@pytest.mark.parametrize(
    ("conn", "match"),
    [
        ({"conn_type": "qovery", "host": "127.0.0.1"}, "has no API token"),
        ({"conn_type": "qovery", "password": "   "}, "has no API token"),
        ({"conn_type": "http", "password": "tok"}, "type 'http'"),
        ({"conn_type": "qovery", "password": "t", "extra": {"token_type": "Basic"}}, "Basic"),
    ],
)
def test_unusable_connections_fail_before_any_request(
    qovery_conn: FakeQoveryAPI,
    monkeypatch: pytest.MonkeyPatch,
    conn: dict[str, Any],
    match: str,
) -> None:
    _use(monkeypatch, json.dumps(conn))
    with pytest.raises(QoveryConfigurationError, match=match):
        QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)
    assert qovery_conn.requests == []


def test_uri_form_connection(qovery_conn: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch) -> None:
    host_port = qovery_conn.url.removeprefix("http://")
    _use(monkeypatch, f"qovery://:fake-qovery-api-token@{host_port}")
    assert QoveryHook().client.settings.base_url == qovery_conn.url
    assert len(QoveryHook().list_deployment_stages(PRODUCTION_ENV_ID)) == 4


async def test_async_client_reads_the_same_settings(qovery_conn: FakeQoveryAPI) -> None:
    from qovery_airflow import endpoints

    hook = QoveryHook()
    async with await hook.aget_client() as client:
        stages = await client.send(endpoints.list_deployment_stages(PRODUCTION_ENV_ID))
        assert client.settings == hook.client.settings
    assert len(stages) == 4


def test_a_redirect_is_an_error_about_the_api_url(qovery_conn: FakeQoveryAPI) -> None:
    qovery_conn.add_fault(
        "GET",
        r"/organization",
        Fault.status(301, body={"moved": True}, headers={"Location": "https://example.org/"}),
    )
    ok, message = QoveryHook().test_connection()
    assert not ok
    assert "a redirect to 'https://example.org/'" in message and "API URL" in message


def test_an_html_error_page_is_summarised_not_pasted(qovery_conn: FakeQoveryAPI) -> None:
    page = "<!DOCTYPE html>\n<html><body>\n<h1>502 Bad Gateway</h1>\n" + "x" * 5000
    qovery_conn.add_fault("GET", r"/organization", *[Fault.status(500, body=page)])
    ok, message = QoveryHook().test_connection()
    assert not ok
    assert "an HTML page instead of Qovery's JSON" in message
    assert "xxxx" not in message
