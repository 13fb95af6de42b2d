"""The HTTP layer: one place that builds URLs, headers, timeouts and retries.

``ClientSettings`` holds everything needed to talk to Qovery; ``QoveryClient`` and
``AsyncQoveryClient`` execute ``ApiCall`` objects (built in ``qovery_airflow.endpoints``)
with the same request building, error classification and retry policy. Nothing here
imports Airflow apart from the exception base class, so the trigger and the hook share it.
"""

from __future__ import annotations

import base64
import binascii
import email.utils
import ipaddress
import json
import logging
import math
import os
import random
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar
from urllib.parse import urlsplit

import httpx
import tenacity

from qovery_airflow import __version__
from qovery_airflow.errors import (
    QoveryAPIError,
    QoveryAuthenticationError,
    QoveryConfigurationError,
    QoveryConnectionError,
    QoveryRequestRejectedError,
    QoveryResourceNotFoundError,
    QoveryServerError,
    QoveryTimeoutError,
    QoveryUnexpectedResponseError,
)

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://api.qovery.com"
USER_AGENT = f"qovery-airflow/{__version__}"
TOKEN_SCHEMES = ("Token", "Bearer")
_PREFIXED_TOKEN = re.compile(r"(?i)(?P<scheme>token|bearer)(?:\s+(?P<token>.*))?", re.DOTALL)

ResultT = TypeVar("ResultT")

#: How safe a call is to send again after a failure whose outcome is unknown.
#: ``read``: a GET. ``idempotent``: a write that gives the same result when repeated
#: (the attach PUT). ``once``: a write that starts something (deploy, cancel); it is only
#: resent when it surely did not reach Qovery or Qovery surely did not act on it.
Safety = Literal["read", "idempotent", "once"]


@dataclass(frozen=True)
class RetryPolicy:
    """How one request is retried: at most ``max_retries`` more attempts within
    ``max_seconds``, waiting as Qovery asks (Retry-After) or with capped, jittered
    exponential backoff from ``backoff_initial`` up to ``backoff_max`` seconds."""

    max_retries: int = 5
    max_seconds: float = 300.0
    backoff_initial: float = 1.0
    backoff_max: float = 30.0


@dataclass(frozen=True)
class ClientSettings:
    """Where and how to reach Qovery. ``token`` is excluded from ``repr``."""

    token: str = field(repr=False)
    token_scheme: str = "Token"
    base_url: str = DEFAULT_API_URL
    connect_timeout: float = 10.0
    read_timeout: float = 60.0
    verify_ssl: bool = True
    retry: RetryPolicy = field(default_factory=RetryPolicy)

    @classmethod
    def from_connection(
        cls,
        *,
        host: str | None,
        port: int | None,
        password: str | None,
        extra: Mapping[str, Any],
        conn_id: str = "qovery_default",
    ) -> ClientSettings:
        """Build settings from the fields of an Airflow ``qovery`` connection."""
        if not isinstance(extra, Mapping):
            raise QoveryConfigurationError(
                f"The extra of connection {conn_id!r} must be a JSON object, "
                f"got {type(extra).__name__}."
            )
        scheme, token = parse_token(password, extra.get("token_type"), conn_id=conn_id)
        retry = RetryPolicy(
            max_retries=_int_extra(extra, "max_retries", RetryPolicy.max_retries, conn_id),
            max_seconds=_float_extra(extra, "retry_max_seconds", RetryPolicy.max_seconds, conn_id),
        )
        return cls(
            token=token,
            token_scheme=scheme,
            base_url=normalize_base_url(
                host, port, allow_http=_bool_extra(extra, "allow_insecure_http", False, conn_id)
            ),
            connect_timeout=_timeout_extra(extra, "connect_timeout", 10.0, conn_id),
            read_timeout=_timeout_extra(extra, "read_timeout", 60.0, conn_id),
            verify_ssl=_bool_extra(extra, "verify_ssl", True, conn_id),
            retry=retry,
        )

    @property
    def authorization(self) -> str:
        return f"{self.token_scheme} {self.token}"

    def url(self, path: str) -> str:
        """The absolute URL of an API path such as ``/organization``."""
        return f"{self.base_url}/{path.lstrip('/')}"

    def httpx_options(self) -> dict[str, Any]:
        """Keyword arguments shared by ``httpx.Client`` and ``httpx.AsyncClient``."""
        return {
            "headers": {
                "Authorization": self.authorization,
                "User-Agent": USER_AGENT,
                "Accept": "application/json",
            },
            "timeout": httpx.Timeout(
                self.read_timeout, connect=self.connect_timeout, pool=self.connect_timeout
            ),
            "verify": self.verify_ssl,
            "follow_redirects": False,
            "trust_env": True,
            "mounts": _no_proxy_mounts(self.base_url, os.environ),
        }


