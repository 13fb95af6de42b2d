"""Deploy chosen services at chosen versions, from a form.

Trigger it manually: the form asks for the environment and a JSON list of services, each
an ``id`` with the version field its type takes (``git_commit_id`` for applications,
``image_tag`` for containers, ...). The defaults point at the fake Qovery API's seed data.
"""

from __future__ import annotations

import os

from airflow.sdk import DAG, Param

from qovery_airflow.operators.deployment import QoveryDeployServicesOperator

POLL_INTERVAL = float(os.environ.get("QOVERY_EXAMPLE_POLL_INTERVAL", "15"))

with DAG(
    dag_id="qovery_deploy_services",
    schedule=None,
    catchup=False,
    render_template_as_native_obj=True,
    tags=["qovery", "example"],
    params={
        "environment_id": Param(
            "33333333-3333-4333-8333-333333333333", type="string", title="Environment"
        ),
        "services": Param(
            [
                {"id": "5f000000-0000-4000-8000-000000000003", "git_commit_id": "4f2a9c1"},
                {"id": "5f000000-0000-4000-8000-000000000004", "image_tag": "1.8.0"},
            ],
            type="array",
            title="Services and versions",
            description='e.g. [{"id": "<service id>", "git_commit_id": "<sha>"}]',
        ),
    },
) as dag:
    QoveryDeployServicesOperator(
        task_id="deploy_services",
        environment_id="{{ params.environment_id }}",
        services="{{ params.services }}",
        poll_interval=POLL_INTERVAL,
        deployment_timeout=30 * 60,
    )
