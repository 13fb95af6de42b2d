"""Auth, errors and the contract: the fake answers like Qovery and as the spec says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from openapi_schema_validator import OAS30Validator
from referencing import Registry
from referencing.jsonschema import DRAFT4

from qovery_airflow.testing import (
    ADMIN_TOKEN,
    ORGANIZATION_ID,
    PRODUCTION_ENV_ID,
    PROJECT_ID,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    SERVICE_INFRA_ID,
    SERVICE_MIGRATIONS_ID,
    SERVICE_POSTGRES_ID,
    SERVICE_WORKER_ID,
    STAGE_BACKEND_ID,
    STAGING_ENV_ID,
    FakeQoveryAPI,
)
from qovery_airflow.testing._routes import ROUTES

MISSING_ID = "99999999-9999-4999-8999-999999999999"


@pytest.fixture(scope="module")
def lenient() -> Iterator[FakeQoveryAPI]:
    with FakeQoveryAPI(strict=False) as api:
        yield api


def test_every_route_is_an_operation_of_the_spec(spec_dict: dict[str, Any]) -> None:
    paths = spec_dict["paths"]

    missing = [
        f"{route.method} {route.template}"
        for route in ROUTES
        if route.method.lower() not in paths.get(route.template, {})
    ]

    assert missing == []


@pytest.mark.parametrize(
    "authorization",
    [None, "Token wrong", f"Basic {ADMIN_TOKEN}", ADMIN_TOKEN],
)
def test_bad_credentials_get_401(api: FakeQoveryAPI, authorization: str | None) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = httpx.get(f"{api.url}/organization", headers=headers)

    assert response.status_code == 401
    body = response.json()
    assert body["status"] == 401
    assert body["error"] == "Unauthorized"
    assert "token" in body["message"].lower()
    assert api.violations == []


def test_bearer_scheme_is_accepted(api: FakeQoveryAPI) -> None:
    response = httpx.get(
        f"{api.url}/organization", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )

    assert response.status_code == 200


def test_readonly_token_reads_but_cannot_write(
    readonly_client: httpx.Client, api: FakeQoveryAPI
) -> None:
    read = readonly_client.get(f"/environment/{PRODUCTION_ENV_ID}/deploymentStage")
    write = readonly_client.put(f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_CACHE_ID}")
    deploy = readonly_client.post(f"/environment/{PRODUCTION_ENV_ID}/deploy")

    assert read.status_code == 200
    assert write.status_code == 403
    assert deploy.status_code == 403
    assert "read-only" in write.json()["message"]
    assert api.service(SERVICE_CACHE_ID)["is_skipped"] is True
    assert api.violations == []


@pytest.mark.parametrize(
    "path",
    [
        f"/environment/{MISSING_ID}",
        f"/environment/{MISSING_ID}/deploymentStage",
        f"/environment/{MISSING_ID}/status",
        f"/deploymentStage/{MISSING_ID}",
        f"/service/{MISSING_ID}/deploymentStage",
        f"/application/{MISSING_ID}",
        f"/organization/{MISSING_ID}/project",
        # A service asked for under another type's path does not exist either.
        f"/container/{SERVICE_API_ID}",
    ],
)
def test_unknown_ids_get_404_naming_them(client: httpx.Client, path: str) -> None:
    response = client.get(path)

    assert response.status_code == 404
    assert path.split("/")[2] in response.json()["message"]


def test_attach_to_unknown_stage_or_service_is_404(client: httpx.Client) -> None:
    no_stage = client.put(f"/deploymentStage/{MISSING_ID}/service/{SERVICE_API_ID}")
    no_service = client.put(f"/deploymentStage/{STAGE_BACKEND_ID}/service/{MISSING_ID}")

    assert no_stage.status_code == 404
    assert no_service.status_code == 404
    assert MISSING_ID in no_service.json()["message"]


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("GET", "/environment/not-a-uuid/deploymentStage", None),
        (
            "PUT",
            f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_API_ID}",
            b'{"is_skipped": "yes"}',
        ),
        ("PUT", f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_API_ID}", b"[true]"),
        ("POST", f"/environment/{PRODUCTION_ENV_ID}/deploymentStage", b'{"name": '),
        ("POST", f"/environment/{PRODUCTION_ENV_ID}/deploymentStage", b'{"name": 42}'),
    ],
)
def test_malformed_requests_get_400_and_are_recorded(
    client: httpx.Client, api: FakeQoveryAPI, method: str, path: str, content: bytes | None
) -> None:
    headers = {"Content-Type": "application/json"} if content else {}

    response = client.request(method, path, content=content, headers=headers)

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == 400
    assert body["error"] == "Bad Request"
    assert body["message"]
    assert len(api.violations) == 1
    assert api.service(SERVICE_API_ID)["stage_id"] == STAGE_BACKEND_ID


@pytest.mark.parametrize(
    ("method", "path", "content"),
    [
        ("GET", "/environment/not-a-uuid/deploymentStage", None),
        (
            "PUT",
            f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_API_ID}",
            b'{"is_skipped": "yes"}',
        ),
        ("POST", f"/environment/{PRODUCTION_ENV_ID}/deploymentStage", b'{"name": '),
    ],
)
def test_lenient_mode_still_refuses_malformed_requests(
    lenient: FakeQoveryAPI, method: str, path: str, content: bytes | None
) -> None:
    headers = {"Authorization": f"Token {ADMIN_TOKEN}", "Content-Type": "application/json"}

    response = httpx.request(method, lenient.url + path, content=content, headers=headers)

    assert response.status_code == 400
    assert lenient.violations == []


def test_unknown_endpoint_is_404(client: httpx.Client) -> None:
    response = client.get("/environment/x/y/z")

    assert response.status_code == 404
    assert "no Qovery endpoint" in response.json()["message"]


def test_services_list_matches_exactly_one_schema(
    client: httpx.Client, spec_dict: dict[str, Any]
) -> None:
    def without_discriminators(node: object) -> object:
        if isinstance(node, dict):
            return {k: without_discriminators(v) for k, v in node.items() if k != "discriminator"}
        if isinstance(node, list):
            return [without_discriminators(v) for v in node]
        return node

    spec = without_discriminators(spec_dict)
    registry = Registry().with_resource("spec", DRAFT4.create_resource(spec))
    operation = spec["paths"]["/environment/{environmentId}/services"]["get"]  # type: ignore[index]
    item_schema = operation["responses"]["200"]["content"]["application/json"]["schema"]
    branches = item_schema["properties"]["results"]["items"]["oneOf"]

    for env_id in (PRODUCTION_ENV_ID, STAGING_ENV_ID):
        for service in client.get(f"/environment/{env_id}/services").json()["results"]:
            matching = [
                branch["$ref"]
                for branch in branches
                if OAS30Validator({"$ref": "spec" + branch["$ref"]}, registry=registry).is_valid(
                    service
                )
            ]
            assert len(matching) == 1, (service["name"], matching)


def test_normal_traffic_has_no_violations(client: httpx.Client, api: FakeQoveryAPI) -> None:
    env = f"/environment/{PRODUCTION_ENV_ID}"
    reads = [
        "/organization",
        f"/organization/{ORGANIZATION_ID}/project",
        f"/project/{PROJECT_ID}/environment",
        env,
        f"{env}/services",
        f"/environment/{STAGING_ENV_ID}/services",
        f"{env}/deploymentStage",
        f"/environment/{STAGING_ENV_ID}/deploymentStage",
        f"/application/{SERVICE_API_ID}",
        f"/application/{SERVICE_API_ID}/status",
        f"/container/{SERVICE_WORKER_ID}",
        f"/container/{SERVICE_WORKER_ID}/status",
        f"/database/{SERVICE_POSTGRES_ID}",
        f"/database/{SERVICE_POSTGRES_ID}/status",
        f"/job/{SERVICE_MIGRATIONS_ID}",
        f"/job/{SERVICE_MIGRATIONS_ID}/status",
        f"/helm/{SERVICE_CACHE_ID}",
        f"/helm/{SERVICE_CACHE_ID}/status",
        f"/terraform/{SERVICE_INFRA_ID}",
        f"{env}/application",
        f"{env}/container",
        f"{env}/database",
        f"{env}/job",
        f"{env}/helm",
        f"{env}/terraform",
        f"/service/{SERVICE_API_ID}/deploymentStage",
        f"{env}/status",
        f"{env}/statuses",
        f"{env}/deploymentQueue",
        f"{env}/logs",
    ]
    for path in reads:
        assert client.get(path).status_code == 200, path

    stage = client.post(f"{env}/deploymentStage", json={"name": "extra", "description": None})
    stage_id = stage.json()["id"]
    client.put(f"/deploymentStage/{stage_id}", json={"name": "extra2"})
    client.put(f"/deploymentStage/{stage_id}/moveBefore/{STAGE_BACKEND_ID}")
    client.put(
        f"/deploymentStage/{stage_id}/service/{SERVICE_WORKER_ID}", json={"is_skipped": True}
    )
    client.put(f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_WORKER_ID}")
    assert client.delete(f"/deploymentStage/{stage_id}").status_code == 204
    deployed = client.post(f"{env}/deploy").json()
    assert client.get(f"{env}/deploymentQueue").json()["results"]
    client.get(
        "/environment/deploymentStatus",
        params={"deploymentRequestId": deployed["deployment_request_id"]},
    )
    client.get(f"{env}/statuses")
    client.get(f"{env}/logs", params={"version": f"{PRODUCTION_ENV_ID}-2"})
    assert client.post(f"{env}/cancelDeployment").status_code == 202
    client.post(
        f"{env}/service/deploy",
        json={
            "applications": [{"application_id": SERVICE_API_ID, "git_commit_id": "abc"}],
            "databases": [SERVICE_POSTGRES_ID],
            "jobs": [{"id": SERVICE_MIGRATIONS_ID, "git_commit_id": "def"}],
            "helms": [{"id": SERVICE_CACHE_ID, "chart_version": "20.0.0"}],
            "terraforms": [{"id": SERVICE_INFRA_ID, "git_commit_id": "123"}],
        },
    )
    client.post(f"/project/{PROJECT_ID}/environment", json={"name": "qa", "mode": "STAGING"})

    assert all(r.status < 400 for r in api.requests), [r for r in api.requests if r.status >= 400]
    assert api.violations == []