def _no_proxy_mounts(base_url: str, environ: Mapping[str, str]) -> dict[str, None]:
    """Bypass proxies for an API address inside a ``NO_PROXY`` network such as 10.0.0.0/8.

    httpx reads ``NO_PROXY`` itself but matches a CIDR entry only against its first
    address; mounting the API's own address with no transport override makes httpx use
    its direct transport for it.
    """
    host = urlsplit(base_url).hostname or ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return {}  # a name: matching it against networks would need DNS
    entries = (environ.get("NO_PROXY") or environ.get("no_proxy") or "").split(",")
    for entry in (e.strip() for e in entries):
        if "/" not in entry:
            continue
        try:
            network = ipaddress.ip_network(entry, strict=False)
        except ValueError:
            continue
        if address.version == network.version and address in network:
            return {f"all://{host if address.version == 4 else f'[{host}]'}": None}
    return {}


def normalize_base_url(
    host: str | None, port: int | None = None, *, allow_http: bool = False
) -> str:
    """Turn a connection's host (and port) into a base URL without a trailing slash.

    Accepts ``api.qovery.com``, ``https://api.qovery.com/``, ``127.0.0.1:8080`` and the
    like. Without a scheme, HTTPS is assumed, except on loopback where plain HTTP is
    (the fake API and local proxies listen there). Plain HTTP to another host is refused
    unless ``allow_http``: the token would cross the network unencrypted.
    """
    text = (host or "").strip()
    if not text:
        text = DEFAULT_API_URL
    if "://" not in text:
        hostname = urlsplit(f"//{text}").hostname or ""
        text = f"{'http' if _is_loopback(hostname) else 'https'}://{text}"
    parts = urlsplit(text)
    try:
        has_port = parts.port is not None
        usable = parts.scheme in ("http", "https") and bool(parts.hostname)
    except ValueError:  # a port that is not a number
        has_port = usable = False
    if not usable or not parts.hostname:
        raise QoveryConfigurationError(
            f"The connection host {host!r} is not a usable API URL; use the form {DEFAULT_API_URL}."
        )
    if parts.scheme == "http" and not _is_loopback(parts.hostname) and not allow_http:
        raise QoveryConfigurationError(
            f"The connection host {host!r} uses plain http, which would send the API token "
            "unencrypted. Use https, or set the extra allow_insecure_http to true."
        )
    netloc = parts.netloc.rsplit("@", 1)[-1]
    if port and not has_port:
        netloc = f"{netloc}:{port}"
    path = parts.path.rstrip("/")
    return f"{parts.scheme}://{netloc}{path}"


def _is_loopback(hostname: str) -> bool:
    return hostname in ("localhost", "::1") or hostname.startswith("127.")


def parse_token(
    raw: str | None, token_type: object = None, *, conn_id: str = "qovery_default"
) -> tuple[str, str]:
    """Return ``(scheme, token)`` for the ``Authorization`` header.

    Surrounding whitespace and an existing ``Token ``/``Bearer `` prefix are removed. The
    scheme is ``token_type`` when it is ``Token`` or ``Bearer``; otherwise the prefix the
    token had, otherwise ``Bearer`` for a JWT and ``Token`` for anything else.
    """
    token = (raw or "").strip()
    prefix: str | None = None
    match = _PREFIXED_TOKEN.fullmatch(token)
    if match:
        prefix, token = match["scheme"].capitalize(), (match["token"] or "").strip()
    if not token:
        raise QoveryConfigurationError(
            f"The Airflow connection {conn_id!r} has no API token. Put a Qovery API token "
            "(Organization settings > API tokens) in its password field."
        )
    if any(c.isspace() for c in token) or not token.isascii():
        raise QoveryConfigurationError(
            f"The API token of connection {conn_id!r} contains whitespace or characters "
            "that are not plain ASCII (curly quotes, invisible spaces from a copy-paste); "
            "paste the token alone, as Qovery shows it."
        )
    wanted = str(token_type).strip() if token_type not in (None, "") else "auto"
    if wanted.lower() == "auto":
        return prefix or ("Bearer" if looks_like_jwt(token) else "Token"), token
    for scheme in TOKEN_SCHEMES:
        if wanted.lower() == scheme.lower():
            return scheme, token
    raise QoveryConfigurationError(
        f"Connection {conn_id!r} has token_type {wanted!r}; use 'auto', 'Token' or 'Bearer'."
    )


