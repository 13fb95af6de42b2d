"""The request pipeline of the fake, free of sockets: faults → auth → route → contract → record.

`FakeApp.handle` turns one parsed HTTP request into a `Reply`; `_server.py` writes it out,
or misbehaves as the reply says (reset, truncated body).
"""

from __future__ import annotations

import json
import logging
import re
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

from qovery_airflow.testing._contract import Contract, Incoming
from qovery_airflow.testing._deployments import DeploymentEngine
from qovery_airflow.testing._faults import Fault, FaultBook, error_body
from qovery_airflow.testing._routes import (
    Answer,
    Backend,
    Call,
    ScriptBook,
    check_path_ids,
    find_route,
)
from qovery_airflow.testing._state import ApiError, Token, World

log = logging.getLogger("qovery_airflow.testing")

_ADMIN_PREFIX = "/_fake/"

_HTML_PAGE = (
    b"<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n"
    b"<body><h1>Bad Gateway</h1><p>The upstream server is unavailable.</p></body></html>\n"
)


@dataclass(frozen=True)
class RecordedRequest:
    """One request the fake answered (admin routes excluded)."""

    method: str
    path: str
    query: dict[str, str]
    body: Any
    status: int
    #: When the request arrived (``time.time()``), for tests that measure delays.
    at: float = 0.0
    #: The scheme of its Authorization header ("Token", "Bearer"...), never the secret.
    auth_scheme: str = ""
    #: How many words the Authorization header had (2 for a well-formed one).
    auth_words: int = 0


@dataclass
class Reply:
    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    # "reset": send a TCP RST instead; "truncated": announce more bytes than sent, then close.
    mode: Literal["normal", "reset", "truncated"] = "normal"


