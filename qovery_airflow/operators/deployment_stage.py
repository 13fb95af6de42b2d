"""Operators that arrange services in an environment's deployment stages."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from qovery_airflow.errors import QoveryInvalidInputError, QoveryUnexpectedResponseError
from qovery_airflow.ids import canonical_id, coerce_bool, parse_rendered_structure
from qovery_airflow.models import DeploymentStage, find_service_stage
from qovery_airflow.operators.base import (
    QoveryBaseOperator,
    QoveryEnvironmentOperator,
    given,
)

if TYPE_CHECKING:
    from airflow.sdk import Context


class QoveryAttachStageOperator(QoveryEnvironmentOperator):
    """Skip a service in its deployment stage, or move it to a stage and un-skip it.

    Calls ``PUT /deploymentStage/{deploymentStageId}/service/{serviceId}``.

    - ``is_skipped=True`` (skip): the service stays in the stage that holds it now and
      environment-wide deploy, stop and restart leave it out. The stage may be omitted;
      when given it must be the service's current stage, because skipping never moves a
      service.
    - ``is_skipped=False`` (restage): the service moves to the given stage and is no
      longer skipped.

    The service and the stage are given by id, or by name within the environment (names
    compare case-insensitively, as in Qovery). The environment is needed only for names:
    ``environment_id``, or ``project_id`` with ``environment_name``.

    After the call the answer is checked: the service must be in the requested stage with
    the requested flag, or the task fails. The environment's stages, in deployment order,
    are returned (XCom ``return_value``) as JSON-safe dicts in Qovery's field names.

    :param service_id: The service's id (templated).
    :param service_name: Or its name within the environment (templated).
    :param deployment_stage_id: The target stage's id (templated). Required to restage.
    :param deployment_stage_name: Or the target stage's name (templated).
    :param is_skipped: Skip (True) or restage (False). Templated; ``"true"``/``"false"``
        strings from templates are accepted.
    :param environment_id: The environment, when names are used (templated).
    :param environment_name: Or its name within ``project_id`` (templated).
    :param project_id: The project holding ``environment_name`` (templated).
    :param qovery_conn_id: The Airflow connection of type ``qovery``.

    .. seealso:: docs/operators/attach-stage.md
    """

    template_fields: Sequence[str] = (
        "service_id",
        "service_name",
        "deployment_stage_id",
        "deployment_stage_name",
        "is_skipped",
        *QoveryEnvironmentOperator.template_fields,
    )
    ui_color = "#b5b2ff"

    def __init__(
        self,
        *,
        service_id: Any = None,
        service_name: Any = None,
        deployment_stage_id: Any = None,
        deployment_stage_name: Any = None,
        is_skipped: Any = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.service_id = service_id
        self.service_name = service_name
        self.deployment_stage_id = deployment_stage_id
        self.deployment_stage_name = deployment_stage_name
        self.is_skipped = is_skipped

    def execute(self, context: Context) -> list[dict[str, Any]]:
        skip = coerce_bool(self.is_skipped, "is_skipped")
        service_id, service_label = self._service()
        stage_id = self._target_stage(service_id, skip)

        stages = self.hook.attach_service_to_stage(stage_id, service_id, is_skipped=skip)

        stage = check_service_placement(stages, service_id, stage_id, skip)
        self.log.info("%s", describe_placement(stages, stage, service_id, skip, service_label))
        return [s.to_json_dict() for s in stages]

    def _service(self) -> tuple[str, str | None]:
        """The service's id, and its name when it was given by name."""
        if given(self.service_id) == given(self.service_name):
            if self.service_id is not None and self.service_name is None:
                canonical_id(self.service_id, "service_id")  # says it rendered empty
            raise QoveryInvalidInputError("Give exactly one of service_id and service_name.")
        if given(self.service_id):
            return canonical_id(self.service_id, "service_id"), None
        service = self.hook.find_service(self.resolved_environment_id, self.service_name)
        return service.id, service.name

    def _target_stage(self, service_id: str, skip: bool) -> str:
        """The stage to send: the given one, or for a skip the service's current stage."""
        if given(self.deployment_stage_id) and given(self.deployment_stage_name):
            raise QoveryInvalidInputError(
                "Give deployment_stage_id or deployment_stage_name, not both."
            )
        wanted: str | None = None
        if given(self.deployment_stage_id):
            wanted = canonical_id(self.deployment_stage_id, "deployment_stage_id")
        elif given(self.deployment_stage_name):
            environment_id = self.resolved_environment_id
            wanted = self.hook.find_deployment_stage(environment_id, self.deployment_stage_name).id
        if not skip:
            if wanted is None:
                raise QoveryInvalidInputError(
                    "deployment_stage_id or deployment_stage_name is required to restage a "
                    "service (is_skipped=False): it names the stage the service moves to."
                )
            return wanted
        current = self.hook.get_service_deployment_stage(service_id)
        if wanted is not None and wanted != current.id:
            raise QoveryInvalidInputError(
                f"Service {service_id} is in stage {_stage_label(current)}, not in stage "
                f"{wanted}. Skipping never moves a service: restage it first "
                "(is_skipped=False), then skip it, or do not name a stage."
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
    stages: list[DeploymentStage],
    stage: DeploymentStage,
    service_id: str,
    skipped: bool,
    service_name: str | None = None,
) -> str:
    """One line for the task log, e.g. "... is now skipped in stage 'backend' (3rd of 4)"."""
    entry = stage.find_service(service_id)
    kind = f" ({entry.service_type})" if entry and entry.service_type else ""
    position = next(i for i, s in enumerate(stages, start=1) if s.id == stage.id)
    environment = stage.environment.id if stage.environment else "unknown"
    state = "skipped in" if skipped else "deployed with"
    label = f"{service_name!r} ({service_id})" if service_name else service_id
    return (
        f"Service {label}{kind} is now {state} stage {_stage_label(stage)} "
        f"({ordinal(position)} of {len(stages)}) of environment {environment}."
    )


