"""A scheduled release train: snapshot the stages, skip some services, deploy, restore.

Runs every weekday at 22:00 (and on manual triggers, with a form for the params). The
stage layout is saved first (an Airflow setup task) and put back at the end (its
teardown), whether the deployment succeeded or not. The deployment waits in the
triggerer (``deferrable=True``), so no worker slot is held while Qovery deploys. The
defaults point at the fake Qovery API's seed data; services are named, not numbered.

``QOVERY_EXAMPLE_POLL_INTERVAL`` (seconds, default 15) sets how often Qovery is asked;
the demo lowers it because the fake deploys in seconds.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from airflow.sdk import DAG, Param, task

from qovery_airflow.operators.deployment import QoveryDeployEnvironmentOperator
from qovery_airflow.operators.deployment_stage import (
    QoveryAttachStageOperator,
    QoveryGetDeploymentStagesOperator,
    QoveryRestoreDeploymentStagesOperator,
)

log = logging.getLogger(__name__)
POLL_INTERVAL = float(os.environ.get("QOVERY_EXAMPLE_POLL_INTERVAL", "15"))

with DAG(
    dag_id="qovery_release",
    schedule="0 22 * * 1-5",
    catchup=False,
    max_active_runs=1,
    tags=["qovery", "example", "release"],
    params={
        "environment_id": Param(
            "33333333-3333-4333-8333-333333333333",
            type="string",
            title="Environment to release",
        ),
        "skip_services": Param(
            ["worker"],
            type="array",
            items={"type": "string"},
            title="Services to leave out of this release (names)",
            description="They stay in their stage, skipped, so the deployment leaves them out.",
        ),
    },
) as dag:
    snapshot = QoveryGetDeploymentStagesOperator(
        task_id="snapshot_stages", environment_id="{{ params.environment_id }}"
    )

    @task
    def services_to_skip(**context: Any) -> list[str]:
        return list(context["params"]["skip_services"])

    skip = QoveryAttachStageOperator.partial(
        task_id="skip", is_skipped=True, environment_id="{{ params.environment_id }}"
    ).expand(service_name=services_to_skip())

    deploy = QoveryDeployEnvironmentOperator(
        task_id="deploy",
        environment_id="{{ params.environment_id }}",
        deferrable=True,
        poll_interval=POLL_INTERVAL,
        deployment_timeout=45 * 60,
    )

    @task
    def report(result: dict[str, Any]) -> None:
        """Log what was deployed, per service, for the release notes."""
        log.info(
            "Release %s of environment %s: %s in %.0f s",
            result["execution_id"],
            result["environment_id"],
            result["state"],
            result["duration_seconds"],
        )
        for service in result["services"]:
            log.info("  %-20s %-12s %s", service["name"], service["type"], service["state"])

    restore = QoveryRestoreDeploymentStagesOperator(
        task_id="restore_stages", snapshot=snapshot.output
    )

    snapshot >> skip >> deploy >> restore
    report(deploy.output)
    # A failed restore fails the run too: the layout must not stay changed unnoticed.
    restore.as_teardown(setups=snapshot, on_failure_fail_dagrun=True)
