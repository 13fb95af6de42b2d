"""``QoveryHook``: turns an Airflow ``qovery`` connection into a Qovery API client."""

from __future__ import annotations

from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook, Connection
from airflow.sdk.log import mask_secret

from qovery_airflow import endpoints
from qovery_airflow.client import (
    AsyncQoveryClient,
    ClientSettings,
    QoveryClient,
    RetryPolicy,
)
from qovery_airflow.errors import (
    QoveryConfigurationError,
    QoveryError,
    QoveryUnexpectedResponseError,
)
from qovery_airflow.models import DeploymentStage, Environment, Service, ordered_stages


class QoveryHook(BaseHook):
    """Interact with the Qovery REST API through an Airflow connection of type ``qovery``.

    The connection's password is the API token, its host the API URL (default
    ``https://api.qovery.com``). Extra settings: ``token_type`` (``auto``, ``Token`` or
    ``Bearer``), ``connect_timeout``, ``read_timeout``, ``verify_ssl``, ``max_retries``,
    ``retry_max_seconds``. Nothing is read or sent until a method needs it.

    :param qovery_conn_id: The Airflow connection to use.
    :param retry: Overrides the connection's retry settings for this hook's requests.

    .. seealso:: docs/connection.md
    """

    conn_name_attr = "qovery_conn_id"
    default_conn_name = "qovery_default"
    conn_type = "qovery"
    hook_name = "Qovery"

    def __init__(
        self, qovery_conn_id: str = default_conn_name, *, retry: RetryPolicy | None = None
    ) -> None:
        super().__init__()
        self.qovery_conn_id = qovery_conn_id
        self.retry = retry

    # ----------------------------------------------------------------------------------
    # Connection and clients

    def get_client_settings(self) -> ClientSettings:
        """Read the connection and return the settings of the HTTP client (token masked)."""
        conn = self.get_connection(self.qovery_conn_id)
        return self._settings_from(conn, conn.extra_dejson)

    async def aget_client_settings(self) -> ClientSettings:
        """Async twin of ``get_client_settings``, safe to call inside the triggerer."""
        conn = await self.aget_connection(self.qovery_conn_id)
        return self._settings_from(conn, await conn.aextra_dejson())

    def _settings_from(self, conn: Connection, extra: dict[str, Any]) -> ClientSettings:
        if conn.password:
            mask_secret(conn.password)
        if conn.conn_type and conn.conn_type != self.conn_type:
            raise QoveryConfigurationError(
                f"Connection {self.qovery_conn_id!r} has type {conn.conn_type!r}; "
                f"QoveryHook needs a connection of type {self.conn_type!r}."
            )
        settings = ClientSettings.from_connection(
            host=conn.host,
            port=conn.port,
            password=conn.password,
            extra=extra,
            conn_id=self.qovery_conn_id,
        )
        mask_secret(settings.token)
        return settings

    @cached_property
    def client(self) -> QoveryClient:
        """The blocking client, built on first use and kept for this hook's lifetime."""
        return QoveryClient(self.get_client_settings(), retry=self.retry)

    def get_conn(self) -> QoveryClient:
        """Return the blocking client (Airflow's conventional hook accessor)."""
        return self.client

    async def aget_client(self) -> AsyncQoveryClient:
        """A new async client; close it with ``await client.aclose()`` or ``async with``."""
        return AsyncQoveryClient(await self.aget_client_settings(), retry=self.retry)

    def test_connection(self) -> tuple[bool, str]:
        """Check the token with a cheap read-only call (``GET /organization``)."""
        try:
            organizations = self.client.send(endpoints.list_organizations())
        except QoveryError as exc:
            return False, str(exc)
        names = ", ".join(o.name or o.id for o in organizations) or "none"
        return True, f"Connected to {self.client.settings.base_url}; organizations: {names}."

    # ----------------------------------------------------------------------------------
    # Reading

    def get_environment(self, environment_id: object) -> Environment:
        return self.client.send(endpoints.get_environment(environment_id))

    def list_services(self, environment_id: object) -> list[Service]:
        """Every service of the environment, whatever its type."""
        return self.client.send(endpoints.list_services(environment_id))

    def list_deployment_stages(self, environment_id: object) -> list[DeploymentStage]:
        """The environment's stages, in deployment order."""
        return ordered_stages(self.client.send(endpoints.list_deployment_stages(environment_id)))

    def get_deployment_stage(self, deployment_stage_id: object) -> DeploymentStage:
        return self.client.send(endpoints.get_deployment_stage(deployment_stage_id))

    def get_service_deployment_stage(self, service_id: object) -> DeploymentStage:
        """The stage that currently holds the service."""
        return self.client.send(endpoints.get_service_deployment_stage(service_id))

    # ----------------------------------------------------------------------------------
    # Changing stages

    def attach_service_to_stage(
        self, deployment_stage_id: object, service_id: object, *, is_skipped: bool = False
    ) -> list[DeploymentStage]:
        """Put a service in a stage, skipped or not; return the environment's stages in order.

        With ``is_skipped=False`` the service moves to the stage and is no longer skipped.
        With ``is_skipped=True`` it is marked skipped in that stage. When Qovery answers
        without a body, the stages are read again through the stage's environment.
        """
        stages = self.client.send(
            endpoints.attach_service_to_stage(
                deployment_stage_id, service_id, is_skipped=is_skipped
            )
        )
        if stages is None:
            stage = self.get_deployment_stage(deployment_stage_id)
            if stage.environment is None:
                raise QoveryUnexpectedResponseError(
                    "GET",
                    f"/deploymentStage/{stage.id}",
                    200,
                    "the stage does not name its environment, so its stage list cannot be read",
                )
            stages = self.client.send(endpoints.list_deployment_stages(stage.environment.id))
        return ordered_stages(stages)
