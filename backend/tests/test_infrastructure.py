"""The container setup, checked by reading it: docker-compose.local.yml and the Dockerfiles.

Each rule is a small checker returning the problems it finds; every checker is run on the real
files (no problems expected) and on a deliberately broken example (the problem must be found).
"""

import re
from fnmatch import fnmatch
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE_FILE = ROOT / "docker-compose.local.yml"
DOCKERIGNORE_FILE = ROOT / ".dockerignore"
DOCKER_DIR = ROOT / "infrastructure" / "docker"
POSTGRES_INIT_DIR = DOCKER_DIR / "postgres-init"
# What the Python images are built from (hubkit is copied into every one).
PYTHON_SERVICE_DIRS = (
    "backend",
    "services/hubkit",
    "services/identity-service",
    "services/communication-service",
    "services/workflow-intelligence-service",
)

# The hub's local host ports (README): what docker-compose.local.yml must publish.
LOCAL_HOST_PORTS = {
    "postgres": 5437,
    "redis": 6384,
    "backend": 8000,
    "identity-service": 8001,
    "communication-service": 8003,
    "workflow-intelligence-service": 8004,
}
# One database per service, all created by the postgres init script.
SERVICE_DATABASES = {"hub_backend", "hub_identity", "hub_communication", "hub_workflow"}

DEV_SECRET_MARKER = "dev-insecure"
SECRET_NAME = re.compile(r"SECRET|PASSWORD|PASSWD|KEY|TOKEN", re.IGNORECASE)
URL_PASSWORD = re.compile(r"^[a-z][a-z0-9+.-]*://[^:/@]*:(?P<password>[^@]*)@", re.IGNORECASE)

Compose = dict[str, Any]


def load_compose() -> Compose:
    data = yaml.safe_load(COMPOSE_FILE.read_text())
    assert isinstance(data, dict), "docker-compose.local.yml is not a mapping"
    return data


def services(compose: Compose) -> dict[str, dict[str, Any]]:
    found = compose.get("services") or {}
    assert isinstance(found, dict)
    return found


def dependencies(service: dict[str, Any]) -> dict[str, str]:
    """depends_on as {target: condition}, for both the list and the mapping syntax."""
    depends_on = service.get("depends_on") or {}
    if isinstance(depends_on, list):
        return dict.fromkeys(depends_on, "service_started")
    return {name: (spec or {}).get("condition", "service_started") for name, spec in depends_on.items()}


def environment(service: dict[str, Any]) -> dict[str, str]:
    env = service.get("environment") or {}
    if isinstance(env, list):
        return dict(item.split("=", 1) if "=" in item else (item, "") for item in env)
    return {key: "" if value is None else str(value) for key, value in env.items()}


def one_shot_services(compose: Compose) -> set[str]:
    """Jobs that run to completion: restart "no" and awaited with service_completed_successfully."""
    awaited = {
        target
        for service in services(compose).values()
        for target, condition in dependencies(service).items()
        if condition == "service_completed_successfully"
    }
    return {
        name
        for name, service in services(compose).items()
        if name in awaited and str(service.get("restart", "no")) == "no"
    }


def healthcheck_problems(compose: Compose) -> list[str]:
    """Every service declares a healthcheck in compose; only one-shot jobs may disable theirs."""
    problems = []
    jobs = one_shot_services(compose)
    for name, service in services(compose).items():
        healthcheck = service.get("healthcheck")
        if not isinstance(healthcheck, dict):
            problems.append(f"{name}: no healthcheck")
        elif healthcheck.get("disable"):
            if name not in jobs:
                problems.append(f"{name}: healthcheck disabled on a long-running service")
        elif not healthcheck.get("test"):
            problems.append(f"{name}: healthcheck has no test")
    return problems


def port_mappings(service: dict[str, Any]) -> list[tuple[int, int]]:
    """(host port, container port) of every published port, short or long syntax."""
    mappings = []
    for entry in service.get("ports") or []:
        if isinstance(entry, dict):
            if entry.get("published") is not None:
                mappings.append((int(entry["published"]), int(entry["target"])))
            continue
        parts = str(entry).split("/", 1)[0].rsplit(":", 2)
        if len(parts) >= 2:  # a lone container port gets a random host port: nothing to clash
            mappings.append((int(parts[-2]), int(parts[-1])))
    return mappings


