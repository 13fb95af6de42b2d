"""`make demo`: the example DAGs run by real Airflow against the fake Qovery API.

1. starts the fake Qovery API (``python -m qovery_airflow.testing``) on 127.0.0.1;
2. prints the production environment's deployment stages;
3. runs ``airflow dags test qovery_stage_changes`` in a throwaway AIRFLOW_HOME: one
   service is skipped in place, another moved to another stage and un-skipped;
4. prints the stages again, what changed, and checks the fake's own state agrees;
5. runs ``airflow dags test qovery_release``: snapshot the stages, skip ``web``, deploy
   the environment through the deferrable path, restore the stages as a teardown.

Exits non-zero if a DAG run fails or the state is not what the DAG asked for.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
ENVIRONMENT_ID = "33333333-3333-4333-8333-333333333333"
TOKEN = "fake-qovery-api-token"
SKIPPED_SERVICE = "5f000000-0000-4000-8000-000000000004"
RESTAGED_SERVICE = "5f000000-0000-4000-8000-000000000006"


def main() -> int:
    home = Path(tempfile.mkdtemp(prefix="qovery-airflow-demo-"))
    url_file = home / "fake-api-url"
    fake = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "qovery_airflow.testing",
            "--url-file",
            str(url_file),
            "--step-seconds",
            "0.5",
        ],
        stdout=subprocess.DEVNULL,
        stderr=(home / "fake-api.log").open("w"),
    )
    try:
        url = _wait_for_url(url_file, fake)
        print(f"Fake Qovery API listening on {url} (requests logged to {home}/fake-api.log)\n")
        env = _airflow_env(home, url)
        _run(["airflow", "db", "migrate"], env, quiet=True)

        before = _stages(url)
        print("Deployment stages BEFORE (environment production):")
        print(_table(before, url))

        print("\n$ airflow dags test qovery_stage_changes")
        ok = _run(["airflow", "dags", "test", "qovery_stage_changes"], env, home, "stages")
        after = _stages(url)
        print("\nDeployment stages AFTER:")
        print(_table(after, url))
        print("\nWhat changed:")
        changes = _changes(before, after, _names(url))
        print("\n".join(f"  - {line}" for line in changes) or "  nothing")
        ok = ok and _check_fake_state(url, after)

        conf = json.dumps({"skip_services": ["web"]})
        print(f"\n$ airflow dags test qovery_release --conf '{conf}'")
        print("  (snapshot stages, skip web, deploy deferrably, restore the stages;")
        print("   worker is still skipped from the DAG above, so it stays out too)")
        release = ["airflow", "dags", "test", "qovery_release", "--conf", conf]
        ok = _run(release, env, home, "release") and ok
        print(_release_summary(url))
        restored = _placements(_stages(url)) == _placements(after)
        mark = "ok" if restored else "FAILED"
        print(f"  [{mark}] stages restored to their layout before the release")
        ok = ok and restored
    finally:
        fake.terminate()
        fake.wait(timeout=10)

    print("\nDemo " + ("succeeded." if ok else "FAILED."))
    print(f"Airflow home with the task logs: {home}")
    return 0 if ok else 1


def _wait_for_url(url_file: Path, process: subprocess.Popen[bytes]) -> str:
    deadline = time.time() + 30
    while time.time() < deadline:
        if url_file.exists() and url_file.read_text().strip():
            return url_file.read_text().strip()
        if process.poll() is not None:
            raise SystemExit("The fake Qovery API did not start; see its log.")
        time.sleep(0.1)
    raise SystemExit("The fake Qovery API did not start within 30 s.")


def _airflow_env(home: Path, url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        AIRFLOW_HOME=str(home),
        AIRFLOW__CORE__LOAD_EXAMPLES="False",
        AIRFLOW__CORE__DAGS_FOLDER=str(ROOT / "dags_examples"),
        AIRFLOW__DATABASE__SQL_ALCHEMY_CONN=f"sqlite:///{home}/airflow.db",
        AIRFLOW__LOGGING__LOGGING_LEVEL="INFO",
        AIRFLOW_CONN_QOVERY_DEFAULT=json.dumps(
            {"conn_type": "qovery", "host": url, "password": TOKEN}
        ),
        QOVERY_EXAMPLE_POLL_INTERVAL="0.5",
    )
    return env


def _run(
    command: list[str],
    env: dict[str, str],
    home: Path | None = None,
    name: str = "",
    *,
    quiet: bool = False,
) -> bool:
    binary = Path(sys.executable).parent / command[0]
    log_path = (home / f"{name}.log") if home else None
    with log_path.open("w") if log_path else open(os.devnull, "w") as out:
        process = subprocess.run(
            [str(binary), *command[1:]], env=env, stdout=out, stderr=subprocess.STDOUT, check=False
        )
    if not quiet or process.returncode:
        status = "ok" if process.returncode == 0 else f"FAILED (exit {process.returncode})"
        print(f"  -> {status}" + (f"; full output in {log_path}" if log_path else ""))
    return process.returncode == 0


def _get(url: str, path: str) -> Any:
    response = httpx.get(f"{url}{path}", headers={"Authorization": f"Token {TOKEN}"})
    response.raise_for_status()
    return response.json()


def _stages(url: str) -> list[dict[str, Any]]:
    stages = _get(url, f"/environment/{ENVIRONMENT_ID}/deploymentStage")["results"]
    return sorted(stages, key=lambda s: s["deployment_order"])


def _names(url: str) -> dict[str, str]:
    services = _get(url, f"/environment/{ENVIRONMENT_ID}/services")["results"]
    return {s["id"]: s["name"] for s in services}


def _table(stages: list[dict[str, Any]], url: str) -> str:
    names = _names(url)
    rows = [f"  {'#':>2}  {'stage':<12} {'service':<12} {'type':<12} skipped"]
    for stage in stages:
        for service in stage["services"]:
            rows.append(
                f"  {stage['deployment_order'] + 1:>2}  {stage['name']:<12} "
                f"{names.get(service['service_id'], service['service_id']):<12} "
                f"{service['service_type']:<12} {'SKIPPED' if service['is_skipped'] else ''}"
            )
    return "\n".join(rows)


def _placements(stages: list[dict[str, Any]]) -> dict[str, tuple[str, bool]]:
    return {
        s["service_id"]: (stage["name"], s["is_skipped"])
        for stage in stages
        for s in stage["services"]
    }


def _changes(
    before: list[dict[str, Any]], after: list[dict[str, Any]], names: dict[str, str]
) -> list[str]:
    old, new = _placements(before), _placements(after)
    lines = []
    for service_id, (stage, skipped) in new.items():
        was_stage, was_skipped = old.get(service_id, ("?", False))
        name = names.get(service_id, service_id)
        if was_stage != stage:
            lines.append(
                f"{name}: moved from stage '{was_stage}' to '{stage}'"
                + (", un-skipped" if was_skipped and not skipped else "")
            )
        elif was_skipped != skipped:
            lines.append(f"{name}: {'skipped' if skipped else 'un-skipped'} in stage '{stage}'")
    return lines


def _check_fake_state(url: str, after: list[dict[str, Any]]) -> bool:
    """The fake's internal state must agree with what its API answered and the DAG asked."""
    state = httpx.get(f"{url}/_fake/state").json()
    services = {s["id"]: s for s in state["services"]}
    stage_names = {s["id"]: s["name"] for s in state["stages"]}
    skipped, restaged = services[SKIPPED_SERVICE], services[RESTAGED_SERVICE]
    checks = {
        "worker is skipped and still in 'backend'": skipped["is_skipped"]
        and stage_names[skipped["stage_id"]] == "backend",
        "cache is in 'backend' and not skipped": not restaged["is_skipped"]
        and stage_names[restaged["stage_id"]] == "backend",
        "the API answer matches the fake's state": all(
            (stage_names[services[sid]["stage_id"]], services[sid]["is_skipped"]) == placement
            for sid, placement in _placements(after).items()
        ),
    }
    print("\nFake API state check:")
    for label, passed in checks.items():
        print(f"  [{'ok' if passed else 'FAILED'}] {label}")
    return all(checks.values())


def _release_summary(url: str) -> str:
    status = _get(url, f"/environment/{ENVIRONMENT_ID}/statuses")
    names = _names(url)
    env = status["environment"]
    execution = env.get("last_deployment_id")
    rows = [
        f"  environment: {env['state']} (this release is deployment {execution})",
        f"  {'service':<12} {'in this release':<28} {'state':<10} last deployed by",
    ]
    for kind in ("databases", "jobs", "applications", "containers", "helms", "terraforms"):
        for service in status.get(kind) or []:
            part = service.get("execution_id") == execution
            rows.append(
                f"  {names.get(service['id'], service['id']):<12} "
                f"{'deployed' if part else 'left out (it was skipped)':<28} "
                f"{service['state']:<10} {service.get('execution_id')}"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    sys.exit(main())
