"""`python -m qovery_airflow.testing` as another process would run it."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

import httpx

from qovery_airflow.testing import ADMIN_TOKEN


def test_cli_prints_its_url_serves_faults_and_stops_cleanly(tmp_path: Path) -> None:
    url_file = tmp_path / "url.txt"
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qovery_airflow.testing",
            "--port",
            "0",
            "--step-seconds",
            "0",
            "--fault",
            "GET /organization 429:retry-after=2,reset",
            "--url-file",
            str(url_file),
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:")
        assert url_file.read_text().strip() == url

        headers = {"Authorization": f"Token {ADMIN_TOKEN}"}
        limited = httpx.get(f"{url}/organization", headers=headers)
        try:
            httpx.get(f"{url}/organization", headers=headers)
            raised = False
        except httpx.TransportError:
            raised = True
        normal = httpx.get(f"{url}/organization", headers=headers)

        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"
        assert raised
        assert normal.status_code == 200
        assert normal.json()["results"][0]["name"] == "acme"
    finally:
        process.send_signal(signal.SIGTERM)
        _, stderr = process.communicate(timeout=10)

    assert process.returncode == 0
    assert "GET /organization -> 429" in stderr
    assert "GET /organization -> 200" in stderr


def test_cli_rejects_a_bad_fault_spec() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "qovery_airflow.testing", "--fault", "GET /x explode"],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )

    assert result.returncode == 2
    assert "unknown fault" in result.stderr
