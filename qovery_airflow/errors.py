"""The exceptions this provider raises, one class per kind of failure.

Every message says which call failed (method and path), what Qovery answered and what to
check next. None of them ever carries the API token.
"""

from __future__ import annotations

from typing import Any

from airflow.sdk.exceptions import AirflowException


class QoveryError(AirflowException):
    """Base class of every error raised by qovery-airflow."""


class QoveryConfigurationError(QoveryError):
    """The Airflow connection cannot be used as it is (missing token, wrong type, bad extra)."""


class QoveryInvalidInputError(QoveryError, ValueError):
    """An operator or hook argument is malformed; raised before any request is sent."""


class QoveryNotFoundError(QoveryError):
    """A name or id does not exist where it was looked for."""


class QoveryAPIError(QoveryError):
    """Qovery answered a request with an error status, or with something unusable."""

    hint = "Check the ids and the request against the Qovery API documentation."

    def __init__(
        self,
        method: str,
        path: str,
        status_code: int | None,
        detail: str,
        *,
        hint: str | None = None,
    ) -> None:
        self.method = method
        self.path = path
        self.http_status = status_code
        self.detail = detail
        answered = f"HTTP {status_code}" if status_code is not None else "no answer"
        message = f"Qovery API {method} {path} failed ({answered}): {detail}"
        super().__init__(f"{message}. {hint or self.hint}")


class QoveryAuthenticationError(QoveryAPIError):
    """401 or 403: the token is missing, invalid, expired or lacks the permission."""

    hint = (
        "Check the API token in the Airflow connection (Organization settings > API tokens), "
        "its token type (Token or Bearer) and that its role may do this in the organization."
    )


class QoveryResourceNotFoundError(QoveryAPIError, QoveryNotFoundError):
    """404: the id in the path does not exist or is not visible to this token."""

    hint = "Check that the id exists and belongs to an organization this token can read."


class QoveryRequestRejectedError(QoveryAPIError):
    """400, 409 or 422: Qovery refused the request as sent."""

    hint = "Qovery refused the request; its message above says why."


class QoveryServerError(QoveryAPIError):
    """5xx or 429: Qovery could not serve the request; retried before this is raised."""

    hint = (
        "Qovery or the network failed; the request was retried up to the configured limit "
        "(max_retries, retry_max_seconds). Try again later."
    )

    def __init__(
        self,
        method: str,
        path: str,
        status_code: int | None,
        detail: str,
        *,
        hint: str | None = None,
        retry_after: float | None = None,
        may_have_taken_effect: bool = True,
    ) -> None:
        super().__init__(method, path, status_code, detail, hint=hint)
        self.retry_after = retry_after
        # False when the request surely never reached Qovery, or Qovery turned it away
        # before acting (429, 503): only then is a deploy or cancel sent again.
        self.may_have_taken_effect = may_have_taken_effect


class QoveryConnectionError(QoveryServerError):
    """The request never got an answer: connection refused or reset, DNS, TLS."""

    hint = "Check the connection's API URL, proxies and that Qovery is reachable from here."


class QoveryTimeoutError(QoveryServerError):
    """Qovery did not answer within the configured timeout."""

    hint = (
        "Qovery did not answer in time; raise read_timeout in the connection extra if "
        "this endpoint is known to be slow."
    )


class QoveryUnexpectedResponseError(QoveryAPIError):
    """A 2xx answer whose body is not what the API promises, or that contradicts the request."""

    hint = "This may be a Qovery API change; please report it with this message."


class QoveryDeploymentError(QoveryError):
    """A deployment ended in a failure state, or did not end in time."""

    def __init__(self, message: str, *, result: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.result = result


class QoveryDeploymentFailedError(QoveryDeploymentError):
    """The deployment ended in an ``*_ERROR`` (or RECAP) state."""


class QoveryDeploymentCancelledError(QoveryDeploymentError):
    """The deployment was cancelled, by someone else or because the task gave up."""


class QoveryDeploymentTimeoutError(QoveryDeploymentError):
    """The deployment was still running when the deadline passed."""