def looks_like_jwt(token: str) -> bool:
    """True for a three-part JWT whose header decodes to JSON naming an algorithm."""
    parts = token.split(".")
    if len(parts) != 3 or not all(parts):
        return False
    try:
        header = json.loads(base64.urlsafe_b64decode(parts[0] + "=" * (-len(parts[0]) % 4)))
    except (binascii.Error, ValueError, UnicodeDecodeError):
        return False
    return isinstance(header, dict) and "alg" in header


def _float_extra(extra: Mapping[str, Any], key: str, default: float, conn_id: str) -> float:
    value = extra.get(key)
    if value in (None, ""):
        return default
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = -1.0
    if not math.isfinite(number) or number < 0 or isinstance(value, bool):
        raise QoveryConfigurationError(
            f"Connection {conn_id!r}: extra {key!r} must be a positive number, got {value!r}."
        )
    return number


def _timeout_extra(extra: Mapping[str, Any], key: str, default: float, conn_id: str) -> float:
    number = _float_extra(extra, key, default, conn_id)
    if number < 0.1:
        raise QoveryConfigurationError(
            f"Connection {conn_id!r}: extra {key!r} must be at least 0.1 seconds, got {number!r}."
        )
    return number


def _int_extra(extra: Mapping[str, Any], key: str, default: int, conn_id: str) -> int:
    number = _float_extra(extra, key, float(default), conn_id)
    if number != int(number):
        raise QoveryConfigurationError(
            f"Connection {conn_id!r}: extra {key!r} must be a whole number, got {number!r}."
        )
    return int(number)


def _bool_extra(extra: Mapping[str, Any], key: str, default: bool, conn_id: str) -> bool:
    value = extra.get(key)
    if value in (None, ""):
        return default
    if isinstance(value, bool):
        return value
    if str(value).strip().lower() in ("true", "false"):
        return str(value).strip().lower() == "true"
    raise QoveryConfigurationError(
        f"Connection {conn_id!r}: extra {key!r} must be true or false, got {value!r}."
    )


# --------------------------------------------------------------------------------------
# Calls


@dataclass(frozen=True)
class ApiCall(Generic[ResultT]):
    """One request to Qovery and how to read its answer."""

    method: str
    path: str
    parse: Callable[[Any], ResultT]
    json_body: Any = None
    params: Mapping[str, str] | None = None
    safety: Safety = "read"
    #: Whether a 2xx answer without a body is acceptable (``parse`` then gets ``None``).
    allow_empty: bool = False

    @property
    def label(self) -> str:
        return f"{self.method} {self.path}"


def qovery_error_detail(response: httpx.Response) -> str:
    """Qovery's own message from an error answer: ``detail``, ``message``, ``error``, text."""
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        for key in ("detail", "message", "error"):
            value = body.get(key)
            if isinstance(value, str) and value.strip():
                return value.strip()[:500]
    text = " ".join(response.text.split())
    if not text:
        return response.reason_phrase or "no message"
    if text[:15].lower().startswith(("<!doctype", "<html")):
        return f"an HTML page instead of Qovery's JSON ({response.reason_phrase or 'no reason'})"
    return text[:200] + ("..." if len(text) > 200 else "")