def json_reply(status: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    if body is None:
        return Reply(status, b"", "", dict(headers or {}))
    data = json.dumps(body, separators=(",", ":")).encode()
    return Reply(status, data, "application/json", dict(headers or {}))


class FakeApp:
    """Everything the fake knows and does, behind one `handle` call per HTTP request."""

    def __init__(
        self,
        seed: dict[str, Any],
        *,
        strict: bool,
        step_seconds: float,
        stale_seconds: float,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.seed = seed
        self.strict = strict
        self.step_seconds = step_seconds
        self.stale_seconds = stale_seconds
        self.clock = clock
        self.contract = Contract()
        self.faults = FaultBook()
        self.scripts = ScriptBook()
        self._log_lock = threading.Lock()
        self._requests: list[RecordedRequest] = []
        self._violations: list[str] = []
        self.backend = self._fresh_backend()

    def _fresh_backend(self) -> Backend:
        world = World(self.seed, self.clock())
        engine = DeploymentEngine(world, self.step_seconds, self.stale_seconds)
        return Backend(world, engine, self.scripts)

    # -- test-facing state -------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._log_lock:
            return list(self._requests)

    @property
    def violations(self) -> list[str]:
        with self._log_lock:
            return list(self._violations)

    def reset(self) -> None:
        with self.backend.world.lock:
            self.faults.clear()
            self.scripts.clear()
            self.backend = self._fresh_backend()
        with self._log_lock:
            self._requests.clear()
            self._violations.clear()

    def _violation(self, text: str) -> None:
        log.warning("Contract violation: %s", text)
        with self._log_lock:
            self._violations.append(text)

    # -- the pipeline --------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: dict[str, str], raw: bytes) -> Reply:
        started = time.monotonic()
        split = urlsplit(target)
        path = split.path.rstrip("/") or "/"
        query = dict(parse_qsl(split.query, keep_blank_values=True))
        if path.startswith(_ADMIN_PREFIX):
            return self._admin(method, path, raw)

        content_type = _header(headers, "content-type") or ""
        incoming = Incoming(method, path, query, headers, raw or None, content_type)
        reply = self._serve(incoming)
        self._record(incoming, reply)
        log.info(
            "%s %s -> %s (%.0f ms)",
            method,
            target,
            reply.status if reply.mode == "normal" else reply.mode,
            (time.monotonic() - started) * 1000,
        )
        return reply

    def _serve(self, incoming: Incoming) -> Reply:
        method, path = incoming.method, incoming.path
        fault = self.faults.take(method, path)
        if fault is not None:
            if fault.kind != "latency":
                return self._fault_reply(fault, incoming)
            time.sleep(fault.seconds)

        try:
            token = self._authenticate(method, incoming.headers)
            route_match = find_route(method, path)
        except ApiError as error:
            return json_reply(error.status, error_body(error.status, error.message))
        if route_match is None:
            message = f"no Qovery endpoint {method} {path} in the fake"
            return json_reply(404, error_body(404, message))
        route, params = route_match

        problems = self.contract.check_request(incoming)
        if problems and self.strict:
            for problem in problems:
                self._violation(f"request {method} {path}: {problem}")
            return self._error(incoming, 400, "; ".join(problems))
        for problem in problems:
            log.warning("Request %s %s breaks the spec: %s", method, path, problem)

        raw = incoming.body or b""
        try:
            check_path_ids(params)
            body = json.loads(raw) if raw.strip() else None
        except ApiError as error:
            return self._error(incoming, error.status, error.message)
        except ValueError as error:
            return self._error(incoming, 400, f"invalid JSON body: {error}")

        call = Call(params, incoming.query, body, bool(raw.strip()), token, self.clock())
        try:
            with self.backend.world.lock:
                self.backend.engine.advance(call.now)
                answer = route.handler(self.backend, call)
        except ApiError as error:
            return self._error(incoming, error.status, error.message)
        return self._answer(incoming, answer)

    def _authenticate(self, method: str, headers: dict[str, str]) -> Token:
        value = _header(headers, "authorization") or ""
        scheme, _, secret = value.strip().partition(" ")
        token = self.backend.world.tokens.get(secret.strip())
        if scheme.lower() not in ("token", "bearer") or token is None:
            raise ApiError(
                401,
                "Access token is missing or invalid: send 'Authorization: Token <api token>'",
            )
        if token.scope == "read" and method != "GET":
            raise ApiError(403, f"token '{token.name}' is read-only: {method} is forbidden")
        return token

    def _answer(self, incoming: Incoming, answer: Answer) -> Reply:
        reply = json_reply(answer.status, answer.body)
        if not answer.exempt:
            problems = self.contract.check_response(
                incoming, reply.status, reply.body or None, reply.content_type
            )
            for problem in problems:
                self._violation(
                    f"response {incoming.method} {incoming.path} {reply.status}: {problem}"
                )
        return reply

    def _error(self, incoming: Incoming, status: int, message: str) -> Reply:
        """A refusal; checked against the spec only where the spec documents that status.

        Some refusals Qovery really sends are missing from the spec (400 on deleting a
        stage that still holds services, for one), so an undocumented status is no finding.
        """
        reply = json_reply(status, error_body(status, message))
        if self.contract.declares_status(incoming, status):
            problems = self.contract.check_response(
                incoming, status, reply.body, reply.content_type
            )
            for problem in problems:
                self._violation(f"response {incoming.method} {incoming.path} {status}: {problem}")
        return reply

    def _fault_reply(self, fault: Fault, incoming: Incoming) -> Reply:
        if fault.kind == "status":
            if fault.body is None or isinstance(fault.body, (dict, list)):
                return json_reply(fault.status_code, fault.body, fault.headers)
            text = fault.body if isinstance(fault.body, bytes) else str(fault.body).encode()
            return Reply(fault.status_code, text, "text/plain; charset=utf-8", dict(fault.headers))
        if fault.kind == "reset":
            return Reply(0, mode="reset")
        if fault.kind == "not_json":
            return Reply(fault.status_code, _HTML_PAGE, "text/html; charset=utf-8")
        if fault.kind == "empty":
            return Reply(fault.status_code, b"", "")
        # Truncated: the start of the genuine answer, cut short by the transport.
        genuine = self._serve(incoming)
        genuine.body = genuine.body or b'{"results":[]}'
        genuine.mode = "truncated"
        return genuine

    def _record(self, incoming: Incoming, reply: Reply) -> None:
        raw = incoming.body or b""
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError:
            body = raw.decode("utf-8", "replace")
        status = reply.status if reply.mode != "reset" else 0
        authorization = (_header(incoming.headers, "authorization") or "").split()
        record = RecordedRequest(
            incoming.method,
            incoming.path,
            incoming.query,
            body,
            status,
            self.clock(),
            authorization[0] if authorization else "",
            len(authorization),
        )
        with self._log_lock:
            self._requests.append(record)

    # -- admin routes ------------------------------------------------------------------

    def _admin(self, method: str, path: str, raw: bytes) -> Reply:
        try:
            body = json.loads(raw) if raw.strip() else None
        except ValueError as error:
            return json_reply(400, error_body(400, f"invalid JSON body: {error}"))
        name = path[len(_ADMIN_PREFIX) :]
        if method == "GET" and name == "state":
            with self.backend.world.lock:
                self.backend.engine.advance(self.clock())
                state = self.backend.world.snapshot()
            state["faults"] = self.faults.pending()
            return json_reply(200, state)
        if method == "GET" and name == "requests":
            return json_reply(200, {"results": [asdict(r) for r in self.requests]})
        if method == "GET" and name == "violations":
            return json_reply(200, {"results": self.violations})
        if method == "POST" and name == "reset":
            self.reset()
            return json_reply(200, {"reset": True})
        if method == "POST" and name == "faults":
            return self._admin_faults(body)
        return json_reply(404, error_body(404, f"no admin route {method} {path}"))

    def _admin_faults(self, body: Any) -> Reply:
        if not isinstance(body, dict):
            return json_reply(400, error_body(400, 'expected {"method", "path", "faults"}'))
        try:
            faults = [Fault.parse(str(spec)) for spec in body.get("faults", [])]
            self.faults.add(str(body.get("method", "*")), str(body["path"]), faults)
        except (KeyError, ValueError, re.error) as error:
            return json_reply(400, error_body(400, f"bad fault: {error}"))
        return json_reply(200, {"pending": self.faults.pending()})


def _header(headers: dict[str, str], name: str) -> str | None:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    return None
