"""Base URL, token and connection-extra handling of the HTTP layer (no I/O)."""

from __future__ import annotations

import base64
import json

import pytest

from qovery_airflow.client import (
    DEFAULT_API_URL,
    ClientSettings,
    looks_like_jwt,
    normalize_base_url,
    parse_token,
)
from qovery_airflow.errors import QoveryConfigurationError


def _jwt() -> str:
    def part(data: dict[str, object]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'RS256', 'typ': 'JWT'})}.{part({'sub': 'me'})}.c2lnbmF0dXJl"


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [
        (None, None, DEFAULT_API_URL),
        ("", None, DEFAULT_API_URL),
        ("   ", None, DEFAULT_API_URL),
        ("api.qovery.com", None, "https://api.qovery.com"),
        ("https://api.qovery.com/", None, "https://api.qovery.com"),
        ("https://api.qovery.com//", None, "https://api.qovery.com"),
        ("https://staging.api.qovery.com", 8443, "https://staging.api.qovery.com:8443"),
        ("https://api.qovery.com:444/", 8443, "https://api.qovery.com:444"),
        ("127.0.0.1:8080", None, "http://127.0.0.1:8080"),
        ("127.0.0.1", 8080, "http://127.0.0.1:8080"),
        ("localhost:9000/", None, "http://localhost:9000"),
        ("http://127.0.0.1:8080/", None, "http://127.0.0.1:8080"),
        ("proxy.example.com/qovery/", None, "https://proxy.example.com/qovery"),
    ],
)
def test_normalize_base_url(host: str | None, port: int | None, expected: str) -> None:
    assert normalize_base_url(host, port) == expected


def test_url_never_has_a_double_slash() -> None:
    settings = ClientSettings(token="t", base_url=normalize_base_url("https://api.qovery.com/"))
    assert settings.url("/organization") == "https://api.qovery.com/organization"
    assert settings.url("organization") == "https://api.qovery.com/organization"


@pytest.mark.parametrize("host", ["ftp://api.qovery.com", "https://"])
def test_unusable_host_is_a_configuration_error(host: str) -> None:
    with pytest.raises(QoveryConfigurationError, match="not a usable API URL"):
        normalize_base_url(host)


@pytest.mark.parametrize(
    ("raw", "token_type", "expected"),
    [
        ("qov_abc123", None, ("Token", "qov_abc123")),
        ("  qov_abc123\n", None, ("Token", "qov_abc123")),
        ("Token qov_abc123", None, ("Token", "qov_abc123")),
        ("token   qov_abc123", None, ("Token", "qov_abc123")),
        ("Bearer qov_abc123", None, ("Bearer", "qov_abc123")),
        ("qov_abc123", "Bearer", ("Bearer", "qov_abc123")),
        ("Token qov_abc123", "bearer", ("Bearer", "qov_abc123")),
        ("qov_abc123", "auto", ("Token", "qov_abc123")),
        ("a/b+c==", "", ("Token", "a/b+c==")),
    ],
)
def test_parse_token(raw: str, token_type: str | None, expected: tuple[str, str]) -> None:
    assert parse_token(raw, token_type) == expected


def test_jwt_is_sent_as_bearer_and_other_dotted_tokens_are_not() -> None:
    jwt = _jwt()
    assert looks_like_jwt(jwt)
    assert parse_token(jwt) == ("Bearer", jwt)
    assert parse_token(f"Bearer {jwt}\n") == ("Bearer", jwt)
    assert parse_token(jwt, "Token") == ("Token", jwt)
    assert not looks_like_jwt("a.b.c")
    assert parse_token("v1.abc.def") == ("Token", "v1.abc.def")


@pytest.mark.parametrize("raw", [None, "", "   ", "Token ", "Bearer   \n"])
def test_empty_token_is_a_configuration_error(raw: str | None) -> None:
    with pytest.raises(QoveryConfigurationError, match="has no API token"):
        parse_token(raw, conn_id="my_conn")


def test_unknown_token_type_and_inner_whitespace_are_rejected() -> None:
    with pytest.raises(QoveryConfigurationError, match="token_type 'Basic'"):
        parse_token("abc", "Basic")
    with pytest.raises(QoveryConfigurationError, match="whitespace"):
        parse_token("abc def")


def test_settings_from_connection_reads_extras_and_hides_token() -> None:
    settings = ClientSettings.from_connection(
        host="127.0.0.1",
        port=8080,
        password="Token s3cr3t-value",
        extra={
            "connect_timeout": "3",
            "read_timeout": 120,
            "verify_ssl": "false",
            "max_retries": 2,
            "retry_max_seconds": 30,
        },
    )
    assert settings.base_url == "http://127.0.0.1:8080"
    assert settings.authorization == "Token s3cr3t-value"
    assert (settings.connect_timeout, settings.read_timeout) == (3.0, 120.0)
    assert settings.verify_ssl is False
    assert (settings.retry.max_retries, settings.retry.max_seconds) == (2, 30.0)
    assert "s3cr3t" not in repr(settings)
    options = settings.httpx_options()
    assert options["headers"]["User-Agent"].startswith("qovery-airflow/")
    assert options["timeout"].read == 120.0


def test_default_timeouts_are_longer_than_httpx_defaults() -> None:
    settings = ClientSettings.from_connection(host=None, port=None, password="t", extra={})
    timeout = settings.httpx_options()["timeout"]
    assert (timeout.connect, timeout.read) == (10.0, 60.0)
    assert settings.verify_ssl is True


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"read_timeout": "soon"}, "read_timeout"),
        ({"read_timeout": -1}, "read_timeout"),
        ({"connect_timeout": 0}, "at least 0.1 seconds"),
        ({"max_retries": 1.5}, "whole number"),
        ({"verify_ssl": "maybe"}, "verify_ssl"),
    ],
)
def test_bad_extras_are_configuration_errors(extra: dict[str, object], match: str) -> None:
    with pytest.raises(QoveryConfigurationError, match=match):
        ClientSettings.from_connection(host=None, port=None, password="t", extra=extra)