def retry_after_seconds(response: httpx.Response, now: float | None = None) -> float | None:
    """Seconds to wait before retrying, from ``Retry-After`` or ``X-RateLimit-Reset``."""
    now = time.time() if now is None else now
    header = response.headers.get("Retry-After")
    if header:
        header = header.strip()
        try:
            return max(0.0, float(header))
        except ValueError:
            try:
                when = email.utils.parsedate_to_datetime(header)
            except (TypeError, ValueError):
                when = None
            if when is not None:
                return max(0.0, when.timestamp() - now)
    reset = response.headers.get("X-RateLimit-Reset")
    if reset:
        try:
            value = float(reset)
        except ValueError:
            return None
        # Qovery documents a Unix time, but its own sample code reads a number of seconds:
        # a value far below today's epoch can only be the latter.
        wait = value if value < 1e9 else value - now
        return wait if wait > 0 else None
    return None


def _error_for_status(call: ApiCall[Any], response: httpx.Response) -> QoveryAPIError:
    status = response.status_code
    detail = qovery_error_detail(response)
    if status in (401, 403):
        return QoveryAuthenticationError(call.method, call.path, status, detail)
    if status == 404:
        return QoveryResourceNotFoundError(call.method, call.path, status, detail)
    if 300 <= status < 400:
        return QoveryUnexpectedResponseError(
            call.method,
            call.path,
            status,
            f"a redirect to {response.headers.get('Location', 'nowhere')!r}",
            hint="Check the connection's API URL: Qovery's API does not redirect.",
        )
    if status == 429 or status >= 500:
        # A 429 or 503 means the request was turned away before Qovery acted on it.
        return _with_hint(
            call,
            QoveryServerError(
                call.method,
                call.path,
                status,
                detail,
                retry_after=retry_after_seconds(response),
                may_have_taken_effect=status not in (429, 503),
            ),
        )
    return QoveryRequestRejectedError(call.method, call.path, status, detail)


def _request_arguments(settings: ClientSettings, call: ApiCall[Any]) -> dict[str, Any]:
    return {
        "method": call.method,
        "url": settings.url(call.path),
        "json": call.json_body,
        "params": call.params,
    }


def _parse_response(call: ApiCall[ResultT], response: httpx.Response) -> ResultT:
    log.debug("Qovery API %s answered %s", call.label, response.status_code)
    if not response.is_success:
        raise _error_for_status(call, response)
    if not response.content.strip():
        if call.allow_empty:
            return call.parse(None)
        raise QoveryUnexpectedResponseError(
            call.method, call.path, response.status_code, "the answer has no body"
        )
    try:
        data = response.json()
    except ValueError:
        snippet = response.text.strip()[:120]
        raise QoveryUnexpectedResponseError(
            call.method,
            call.path,
            response.status_code,
            f"the answer is not JSON (it starts with {snippet!r})",
            hint="Check that the connection's API URL points at the Qovery API, not a proxy page.",
        ) from None
    try:
        return call.parse(data)
    except ValueError as exc:  # pydantic.ValidationError is a ValueError
        raise QoveryUnexpectedResponseError(
            call.method,
            call.path,
            response.status_code,
            f"the answer does not have the documented shape: {_short(exc)}",
        ) from None


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split())
    return text[:300] + ("..." if len(text) > 300 else "")


def _transport_error(call: ApiCall[Any], exc: httpx.HTTPError) -> QoveryAPIError:
    """Classify an httpx failure; ``may_have_taken_effect`` says if the request left us."""
    if isinstance(exc, httpx.ConnectError) and "CERTIFICATE_VERIFY_FAILED" in str(exc):
        # Not transient: retrying cannot fix a certificate that does not verify.
        return QoveryAPIError(
            call.method,
            call.path,
            None,
            f"the TLS certificate did not verify ({exc})",
            hint="Check the API URL, or the CA bundle of this machine (SSL_CERT_FILE).",
        )
    if isinstance(exc, httpx.TimeoutException):
        error: QoveryServerError = QoveryTimeoutError(
            call.method,
            call.path,
            None,
            f"{type(exc).__name__}: no answer in time",
            may_have_taken_effect=not isinstance(exc, httpx.ConnectTimeout | httpx.PoolTimeout),
        )
    else:
        error = QoveryConnectionError(
            call.method,
            call.path,
            None,
            f"{type(exc).__name__}: {exc}",
            may_have_taken_effect=not isinstance(exc, httpx.ConnectError | httpx.ProxyError),
        )
    return _with_hint(call, error)