def duplicate_host_ports(compose: Compose) -> dict[int, list[str]]:
    users: dict[int, list[str]] = {}
    for name, service in services(compose).items():
        for host_port, _ in port_mappings(service):
            users.setdefault(host_port, []).append(name)
    return {port: names for port, names in users.items() if len(names) > 1}


def local_port_problems(compose: Compose, expected: dict[str, int]) -> list[str]:
    problems = []
    for name, port in expected.items():
        service = services(compose).get(name)
        if service is None:
            problems.append(f"{name}: missing")
            continue
        host_ports = [host for host, _ in port_mappings(service)]
        if host_ports != [port]:
            problems.append(f"{name}: publishes {host_ports}, the local defaults say {port}")
    return problems


def service_port_problems(compose: Compose) -> list[str]:
    """A service that sets PORT must listen where it is published and where it was built to."""
    problems = []
    for name, service in services(compose).items():
        port = environment(service).get("PORT")
        if port is None:
            continue
        if "command" in service:
            continue  # not the image's web server (a worker, a job): PORT is not what it listens on
        targets = {target for _, target in port_mappings(service)}
        if targets and targets != {int(port)}:
            problems.append(f"{name}: PORT={port} but publishes container port(s) {sorted(targets)}")
        build = service.get("build")
        build_port = (build.get("args") or {}).get("PORT") if isinstance(build, dict) else None
        if build_port is not None and str(build_port) != port:
            problems.append(f"{name}: PORT={port} but built with PORT={build_port}")
    return problems


def build_problems(compose: Compose, root: Path) -> list[str]:
    """Built services use an existing Dockerfile and a SERVICE_DIR that holds a Django service."""
    problems = []
    for name, service in services(compose).items():
        build = service.get("build")
        if build is None:
            continue
        if isinstance(build, str):
            build = {"context": build}
        context = root / build.get("context", ".")
        dockerfile = context / build.get("dockerfile", "Dockerfile")
        if not dockerfile.is_file():
            problems.append(f"{name}: Dockerfile {dockerfile.relative_to(root)} does not exist")
        if dockerfile.name != "python-service.Dockerfile":
            continue  # the frontend's image builds frontend/, no Django service
        service_dir = (build.get("args") or {}).get("SERVICE_DIR")
        if service_dir is None:
            problems.append(f"{name}: no SERVICE_DIR build arg")
            continue
        directory = context / service_dir
        problems.extend(
            f"{name}: SERVICE_DIR {service_dir} has no {required}"
            for required in ("pyproject.toml", "manage.py")
            if not (directory / required).is_file()
        )
    return problems


def dangling_dependencies(compose: Compose) -> list[str]:
    known = set(services(compose))
    return [
        f"{name} depends on unknown {target}"
        for name, service in services(compose).items()
        for target in dependencies(service)
        if target not in known
    ]


def unmarked_secrets(compose: Compose) -> list[str]:
    """Secret-looking values (by name, or a password inside a URL) must carry the dev marker."""
    problems = []
    for name, service in services(compose).items():
        for key, value in environment(service).items():
            url = URL_PASSWORD.match(value)
            if SECRET_NAME.search(key) and DEV_SECRET_MARKER not in value:
                problems.append(f"{name}: {key} is not marked {DEV_SECRET_MARKER}")
            elif url and DEV_SECRET_MARKER not in url.group("password"):
                problems.append(f"{name}: {key} embeds a password not marked {DEV_SECRET_MARKER}")
    return problems


def databases_not_created(compose: Compose, init_sql: str) -> set[str]:
    """Databases the services use (or will use) that the postgres init scripts do not create."""
    created = set(re.findall(r"CREATE\s+DATABASE\s+\"?(\w+)", init_sql, re.IGNORECASE))
    used = {
        value.rsplit("/", 1)[-1].split("?", 1)[0]
        for service in services(compose).values()
        for key, value in environment(service).items()
        if key == "DATABASE_URL"
    }
    return (used | SERVICE_DATABASES) - created


def issuer_problems(compose: Compose) -> list[str]:
    """The backend expects the issuer identity-service signs with, at an in-network address."""
    backend = environment(services(compose).get("backend") or {})
    identity = environment(services(compose).get("identity-service") or {})
    issuer = identity.get("IDENTITY_ISSUER", "")
    expected = backend.get("IDENTITY_ISSUER", backend.get("IDENTITY_SERVICE_URL", ""))
    problems = []
    if issuer != expected:
        problems.append(f"backend expects issuer {expected!r}, identity-service issues {issuer!r}")
    host = urlsplit(issuer).hostname
    if host not in services(compose):
        problems.append(f"issuer host {host!r} is not a compose service (JWKS unreachable from backend)")
    return problems


