"""The fake's world: organizations, projects, environments, deployment stages and services.

Records are plain dataclasses guarded by one lock in `World`; `_render` functions turn them
into the JSON shapes of the spec. Deployments live in `_deployments.py`.
"""

from __future__ import annotations

import copy
import json
import threading
import uuid
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, TypeVar

SEED_PATH = Path(__file__).parent / "data" / "seed.json"

SERVICE_TYPES = ("APPLICATION", "CONTAINER", "DATABASE", "JOB", "HELM", "TERRAFORM")

# Qovery gives every new environment these four stages, in this order; services land in
# the one of their kind. Qovery has no default stage for helm or terraform services: the
# fake puts helm charts with containers and terraform with databases.
DEFAULT_STAGES = (
    ("DATABASE DEFAULT", "Default stage for databases", ("DATABASE", "TERRAFORM")),
    ("JOB DEFAULT", "Default stage for jobs", ("JOB",)),
    ("CONTAINER DEFAULT", "Default stage for containers", ("CONTAINER", "HELM")),
    ("APPLICATION DEFAULT", "Default stage for applications", ("APPLICATION",)),
)

# Seeded records get ids derived from this namespace so that a reset gives the same ids.
_ID_NAMESPACE = uuid.UUID("0a0e0000-0000-4000-8000-00000000fa4e")

ICON_BASE = "app://qovery-console/"


_Record = TypeVar("_Record")


