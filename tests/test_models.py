"""The models read what Qovery documents and dump it back JSON-safe, nothing lost."""

from __future__ import annotations

import json

from qovery_airflow.models import DeploymentStage, ResultList, ordered_stages

# The example answer of PUT /deploymentStage/{id}/service/{id} on Qovery's API reference.
DOCUMENTED_EXAMPLE = {
    "results": [
        {
            "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
            "created_at": "2023-11-07T05:31:56Z",
            "environment": {"id": "3c90c3cc-0d44-4b50-8888-8dd25736052a"},
            "updated_at": "2023-11-07T05:31:56Z",
            "name": "<string>",
            "description": "<string>",
            "deployment_order": 1,
            "services": [
                {
                    "id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                    "created_at": "2023-11-07T05:31:56Z",
                    "updated_at": "2023-11-07T05:31:56Z",
                    "service_id": "3c90c3cc-0d44-4b50-8888-8dd25736052a",
                    "service_type": "<string>",
                    "is_skipped": True,
                }
            ],
        }
    ]
}


def test_the_documented_example_parses_and_survives_a_json_round_trip() -> None:
    stages = ResultList[DeploymentStage].model_validate(DOCUMENTED_EXAMPLE).results
    dumped = [s.to_json_dict() for s in stages]
    assert json.loads(json.dumps(dumped)) == dumped
    assert dumped == DOCUMENTED_EXAMPLE["results"]


def test_link_id_and_service_id_stay_apart() -> None:
    stage = DeploymentStage.model_validate(
        {
            "id": "5e000000-0000-4000-8000-000000000003",
            "services": [
                {"id": "link-1", "service_id": "svc-1", "service_type": "AGENTIC_WORKFLOW"}
            ],
        }
    )
    entry = stage.find_service("svc-1")
    assert entry is not None and entry.id == "link-1"
    assert stage.find_service("link-1") is None
    assert entry.service_type == "AGENTIC_WORKFLOW"
    assert entry.is_skipped is False  # absent means not skipped


def test_stages_are_ordered_by_deployment_order_unordered_last() -> None:
    stages = [
        DeploymentStage(id="c", deployment_order=None),
        DeploymentStage(id="b", deployment_order=1),
        DeploymentStage(id="a", deployment_order=0),
    ]
    assert [s.id for s in ordered_stages(stages)] == ["a", "b", "c"]
