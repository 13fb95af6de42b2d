"""Airflow discovers the provider, its connection type and its extra links."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from qovery_airflow import __version__
from qovery_airflow.get_provider_info import get_provider_info

AIRFLOW = str(Path(sys.executable).parent / "airflow")


def _airflow(*args: str) -> str:
    result = subprocess.run(
        [AIRFLOW, *args], capture_output=True, text=True, env=dict(os.environ), check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    return result.stdout


def test_provider_info_names_real_classes() -> None:
    import importlib

    info = get_provider_info()
    assert info["package-name"] == "qovery-airflow"
    paths = [info["connection-types"][0]["hook-class-name"], *info["extra-links"]]
    for group in ("hooks", "operators", "sensors", "triggers"):
        for entry in info[group]:
            for module in entry["python-modules"]:
                importlib.import_module(module)
    for path in paths:
        module, _, name = path.rpartition(".")
        assert hasattr(importlib.import_module(module), name), path


@pytest.mark.usefixtures("airflow_db")
def test_airflow_cli_lists_the_provider_and_the_connection_behaviour() -> None:
    provider = json.loads(_airflow("providers", "get", "qovery-airflow", "-o", "json"))
    assert provider[0]["Version"] == __version__
    behaviours = json.loads(_airflow("providers", "behaviours", "-o", "json"))
    assert {"field_behaviours": "qovery"} in behaviours
    full = _airflow("providers", "get", "qovery-airflow", "--full", "-o", "json")
    assert "API token" in full and "token_type" in full
