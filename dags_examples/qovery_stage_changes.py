"""Skip one service and restage another, then report the environment's stages.

Trigger it manually to get a form for the ids. The defaults point at the fake Qovery
API's seed data (``python -m qovery_airflow.testing``), so the DAG runs as it is against
the fake; against Qovery, put your own ids in the form or in the defaults.
"""

from __future__ import annotations

import logging
from typing import Any

from airflow.sdk import DAG, Param, task

from qovery_airflow.operators.deployment_stage import QoveryAttachStageOperator

log = logging.getLogger(__name__)

UUID_PATTERN = r"^\s*[0-9a-fA-F]{8}-?([0-9a-fA-F]{4}-?){3}[0-9a-fA-F]{12}\s*$"

with DAG(
    dag_id="qovery_stage_changes",
    schedule=None,
    catchup=False,
    tags=["qovery", "example"],
    params={
        "skip_service_id": Param(
            "5f000000-0000-4000-8000-000000000004",
            type="string",
            pattern=UUID_PATTERN,
            title="Service to skip",
            description="Stays in its stage; environment-wide deployments leave it out.",
        ),
        "restage_service_id": Param(
            "5f000000-0000-4000-8000-000000000006",
            type="string",
            pattern=UUID_PATTERN,
            title="Service to restage",
            description="Moves to the stage below and is no longer skipped.",
        ),
        "target_stage_id": Param(
            "5e000000-0000-4000-8000-000000000003",
            type="string",
            pattern=UUID_PATTERN,
            title="Stage to move it to",
        ),
    },
) as dag:
    skip = QoveryAttachStageOperator(
        task_id="skip_service",
        service_id="{{ params.skip_service_id }}",
        is_skipped=True,
    )

    restage = QoveryAttachStageOperator(
        task_id="restage_service",
        service_id="{{ params.restage_service_id }}",
        deployment_stage_id="{{ params.target_stage_id }}",
        is_skipped=False,
    )

    @task
    def report_stages(stages: list[dict[str, Any]]) -> str:
        """Log the environment's stages, as the last change left them, as a table."""
        lines = [f"{'order':>5}  {'stage':<20} {'service id':<38} {'type':<12} skipped"]
        for stage in stages:
            services = stage["services"] or [{}]
            for service in services:
                lines.append(
                    f"{stage['deployment_order']:>5}  {stage['name']:<20} "
                    f"{service.get('service_id', '(empty)'):<38} "
                    f"{service.get('service_type') or '':<12} "
                    f"{'yes' if service.get('is_skipped') else ''}"
                )
        table = "\n".join(lines)
        log.info("Deployment stages after the changes:\n%s", table)
        return table

    skip >> restage
    report_stages(restage.output)
