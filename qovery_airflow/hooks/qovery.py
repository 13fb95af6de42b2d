"""``QoveryHook``: turns an Airflow ``qovery`` connection into a Qovery API client."""

from __future__ import annotations

from dataclasses import replace
from functools import cached_property
from typing import Any

from airflow.sdk import BaseHook, Connection
from airflow.sdk.log import amask_secret, mask_secret

from qovery_airflow import endpoints
from qovery_airflow.client import AsyncQoveryClient, ClientSettings, QoveryClient
from qovery_airflow.errors import (
    QoveryConfigurationError,
    QoveryError,
    QoveryUnexpectedResponseError,
)
from qovery_airflow.models import DeploymentStage, Environment, Service, ordered_stages
from qovery_airflow.names import pick_by_name


class QoveryHook(BaseHook):
    """Interact with the Qovery REST API through an Airflow connection of type ``qovery``.

    The connection's password is the API token, its host the API URL (default
    ``https://api.qovery.com``). Extra settings: ``token_type`` (``auto``, ``Token`` or
    ``Bearer``), ``connect_timeout``, ``read_timeout``, ``verify_ssl``, ``max_retries``,
    ``retry_max_seconds``. Nothing is read or sent until a method needs it.

    :param qovery_conn_id: The Airflow connection to use.
    :param max_retries: Retries of one request on 429, 502-504 and network errors;
        overrides the connection's ``max_retries``.
    :param retry_max_seconds: Total time one request may spend retrying; overrides the
        connection's ``retry_max_seconds``.

    .. seealso:: docs/connection.md
    """

    conn_name_attr = "qovery_conn_id"
    default_conn_name = "qovery_default"
    conn_type = "qovery"
    hook_name = "Qovery"

    def __init__(
        self,
        qovery_conn_id: str = default_conn_name,
        *,
        max_retries: int | None = None,
        retry_max_seconds: float | None = None,
    ) -> None:
        super().__init__()
        self.qovery_conn_id = qovery_conn_id
        self.max_retries = max_retries
        self.retry_max_seconds = retry_max_seconds

    # ----------------------------------------------------------------------------------
    # Connection and clients

    def get_client_settings(self) -> ClientSettings:
        """Read the connection and return the settings of the HTTP client (token masked)."""
        conn = self.get_connection(self.qovery_conn_id)
        if conn.password:
            mask_secret(conn.password)
        settings = self._settings_from(conn, conn.extra_dejson)
        mask_secret(settings.token)
        return settings

    async def aget_client_settings(self) -> ClientSettings:
        """Async twin of ``get_client_settings``, safe to call inside the triggerer."""
        conn = await self.aget_connection(self.qovery_conn_id)
        # The async masker: the blocking one would call the supervisor from the event loop.
        if conn.password:
            await amask_secret(conn.password)
        settings = self._settings_from(conn, await conn.aextra_dejson())
        await amask_secret(settings.token)
        return settings

    def _settings_from(self, conn: Connection, extra: dict[str, Any]) -> ClientSettings:
        """The client settings of ``conn``; the caller has masked the password already."""
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
        overrides: dict[str, Any] = {}
        if self.max_retries is not None:
            overrides["max_retries"] = int(self.max_retries)
        if self.retry_max_seconds is not None:
            overrides["max_seconds"] = float(self.retry_max_seconds)
        if overrides:
            settings = replace(settings, retry=replace(settings.retry, **overrides))
        return settings

    @cached_property
    def client(self) -> QoveryClient:
        """The blocking client, built on first use and kept for this hook's lifetime."""
        return QoveryClient(self.get_client_settings())

    def get_conn(self) -> QoveryClient:
        """Return the blocking client (Airflow's conventional hook accessor)."""
        return self.client

    async def aget_client(self) -> AsyncQoveryClient:
        """A new async client; close it with ``await client.aclose()`` or ``async with``."""
        return AsyncQoveryClient(await self.aget_client_settings())

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
    # Names

    def find_environment(self, project_id: object, name: object) -> Environment:
        """The environment called ``name`` (case-insensitively) in the project."""
        environments = self.client.send(endpoints.list_environments(project_id))
        return pick_by_name(environments, name, kind="environment", where=f"project {project_id}")

    def find_deployment_stage(self, environment_id: object, name: object) -> DeploymentStage:
        """The stage called ``name`` (case-insensitively, as in Qovery) in the environment."""
        return pick_by_name(
            self.list_deployment_stages(environment_id),
            name,
            kind="stage",
            where=f"environment {environment_id}",
        )

    def find_service(self, environment_id: object, name: object) -> Service:
        """The service called ``name`` in the environment, whatever its type."""
        return pick_by_name(
            self.list_services(environment_id),
            name,
            kind="service",
            where=f"environment {environment_id}",
        )

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
