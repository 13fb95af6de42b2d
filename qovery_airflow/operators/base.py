"""What every Qovery operator and the sensor share: the connection and its settings."""

from __future__ import annotations

from collections.abc import Sequence
from functools import cached_property
from typing import Any

from airflow.sdk import BaseOperator

from qovery_airflow.errors import QoveryInvalidInputError
from qovery_airflow.hooks.qovery import QoveryHook
from qovery_airflow.ids import canonical_id, optional_count, positive_number


class QoveryConnectionMixin:
    """Connection settings and a hook built lazily (no I/O when the DAG is parsed).

    :param qovery_conn_id: The Airflow connection of type ``qovery``.
    :param request_retries: Retries of one request on 429, 502-504 and network errors;
        default: the connection's ``max_retries`` (5).
    :param request_retry_seconds: Total time one request may spend retrying; default: the
        connection's ``retry_max_seconds`` (300).
    """

    def _set_connection(
        self,
        qovery_conn_id: str,
        request_retries: int | None,
        request_retry_seconds: float | None,
    ) -> None:
        self.qovery_conn_id = qovery_conn_id
        self.request_retries = optional_count(request_retries, "request_retries")
        self.request_retry_seconds = (
            None
            if request_retry_seconds is None
            else positive_number(request_retry_seconds, "request_retry_seconds")
        )

    @cached_property
    def hook(self) -> QoveryHook:
        return QoveryHook(
            qovery_conn_id=self.qovery_conn_id,
            max_retries=self.request_retries,
            retry_max_seconds=self.request_retry_seconds,
        )


class QoveryBaseOperator(QoveryConnectionMixin, BaseOperator):
    """Base of the Qovery operators; see ``QoveryConnectionMixin`` for the parameters."""

    def __init__(
        self,
        *,
        qovery_conn_id: str = QoveryHook.default_conn_name,
        request_retries: int | None = None,
        request_retry_seconds: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self._set_connection(qovery_conn_id, request_retries, request_retry_seconds)


class QoveryEnvironmentOperator(QoveryBaseOperator):
    """Base of the operators that act on one environment, given by id or by name.

    :param environment_id: The environment's id (templated).
    :param environment_name: Or its name (templated), with ``project_id`` (templated):
        names are unique within a project and compare case-insensitively, as in Qovery.
    """

    template_fields: Sequence[str] = ("environment_id", "environment_name", "project_id")

    def __init__(
        self,
        *,
        environment_id: Any = None,
        environment_name: Any = None,
        project_id: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.environment_id = environment_id
        self.environment_name = environment_name
        self.project_id = project_id

    @cached_property
    def resolved_environment_id(self) -> str:
        """The environment's id, checked, or looked up once by name (after rendering)."""
        if given(self.environment_id):
            if given(self.environment_name):
                raise QoveryInvalidInputError("Give environment_id or environment_name, not both.")
            return canonical_id(self.environment_id, "environment_id")
        if given(self.environment_name):
            if not given(self.project_id):
                raise QoveryInvalidInputError(
                    "environment_name needs project_id: names are unique within a project."
                )
            project = canonical_id(self.project_id, "project_id")
            return self.hook.find_environment(project, self.environment_name).id
        raise QoveryInvalidInputError(
            "The environment is missing: give environment_id, or project_id and environment_name."
        )


def given(value: Any) -> bool:
    """Whether a parameter was given (templates render a missing value as '')."""
    return value is not None and not (isinstance(value, str) and not value.strip())
