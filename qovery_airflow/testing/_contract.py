"""Checks requests and responses of the fake against the vendored Qovery OpenAPI spec."""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from openapi_core import OpenAPI

log = logging.getLogger(__name__)

SPEC_PATH = Path(__file__).parent / "data" / "openapi.yaml"

# The spec only accepts its own server URL; the fake's host and port do not matter to it.
_SPEC_HOST = "https://api.qovery.com"

_load_lock = threading.Lock()
_document: dict[str, Any] | None = None
_loaded: OpenAPI | None = None


def spec_document() -> dict[str, Any]:
    """The parsed spec, read once per process (the 1 MB YAML takes most of a second).

    Shared, so treat it as read-only.
    """
    global _document  # noqa: PLW0603
    with _load_lock:
        if _document is None:
            import yaml  # noqa: PLC0415

            with SPEC_PATH.open("rb") as stream:
                _document = yaml.load(stream, Loader=yaml.CSafeLoader)
            assert isinstance(_document, dict)
        return _document


def load_spec() -> OpenAPI:
    """The openapi-core view of the spec, built once per process."""
    global _loaded  # noqa: PLW0603
    document = spec_document()
    with _load_lock:
        if _loaded is None:
            from openapi_core import Config, OpenAPI  # noqa: PLC0415

            # Validating the spec document itself takes ~5 s and it is vendored unmodified.
            _loaded = OpenAPI.from_dict(document, config=Config(spec_validator_cls=None))
        return _loaded


@dataclass(frozen=True)
class Incoming:
    """The parts of an HTTP request the contract checks need."""

    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes | None
    content_type: str


@dataclass
class _Request:
    """A request as openapi-core's `Request` protocol wants it."""

    method: str
    path: str
    body: bytes | None
    content_type: str
    parameters: Any = field(default=None)
    host_url: str = _SPEC_HOST


@dataclass
class _Response:
    """A response as openapi-core's `Response` protocol wants it."""

    status_code: int
    data: bytes | None
    content_type: str
    headers: dict[str, str] = field(default_factory=dict)


def _describe(error: BaseException) -> str:
    """Flatten an openapi-core error and its schema errors into one line."""
    parts = [str(error).split(": Value ", 1)[0].strip()]
    cause = error.__cause__
    schema_errors = getattr(cause, "schema_errors", None) or getattr(error, "schema_errors", None)
    if schema_errors:
        parts.extend(_schema_error_text(e) for e in schema_errors)
    elif cause is not None and str(cause) not in parts[0]:
        parts.append(str(cause))
    return "; ".join(p for p in parts if p)


def _schema_error_text(error: Any) -> str:
    location = "/".join(str(p) for p in getattr(error, "absolute_path", []))
    message = str(getattr(error, "message", error))
    # A oneOf failure hides the useful detail in its sub-errors.
    context = getattr(error, "context", None) or []
    if context:
        message += " [" + "; ".join(_schema_error_text(c) for c in context[:6]) + "]"
    return f"at /{location}: {message}" if location else message


class Contract:
    """Validates one request or response at a time against the spec.

    openapi-core's validators are not documented as thread-safe, so calls are serialised:
    one validation takes a few milliseconds, far less than any client's poll interval.
    """

    def __init__(self) -> None:
        self._openapi = load_spec()
        self._lock = threading.Lock()

    def check_request(self, incoming: Incoming) -> list[str]:
        """Return the ways the request breaks the spec; missing credentials are not counted."""
        from openapi_core.validation.request.exceptions import (  # noqa: PLC0415
            SecurityValidationError,
        )

        request = self._request(incoming, with_body=True)
        with self._lock:
            try:
                self._openapi.validate_request(request)
            except SecurityValidationError:
                # Bad or missing credentials get a 401 from the fake; they are not a
                # contract mismatch worth failing a test on.
                return []
            except Exception as error:
                return [_describe(error)]
        return []

    def check_response(
        self, incoming: Incoming, status: int, body: bytes | None, content_type: str
    ) -> list[str]:
        """Return the ways the response breaks the spec for that operation and status."""
        request = self._request(incoming, with_body=False)
        response = _Response(status, body, content_type)
        with self._lock:
            try:
                self._openapi.validate_response(request, response)
            except Exception as error:
                return [_describe(error)]
        return []

    def declares_status(self, incoming: Incoming, status: int) -> bool:
        """Whether the operation documents this status code at all."""
        from openapi_core.templating.responses.exceptions import (  # noqa: PLC0415
            ResponseNotFound,
        )

        request = self._request(incoming, with_body=False)
        with self._lock:
            try:
                self._openapi.validate_response(request, _Response(status, None, ""))
            except ResponseNotFound:
                return False
            except Exception:
                # Any other finding means the status itself was found.
                return True
        return True

    @staticmethod
    def _request(incoming: Incoming, *, with_body: bool) -> Any:
        from openapi_core.datatypes import RequestParameters  # noqa: PLC0415
        from werkzeug.datastructures import Headers, ImmutableMultiDict  # noqa: PLC0415

        request = _Request(
            incoming.method.lower(),
            incoming.path,
            incoming.body if with_body else None,
            incoming.content_type.lower() if with_body else "",
        )
        request.parameters = RequestParameters(
            query=ImmutableMultiDict(incoming.query),
            header=Headers(incoming.headers),
            cookie=ImmutableMultiDict(),
        )
        return request
