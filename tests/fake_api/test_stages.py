"""Deployment-stage endpoints of the fake: listing, editing, ordering and attaching services."""

from __future__ import annotations

from typing import Any

import httpx

from qovery_airflow.testing import (
    PRODUCTION_ENV_ID,
    PROJECT_ID,
    SERVICE_API_ID,
    SERVICE_CACHE_ID,
    SERVICE_POSTGRES_ID,
    SERVICE_WORKER_ID,
    STAGE_BACKEND_ID,
    STAGE_DATABASES_ID,
    STAGE_FRONTEND_ID,
    STAGE_JOBS_ID,
    STAGING_ENV_ID,
    FakeQoveryAPI,
)


def _names(response: httpx.Response) -> list[str]:
    return [stage["name"] for stage in response.json()["results"]]


def _stage_of(
    stages: list[dict[str, Any]], service_id: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    for stage in stages:
        for link in stage["services"]:
            if link["service_id"] == service_id:
                return stage, link
    raise AssertionError(f"service {service_id} is in no stage")


def test_list_shows_seeded_stages_in_order(client: httpx.Client, api: FakeQoveryAPI) -> None:
    response = client.get(f"/environment/{PRODUCTION_ENV_ID}/deploymentStage")

    assert response.status_code == 200
    results = response.json()["results"]
    assert [s["name"] for s in results] == ["databases", "jobs", "backend", "frontend"]
    assert [s["id"] for s in results] == [
        STAGE_DATABASES_ID,
        STAGE_JOBS_ID,
        STAGE_BACKEND_ID,
        STAGE_FRONTEND_ID,
    ]
    assert [s["deployment_order"] for s in results] == [0, 1, 2, 3]
    assert results == api.stages(PRODUCTION_ENV_ID)
    cache_stage, cache_link = _stage_of(results, SERVICE_CACHE_ID)
    assert cache_stage["id"] == STAGE_JOBS_ID
    assert cache_link["is_skipped"] is True
    assert cache_link["id"] != SERVICE_CACHE_ID
    assert api.violations == []


def test_staging_has_the_four_default_stages(client: httpx.Client) -> None:
    stages = client.get(f"/environment/{STAGING_ENV_ID}/deploymentStage").json()["results"]

    assert [s["name"] for s in stages] == [
        "DATABASE DEFAULT",
        "JOB DEFAULT",
        "CONTAINER DEFAULT",
        "APPLICATION DEFAULT",
    ]
    kinds = {s["name"]: [link["service_type"] for link in s["services"]] for s in stages}
    assert kinds["DATABASE DEFAULT"] == ["DATABASE"]
    assert kinds["CONTAINER DEFAULT"] == ["CONTAINER"]
    assert kinds["APPLICATION DEFAULT"] == ["APPLICATION"]


def test_new_environment_gets_default_stages(client: httpx.Client, api: FakeQoveryAPI) -> None:
    created = client.post(f"/project/{PROJECT_ID}/environment", json={"name": "preview-42"})
    assert created.status_code == 201
    env_id = created.json()["id"]

    stages = client.get(f"/environment/{env_id}/deploymentStage")

    assert _names(stages) == [
        "DATABASE DEFAULT",
        "JOB DEFAULT",
        "CONTAINER DEFAULT",
        "APPLICATION DEFAULT",
    ]
    assert all(s["services"] == [] for s in stages.json()["results"])
    duplicate = client.post(f"/project/{PROJECT_ID}/environment", json={"name": "PREVIEW-42"})
    assert duplicate.status_code == 409
    assert api.violations == []


def test_create_appends_and_rejects_duplicate_names(
    client: httpx.Client, api: FakeQoveryAPI
) -> None:
    path = f"/environment/{PRODUCTION_ENV_ID}/deploymentStage"

    created = client.post(path, json={"name": "smoke-tests", "description": "after all"})
    duplicate = client.post(path, json={"name": "Smoke-Tests"})

    assert created.status_code == 200
    body = created.json()
    assert body["name"] == "smoke-tests"
    assert body["description"] == "after all"
    assert body["deployment_order"] == 4
    assert body["environment"] == {"id": PRODUCTION_ENV_ID}
    assert body["services"] == []
    assert duplicate.status_code == 400
    assert "already exists" in duplicate.json()["message"]
    assert _names(client.get(path))[-1] == "smoke-tests"
    assert api.violations == []


def test_get_edit_and_delete(client: httpx.Client, api: FakeQoveryAPI) -> None:
    path = f"/environment/{PRODUCTION_ENV_ID}/deploymentStage"
    stage_id = client.post(path, json={"name": "temp"}).json()["id"]

    got = client.get(f"/deploymentStage/{stage_id}")
    edited = client.put(
        f"/deploymentStage/{stage_id}", json={"name": "renamed", "description": "d"}
    )
    clash = client.put(f"/deploymentStage/{stage_id}", json={"name": "BACKEND"})
    no_name = client.put(f"/deploymentStage/{stage_id}", json={"description": "only"})
    deleted = client.delete(f"/deploymentStage/{stage_id}")
    gone = client.get(f"/deploymentStage/{stage_id}")

    assert got.status_code == 200
    assert got.json()["name"] == "temp"
    assert edited.status_code == 200
    assert (edited.json()["name"], edited.json()["description"]) == ("renamed", "d")
    assert edited.json()["updated_at"] >= got.json()["updated_at"]
    assert clash.status_code == 400
    assert no_name.status_code == 400
    assert deleted.status_code == 204
    assert deleted.content == b""
    assert gone.status_code == 404
    assert stage_id in gone.json()["message"]
    assert "temp" not in _names(client.get(path))
    # The missing name is a request that breaks the spec, recorded in strict mode.
    assert len(api.violations) == 1
    assert "name" in api.violations[0]


def test_delete_refuses_a_stage_with_services(client: httpx.Client, api: FakeQoveryAPI) -> None:
    response = client.delete(f"/deploymentStage/{STAGE_BACKEND_ID}")

    assert response.status_code == 400
    assert "must empty of service" in response.json()["message"]
    assert len(api.stages(PRODUCTION_ENV_ID)) == 4
    assert api.violations == []


def test_move_before_and_after_reorder_the_whole_env(
    client: httpx.Client, api: FakeQoveryAPI
) -> None:
    before = client.put(f"/deploymentStage/{STAGE_FRONTEND_ID}/moveBefore/{STAGE_JOBS_ID}")

    assert before.status_code == 200
    assert _names(before) == ["databases", "frontend", "jobs", "backend"]
    assert [s["deployment_order"] for s in before.json()["results"]] == [0, 1, 2, 3]

    after = client.put(f"/deploymentStage/{STAGE_DATABASES_ID}/moveAfter/{STAGE_BACKEND_ID}")

    assert _names(after) == ["frontend", "jobs", "backend", "databases"]
    assert [s["deployment_order"] for s in after.json()["results"]] == [0, 1, 2, 3]
    assert [s["name"] for s in api.stages(PRODUCTION_ENV_ID)] == _names(after)

    staging_stage = api.stages(STAGING_ENV_ID)[0]["id"]
    across = client.put(f"/deploymentStage/{STAGE_JOBS_ID}/moveAfter/{staging_stage}")
    assert across.status_code == 400
    assert api.violations == []


def test_attach_skip_puts_the_service_in_the_specified_stage(
    client: httpx.Client, api: FakeQoveryAPI
) -> None:
    original_stage, original_link = _stage_of(api.stages(PRODUCTION_ENV_ID), SERVICE_API_ID)
    assert original_stage["id"] == STAGE_BACKEND_ID

    in_place = client.put(
        f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_API_ID}",
        json={"is_skipped": True},
    )

    assert in_place.status_code == 200
    stage, link = _stage_of(in_place.json()["results"], SERVICE_API_ID)
    assert stage["id"] == STAGE_BACKEND_ID
    assert link["is_skipped"] is True
    assert link["id"] == original_link["id"]
    assert link["id"] != SERVICE_API_ID
    assert link["updated_at"] >= original_link["updated_at"]
    assert api.service(SERVICE_API_ID)["is_skipped"] is True

    elsewhere = client.put(
        f"/deploymentStage/{STAGE_FRONTEND_ID}/service/{SERVICE_API_ID}",
        json={"is_skipped": True},
    )

    stage, moved_link = _stage_of(elsewhere.json()["results"], SERVICE_API_ID)
    assert stage["id"] == STAGE_FRONTEND_ID
    assert moved_link["is_skipped"] is True
    assert api.service(SERVICE_API_ID)["stage_id"] == STAGE_FRONTEND_ID
    assert api.violations == []


