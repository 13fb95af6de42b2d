"""Operators that arrange services in an environment's deployment stages."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseOperator

from qovery_airflow.errors import QoveryInvalidInputError, QoveryUnexpectedResponseError
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.ids import canonical_id, coerce_bool
from qovery_airflow.models import DeploymentStage, find_service_stage

if TYPE_CHECKING:
    from airflow.sdk import Context


class QoveryBaseOperator(BaseOperator):
    """Holds the connection id and builds the hook lazily (no I/O at DAG parse time)."""

    def __init__(self, *, qovery_conn_id: str = QoveryHook.default_conn_name, **kwargs: Any):
        super().__init__(**kwargs)
        self.qovery_conn_id = qovery_conn_id

    @cached_property
    def hook(self) -> QoveryHook:
        return QoveryHook(qovery_conn_id=self.qovery_conn_id)


class QoveryAttachStageOperator(QoveryBaseOperator):
    """Skip a service in its deployment stage, or move it to a stage and un-skip it.

    Calls ``PUT /deploymentStage/{deploymentStageId}/service/{serviceId}``.

    - ``is_skipped=True`` (skip): the service stays in the stage that holds it now and
      environment-wide deploy, stop and restart leave it out. ``deployment_stage_id`` may
      be omitted; when given it must be the service's current stage, because skipping
      never moves a service.
    - ``is_skipped=False`` (restage): the service moves to ``deployment_stage_id`` and is
      no longer skipped.

    After the call the answer is checked: the service must be in the requested stage with
    the requested flag, or the task fails. The environment's stages, in deployment order,
    are returned (XCom ``return_value``) as JSON-safe dicts in Qovery's field names.

    :param service_id: The service's id (templated).
    :param deployment_stage_id: The target stage's id (templated). Required to restage.
    :param is_skipped: Skip (True) or restage (False). Templated; ``"true"``/``"false"``
        strings from templates are accepted.
    :param qovery_conn_id: The Airflow connection of type ``qovery``.

    .. seealso:: docs/operators/attach-stage.md
    """

    template_fields: Sequence[str] = ("deployment_stage_id", "service_id", "is_skipped")
    ui_color = "#b5b2ff"

    def __init__(
        self,
        *,
        service_id: Any,
        deployment_stage_id: Any = None,
        is_skipped: Any = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.service_id = service_id
        self.deployment_stage_id = deployment_stage_id
        self.is_skipped = is_skipped

    def execute(self, context: Context) -> list[dict[str, Any]]:
        service_id = canonical_id(self.service_id, "service_id")
        skip = coerce_bool(self.is_skipped, "is_skipped")
        stage_id = self._target_stage(service_id, skip)

        stages = self.hook.attach_service_to_stage(stage_id, service_id, is_skipped=skip)

        stage = check_service_placement(stages, service_id, stage_id, skip)
        self.log.info("%s", describe_placement(stages, stage, service_id, skip))
        return [s.to_json_dict() for s in stages]

    def _target_stage(self, service_id: str, skip: bool) -> str:
        """The stage to send: the given one, or for a skip the service's current stage."""
        given = self.deployment_stage_id
        has_stage = given is not None and not (isinstance(given, str) and not given.strip())
        if not skip:
            if not has_stage:
                raise QoveryInvalidInputError(
                    "deployment_stage_id is required to restage a service (is_skipped=False): "
                    "it names the stage the service moves to."
                )
            return canonical_id(given, "deployment_stage_id")
        wanted = canonical_id(given, "deployment_stage_id") if has_stage else None
        current = self.hook.get_service_deployment_stage(service_id)
        if wanted is not None and wanted != current.id:
            raise QoveryInvalidInputError(
                f"Service {service_id} is in stage {_stage_label(current)}, not in stage "
                f"{wanted}. Skipping never moves a service: restage it first "
                "(is_skipped=False), then skip it, or omit deployment_stage_id."
            )
        return current.id


def check_service_placement(
    stages: list[DeploymentStage], service_id: str, stage_id: str, skipped: bool
) -> DeploymentStage:
    """Return the stage holding ``service_id`` if it is ``stage_id`` with the flag asked."""
    found = find_service_stage(stages, service_id)
    path = f"/deploymentStage/{stage_id}/service/{service_id}"
    if found is None:
        raise QoveryUnexpectedResponseError(
            "PUT", path, 200, f"service {service_id} is in none of the returned stages"
        )
    stage, entry = found
    if stage.id != stage_id or entry.is_skipped != skipped:
        raise QoveryUnexpectedResponseError(
            "PUT",
            path,
            200,
            f"asked for service {service_id} in stage {stage_id} with is_skipped={skipped}, "
            f"but Qovery reports it in stage {_stage_label(stage)} with "
            f"is_skipped={entry.is_skipped}",
        )
    return stage


def describe_placement(
    stages: list[DeploymentStage], stage: DeploymentStage, service_id: str, skipped: bool
) -> str:
    """One line for the task log, e.g. "... is now skipped in stage 'backend' (3rd of 4)"."""
    entry = stage.find_service(service_id)
    kind = f" ({entry.service_type})" if entry and entry.service_type else ""
    position = next(i for i, s in enumerate(stages, start=1) if s.id == stage.id)
    environment = stage.environment.id if stage.environment else "unknown"
    state = "skipped in" if skipped else "deployed with"
    return (
        f"Service {service_id}{kind} is now {state} stage {_stage_label(stage)} "
        f"({ordinal(position)} of {len(stages)}) of environment {environment}."
    )


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _stage_label(stage: DeploymentStage) -> str:
    return f"{stage.name!r}" if stage.name else stage.id
