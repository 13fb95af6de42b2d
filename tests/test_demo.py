"""`make demo` as a user runs it: the fake on loopback, `airflow dags test` in a subprocess."""

from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import ROOT


@pytest.mark.slow
def test_the_demo_runs_end_to_end() -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "dags_examples" / "_demo.py")],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "worker: skipped in stage 'backend'" in out
    assert "cache: moved from stage 'jobs' to 'backend', un-skipped" in out
    assert "[FAILED]" not in out
    assert "Demo succeeded." in out
