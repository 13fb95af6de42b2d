"""``QoveryDeploymentSensor``: wait for an environment's deployment to reach a final state."""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from airflow.sdk import BaseSensorOperator, PokeReturnValue, conf

from qovery_airflow.errors import (
    QoveryDeploymentCancelledError,
    QoveryDeploymentFailedError,
    QoveryDeploymentTimeoutError,
    QoveryError,
    QoveryInvalidInputError,
    QoveryNotFoundError,
)
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.ids import canonical_id, parse_rendered_structure
from qovery_airflow.operators.base import QoveryConnectionMixin
from qovery_airflow.polling import ProgressLog, poll
from qovery_airflow.statuses import Action, Outcome
from qovery_airflow.triggers.deployment import QoveryDeploymentTrigger
from qovery_airflow.watch import WatchSpec, build_result

if TYPE_CHECKING:
    from airflow.sdk import Context


class QoveryDeploymentSensor(QoveryConnectionMixin, BaseSensorOperator):
    """Wait until an environment, or some of its services, reaches a final state.

    Succeeds when the current (or last) deployment ended in the success state of
    ``action`` (``DEPLOYED`` for ``DEPLOY``); fails at once on a failure or cancelled
    state. Works in ``poke`` and ``reschedule`` mode, and deferred (``deferrable=True``).
    Pushes the same result dict as the deploy operators (XCom ``return_value``).

    :param environment_id: The environment to watch (templated).
    :param service_ids: Watch only these services (templated); default: the environment.
    :param action: The action whose success state counts: DEPLOY, RESTART, STOP or DELETE.
    :param deferrable: Wait in the triggerer; defaults to ``[operators] default_deferrable``.
    :param qovery_conn_id: The Airflow connection of type ``qovery``.
    :param request_retries: Retries of one request (default: the connection's).
    :param request_retry_seconds: Retry budget of one request (default: the connection's).

    There is no notion of "the new run" here: the sensor takes the environment's current
    or last deployment as it is, so it succeeds at once if that one already ended well.

    .. seealso:: docs/sensors.md
    """

    template_fields: Sequence[str] = ("environment_id", "service_ids")

    def __init__(
        self,
        *,
        environment_id: Any,
        service_ids: Any = None,
        action: str = "DEPLOY",
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        qovery_conn_id: str = QoveryHook.default_conn_name,
        request_retries: int | None = None,
        request_retry_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.environment_id = environment_id
        self.service_ids = service_ids
        try:
            self.action = Action(str(action).strip().upper()).value
        except ValueError:
            choices = ", ".join(a.value for a in Action)
            raise QoveryInvalidInputError(
                f"action must be one of {choices}, got {action!r}."
            ) from None
        self.deferrable = deferrable
        self._set_connection(qovery_conn_id, request_retries, request_retry_seconds)
        self._result: dict[str, Any] | None = None
        self._progress = ProgressLog(self.log)

    def _spec(self, deadline: float | None = None) -> WatchSpec:
        ids = self.service_ids
        if isinstance(ids, str) and ids.strip()[:1] == "[":
            ids = parse_rendered_structure(ids, "service_ids")
        if isinstance(ids, str):
            ids = [ids]
        if ids is not None and not isinstance(ids, list | tuple):
            raise QoveryInvalidInputError(
                f"service_ids must be a list of service ids, got {type(ids).__name__}."
            )
        return WatchSpec(
            environment_id=canonical_id(self.environment_id, "environment_id"),
            service_ids=None
            if ids is None
            else [canonical_id(v, f"service_ids[{i}]") for i, v in enumerate(ids)],
            action=self.action,
            deadline=deadline,
        )

    def execute(self, context: Context) -> Any:
        if not self.deferrable:
            return super().execute(context)
        spec = self._spec(deadline=time.time() + self.timeout)
        if self.poke(context):
            return self._result
        self.defer(
            trigger=QoveryDeploymentTrigger(
                watch=spec.to_dict(),
                qovery_conn_id=self.qovery_conn_id,
                poll_interval=self.poke_interval,
                cancel_on_kill=False,
                max_retries=self.request_retries,
                retry_max_seconds=self.request_retry_seconds,
            ),
            method_name="execute_complete",
        )

    def poke(self, context: Context) -> bool | PokeReturnValue:
        spec = self._spec()
        observation = poll(self.hook.client, spec, None)
        if observation.missing_services:
            services = self.hook.list_services(spec.environment_id)
            known = ", ".join(f"{s.name} ({s.id})" for s in services) or "none"
            raise QoveryNotFoundError(
                f"Environment {spec.environment_id} has no service "
                f"{', '.join(observation.missing_services)}. Its services: {known}."
            )
        self._progress.record(observation)
        if not observation.outcome.is_final:
            return False
        self._result = build_result(spec, observation)
        self._raise_unless_success(self._result)
        return PokeReturnValue(is_done=True, xcom_value=self._result)

    def execute_complete(self, context: Context, event: Any = None) -> dict[str, Any]:
        if not isinstance(event, Mapping) or event.get("status") not in ("final", "timeout"):
            raise QoveryError(f"Waiting for the Qovery deployment failed: {event!r}")
        result = dict(event.get("result") or {})
        if event["status"] == "timeout":
            raise QoveryDeploymentTimeoutError(
                f"Environment {result.get('environment_id')} was still {result.get('state')} "
                f"after {self.timeout:.0f} s.",
                result=result,
            )
        self._raise_unless_success(result)
        return result

    def _raise_unless_success(self, result: dict[str, Any]) -> None:
        outcome = result.get("outcome")
        if outcome == Outcome.SUCCESS.value:
            return
        failed = [
            f"{s.get('name') or s['id']}={s.get('state')}" for s in result.get("services", [])
        ]
        message = (
            f"Environment {result.get('environment_id')} ended {result.get('state')} "
            f"(services: {', '.join(failed) or 'n/a'})."
        )
        if outcome == Outcome.CANCELLED.value:
            raise QoveryDeploymentCancelledError(message, result=result)
        raise QoveryDeploymentFailedError(message, result=result)