def test_attach_without_body_or_false_moves_and_unskips(
    client: httpx.Client, api: FakeQoveryAPI
) -> None:
    no_body = client.put(f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_CACHE_ID}")

    assert no_body.status_code == 200
    stage, link = _stage_of(no_body.json()["results"], SERVICE_CACHE_ID)
    assert stage["id"] == STAGE_BACKEND_ID
    assert link["is_skipped"] is False

    client.put(
        f"/deploymentStage/{STAGE_BACKEND_ID}/service/{SERVICE_CACHE_ID}",
        json={"is_skipped": True},
    )
    unskipped = client.put(
        f"/deploymentStage/{STAGE_JOBS_ID}/service/{SERVICE_CACHE_ID}",
        json={"is_skipped": False},
    )
    stage, link = _stage_of(unskipped.json()["results"], SERVICE_CACHE_ID)
    assert stage["id"] == STAGE_JOBS_ID
    assert link["is_skipped"] is False

    empty = client.put(f"/deploymentStage/{STAGE_JOBS_ID}/service/{SERVICE_CACHE_ID}", json={})
    assert empty.status_code == 200
    assert _stage_of(empty.json()["results"], SERVICE_CACHE_ID)[1]["is_skipped"] is False
    assert api.violations == []


def test_attach_across_environments_is_refused(client: httpx.Client) -> None:
    staging_stage = client.get(f"/environment/{STAGING_ENV_ID}/deploymentStage").json()
    stage_id = staging_stage["results"][0]["id"]

    response = client.put(f"/deploymentStage/{stage_id}/service/{SERVICE_WORKER_ID}")

    assert response.status_code == 400
    assert SERVICE_WORKER_ID in response.json()["message"]


def test_service_deployment_stage(client: httpx.Client, api: FakeQoveryAPI) -> None:
    response = client.get(f"/service/{SERVICE_POSTGRES_ID}/deploymentStage")

    assert response.status_code == 200
    assert response.json()["id"] == STAGE_DATABASES_ID
    assert response.json()["name"] == "databases"
    assert api.violations == []