def ordinal(n: int) -> str:
    """1 -> '1st', 2 -> '2nd', 11 -> '11th', 23 -> '23rd'."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


def _stage_label(stage: DeploymentStage) -> str:
    return f"{stage.name!r}" if stage.name else stage.id


class QoveryGetDeploymentStagesOperator(QoveryEnvironmentOperator):
    """Push an environment's deployment stages, in order, to XCom (a snapshot).

    The value has the same shape as ``QoveryAttachStageOperator``'s and is what
    ``QoveryRestoreDeploymentStagesOperator`` takes to put everything back.

    :param environment_id: The environment (templated).
    :param environment_name: Or its name (templated), with ``project_id`` (templated).
    :param qovery_conn_id: The Airflow connection of type ``qovery``.

    .. seealso:: docs/operators/snapshot-restore.md
    """

    ui_color = "#b5b2ff"

    def execute(self, context: Context) -> list[dict[str, Any]]:
        environment_id = self.resolved_environment_id
        stages = self.hook.list_deployment_stages(environment_id)
        skipped = sum(e.is_skipped for s in stages for e in s.services)
        self.log.info(
            "Environment %s has %d stages and %d services (%d skipped): %s",
            environment_id,
            len(stages),
            sum(len(s.services) for s in stages),
            skipped,
            ", ".join(
                f"{_stage_label(s)}: "
                + (
                    ", ".join(
                        f"{e.service_id}{' (skipped)' if e.is_skipped else ''}" for e in s.services
                    )
                    or "empty"
                )
                for s in stages
            ),
        )
        return [s.to_json_dict() for s in stages]


class QoveryRestoreDeploymentStagesOperator(QoveryBaseOperator):
    """Bring every service back to the stage and skip flag a snapshot recorded.

    ``snapshot`` is a stage list as ``QoveryGetDeploymentStagesOperator`` (or
    ``QoveryAttachStageOperator``) pushed it: an XCom value, a list, or its JSON text.
    Only services whose placement differs are changed, with one call each (two for a
    service that must move and be skipped: move, then skip in place, which is right under
    either reading of Qovery's skip documentation). Running it again changes nothing.
    Services added since the snapshot are left where they are; services deleted since are
    reported and skipped. Stages themselves (names, order) are not recreated: a stage of
    the snapshot that no longer exists fails the task before any change.

    :param snapshot: The stage list to restore (templated).
    :param qovery_conn_id: The Airflow connection of type ``qovery``.

    .. seealso:: docs/operators/snapshot-restore.md
    """

    template_fields: Sequence[str] = ("snapshot",)
    ui_color = "#b5b2ff"

    def __init__(self, *, snapshot: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.snapshot = snapshot

    def execute(self, context: Context) -> list[dict[str, Any]]:
        wanted = parse_snapshot(self.snapshot)
        environment_id = _snapshot_environment(wanted)
        current = self.hook.list_deployment_stages(environment_id)
        changes = plan_restore(wanted, current)

        stages = current
        for service_id, stage_id, skipped in changes:
            stages = self.hook.attach_service_to_stage(stage_id, service_id, is_skipped=skipped)
            check_service_placement(stages, service_id, stage_id, skipped)

        missing = check_snapshot_restored(wanted, stages)
        if changes:
            self.log.info(
                "Restored the stages of environment %s with %d call(s).",
                environment_id,
                len(changes),
            )
        else:
            self.log.info(
                "The stages of environment %s already match the snapshot.", environment_id
            )
        for service_id in missing:
            self.log.warning("Service %s of the snapshot no longer exists; left out.", service_id)
        return [s.to_json_dict() for s in stages]


def parse_snapshot(value: Any) -> list[DeploymentStage]:
    """The snapshot as stage models, or a clear error naming what is wrong with it."""
    if isinstance(value, str):
        value = parse_rendered_structure(value, "snapshot")
    if isinstance(value, dict) and "results" in value:
        value = value["results"]
    if not isinstance(value, list) or not value:
        raise QoveryInvalidInputError(
            f"snapshot must be a non-empty list of stages, got {type(value).__name__}."
        )
    try:
        return [DeploymentStage.model_validate(stage) for stage in value]
    except ValueError as exc:
        raise QoveryInvalidInputError(f"snapshot is not a list of stages: {exc}") from None


def _snapshot_environment(stages: list[DeploymentStage]) -> str:
    environments = {s.environment.id for s in stages if s.environment is not None}
    if len(environments) != 1:
        raise QoveryInvalidInputError(
            "snapshot must hold the stages of exactly one environment, "
            f"found {sorted(environments) or 'none'}."
        )
    return canonical_id(environments.pop(), "snapshot environment id")


def plan_restore(
    wanted: list[DeploymentStage], current: list[DeploymentStage]
) -> list[tuple[str, str, bool]]:
    """The attach calls, ``(service_id, stage_id, is_skipped)``, that restore ``wanted``."""
    existing = {s.id for s in current}
    gone = [s for s in wanted if s.id not in existing]
    if gone:
        names = ", ".join(_stage_label(s) for s in gone)
        raise QoveryInvalidInputError(
            f"The snapshot's stage(s) {names} no longer exist; recreate them, then restore."
        )
    changes: list[tuple[str, str, bool]] = []
    for stage in wanted:
        for entry in stage.services:
            if entry.service_id is None:
                continue
            found = find_service_stage(current, entry.service_id)
            if found is None:
                continue
            now_stage, now_entry = found
            moved = now_stage.id != stage.id
            if moved:
                changes.append((entry.service_id, stage.id, False))
            if entry.is_skipped and (moved or not now_entry.is_skipped):
                changes.append((entry.service_id, stage.id, True))
            elif not entry.is_skipped and not moved and now_entry.is_skipped:
                changes.append((entry.service_id, stage.id, False))
    return changes


def check_snapshot_restored(
    wanted: list[DeploymentStage], stages: list[DeploymentStage]
) -> list[str]:
    """Raise if a service is not where the snapshot says; return services gone since."""
    missing = []
    for stage in wanted:
        for entry in stage.services:
            if entry.service_id is None:
                continue
            found = find_service_stage(stages, entry.service_id)
            if found is None:
                missing.append(entry.service_id)
            elif found[0].id != stage.id or found[1].is_skipped != entry.is_skipped:
                raise QoveryUnexpectedResponseError(
                    "GET",
                    "/environment/{id}/deploymentStage",
                    200,
                    f"after the restore, service {entry.service_id} is in stage "
                    f"{_stage_label(found[0])} with is_skipped={found[1].is_skipped}; the "
                    f"snapshot has it in {_stage_label(stage)} with is_skipped={entry.is_skipped}",
                )
    return missing
