"""Shared fixtures: a throwaway Airflow home and DB, the fake Qovery API, DAG runs.

Airflow reads its configuration when first imported, so the environment is set here,
at import time, before any test module imports Airflow.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
_AIRFLOW_HOME = tempfile.mkdtemp(prefix="qovery-airflow-tests-")
os.environ.update(
    AIRFLOW_HOME=_AIRFLOW_HOME,
    AIRFLOW__CORE__LOAD_EXAMPLES="False",
    AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags_examples"),
    AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{_AIRFLOW_HOME}/airflow.db",
    AIRFLOW__CORE__UNIT_TEST_MODE="False",
)
for _proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
    os.environ.pop(_proxy, None)

import base64  # noqa: E402
import json  # noqa: E402
from typing import Any  # noqa: E402

import pytest  # noqa: E402

from qovery_airflow.testing import ADMIN_TOKEN, SEED_PATH, FakeQoveryAPI  # noqa: E402

#: A valid token of the test seed that must never appear anywhere Airflow keeps things.
CANARY_TOKEN = "canary-3f9a1c-QOVERY-TOKEN-must-never-show"
#: A token with the characters that need percent-encoding in a connection URI.
SLASH_PLUS_TOKEN = "qov/abc+def=="


def _jwt() -> str:
    def part(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")

    return f"{part({'alg': 'HS256', 'typ': 'JWT'})}.{part({'sub': 'ci'})}.c2lnbmF0dXJl"


#: A three-part JWT, as the console's OIDC tokens are.
JWT_TOKEN = _jwt()


def _test_seed() -> dict[str, Any]:
    """The bundled seed plus the tokens the tests need."""
    seed: dict[str, Any] = json.loads(SEED_PATH.read_text())
    for token in (CANARY_TOKEN, SLASH_PLUS_TOKEN, JWT_TOKEN):
        seed["tokens"].append({"token": token, "scope": "admin", "name": "test token"})
    return seed


@pytest.fixture(scope="session", autouse=True)
def airflow_home() -> Iterator[str]:
    """The throwaway AIRFLOW_HOME of this test session (removed at the end)."""
    yield _AIRFLOW_HOME
    shutil.rmtree(_AIRFLOW_HOME, ignore_errors=True)


@pytest.fixture(scope="session")
def airflow_db() -> None:
    """Create Airflow's metadata DB once; only DAG-run tests need it."""
    from airflow.utils.db import initdb

    initdb()


STEP_SECONDS = 0.05


@pytest.fixture(scope="session")
def _fake_server() -> Iterator[FakeQoveryAPI]:
    with FakeQoveryAPI(seed=_test_seed(), strict=True, step_seconds=STEP_SECONDS) as api:
        yield api


@pytest.fixture
def fake_api(_fake_server: FakeQoveryAPI) -> Iterator[FakeQoveryAPI]:
    """The fake Qovery API, reset to its seed; fails the test on any spec violation."""
    _fake_server.configure(step_seconds=STEP_SECONDS, stale_seconds=0.0)
    yield _fake_server
    assert _fake_server.violations == [], "the fake saw requests or responses off the spec"


def connection_json(url: str, token: str = ADMIN_TOKEN, **extra: Any) -> str:
    conn: dict[str, Any] = {"conn_type": "qovery", "host": url, "password": token}
    if extra:
        conn["extra"] = extra
    return json.dumps(conn)


@pytest.fixture
def qovery_conn(fake_api: FakeQoveryAPI, monkeypatch: pytest.MonkeyPatch) -> FakeQoveryAPI:
    """``qovery_default`` points at the fake API with its admin token."""
    monkeypatch.setenv("AIRFLOW_CONN_QOVERY_DEFAULT", connection_json(fake_api.url))
    return fake_api


class RunOutput:
    """Everything a DAG run printed: Python logging and the task runner's own output."""

    def __init__(self, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]):
        self._caplog = caplog
        self._capfd = capfd
        self._seen = ""

    @property
    def text(self) -> str:
        out, err = self._capfd.readouterr()
        self._seen += out + err
        return self._caplog.text + self._seen


@pytest.fixture
def run_output(caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]) -> RunOutput:
    import logging

    caplog.set_level(logging.DEBUG)
    return RunOutput(caplog, capfd)
