"""Operators that deploy an environment or chosen services and wait for the outcome."""

from __future__ import annotations

import time
import uuid
from collections.abc import Mapping, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from airflow.sdk import conf

from qovery_airflow import endpoints
from qovery_airflow.errors import (
    QoveryAPIError,
    QoveryDeploymentCancelledError,
    QoveryDeploymentFailedError,
    QoveryDeploymentTimeoutError,
    QoveryError,
    QoveryInvalidInputError,
    QoveryNotFoundError,
    QoveryRequestRejectedError,
    QoveryServerError,
)
from qovery_airflow.ids import canonical_id, parse_rendered_structure, positive_number
from qovery_airflow.links import (
    LINKS_XCOM_KEY,
    QoveryDeploymentLink,
    QoveryEnvironmentLink,
    deployment_url,
    environment_url,
)
from qovery_airflow.models import DeploymentStage, Environment, Service
from qovery_airflow.names import pick_by_name
from qovery_airflow.operators.base import QoveryEnvironmentOperator
from qovery_airflow.polling import ProgressLog, cancel_call, poll
from qovery_airflow.statuses import Action, Outcome, classify
from qovery_airflow.triggers.deployment import QoveryDeploymentTrigger
from qovery_airflow.watch import Observation, WatchSpec, build_result

if TYPE_CHECKING:
    from airflow.sdk import Context

#: The task state store key holding the deployment a try started, so a retry waits for it.
STATE_STORE_KEY = "qovery_deployment"

#: The XCom key of the plan, pushed before deploying (the result holds it too).
PLAN_XCOM_KEY = "qovery_plan"
#: The XCom key of the deployment's identifiers, pushed as soon as it is requested.
DEPLOYMENT_XCOM_KEY = "qovery_deployment"

#: Version fields a service of each type accepts in ``POST /environment/{id}/service/deploy``.
VERSION_FIELDS: dict[str, tuple[str, ...]] = {
    "APPLICATION": ("git_commit_id",),
    "CONTAINER": ("image_tag",),
    "DATABASE": (),
    "JOB": ("image_tag", "git_commit_id"),
    "HELM": ("chart_version", "git_commit_id", "values_override_git_commit_id"),
    "TERRAFORM": ("git_commit_id",),
}
_BODY_LIST = {
    "APPLICATION": ("applications", "application_id"),
    "CONTAINER": ("containers", "id"),
    "DATABASE": ("databases", None),
    "JOB": ("jobs", "id"),
    "HELM": ("helms", "id"),
    "TERRAFORM": ("terraforms", "id"),
}


