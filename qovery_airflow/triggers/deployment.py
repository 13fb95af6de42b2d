"""``QoveryDeploymentTrigger``: waits in the triggerer for a deployment to end."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

from airflow.triggers.base import BaseTrigger, TriggerEvent

from qovery_airflow.errors import QoveryAPIError, QoveryError, QoveryServerError
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.polling import ProgressLog, acancel_call, apoll
from qovery_airflow.watch import Observation, WatchSpec, build_result


def _event(payload: dict[str, Any]) -> TriggerEvent:
    return TriggerEvent(payload)  # type: ignore[no-untyped-call]


class QoveryDeploymentTrigger(BaseTrigger):
    """Poll an environment's status until the watched deployment ends or the deadline passes.

    ``run()`` only reads (GET), so the triggerer may restart it at will. Errors Qovery may
    recover from (5xx, 429, timeouts, network) are retried until the deadline; others end
    the wait with an ``error`` event. Events: ``{"status": "final" | "timeout" | "error",
    "result": <XCom result>, "message": str, "watch": <the watch spec>}``.

    The one write it can make is in ``on_kill``: when a person marks the deferred task
    failed or clears it, the deployment is cancelled if ``cancel_on_kill`` is set.

    :param watch: A ``WatchSpec`` as a dict (plain JSON values).
    :param qovery_conn_id: The Airflow connection; the token itself is never serialized.
    :param poll_interval: Seconds between polls.
    :param cancel_on_kill: Cancel the deployment when the task is killed while deferred.
    :param max_retries: Per-request retries; None for the connection's setting.
    :param retry_max_seconds: Per-request retry budget; None for the connection's.
    """

    def __init__(
        self,
        *,
        watch: dict[str, Any],
        qovery_conn_id: str = QoveryHook.default_conn_name,
        poll_interval: float = 15.0,
        cancel_on_kill: bool = True,
        max_retries: int | None = None,
        retry_max_seconds: float | None = None,
    ) -> None:
        super().__init__()  # type: ignore[no-untyped-call]
        self.watch = watch
        self.qovery_conn_id = qovery_conn_id
        self.poll_interval = poll_interval
        self.cancel_on_kill = cancel_on_kill
        self.max_retries = max_retries
        self.retry_max_seconds = retry_max_seconds

    def serialize(self) -> tuple[str, dict[str, Any]]:
        return (
            f"{type(self).__module__}.{type(self).__qualname__}",
            {
                "watch": self.watch,
                "qovery_conn_id": self.qovery_conn_id,
                "poll_interval": self.poll_interval,
                "cancel_on_kill": self.cancel_on_kill,
                "max_retries": self.max_retries,
                "retry_max_seconds": self.retry_max_seconds,
            },
        )

    def _hook(self) -> QoveryHook:
        return QoveryHook(
            qovery_conn_id=self.qovery_conn_id,
            max_retries=self.max_retries,
            retry_max_seconds=self.retry_max_seconds,
        )

    async def run(self) -> AsyncIterator[TriggerEvent]:
        spec = WatchSpec.from_dict(self.watch)
        progress = ProgressLog(self.log)
        observation: Observation | None = None
        try:
            client = await self._hook().aget_client()
        except QoveryError as exc:
            yield _event(
                {"status": "error", "message": str(exc), "result": None, "watch": self.watch}
            )
            return
        async with client:
            while True:
                try:
                    observation = await apoll(client, spec, observation)
                except QoveryServerError as exc:
                    self.log.warning("Polling Qovery failed, will poll again: %s", exc)
                except QoveryAPIError as exc:
                    result = build_result(spec, observation)
                    yield _event(
                        {
                            "status": "error",
                            "message": str(exc),
                            "result": result,
                            "watch": self.watch,
                        }
                    )
                    return
                else:
                    progress.record(observation)
                    if observation.outcome.is_final:
                        result = build_result(spec, observation)
                        yield _event(
                            {
                                "status": "final",
                                "message": "",
                                "result": result,
                                "watch": self.watch,
                            }
                        )
                        return
                left = spec.seconds_left()
                if left is not None and left <= 0:
                    result = build_result(spec, observation, timed_out=True)
                    yield _event(
                        {"status": "timeout", "message": "", "result": result, "watch": self.watch}
                    )
                    return
                await asyncio.sleep(
                    self.poll_interval if left is None else min(self.poll_interval, left)
                )

    async def on_kill(self) -> None:
        """Cancel the deployment when a person kills the deferred task (Airflow 3.3+)."""
        spec = WatchSpec.from_dict(self.watch)
        if not self.cancel_on_kill or not spec.has_baseline:
            return
        started = time.time()
        try:
            async with await self._hook().aget_client() as client:
                # Only the run this task started: once it ended, another one may be running.
                call = await acancel_call(client, spec)
                if call is None:
                    self.log.info("The deployment already ended; nothing to cancel.")
                    return
                await client.send(call)
        except QoveryError as exc:
            self.log.warning("Could not cancel the deployment of %s: %s", spec.environment_id, exc)
            return
        self.log.info(
            "Cancelled the deployment of environment %s because the task was killed (%.1f s).",
            spec.environment_id,
            time.time() - started,
        )
