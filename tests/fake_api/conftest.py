"""Fixtures for the fake Qovery API tests: one server per module, reset before each test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from qovery_airflow.testing import ADMIN_TOKEN, READONLY_TOKEN, FakeQoveryAPI
from qovery_airflow.testing._contract import spec_document


@pytest.fixture(scope="module")
def fake_server() -> Iterator[FakeQoveryAPI]:
    with FakeQoveryAPI(step_seconds=0.05) as api:
        yield api


@pytest.fixture
def api(fake_server: FakeQoveryAPI) -> FakeQoveryAPI:
    fake_server.reset()
    return fake_server


@pytest.fixture
def client(api: FakeQoveryAPI) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {ADMIN_TOKEN}"}
    with httpx.Client(base_url=api.url, headers=headers, timeout=5) as http:
        yield http


@pytest.fixture
def readonly_client(api: FakeQoveryAPI) -> Iterator[httpx.Client]:
    headers = {"Authorization": f"Token {READONLY_TOKEN}"}
    with httpx.Client(base_url=api.url, headers=headers, timeout=5) as http:
        yield http


@pytest.fixture(scope="session")
def spec_dict() -> dict[str, Any]:
    """The vendored OpenAPI spec, as the fake parsed it (read-only)."""
    return spec_document()