class _QoveryDeployBaseOperator(QoveryEnvironmentOperator):
    """Plan, trigger, then wait (blocking or deferred) for one environment's deployment.

    Subclasses say what to deploy (``_trigger``) and which services to watch.
    """

    action = Action.DEPLOY
    operator_extra_links = (QoveryEnvironmentLink(), QoveryDeploymentLink())
    ui_color = "#a29bfe"

    def __init__(
        self,
        *,
        wait_for_completion: bool = True,
        deferrable: bool = conf.getboolean("operators", "default_deferrable", fallback=False),
        poll_interval: float = 15.0,
        deployment_timeout: float | timedelta = timedelta(hours=1),
        cancel_on_timeout: bool = True,
        dry_run: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.wait_for_completion = wait_for_completion
        self.deferrable = deferrable
        self.poll_interval = positive_number(poll_interval, "poll_interval")
        if isinstance(deployment_timeout, timedelta):
            deployment_timeout = deployment_timeout.total_seconds()
        self.deployment_timeout = positive_number(deployment_timeout, "deployment_timeout")
        self.cancel_on_timeout = cancel_on_timeout
        # BaseOperator already has a dry_run() method, hence another attribute name.
        self.plan_only = dry_run
        self._started: WatchSpec | None = None

    # ----------------------------------------------------------------------------------
    # What subclasses decide

    def _check_request(self) -> None:
        """Validate what can be checked without Qovery, before any request is sent."""

    def _prepare(self, services: list[Service]) -> None:
        """Validate the request against the environment's services (before any change)."""

    def _watched_service_ids(self) -> list[str] | None:
        return None

    def _trigger(self, environment_id: str) -> str | None:
        """Start the deployment; return its deployment request id when Qovery gives one."""
        raise NotImplementedError

    def _will_deploy(self, service_id: str, skipped: bool) -> bool:
        return not skipped

    # ----------------------------------------------------------------------------------
    # The steps

    def execute(self, context: Context) -> dict[str, Any]:
        # The link buttons read this key after every try; start it empty.
        context["ti"].xcom_push(key=LINKS_XCOM_KEY, value={})
        self._check_request()
        environment_id = self.resolved_environment_id

        environment = self.hook.get_environment(environment_id)
        services = self.hook.list_services(environment_id)
        self._prepare(services)
        plan = self._plan(context, environment_id, services)
        if self.plan_only:
            self.log.info("dry_run is set: nothing was deployed.")
            return {"environment_id": environment_id, "dry_run": True, "plan": plan}

        spec = self._resume(context, environment_id) or self._start(
            context, environment_id, services
        )
        self._announce(context, environment, spec)
        if not self.wait_for_completion:
            return {**build_result(spec, None), "outcome": "triggered", "plan": plan}

        return self._wait(context, spec, plan)

    def _wait(
        self, context: Context, spec: WatchSpec, plan: list[dict[str, Any]]
    ) -> dict[str, Any]:
        """Check once (a deployment may end before the first poll), then defer or poll."""
        progress = ProgressLog(self.log)
        observation = self._first_poll(spec, progress)
        if observation is not None and observation.outcome.is_final:
            return self._finish(context, "final", build_result(spec, observation), plan)
        if self.deferrable:
            self.defer(
                trigger=QoveryDeploymentTrigger(
                    watch=spec.to_dict(),
                    qovery_conn_id=self.qovery_conn_id,
                    poll_interval=self.poll_interval,
                    cancel_on_kill=self.cancel_on_timeout,
                    max_retries=self.request_retries,
                    retry_max_seconds=self.request_retry_seconds,
                ),
                method_name="execute_complete",
            )
        status, result = self._wait_blocking(spec, observation, progress)
        return self._finish(context, status, result, plan)

    def execute_complete(self, context: Context, event: Any = None) -> dict[str, Any]:
        """Resume after the trigger fired; the event is checked before it is believed."""
        if (
            not isinstance(event, Mapping)
            or event.get("status") not in ("final", "timeout", "error")
            or not isinstance(event.get("result"), Mapping | type(None))
        ):
            raise QoveryError(
                f"The Qovery trigger sent an event this operator cannot read: {event!r}"
            )
        if isinstance(event.get("watch"), Mapping):
            # A new operator instance resumes here: the watch tells what this task started.
            self._started = WatchSpec.from_dict(dict(event["watch"]))
        if event["status"] == "error":
            raise QoveryError(f"Waiting for the Qovery deployment failed: {event.get('message')}")
        ti = context["ti"]
        plan = ti.xcom_pull(task_ids=self.task_id, key=PLAN_XCOM_KEY, map_indexes=ti.map_index)
        return self._finish(context, event["status"], dict(event["result"] or {}), plan or [])

    def on_kill(self) -> None:
        """Cancel the deployment this task started when the task is killed while waiting."""
        if self._started is not None and self.cancel_on_timeout:
            self._cancel(self._started.environment_id, reason="the task was killed")

    def _deadline(self, context: Context) -> float:
        deadline = time.time() + self.deployment_timeout
        ti = context.get("ti")
        start = getattr(ti, "start_date", None)
        if self.execution_timeout is not None and start is not None:
            # Give up a little before Airflow kills the task, so the cancel gets sent.
            margin = min(30.0, self.execution_timeout.total_seconds() * 0.1)
            deadline = min(
                deadline, start.timestamp() + self.execution_timeout.total_seconds() - margin
            )
        return deadline

    def _plan(
        self, context: Context, environment_id: str, services: list[Service]
    ) -> list[dict[str, Any]]:
        """What will deploy, stage by stage; logged as a table and pushed to XCom."""
        names = {s.id: s for s in services}
        stages = self.hook.list_deployment_stages(environment_id)
        plan = [_plan_stage(stage, names, self._will_deploy) for stage in stages]
        context["ti"].xcom_push(key=PLAN_XCOM_KEY, value=plan)
        self.log.info("Deployment plan of environment %s:\n%s", environment_id, format_plan(plan))
        return plan

    def _announce(self, context: Context, environment: Environment, spec: WatchSpec) -> None:
        """Push the console links and the deployment's ids before any wait or deferral."""
        self._push_links(context, environment, None)
        context["ti"].xcom_push(
            key=DEPLOYMENT_XCOM_KEY,
            value={
                "environment_id": spec.environment_id,
                "deployment_request_id": spec.deployment_request_id,
                "started_at": build_result(spec, None)["started_at"],
            },
        )

    def _resume(self, context: Context, environment_id: str) -> WatchSpec | None:
        """The deployment an earlier try of this task started, if it is still running."""
        store = context.get("task_state_store")
        stored = store.get(STATE_STORE_KEY) if store is not None else None
        if not isinstance(stored, dict) or stored.get("environment_id") != environment_id:
            return None
        previous = WatchSpec.from_dict(dict(stored))
        observation = poll(self.hook.client, previous, None)
        if observation.outcome.is_final:
            return None
        self.log.info(
            "An earlier try started deployment request %s, still running (%s): waiting for "
            "it instead of deploying again.",
            previous.deployment_request_id,
            observation.state,
        )
        spec = WatchSpec.from_dict({**previous.to_dict(), "deadline": self._deadline(context)})
        self._started = spec
        return spec

    def _start(self, context: Context, environment_id: str, services: list[Service]) -> WatchSpec:
        baseline = self.hook.client.send(endpoints.get_environment_status(environment_id))
        started_at = time.time()
        request_id = self._trigger(environment_id)
        spec = WatchSpec(
            environment_id=environment_id,
            service_ids=self._watched_service_ids(),
            has_baseline=True,
            baseline_execution_id=baseline.last_deployment_id,
            baseline_date=baseline.last_deployment_date.isoformat()
            if baseline.last_deployment_date
            else None,
            deployment_request_id=request_id,
            started_at=started_at,
            deadline=self._deadline(context),
            service_names={s.id: s.name for s in services if s.name},
        )
        self._started = spec
        store = context.get("task_state_store")
        if store is not None:
            store.set(STATE_STORE_KEY, spec.to_dict())
        self.log.info(
            "Deployment of environment %s requested (deployment request %s).",
            environment_id,
            request_id or "not given",
        )
        return spec

    def _push_links(
        self, context: Context, environment: Environment, execution_id: str | None
    ) -> None:
        if environment.organization is None or environment.project is None:
            return
        org, project = environment.organization.id, environment.project.id
        context["ti"].xcom_push(
            key=LINKS_XCOM_KEY,
            value={
                "environment_url": environment_url(org, project, environment.id),
                "deployment_url": deployment_url(org, project, environment.id, execution_id),
            },
        )

    def _first_poll(self, spec: WatchSpec, progress: ProgressLog) -> Observation | None:
        """Check once before deferring: a deployment may end before the first poll."""
        try:
            observation = poll(self.hook.client, spec, None)
        except QoveryServerError as exc:
            self.log.warning("Could not read the deployment status yet: %s", exc)
            return None
        progress.record(observation)
        return observation

    def _wait_blocking(
        self, spec: WatchSpec, observation: Observation | None, progress: ProgressLog
    ) -> tuple[str, dict[str, Any]]:
        while observation is None or not observation.outcome.is_final:
            left = spec.seconds_left()
            if left is not None and left <= 0:
                return "timeout", build_result(spec, observation, timed_out=True)
            time.sleep(self.poll_interval if left is None else min(self.poll_interval, left))
            try:
                observation = poll(self.hook.client, spec, observation)
            except QoveryServerError as exc:
                self.log.warning("Polling Qovery failed, will poll again: %s", exc)
                continue
            progress.record(observation)
        return "final", build_result(spec, observation)

    def _finish(
        self, context: Context, status: str, result: dict[str, Any], plan: list[dict[str, Any]]
    ) -> dict[str, Any]:
        result = {**result, "plan": plan}
        environment_id = str(result.get("environment_id") or "")
        if not environment_id:
            raise QoveryError(f"The deployment result names no environment: {result!r}")
        if result.get("execution_id"):
            try:
                environment = self.hook.get_environment(environment_id)
            except QoveryError as exc:  # the links are a convenience, never the outcome
                self.log.warning("Could not update the console links: %s", exc)
            else:
                self._push_links(context, environment, result["execution_id"])
        outcome = result.get("outcome")
        if status == "timeout":
            cancelled = "it was left running (cancel_on_timeout=False)."
            if self.cancel_on_timeout:
                cancelled = self._cancel(environment_id, reason="the deadline passed")
            waited = result.get("duration_seconds") or 0
            raise QoveryDeploymentTimeoutError(
                f"The deployment of environment {environment_id} was still running "
                f"({result.get('state')}) when the deadline passed after {waited:.0f} s "
                f"(deployment_timeout or execution_timeout); {cancelled}",
                result=result,
            )
        if outcome == Outcome.SUCCESS.value:
            self.log.info(
                "Deployment %s of environment %s ended %s in %.0f s.",
                result.get("execution_id"),
                environment_id,
                result.get("state"),
                result.get("duration_seconds") or 0,
            )
            return result
        if outcome == Outcome.CANCELLED.value:
            raise QoveryDeploymentCancelledError(
                f"The deployment of environment {environment_id} was cancelled "
                f"(execution {result.get('execution_id')}).",
                result=result,
            )
        if outcome == Outcome.FAILURE.value:
            raise QoveryDeploymentFailedError(self._failure_message(result), result=result)
        raise QoveryError(f"The deployment ended without a known outcome: {result!r}")

    def _failure_message(self, result: dict[str, Any]) -> str:
        failed = [
            f"{s.get('name') or s['id']} ({s.get('type') or 'service'}) ended {s.get('state')}"
            for s in result.get("services", [])
            if s.get("in_deployment") is not False
            and classify(s.get("state"), self.action) is Outcome.FAILURE
        ]
        lines = [
            f"The deployment of environment {result['environment_id']} failed: "
            f"{result.get('state')} (execution {result.get('execution_id')}).",
            *(f"  - {line}" for line in failed),
        ]
        tail = self._log_tail(result)
        if tail:
            lines += ["Last error lines of the deployment log:", *(f"  | {t}" for t in tail)]
        return "\n".join(lines)

    def _log_tail(self, result: dict[str, Any], limit: int = 10) -> list[str]:
        execution_id = result.get("execution_id")
        if not execution_id:
            return []
        try:
            log_lines = self.hook.client.send(
                endpoints.get_deployment_logs(result["environment_id"], execution_id)
            )
        except QoveryError as exc:
            self.log.warning("Could not read the deployment log: %s", exc)
            return []
        errors = [line.text() for line in log_lines if line.error is not None and line.text()]
        chosen = errors or [line.text() for line in log_lines if line.text()]
        return [_trim(t) for t in chosen[-limit:]]

    def _cancel(self, environment_id: str, *, reason: str) -> str:
        """Cancel the running deployment once; say what happened, for the error message.

        A deployment that already ended is left alone; Qovery refusing (409, 400) or the
        call failing is logged, never raised, so the task's own error is not hidden.
        """
        spec = self._started or WatchSpec(environment_id=environment_id)
        try:
            call = cancel_call(self.hook.client, spec)
            if call is None:
                self.log.info("The deployment already ended; nothing to cancel.")
                return "it had already ended, so nothing was cancelled."
            self.hook.client.send(call)
        except QoveryRequestRejectedError as exc:
            self.log.warning("Qovery refused to cancel (%s); it may have just ended.", exc)
            return f"Qovery refused to cancel it (HTTP {exc.http_status})."
        except QoveryAPIError as exc:
            self.log.error("Could not cancel the deployment of %s: %s", environment_id, exc)
            return "cancelling it failed; check it in the Qovery console."
        self.log.warning("Cancelled the deployment of environment %s: %s.", environment_id, reason)
        return "it was cancelled."


class QoveryDeployEnvironmentOperator(_QoveryDeployBaseOperator):
    """Deploy every service of an environment that is not skipped, and wait for the outcome.

    Calls ``POST /environment/{id}/deploy``. Before deploying, the plan (stages in order,
    their services, skipped ones marked) is logged and kept in the XCom result.

    :param environment_id: The environment to deploy (templated).
    :param environment_name: Or its name (templated), with ``project_id`` (templated).
    :param wait_for_completion: Wait for the deployment to end (default) or return once
        it is requested.
    :param deferrable: Wait in the triggerer instead of holding a worker slot. Defaults to
        Airflow's ``[operators] default_deferrable``.
    :param poll_interval: Seconds between status reads (Qovery allows about 1000 requests
        an hour per token, shared by every task using it).
    :param deployment_timeout: How long to wait, in seconds or a ``timedelta``. The task's
        ``execution_timeout``, if shorter, wins. One wall-clock deadline in both modes.
    :param cancel_on_timeout: Cancel the deployment when the task gives up (deadline
        reached, or the task killed); default True.
    :param dry_run: Log and return the plan without deploying.
    :param qovery_conn_id: The Airflow connection of type ``qovery``.

    .. seealso:: docs/operators/deploy-environment.md
    """

    def _trigger(self, environment_id: str) -> str | None:
        response = self.hook.client.send(endpoints.deploy_environment(environment_id))
        return response.deployment_request_id


class QoveryDeployServicesOperator(_QoveryDeployBaseOperator):
    """Deploy chosen services of an environment, optionally at given versions, and wait.

    Calls ``POST /environment/{id}/service/deploy``. ``services`` lists service ids, or
    dicts with an ``id`` (or a ``name``) and the version fields the service's type takes:

    - APPLICATION: ``git_commit_id``;  CONTAINER: ``image_tag``;  DATABASE: none;
    - JOB: ``image_tag`` or ``git_commit_id`` (one, matching the job's source);
    - HELM: ``chart_version``, ``git_commit_id``, ``values_override_git_commit_id``;
    - TERRAFORM: ``git_commit_id``.

    A service without a version is redeployed at its current version. The request is
    checked against the environment's services before anything is sent.

    :param services: What to deploy (templated).
    :param environment_id: See ``QoveryDeployEnvironmentOperator``; the other parameters too.

    .. seealso:: docs/operators/deploy-services.md
    """

    template_fields: Sequence[str] = (
        *_QoveryDeployBaseOperator.template_fields,
        "services",
    )

    def __init__(self, *, services: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.services = services
        self._requested: list[dict[str, Any]] = []
        self._body: dict[str, Any] = {}
        self._ids: list[str] = []

    def _check_request(self) -> None:
        self._requested = normalize_service_requests(self.services)

    def _prepare(self, services: list[Service]) -> None:
        requested = resolve_service_names(self._requested, services)
        self._body = build_deploy_request(requested, {s.id: s for s in services})
        self._ids = [r["id"] for r in requested]

    def _watched_service_ids(self) -> list[str] | None:
        return self._ids

    def _will_deploy(self, service_id: str, skipped: bool) -> bool:
        return service_id in self._ids

    def _trigger(self, environment_id: str) -> str | None:
        response = self.hook.client.send(endpoints.deploy_services(environment_id, self._body))
        return response.deployment_request_id


def normalize_service_requests(value: Any) -> list[dict[str, Any]]:
    """Turn ``services`` into ``[{"id" or "name": ..., <version field>: str, ...}]``."""
    if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
        value = parse_rendered_structure(value, "services")
    if isinstance(value, str | Mapping | uuid.UUID):
        value = [value]
    if not isinstance(value, Sequence) or not value:
        raise QoveryInvalidInputError(
            f"services must be a non-empty list of service ids or dicts, got {value!r}."
        )
    requests: list[dict[str, Any]] = []
    for index, item in enumerate(value):
        where = f"services[{index}]"
        if not isinstance(item, Mapping):
            requests.append({"id": canonical_id(item, where)})
            continue
        if "id" in item and "service_id" in item:
            raise QoveryInvalidInputError(f"{where} has both 'id' and 'service_id'; keep one.")
        ident = item.get("id", item.get("service_id"))
        if (ident is None) == (item.get("name") is None):
            raise QoveryInvalidInputError(f"{where} needs an 'id' or a 'name' (one of them).")
        entry: dict[str, Any] = (
            {"id": canonical_id(ident, f"{where}.id")}
            if ident is not None
            else {"name": item["name"]}
        )
        for key, version in item.items():
            if key in ("id", "service_id", "name"):
                continue
            if not isinstance(version, str) or not version.strip():
                hint = (
                    " (a DAG rendering templates as native objects turns '1.0' into a "
                    "number: give versions that are not numbers, or render as strings)"
                    if isinstance(version, int | float)
                    else ""
                )
                raise QoveryInvalidInputError(
                    f"{where}.{key} must be a non-empty string, "
                    f"got {type(version).__name__} {version!r}{hint}."
                )
            entry[key] = version.strip()
        requests.append(entry)
    return requests


def resolve_service_names(
    requests: list[dict[str, Any]], services: list[Service]
) -> list[dict[str, Any]]:
    """Replace ``name`` by the service's ``id``; refuse a service listed twice."""
    resolved = []
    for request in requests:
        if "name" not in request:
            resolved.append(request)
            continue
        service = pick_by_name(services, request["name"], kind="service", where="this environment")
        resolved.append({"id": service.id, **{k: v for k, v in request.items() if k != "name"}})
    seen = [r["id"] for r in resolved]
    duplicates = sorted({i for i in seen if seen.count(i) > 1})
    if duplicates:
        raise QoveryInvalidInputError(f"services lists the same service twice: {duplicates}.")
    return resolved


def build_deploy_request(
    requests: list[dict[str, Any]], services: Mapping[str, Service]
) -> dict[str, Any]:
    """The ``DeployAllRequest`` body for ``requests``, checked against the environment."""
    body: dict[str, list[Any]] = {}
    for request in requests:
        service = services.get(request["id"])
        if service is None:
            known = ", ".join(f"{s.name} ({s.id})" for s in services.values()) or "none"
            raise QoveryNotFoundError(
                f"Service {request['id']} is not in this environment. Its services: {known}."
            )
        kind = (service.service_type or "").upper()
        if kind not in VERSION_FIELDS:
            raise QoveryInvalidInputError(
                f"Service {service.name} is of type {service.service_type}, which "
                "POST /environment/{id}/service/deploy cannot deploy."
            )
        versions = {k: v for k, v in request.items() if k != "id"}
        unknown = sorted(set(versions) - set(VERSION_FIELDS[kind]))
        if unknown:
            allowed = ", ".join(VERSION_FIELDS[kind]) or "no version field"
            raise QoveryInvalidInputError(
                f"Service {service.name} ({kind}) does not take {unknown}; it takes {allowed}."
            )
        if kind == "JOB" and len(versions) > 1:
            raise QoveryInvalidInputError(
                f"Job {service.name}: give image_tag or git_commit_id, not both."
            )
        list_name, id_key = _BODY_LIST[kind]
        body.setdefault(list_name, []).append(
            request["id"] if id_key is None else {id_key: request["id"], **versions}
        )
    return body


def _plan_stage(
    stage: DeploymentStage, services: Mapping[str, Service], will_deploy: Any
) -> dict[str, Any]:
    entries = []
    for entry in stage.services:
        service = services.get(entry.service_id or "")
        entries.append(
            {
                "id": entry.service_id,
                "name": service.name if service else None,
                "type": entry.service_type,
                "skipped": entry.is_skipped,
                "deploys": bool(will_deploy(entry.service_id, entry.is_skipped)),
            }
        )
    return {
        "stage_id": stage.id,
        "stage": stage.name,
        "order": stage.deployment_order,
        "services": entries,
    }


def format_plan(plan: list[dict[str, Any]]) -> str:
    """The plan as a table for the task log."""
    rows = [f"{'#':>2}  {'stage':<22} {'service':<24} {'type':<12} action"]
    for position, stage in enumerate(plan, start=1):
        if not stage["services"]:
            rows.append(f"{position:>2}  {stage['stage'] or stage['stage_id']:<22} (no services)")
        for service in stage["services"]:
            action = (
                "deploy"
                if service["deploys"]
                else ("skipped" if service["skipped"] else "not selected")
            )
            rows.append(
                f"{position:>2}  {stage['stage'] or stage['stage_id']:<22} "
                f"{service['name'] or service['id']:<24} {service['type'] or '':<12} {action}"
            )
    return "\n".join(rows)


def _trim(text: str, width: int = 300) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."