class ApiError(Exception):
    """A refusal the fake answers with a Qovery-like error body."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def iso(timestamp: float) -> str:
    """RFC 3339 in UTC with microseconds, as Qovery writes its dates."""
    moment = datetime.fromtimestamp(timestamp, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_time(text: str) -> float:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()


def stable_id(*parts: str) -> str:
    return str(uuid.uuid5(_ID_NAMESPACE, "/".join(parts)))


def new_id() -> str:
    return str(uuid.uuid4())


def is_uuid(text: str) -> bool:
    try:
        uuid.UUID(text)
    except ValueError:
        return False
    return len(text) == 36


@dataclass
class Token:
    token: str
    scope: str
    name: str


@dataclass
class Organization:
    id: str
    name: str
    created_at: float
    plan: str = "TEAM_2025"


@dataclass
class Project:
    id: str
    name: str
    organization_id: str
    created_at: float
    description: str = ""


@dataclass
class Environment:
    id: str
    name: str
    mode: str
    project_id: str
    organization_id: str
    cluster_id: str
    created_at: float
    updated_at: float
    stage_ids: list[str] = field(default_factory=list)
    # The last finished deployment, as status endpoints report it when nothing runs.
    last_deployment_id: str | None = None
    last_deployment_date: float | None = None
    last_deployment_state: str = "READY"
    last_deployment_duration: int | None = None
    last_triggered_by: str | None = None
    deployment_count: int = 0


@dataclass
class Stage:
    id: str
    environment_id: str
    name: str
    description: str
    created_at: float
    updated_at: float


@dataclass
class Service:
    id: str
    name: str
    type: str
    environment_id: str
    stage_id: str
    link_id: str
    link_created_at: float
    link_updated_at: float
    is_skipped: bool
    created_at: float
    updated_at: float
    # What a deployment deploys: git_commit_id, image_tag, chart_version... by type.
    version: dict[str, str] = field(default_factory=dict)
    # The version the last successful deployment put in place.
    deployed_version: dict[str, str] = field(default_factory=dict)
    job_type: str = "LIFECYCLE"
    deploy_seconds: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    # Settled deployment status, i.e. as of the last finished deployment that touched it.
    state: str = "READY"
    action_status: str = "NEVER"
    execution_id: str | None = None
    last_deployment_date: float | None = None
    last_duration: int | None = None


@dataclass
class Failure:
    """A failure planned with `fail_service`: the state it ends in and the log message."""

    state: str
    message: str
    remaining: int | None = None


class World:
    """Every record of the fake, loaded from a seed; the lock guards all of it."""

    def __init__(self, seed: dict[str, Any], clock_now: float) -> None:
        self.lock = threading.RLock()
        self.tokens: dict[str, Token] = {}
        self.organizations: dict[str, Organization] = {}
        self.projects: dict[str, Project] = {}
        self.environments: dict[str, Environment] = {}
        self.stages: dict[str, Stage] = {}
        self.services: dict[str, Service] = {}
        self.failures: dict[str, Failure] = {}
        _Seeder(self, clock_now).load(seed)

    # -- lookups -----------------------------------------------------------------

    def organization(self, organization_id: str) -> Organization:
        return _find(self.organizations, organization_id, "organization")

    def project(self, project_id: str) -> Project:
        return _find(self.projects, project_id, "project")

    def environment(self, environment_id: str) -> Environment:
        return _find(self.environments, environment_id, "environment")

    def stage(self, stage_id: str) -> Stage:
        return _find(self.stages, stage_id, "deployment stage")

    def service(self, service_id: str, service_type: str | None = None) -> Service:
        service = self.services.get(service_id)
        if service is None or (service_type is not None and service.type != service_type):
            kind = (service_type or "service").lower()
            raise ApiError(404, f"{kind} {service_id} not found")
        return service

    def env_stages(self, environment_id: str) -> list[Stage]:
        return [self.stages[i] for i in self.environment(environment_id).stage_ids]

    def env_services(self, environment_id: str) -> list[Service]:
        services = [s for s in self.services.values() if s.environment_id == environment_id]
        return sorted(services, key=lambda s: (s.created_at, s.name))

    def stage_services(self, stage_id: str) -> list[Service]:
        services = [s for s in self.services.values() if s.stage_id == stage_id]
        return sorted(services, key=lambda s: (s.link_created_at, s.name))

    # -- environments --------------------------------------------------------------

    def create_environment(
        self, project_id: str, name: str, mode: str, cluster_id: str | None, now: float
    ) -> Environment:
        project = self.project(project_id)
        for other in self.environments.values():
            if other.project_id == project_id and other.name.lower() == name.lower():
                raise ApiError(
                    409, f"environment name {name!r} is already taken in project {project.name}"
                )
        env = Environment(
            id=new_id(),
            name=name,
            mode=mode,
            project_id=project_id,
            organization_id=project.organization_id,
            cluster_id=cluster_id or stable_id("cluster", project.organization_id),
            created_at=now,
            updated_at=now,
        )
        self.environments[env.id] = env
        self.add_default_stages(env, now, stable_ids=False)
        return env

    def add_default_stages(self, env: Environment, now: float, *, stable_ids: bool) -> None:
        for name, description, _ in DEFAULT_STAGES:
            stage_id = stable_id("stage", env.id, name) if stable_ids else new_id()
            self.stages[stage_id] = Stage(stage_id, env.id, name, description, now, now)
            env.stage_ids.append(stage_id)

    def default_stage_for(self, env: Environment, service_type: str) -> str:
        """The default stage of that kind of service, else the last stage of the env."""
        for stage_id in env.stage_ids:
            stage = self.stages[stage_id]
            for name, _, types in DEFAULT_STAGES:
                if stage.name == name and service_type in types:
                    return stage_id
        if not env.stage_ids:
            raise ApiError(400, f"environment {env.id} has no deployment stage")
        return env.stage_ids[-1]

    # -- deployment stages ---------------------------------------------------------

    def create_stage(
        self, environment_id: str, name: str, description: str | None, now: float
    ) -> Stage:
        env = self.environment(environment_id)
        self._check_stage_name(env, name, exclude=None)
        stage = Stage(new_id(), env.id, name, description or "", now, now)
        self.stages[stage.id] = stage
        env.stage_ids.append(stage.id)
        env.updated_at = now
        return stage

    def edit_stage(self, stage_id: str, name: str, description: str | None, now: float) -> Stage:
        stage = self.stage(stage_id)
        self._check_stage_name(self.environment(stage.environment_id), name, exclude=stage_id)
        stage.name = name
        stage.description = description or ""
        stage.updated_at = now
        return stage

    def delete_stage(self, stage_id: str, now: float) -> None:
        stage = self.stage(stage_id)
        if self.stage_services(stage_id):
            names = ", ".join(s.name for s in self.stage_services(stage_id))
            raise ApiError(
                400,
                f"deployment stage {stage.name!r} must empty of service before deletion "
                f"(it holds {names})",
            )
        env = self.environment(stage.environment_id)
        env.stage_ids.remove(stage_id)
        env.updated_at = now
        del self.stages[stage_id]

    def move_stage(self, stage_id: str, reference_id: str, *, after: bool, now: float) -> None:
        stage = self.stage(stage_id)
        reference = self.stage(reference_id)
        if stage.environment_id != reference.environment_id:
            raise ApiError(
                400,
                f"deployment stages {stage_id} and {reference_id} belong to different environments",
            )
        if stage_id == reference_id:
            return
        order = self.environment(stage.environment_id).stage_ids
        order.remove(stage_id)
        order.insert(order.index(reference_id) + (1 if after else 0), stage_id)
        stage.updated_at = now

    def attach(self, stage_id: str, service_id: str, *, is_skipped: bool, now: float) -> None:
        stage = self.stage(stage_id)
        service = self.service(service_id)
        if stage.environment_id != service.environment_id:
            raise ApiError(
                400,
                f"service {service_id} is in environment {service.environment_id}, but "
                f"deployment stage {stage_id} is in environment {stage.environment_id}",
            )
        if service.stage_id != stage_id:
            # A new link, as Qovery records a new stage membership on every move.
            service.stage_id = stage_id
            service.link_id = new_id()
            service.link_created_at = now
        service.is_skipped = is_skipped
        service.link_updated_at = now

    def _check_stage_name(self, env: Environment, name: str, exclude: str | None) -> None:
        if not name.strip():
            raise ApiError(400, "deployment stage name must not be empty")
        for stage in self.env_stages(env.id):
            if stage.id != exclude and stage.name.lower() == name.lower():
                raise ApiError(
                    400,
                    f"a deployment stage named {stage.name!r} already exists in environment "
                    f"{env.name} (names are case insensitive)",
                )

    # -- rendering -----------------------------------------------------------------

    def render_organization(self, org: Organization) -> dict[str, Any]:
        return {
            "id": org.id,
            "created_at": iso(org.created_at),
            "name": org.name,
            "plan": org.plan,
            "description": None,
            "organization_plan": {"plan": org.plan, "audit_logs_retention_in_days": 30},
        }

    def render_project(self, project: Project) -> dict[str, Any]:
        count = sum(1 for e in self.environments.values() if e.project_id == project.id)
        return {
            "id": project.id,
            "created_at": iso(project.created_at),
            "name": project.name,
            "description": project.description,
            "associated_environments_count": count,
            "organization": {"id": project.organization_id},
        }

    def render_environment(self, env: Environment) -> dict[str, Any]:
        return {
            "id": env.id,
            "created_at": iso(env.created_at),
            "updated_at": iso(env.updated_at),
            "name": env.name,
            "organization": {"id": env.organization_id},
            "project": {"id": env.project_id},
            "cloud_provider": {"provider": "aws", "cluster": "eu-west-3"},
            "mode": env.mode,
            "cluster_id": env.cluster_id,
            "cluster_name": "fake-cluster",
            "expires_at": None,
        }

    def render_stage(self, stage: Stage) -> dict[str, Any]:
        env = self.environment(stage.environment_id)
        return {
            "id": stage.id,
            "created_at": iso(stage.created_at),
            "updated_at": iso(stage.updated_at),
            "environment": {"id": stage.environment_id},
            "name": stage.name,
            "description": stage.description,
            "deployment_order": env.stage_ids.index(stage.id),
            "services": [
                {
                    "id": service.link_id,
                    "created_at": iso(service.link_created_at),
                    "updated_at": iso(service.link_updated_at),
                    "service_id": service.id,
                    "service_type": service.type,
                    "is_skipped": service.is_skipped,
                }
                for service in self.stage_services(stage.id)
            ],
        }

    def render_stage_list(self, environment_id: str) -> dict[str, Any]:
        return {"results": [self.render_stage(s) for s in self.env_stages(environment_id)]}

    def render_service(self, service: Service) -> dict[str, Any]:
        body = _SERVICE_RENDERERS[service.type](service)
        body.update(
            {
                "id": service.id,
                "created_at": iso(service.created_at),
                "updated_at": iso(service.updated_at),
                "name": service.name,
                "description": "",
                "environment": {"id": service.environment_id},
                "icon_uri": f"{ICON_BASE}services/{service.type.lower()}",
                "service_type": service.type,
            }
        )
        body.update(copy.deepcopy(service.extra))
        return body

    def snapshot(self) -> dict[str, Any]:
        """Every record as plain JSON, for `GET /_fake/state`."""
        return {
            "organizations": [asdict(o) for o in self.organizations.values()],
            "projects": [asdict(p) for p in self.projects.values()],
            "environments": [asdict(e) for e in self.environments.values()],
            "stages": [asdict(s) for s in self.stages.values()],
            "services": [asdict(s) for s in self.services.values()],
            "failures": {k: asdict(v) for k, v in self.failures.items()},
        }


def _find(table: dict[str, _Record], record_id: str, kind: str) -> _Record:
    record = table.get(record_id)
    if record is None:
        raise ApiError(404, f"{kind} {record_id} not found")
    return record


# -- service renderers: the spec-required fields of each service type -----------------

_REGISTRY = {
    "id": "7e000000-0000-4000-8000-000000000001",
    "name": "Docker Hub",
    "url": "https://docker.io",
    "kind": "DOCKER_HUB",
}


def _git_repository(service: Service, commit: str | None) -> dict[str, Any]:
    repository = {
        "provider": "GITHUB",
        "owner": "acme",
        "name": service.name,
        "url": f"https://github.com/acme/{service.name}.git",
        "branch": "main",
        "root_path": "/",
        "has_access": True,
    }
    if commit:
        repository["deployed_commit_id"] = commit
    return repository


def _resources() -> dict[str, Any]:
    return {
        "maximum_cpu": 16000,
        "maximum_memory": 16384,
        "maximum_gpu": 0,
        "cpu": 500,
        "memory": 512,
        "gpu": 0,
    }


def _render_application(service: Service) -> dict[str, Any]:
    commit = service.deployed_version.get("git_commit_id") or service.version.get("git_commit_id")
    return {
        **_resources(),
        "git_repository": _git_repository(service, commit),
        "build_mode": "DOCKER",
        "dockerfile_path": "Dockerfile",
        "min_running_instances": 1,
        "max_running_instances": 1,
        "healthchecks": {},
        "auto_preview": False,
        "auto_deploy": False,
        "arguments": [],
        "storage": [],
        "ports": [],
    }


# Containers and jobs would also pass as an Application in the spec's oneOf of
# GET /environment/{id}/services; a null git_repository (Application wants an object there)
# keeps exactly one branch matching, for clients that do not read the discriminator.


def _render_container(service: Service) -> dict[str, Any]:
    tag = service.deployed_version.get("image_tag") or service.version.get("image_tag", "latest")
    return {
        **_resources(),
        "image_name": service.extra.get("image_name", f"acme/{service.name}"),
        "tag": tag,
        "registry_id": _REGISTRY["id"],
        "registry": dict(_REGISTRY),
        "min_running_instances": 1,
        "max_running_instances": 1,
        "healthchecks": {},
        "auto_preview": False,
        "auto_deploy": False,
        "arguments": [],
        "storage": [],
        "ports": [],
        "git_repository": None,
    }


def _render_database(service: Service) -> dict[str, Any]:
    return {
        "type": "POSTGRESQL",
        "version": service.version.get("version", "16"),
        "mode": "CONTAINER",
        "accessibility": "PRIVATE",
        "cpu": 250,
        "memory": 256,
        "storage": 10,
        "host": f"{service.name}.fake.internal",
        "port": 5432,
    }


def _render_job(service: Service) -> dict[str, Any]:
    version = {**service.version, **service.deployed_version}
    if "image_tag" in version:
        source: dict[str, Any] = {
            "image": {
                "image_name": f"acme/{service.name}",
                "tag": version["image_tag"],
                "registry_id": _REGISTRY["id"],
                "registry": dict(_REGISTRY),
            }
        }
    else:
        source = {
            "docker": {
                "git_repository": _git_repository(service, version.get("git_commit_id")),
                "dockerfile_path": "Dockerfile",
            }
        }
    body: dict[str, Any] = {
        **_resources(),
        "auto_preview": False,
        "auto_deploy": False,
        "source": source,
        "healthchecks": {},
        "max_nb_restart": 0,
        "git_repository": None,
        "max_duration_seconds": 300,
        "job_type": service.job_type,
    }
    if service.job_type == "CRON":
        body["schedule"] = {"cronjob": {"timezone": "Etc/UTC", "scheduled_at": "0 3 * * *"}}
    else:
        body["schedule"] = {"on_start": {"arguments": [], "entrypoint": ""}}
    return body


def _render_helm(service: Service) -> dict[str, Any]:
    version = {**service.version, **service.deployed_version}
    return {
        "auto_preview": False,
        "auto_deploy": False,
        "timeout_sec": 600,
        "source": {
            "repository": {
                "chart_name": service.name,
                "chart_version": version.get("chart_version", "1.0.0"),
                "repository": {
                    "id": "7e000000-0000-4000-8000-000000000002",
                    "name": "bitnami",
                    "url": "https://charts.bitnami.com/bitnami",
                },
            }
        },
        "arguments": [],
        "allow_cluster_wide_resources": False,
        "values_override": {"set": [], "set_string": [], "set_json": []},
    }


def _render_terraform(service: Service) -> dict[str, Any]:
    version = {**service.version, **service.deployed_version}
    return {
        "timeout_sec": 1800,
        "auto_deploy": False,
        "terraform_files_source": {
            "git": {"git_repository": _git_repository(service, version.get("git_commit_id"))}
        },
        "terraform_variables_source": {"tf_var_file_paths": [], "tf_vars": []},
        "engine": "TERRAFORM",
        "backend": {"kubernetes": {}},
        "provider_version": {"read_from_terraform_block": False, "explicit_version": "1.9.0"},
        "job_resources": {"cpu_milli": 500, "ram_mib": 512, "gpu": 0, "storage_gib": 1},
        "use_cluster_credentials": False,
        "action_extra_arguments": {},
    }


_SERVICE_RENDERERS = {
    "APPLICATION": _render_application,
    "CONTAINER": _render_container,
    "DATABASE": _render_database,
    "JOB": _render_job,
    "HELM": _render_helm,
    "TERRAFORM": _render_terraform,
}


# -- seed loading ---------------------------------------------------------------------


class _Seeder:
    """Builds a `World` from the seed's nested organizations → projects → environments."""

    def __init__(self, world: World, now: float) -> None:
        self.world = world
        self.now = now

    def load(self, seed: dict[str, Any]) -> None:
        seed = copy.deepcopy(seed)
        for item in seed.get("tokens", []):
            scope = item.get("scope", "admin")
            if scope not in ("admin", "read"):
                raise ValueError(f"seed token scope must be 'admin' or 'read', not {scope!r}")
            name = item.get("name", f"{scope} API token")
            self.world.tokens[item["token"]] = Token(item["token"], scope, name)
        for org_item in seed.get("organizations", []):
            self._organization(org_item)

    def _time(self, item: dict[str, Any], key: str, default: float) -> float:
        text = item.get(key)
        return parse_time(text) if isinstance(text, str) else default

    def _organization(self, item: dict[str, Any]) -> None:
        created = self._time(item, "created_at", self.now)
        org = Organization(item["id"], item["name"], created, item.get("plan", "TEAM_2025"))
        self.world.organizations[org.id] = org
        for project_item in item.get("projects", []):
            created = self._time(project_item, "created_at", org.created_at)
            project = Project(
                project_item["id"],
                project_item["name"],
                org.id,
                created,
                project_item.get("description", ""),
            )
            self.world.projects[project.id] = project
            for env_item in project_item.get("environments", []):
                self._environment(project, env_item)

    def _environment(self, project: Project, item: dict[str, Any]) -> None:
        created = self._time(item, "created_at", project.created_at)
        env = Environment(
            id=item["id"],
            name=item["name"],
            mode=item.get("mode", "DEVELOPMENT"),
            project_id=project.id,
            organization_id=project.organization_id,
            cluster_id=item.get("cluster_id", stable_id("cluster", project.organization_id)),
            created_at=created,
            updated_at=created,
        )
        self.world.environments[env.id] = env
        if "stages" in item:
            for stage_item in item["stages"]:
                stage = Stage(
                    stage_item["id"],
                    env.id,
                    stage_item["name"],
                    stage_item.get("description", ""),
                    created,
                    created,
                )
                self.world.stages[stage.id] = stage
                env.stage_ids.append(stage.id)
        else:
            self.world.add_default_stages(env, created, stable_ids=True)
        deployed = item.get("last_deployment")
        for service_item in item.get("services", []):
            self._service(env, service_item, deployed)
        if deployed:
            env.deployment_count = 1
            env.last_deployment_id = f"{env.id}-1"
            env.last_deployment_date = parse_time(deployed["date"])
            env.last_deployment_state = deployed.get("state", "DEPLOYED")
            env.last_deployment_duration = int(deployed.get("duration_seconds", 120))
            env.last_triggered_by = deployed.get("triggered_by", "seed")

    def _service(
        self, env: Environment, item: dict[str, Any], deployed: dict[str, Any] | None
    ) -> None:
        service_type = item["type"]
        if service_type not in SERVICE_TYPES:
            raise ValueError(f"seed service {item['name']!r}: unknown type {service_type!r}")
        if "stage" in item:
            stage_id = self._stage_id(env, item["stage"])
        else:
            stage_id = self.world.default_stage_for(env, service_type)
        created = self._time(item, "created_at", env.created_at)
        version = {k: str(v) for k, v in item.get("version", {}).items()}
        service = Service(
            id=item["id"],
            name=item["name"],
            type=service_type,
            environment_id=env.id,
            stage_id=stage_id,
            link_id=stable_id("link", item["id"], stage_id),
            link_created_at=created,
            link_updated_at=created,
            is_skipped=bool(item.get("is_skipped", False)),
            created_at=created,
            updated_at=created,
            version=version,
            job_type=item.get("job_type", "LIFECYCLE"),
            deploy_seconds=item.get("deploy_seconds"),
            extra=item.get("extra", {}),
        )
        if deployed:
            service.deployed_version = dict(version)
            service.state = deployed.get("state", "DEPLOYED")
            service.action_status = "SUCCESS" if service.state == "DEPLOYED" else "ERROR"
            service.execution_id = f"{env.id}-1"
            service.last_deployment_date = parse_time(deployed["date"])
            service.last_duration = int(deployed.get("duration_seconds", 120))
        self.world.services[service.id] = service

    def _stage_id(self, env: Environment, reference: str) -> str:
        for stage_id in env.stage_ids:
            if reference in (stage_id, self.world.stages[stage_id].name):
                return stage_id
        raise ValueError(f"seed environment {env.name!r} has no stage {reference!r}")


def load_seed(seed: str | Path | dict[str, Any] | None) -> dict[str, Any]:
    """Read a seed given as a path or as an already parsed dict (None: the bundled seed)."""
    if isinstance(seed, dict):
        return seed
    path = Path(seed) if seed is not None else SEED_PATH
    with path.open(encoding="utf-8") as stream:
        data: dict[str, Any] = json.load(stream)
    return data