def _with_hint(call: ApiCall[Any], error: QoveryServerError) -> QoveryServerError:
    """The error, its hint saying truthfully whether the call was or may be sent again."""
    if should_retry(call, error):
        return error  # the class's hint: retried up to the configured limit
    if call.safety == "once" and error.may_have_taken_effect:
        hint = (
            "It was not sent again because it may have reached Qovery: check the environment "
            "in the Qovery console before running the task again."
        )
    else:
        hint = "Such errors are not retried; check Qovery's status page, then try again."
    return type(error)(
        call.method,
        call.path,
        error.http_status,
        error.detail,
        hint=hint,
        retry_after=error.retry_after,
        may_have_taken_effect=error.may_have_taken_effect,
    )


def should_retry(call: ApiCall[Any], exc: BaseException) -> bool:
    """Whether ``exc`` is worth another attempt of ``call``; one rule for sync and async."""
    if not isinstance(exc, QoveryServerError):
        return False
    if isinstance(exc, QoveryTimeoutError | QoveryConnectionError):
        transient = True
    else:
        transient = exc.http_status in (429, 502, 503, 504)
    if not transient:
        return False
    if call.safety == "once":
        return not exc.may_have_taken_effect
    return True


def _retrying_options(call: ApiCall[Any], policy: RetryPolicy) -> dict[str, Any]:
    def wait(state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        hinted = getattr(exc, "retry_after", None)
        if hinted is not None:
            return float(hinted)
        ceiling = min(policy.backoff_max, policy.backoff_initial * 2 ** (state.attempt_number - 1))
        return random.uniform(ceiling / 2, ceiling)

    def stop(state: tenacity.RetryCallState) -> bool:
        if state.attempt_number > policy.max_retries:
            return True
        elapsed = state.seconds_since_start or 0.0
        return elapsed + state.upcoming_sleep > policy.max_seconds

    def before_sleep(state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        reason = exc.detail if isinstance(exc, QoveryAPIError) else repr(exc)
        answered = getattr(exc, "http_status", None)
        log.warning(
            "Qovery API %s: %s%s; retry %d of %d in %.1f s",
            call.label,
            f"HTTP {answered} " if answered else "",
            reason,
            state.attempt_number,
            policy.max_retries,
            state.upcoming_sleep,
        )

    return {
        "retry": tenacity.retry_if_exception(lambda exc: should_retry(call, exc)),
        "wait": wait,
        "stop": stop,
        "before_sleep": before_sleep,
        "reraise": True,
    }


class QoveryClient:
    """Blocking client: ``send(call)`` returns the parsed result or raises a Qovery error."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self._http = httpx.Client(**settings.httpx_options())

    def __repr__(self) -> str:
        return f"QoveryClient(base_url={self.settings.base_url!r})"

    def send(self, call: ApiCall[ResultT]) -> ResultT:
        for attempt in tenacity.Retrying(**_retrying_options(call, self.settings.retry)):
            with attempt:
                return self._send_once(call)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    def _send_once(self, call: ApiCall[ResultT]) -> ResultT:
        try:
            response = self._http.request(**_request_arguments(self.settings, call))
        except httpx.HTTPError as exc:
            raise _transport_error(call, exc) from None
        return _parse_response(call, response)

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> QoveryClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


class AsyncQoveryClient:
    """Asynchronous twin of ``QoveryClient`` for triggers; same settings and retry rules."""

    def __init__(self, settings: ClientSettings) -> None:
        self.settings = settings
        self._http = httpx.AsyncClient(**settings.httpx_options())

    def __repr__(self) -> str:
        return f"AsyncQoveryClient(base_url={self.settings.base_url!r})"

    async def send(self, call: ApiCall[ResultT]) -> ResultT:
        async for attempt in tenacity.AsyncRetrying(**_retrying_options(call, self.settings.retry)):
            with attempt:
                return await self._send_once(call)
        raise AssertionError("unreachable: tenacity re-raises the last error")  # pragma: no cover

    async def _send_once(self, call: ApiCall[ResultT]) -> ResultT:
        try:
            response = await self._http.request(**_request_arguments(self.settings, call))
        except httpx.HTTPError as exc:
            raise _transport_error(call, exc) from None
        return _parse_response(call, response)

    async def aclose(self) -> None:
        await self._http.aclose()

    async def __aenter__(self) -> AsyncQoveryClient:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()