def instructions(dockerfile_text: str) -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with comments dropped and continuation lines joined."""
    logical: list[str] = []
    pending = ""
    for line in dockerfile_text.splitlines():
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1].rstrip() + " "
            continue
        logical.append(pending + stripped)
        pending = ""
    if pending:
        logical.append(pending)
    result = []
    for entry in logical:
        keyword, _, arguments = entry.partition(" ")
        result.append((keyword.upper(), arguments.strip()))
    return result


def dockerfile_problems(dockerfile_text: str) -> list[str]:
    """Multi-stage, a real HEALTHCHECK, and a non-root USER in the final stage."""
    parsed = instructions(dockerfile_text)
    problems = []
    stage_starts = [index for index, (keyword, _) in enumerate(parsed) if keyword == "FROM"]
    if len(stage_starts) < 2:
        problems.append("not multi-stage (fewer than two FROM)")
    healthchecks = [arguments for keyword, arguments in parsed if keyword == "HEALTHCHECK"]
    if not healthchecks or healthchecks[-1].upper() == "NONE":
        problems.append("no HEALTHCHECK")
    final_stage = parsed[stage_starts[-1] :] if stage_starts else parsed
    users = [arguments.split(":", 1)[0] for keyword, arguments in final_stage if keyword == "USER"]
    if not users:
        problems.append("final stage has no USER (runs as root)")
    elif users[-1] in {"root", "0"}:
        problems.append("final stage runs as root")
    return problems


def dockerignore_patterns(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def left_out_of_the_image(patterns: list[str], path: str) -> bool:
    """Whether the build context drops `path` (relative to the root): last match wins, `!` keeps."""
    dropped = False
    for line in patterns:
        keep = line.startswith("!")
        pattern = line.removeprefix("!").strip("/")
        if fnmatch(path, pattern) or path.startswith(pattern + "/") or fnmatch(path, pattern + "/*"):
            dropped = not keep
    return dropped


def runtime_packages(service_dir: Path) -> list[str]:
    """The service's top-level Python packages the running service imports (tests, fuzz, bench aside)."""
    return sorted(
        path.parent.name
        for path in service_dir.glob("*/__init__.py")
        if path.parent.name not in {"tests", "fuzz", "bench"}
    )


def missing_packages(patterns: list[str], service_dir: str, packages: list[str]) -> list[str]:
    return [
        f"{service_dir}/{package} is left out of the image"
        for package in packages
        if left_out_of_the_image(patterns, f"{service_dir}/{package}/__init__.py")
    ]


def dockerfiles() -> list[Path]:
    return sorted(path for path in DOCKER_DIR.rglob("*") if path.is_file() and "Dockerfile" in path.name)


# ---- the real files ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def compose() -> Compose:
    return load_compose()


def test_every_service_has_a_healthcheck(compose: Compose) -> None:
    assert healthcheck_problems(compose) == []


def test_no_two_services_publish_the_same_host_port(compose: Compose) -> None:
    assert duplicate_host_ports(compose) == {}


def test_published_ports_are_the_contract_defaults(compose: Compose) -> None:
    assert local_port_problems(compose, LOCAL_HOST_PORTS) == []
    assert service_port_problems(compose) == []


def test_built_services_use_an_existing_dockerfile_and_service_dir(compose: Compose) -> None:
    assert any("build" in service for service in services(compose).values())
    assert build_problems(compose, ROOT) == []


def test_every_dependency_exists(compose: Compose) -> None:
    assert dangling_dependencies(compose) == []


def test_migrations_run_before_the_services_start(compose: Compose) -> None:
    jobs = one_shot_services(compose)
    for name in (
        "backend",
        "identity-service",
        "communication-service",
        "workflow-intelligence-service",
    ):
        awaited = dependencies(services(compose)[name])
        assert awaited.get(f"{name}-migrate") == "service_completed_successfully"
        assert f"{name}-migrate" in jobs


def test_every_secret_is_marked_for_development_only(compose: Compose) -> None:
    assert unmarked_secrets(compose) == []
    # Production settings refuse dev secrets, so no service may run them under production.
    for name, service in services(compose).items():
        settings_module = environment(service).get("DJANGO_SETTINGS_MODULE", "")
        assert settings_module != "config.settings.production", name


