"""Injected faults as a client sees them, and scripted environment statuses."""

from __future__ import annotations

import time

import httpx
import pytest

from qovery_airflow.testing import PRODUCTION_ENV_ID, FakeQoveryAPI, Fault

STATUS = f"/environment/{PRODUCTION_ENV_ID}/status"
STATUS_REGEX = r"/environment/[^/]+/status"


def test_status_faults_are_consumed_in_order(client: httpx.Client, api: FakeQoveryAPI) -> None:
    api.add_fault(
        "GET",
        STATUS_REGEX,
        Fault.status(502),
        Fault.status(429, headers={"Retry-After": "2"}),
        Fault.status(503, body={"detail": "maintenance"}),
    )

    bad_gateway = client.get(STATUS)
    limited = client.get(STATUS)
    custom = client.get(STATUS)
    normal = client.get(STATUS)
    other_route = client.get(f"/environment/{PRODUCTION_ENV_ID}/statuses")

    assert bad_gateway.status_code == 502
    assert bad_gateway.json() == {
        "status": 502,
        "error": "Bad Gateway",
        "message": "Injected fault from the fake Qovery API",
    }
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "2"
    assert custom.json() == {"detail": "maintenance"}
    assert normal.status_code == 200
    assert other_route.status_code == 200
    assert [r.status for r in api.requests] == [502, 429, 503, 200, 200]
    assert api.violations == []


def test_reset_breaks_the_connection(api: FakeQoveryAPI) -> None:
    api.add_fault("GET", STATUS_REGEX, Fault.reset())

    with httpx.Client(base_url=api.url, headers={"Authorization": "Token x"}) as http:
        with pytest.raises((httpx.RemoteProtocolError, httpx.ReadError, httpx.ConnectError)):
            http.get(STATUS)
        # The next request gets a fresh connection and a normal (here: 401) answer.
        assert http.get(STATUS).status_code == 401
    assert api.requests[0].status == 0


def test_truncated_body_is_a_protocol_error(client: httpx.Client, api: FakeQoveryAPI) -> None:
    api.add_fault("GET", STATUS_REGEX, Fault.truncated())

    with pytest.raises(httpx.RemoteProtocolError):
        client.get(STATUS)
    assert client.get(STATUS).status_code == 200


def test_not_json_and_empty(client: httpx.Client, api: FakeQoveryAPI) -> None:
    api.add_fault("*", STATUS_REGEX, Fault.not_json(), Fault.not_json(503), Fault.empty())

    html = client.get(STATUS)
    html_503 = client.get(STATUS)
    empty = client.get(STATUS)

    assert html.status_code == 200
    assert html.headers["content-type"].startswith("text/html")
    with pytest.raises(ValueError, match="Expecting value"):
        html.json()
    assert html_503.status_code == 503
    assert empty.status_code == 204
    assert empty.content == b""
    assert api.violations == []


def test_latency_delays_then_answers(client: httpx.Client, api: FakeQoveryAPI) -> None:
    api.add_fault("GET", STATUS_REGEX, Fault.latency(0.3))

    started = time.monotonic()
    response = client.get(STATUS)

    assert response.status_code == 200
    assert time.monotonic() - started >= 0.3
    api.add_fault("GET", STATUS_REGEX, Fault.latency(0.5))
    with pytest.raises(httpx.ReadTimeout):
        client.get(STATUS, timeout=0.1)
    # The fake still answers the abandoned request; let it land before the next test.
    deadline = time.monotonic() + 2
    while len(api.requests) < 2 and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [r.status for r in api.requests] == [200, 200]


def test_fault_specs_parse() -> None:
    assert Fault.parse("502") == Fault.status(502)
    assert Fault.parse("429:retry-after=2").headers == {"Retry-After": "2"}
    assert Fault.parse("reset") == Fault.reset()
    assert Fault.parse("truncated") == Fault.truncated()
    assert Fault.parse("not-json") == Fault.not_json()
    assert Fault.parse("empty") == Fault.empty()
    assert Fault.parse("latency=8") == Fault.latency(8)
    with pytest.raises(ValueError, match="unknown fault"):
        Fault.parse("explode")


def test_admin_routes(client: httpx.Client, api: FakeQoveryAPI) -> None:
    added = httpx.post(
        f"{api.url}/_fake/faults",
        json={"method": "GET", "path": STATUS_REGEX, "faults": ["502", "reset"]},
    )
    assert added.status_code == 200
    assert client.get(STATUS).status_code == 502

    state = httpx.get(f"{api.url}/_fake/state").json()
    assert state["faults"] == [{"method": "GET", "path": STATUS_REGEX, "faults": ["reset"]}]
    assert any(env["id"] == PRODUCTION_ENV_ID for env in state["environments"])
    log = httpx.get(f"{api.url}/_fake/requests").json()["results"]
    assert [entry["status"] for entry in log] == [502]

    assert httpx.post(f"{api.url}/_fake/reset").status_code == 200
    assert client.get(STATUS).status_code == 200
    assert len(api.requests) == 1


def test_scripted_statuses_then_simulation(client: httpx.Client, api: FakeQoveryAPI) -> None:
    api.script_environment_status(
        PRODUCTION_ENV_ID,
        [
            {"state": "WAITING_RUNNING"},
            {"state": "SOMETHING_NEW", "last_deployment_id": None},
        ],
    )

    first = client.get(STATUS).json()
    second = client.get(f"/environment/{PRODUCTION_ENV_ID}/statuses").json()["environment"]
    third = client.get(STATUS).json()

    assert first["state"] == "WAITING_RUNNING"
    assert first["id"] == PRODUCTION_ENV_ID
    assert second["state"] == "SOMETHING_NEW"
    assert second["last_deployment_id"] is None
    assert third["state"] == "DEPLOYED"
    assert api.violations == []
