"""Base URL, token and connection-extra handling of the HTTP layer (no I/O)."""

from __future__ import annotations

import base64
import email.utils
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


@pytest.mark.parametrize("raw", ["abc\u200bdef", "\u201cabc\u201d", "\ufeffabc"])
def test_tokens_with_invisible_or_typographic_characters_are_refused(raw: str) -> None:
    with pytest.raises(QoveryConfigurationError, match="not plain ASCII"):
        parse_token(raw)


@pytest.mark.parametrize(
    ("extra", "match"),
    [
        ({"max_retries": "inf"}, "max_retries"),
        ({"read_timeout": "nan"}, "read_timeout"),
        ({"retry_max_seconds": float("inf")}, "retry_max_seconds"),
    ],
)
def test_non_finite_extras_are_refused(extra: dict[str, object], match: str) -> None:
    with pytest.raises(QoveryConfigurationError, match=match):
        ClientSettings.from_connection(host=None, port=None, password="t", extra=extra)


def test_an_extra_that_is_not_an_object_is_refused() -> None:
    with pytest.raises(QoveryConfigurationError, match="must be a JSON object"):
        ClientSettings.from_connection(host=None, port=None, password="t", extra=[1, 2])  # type: ignore[arg-type]


@pytest.mark.parametrize("host", ["api.qovery.com:abc", "https://api.qovery.com:99999x"])
def test_a_port_that_is_not_a_number_is_refused(host: str) -> None:
    with pytest.raises(QoveryConfigurationError, match="not a usable API URL"):
        normalize_base_url(host, 443)


def test_plain_http_to_another_host_needs_an_explicit_yes() -> None:
    with pytest.raises(QoveryConfigurationError, match="unencrypted"):
        ClientSettings.from_connection(
            host="http://qovery-proxy.corp", port=None, password="t", extra={}
        )
    settings = ClientSettings.from_connection(
        host="http://qovery-proxy.corp",
        port=None,
        password="t",
        extra={"allow_insecure_http": True},
    )
    assert settings.base_url == "http://qovery-proxy.corp"


def test_retry_after_reads_seconds_dates_and_rate_limit_resets() -> None:
    import httpx

    from qovery_airflow.client import retry_after_seconds

    def wait(**headers: str) -> float | None:
        return retry_after_seconds(httpx.Response(429, headers=headers), now=1_800_000_000.0)

    assert wait(**{"Retry-After": "2"}) == 2.0
    in_five_seconds = email.utils.formatdate(1_800_000_005, usegmt=True)
    assert wait(**{"Retry-After": in_five_seconds}) == 5.0
    assert wait(**{"X-RateLimit-Reset": "1800000030"}) == 30.0
    assert wait(**{"X-RateLimit-Reset": "12"}) == 12.0  # seconds, as Qovery's sample reads it
    assert wait(**{"X-RateLimit-Reset": "1799999000"}) is None  # past: back off instead
    assert wait() is None