def test_backend_and_identity_service_agree_on_the_issuer(compose: Compose) -> None:
    assert issuer_problems(compose) == []


def test_postgres_init_creates_every_service_database(compose: Compose) -> None:
    init_sql = "\n".join(path.read_text() for path in sorted(POSTGRES_INIT_DIR.glob("*.sql")))
    assert databases_not_created(compose, init_sql) == set()


def test_dockerfiles_are_multi_stage_healthchecked_and_non_root() -> None:
    found = dockerfiles()
    assert found, "no Dockerfile under infrastructure/docker"
    for path in found:
        assert dockerfile_problems(path.read_text()) == [], path.name


def test_the_backend_image_carries_every_runtime_package() -> None:
    packages = runtime_packages(ROOT / "backend")
    assert {"apps", "config", "edge"} <= set(packages)
    assert missing_packages(dockerignore_patterns(DOCKERIGNORE_FILE.read_text()), "backend", packages) == []


def test_dockerfile_keeps_the_build_only_secret_out_of_the_image() -> None:
    text = (DOCKER_DIR / "python-service.Dockerfile").read_text()
    env_lines = " ".join(arguments for keyword, arguments in instructions(text) if keyword in {"ENV", "ARG"})
    assert "SECRET_KEY" not in env_lines
    assert "DJANGO_SETTINGS_MODULE=config.settings.production" in env_lines


# ---- the checkers catch what they are for --------------------------------------------------

BAD_COMPOSE: Compose = {
    "services": {
        "db": {
            "image": "postgres:17",
            "ports": ["127.0.0.1:5433:5432"],
            "environment": {"POSTGRES_PASSWORD": "postgres"},
            "healthcheck": {"test": ["CMD", "pg_isready"]},
        },
        "api": {
            "build": {
                "context": ".",
                "dockerfile": "infrastructure/docker/python-service.Dockerfile",
                "args": {"SERVICE_DIR": "services/nowhere", "PORT": "9000"},
            },
            "ports": [{"published": 5433, "target": 8000}],
            "environment": [
                "SECRET_KEY=s3cret",
                "DATABASE_URL=postgres://app:hunter2@db:5432/hub_other",
                "PORT=8000",
            ],
            "depends_on": ["db", "cache"],
            "healthcheck": {"disable": True},
        },
        "worker": {"image": "busybox", "ports": ["8100"]},
    }
}


def test_checkers_find_a_missing_or_wrongly_disabled_healthcheck() -> None:
    assert healthcheck_problems(BAD_COMPOSE) == [
        "api: healthcheck disabled on a long-running service",
        "worker: no healthcheck",
    ]


def test_checkers_find_a_one_shot_job_only_when_awaited_to_completion() -> None:
    job = {"restart": "no", "healthcheck": {"disable": True}}
    awaited: Compose = {"services": {"migrate": job, "app": {"depends_on": {"migrate": {}}}}}
    assert healthcheck_problems(awaited) == [
        "migrate: healthcheck disabled on a long-running service",
        "app: no healthcheck",
    ]
    awaited["services"]["app"]["depends_on"]["migrate"]["condition"] = "service_completed_successfully"
    assert one_shot_services(awaited) == {"migrate"}


def test_checkers_find_port_clashes_and_local_port_mismatches() -> None:
    assert duplicate_host_ports(BAD_COMPOSE) == {5433: ["db", "api"]}
    assert local_port_problems(BAD_COMPOSE, {"db": 5437, "redis": 6384}) == [
        "db: publishes [5433], the local defaults say 5437",
        "redis: missing",
    ]
    assert service_port_problems(BAD_COMPOSE) == ["api: PORT=8000 but built with PORT=9000"]
    moved = {"services": {"api": {"ports": ["8000:8080"], "environment": {"PORT": "8000"}}}}
    assert service_port_problems(moved) == ["api: PORT=8000 but publishes container port(s) [8080]"]


def test_checkers_find_a_missing_dockerfile_and_service_dir() -> None:
    missing = {"services": {"api": {"build": {"dockerfile": "infrastructure/docker/missing.Dockerfile"}}}}
    assert build_problems(missing, ROOT) == [
        "api: Dockerfile infrastructure/docker/missing.Dockerfile does not exist"
    ]
    assert build_problems(BAD_COMPOSE, ROOT) == [
        "api: SERVICE_DIR services/nowhere has no pyproject.toml",
        "api: SERVICE_DIR services/nowhere has no manage.py",
    ]


