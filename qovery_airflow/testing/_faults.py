"""Injected failures: what a flaky network or an overloaded Qovery API looks like to a client."""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from http import HTTPStatus
from typing import Any, Literal

FaultKind = Literal["status", "latency", "reset", "truncated", "not_json", "empty"]


@dataclass(frozen=True)
class Fault:
    """One misbehaviour of the fake, consumed by one matching request.

    Build them with the constructors (`Fault.status(502)`, `Fault.reset()`...), then hand
    them to `FakeQoveryAPI.add_fault`.
    """

    kind: FaultKind
    status_code: int = 0
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    def describe(self) -> str:
        """The fault in the command line's words, e.g. ``429:retry-after=2``."""
        if self.kind == "status":
            extra = "".join(f":{k.lower()}={v}" for k, v in self.headers.items())
            return f"{self.status_code}{extra}"
        if self.kind == "latency":
            return f"latency={self.seconds:g}"
        if self.kind in ("not_json", "empty"):
            return f"{self.kind.replace('_', '-')}={self.status_code}"
        return self.kind

    @classmethod
    def status(cls, code: int, body: Any = None, headers: dict[str, str] | None = None) -> Fault:
        """Answer `code` instead; `body` None gives a Qovery-like error JSON."""
        if body is None:
            body = error_body(code, "Injected fault from the fake Qovery API")
        return cls("status", status_code=code, body=body, headers=dict(headers or {}))

    @classmethod
    def latency(cls, seconds: float) -> Fault:
        """Wait `seconds`, then answer normally."""
        return cls("latency", seconds=seconds)

    @classmethod
    def reset(cls) -> Fault:
        """Reset the TCP connection (RST) without answering."""
        return cls("reset")

    @classmethod
    def truncated(cls) -> Fault:
        """Announce a longer Content-Length than the bytes sent, then close the connection."""
        return cls("truncated")

    @classmethod
    def not_json(cls, status: int = 200) -> Fault:
        """Answer an HTML page, as a proxy in front of the API would."""
        return cls("not_json", status_code=status)

    @classmethod
    def empty(cls, status: int = 204) -> Fault:
        """Answer `status` with no body at all."""
        return cls("empty", status_code=status)

    @classmethod
    def parse(cls, spec: str) -> Fault:
        """Read the CLI form: `502`, `429:retry-after=2`, `reset`, `truncated`, `not-json`,
        `not-json=503`, `empty`, `empty=200`, `latency=8`."""
        text = spec.strip().lower()
        name, _, argument = text.partition("=")
        if text.split(":", 1)[0].isdigit():
            return cls._parse_status(text)
        if name == "latency" and argument:
            return cls.latency(float(argument))
        if name == "reset" and not argument:
            return cls.reset()
        if name == "truncated" and not argument:
            return cls.truncated()
        if name in ("not-json", "not_json"):
            return cls.not_json(int(argument) if argument else 200)
        if name == "empty":
            return cls.empty(int(argument) if argument else 204)
        raise ValueError(
            f"unknown fault {spec!r}: expected a status code such as 502 or "
            "'429:retry-after=2', or one of reset, truncated, not-json, empty, latency=SECONDS"
        )

    @classmethod
    def _parse_status(cls, text: str) -> Fault:
        code_text, _, options = text.partition(":")
        headers: dict[str, str] = {}
        for option in filter(None, options.split(":")):
            key, _, value = option.partition("=")
            if not value:
                raise ValueError(f"fault option {option!r} needs a value, e.g. retry-after=2")
            headers["-".join(part.capitalize() for part in key.split("-"))] = value
        return cls.status(int(code_text), headers=headers)


def error_body(status: int, message: str) -> dict[str, Any]:
    """The error shape the Qovery docs show: status, reason phrase and a message."""
    try:
        reason = HTTPStatus(status).phrase
    except ValueError:
        reason = "Error"
    return {"status": status, "error": reason, "message": message}


@dataclass
class _Rule:
    method: str
    pattern: re.Pattern[str]
    faults: list[Fault]


class FaultBook:
    """Faults waiting for matching requests; each matching request takes the next one."""

    def __init__(self) -> None:
        self._rules: list[_Rule] = []
        self._lock = threading.Lock()

    def add(self, method: str, path_regex: str, faults: list[Fault]) -> None:
        rule = _Rule(method.upper(), re.compile(path_regex), list(faults))
        with self._lock:
            self._rules.append(rule)

    def take(self, method: str, path: str) -> Fault | None:
        """Pop the next fault of the first rule with faults left that matches this request."""
        with self._lock:
            for rule in self._rules:
                if not rule.faults or rule.method not in (method.upper(), "*"):
                    continue
                if rule.pattern.fullmatch(path):
                    return rule.faults.pop(0)
        return None

    def pending(self) -> list[dict[str, Any]]:
        with self._lock:
            return [
                {
                    "method": rule.method,
                    "path": rule.pattern.pattern,
                    "faults": [fault.describe() for fault in rule.faults],
                }
                for rule in self._rules
                if rule.faults
            ]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()