def test_checkers_find_a_dependency_on_an_unknown_service() -> None:
    assert dangling_dependencies(BAD_COMPOSE) == ["api depends on unknown cache"]


def test_checkers_find_unmarked_secrets() -> None:
    assert unmarked_secrets(BAD_COMPOSE) == [
        "db: POSTGRES_PASSWORD is not marked dev-insecure",
        "api: SECRET_KEY is not marked dev-insecure",
        "api: DATABASE_URL embeds a password not marked dev-insecure",
    ]


def test_checkers_find_a_database_the_init_script_does_not_create() -> None:
    init_sql = "CREATE DATABASE hub_backend;\nCREATE DATABASE hub_identity;"
    assert databases_not_created(BAD_COMPOSE, init_sql) == {
        "hub_other",
        "hub_communication",
        "hub_workflow",
    }


@pytest.mark.parametrize(
    ("dockerfile", "problem"),
    [
        ("FROM python:3.11-slim\nUSER 10001\nHEALTHCHECK CMD true\n", "not multi-stage"),
        ("FROM a AS b\nFROM b\nUSER app\n", "no HEALTHCHECK"),
        ("FROM a AS b\nFROM b\nUSER app\nHEALTHCHECK NONE\n", "no HEALTHCHECK"),
        ("FROM a AS b\nUSER app\nFROM b\nHEALTHCHECK CMD true\n", "final stage has no USER"),
        ("FROM a AS b\nFROM b\nUSER app\nUSER root\nHEALTHCHECK CMD true\n", "final stage runs as root"),
        ("FROM a AS b\nFROM b\nUSER 0:0\nHEALTHCHECK \\\n  CMD true\n", "final stage runs as root"),
    ],
)
def test_checkers_find_dockerfile_problems(dockerfile: str, problem: str) -> None:
    problems = dockerfile_problems(dockerfile)
    assert len(problems) == 1
    assert problems[0].startswith(problem)


def test_dockerfile_parser_joins_continuations_and_skips_comments() -> None:
    text = "# comment\nFROM a AS b\nRUN one \\\n    # inside\n    && two\nFROM b\nUSER app\n"
    assert instructions(text) == [("FROM", "a AS b"), ("RUN", "one && two"), ("FROM", "b"), ("USER", "app")]
    assert dockerfile_problems(text) == ["no HEALTHCHECK"]


def test_checkers_find_an_issuer_mismatch() -> None:
    mismatch: Compose = {
        "services": {
            "backend": {"environment": {"IDENTITY_SERVICE_URL": "http://identity-service:8001"}},
            "identity-service": {"environment": {"IDENTITY_ISSUER": "http://localhost:8001"}},
        }
    }
    assert issuer_problems(mismatch) == [
        "backend expects issuer 'http://identity-service:8001', identity-service issues 'http://localhost:8001'",
        "issuer host 'localhost' is not a compose service (JWKS unreachable from backend)",
    ]


def test_the_images_leave_test_fuzz_and_bench_code_out() -> None:
    patterns = dockerignore_patterns(DOCKERIGNORE_FILE.read_text())
    not_runtime = [
        path.relative_to(ROOT).as_posix()
        for service_dir in PYTHON_SERVICE_DIRS
        for pattern in ("**/tests/*.py", "**/conftest.py", "fuzz/*.py", "bench/*.py")
        for path in (ROOT / service_dir).glob(pattern)
        if ".venv" not in path.parts
    ]
    assert {"backend/conftest.py", "backend/fuzz/__main__.py"} <= set(not_runtime)
    assert any(path.startswith("backend/apps/") and "/tests/" in path for path in not_runtime)
    assert any(path.startswith("services/hubkit/tests/") for path in not_runtime)
    assert [path for path in not_runtime if not left_out_of_the_image(patterns, path)] == []


def test_checkers_find_a_runtime_package_left_out_of_the_image() -> None:
    patterns = dockerignore_patterns("# comment\n**/.venv\nbackend/edge\n")
    assert missing_packages(patterns, "backend", ["apps", "edge"]) == [
        "backend/edge is left out of the image"
    ]
    assert missing_packages(["backend/*", "!backend/apps"], "backend", ["apps", "edge"]) == [
        "backend/edge is left out of the image"
    ]
    assert missing_packages(["**/__pycache__", "backend/bench/results"], "backend", ["apps", "edge"]) == []
