"""check_compose: the real compose file passes; each kind of drift is found."""

import copy
from pathlib import Path

import check_compose
import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def compose() -> check_compose.Compose:
    return check_compose.load_compose()


@pytest.fixture(scope="module")
def procfile() -> str:
    return (ROOT / "Procfile").read_text()


def test_the_compose_file_matches_the_procfile_and_the_settings(
    compose: check_compose.Compose, procfile: str
) -> None:
    assert check_compose.problems(compose, procfile) == []
    assert check_compose.main() == 0


def test_every_procfile_process_is_read(procfile: str) -> None:
    processes = check_compose.procfile_processes(procfile)
    assert {"backend", "identity", "worker", "identity-worker", "mail", "frontend"} <= set(processes)
    assert check_compose.procfile_processes("# comment\n\nweb: run\n") == ["web"]


def test_a_missing_worker_is_found(compose: check_compose.Compose, procfile: str) -> None:
    broken = copy.deepcopy(compose)
    del broken["services"]["worker"]
    assert check_compose.problems(broken, procfile) == [
        "Procfile process 'worker' has no compose service (label hub.procfile)"
    ]


def test_a_label_naming_no_process_is_found(compose: check_compose.Compose) -> None:
    assert check_compose.procfile_problems(compose, ["backend"])[-1].startswith(
        "frontend: label hub.procfile='frontend'"
    )


def test_a_service_without_image_and_a_dangling_dependency_are_found() -> None:
    broken = {
        "services": {"api": {"command": ["run"], "depends_on": {"cache": {"condition": "service_healthy"}}}}
    }
    assert check_compose.structure_problems(broken) == [
        "api: neither image nor build",
        "api: depends on unknown service cache",
    ]


def test_a_variable_no_setting_reads_is_found(compose: check_compose.Compose) -> None:
    broken = copy.deepcopy(compose)
    # The worker runs the backend's image: its variables are checked against the backend's code.
    broken["services"]["worker"]["environment"]["COMMUNICATION_URL"] = "http://communication-service:8003"
    assert check_compose.environment_problems(broken) == [
        "worker: COMMUNICATION_URL is not a setting backend reads"
    ]


def test_settings_are_found_in_the_service_and_hubkit_but_not_its_tests(tmp_path: Path) -> None:
    service = tmp_path / "svc" / "config"
    service.mkdir(parents=True)
    (service / "base.py").write_text(
        'A = env.int("WORKERS", 2)\nB = os.environ.get("MODE")\n'
        # The same reader as check_env_examples': a module constant naming the variable counts.
        'PREFIX_ENV = "PREFIX"\nC = os.getenv(PREFIX_ENV)\n'
    )
    tests = tmp_path / "svc" / "tests"
    tests.mkdir()
    (tests / "test_x.py").write_text('env.str("ONLY_IN_TESTS")\n')
    (tmp_path / "svc" / "conftest.py").write_text('os.environ["ONLY_IN_CONFTEST"]\n')
    assert check_compose.variables_read([tmp_path / "svc"]) == {"WORKERS", "MODE", "PREFIX"}


def test_the_compose_spec_schema_finds_what_compose_would_reject(compose: check_compose.Compose) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["redis"]["healthcheck"]["retires"] = 10
    broken["services"]["backend"]["depends_on"]["postgres"]["condition"] = "service_ready"
    broken["services"]["mail"]["ports"] = "8025:8025"
    found = check_compose.schema_problems(broken)
    assert len(found) == 3
    assert any(p.startswith("services/redis/healthcheck: ") and "'retires'" in p for p in found)
    # depends_on is a list or a map (a oneOf): the error is the whole value's.
    assert any(p.startswith("services/backend/depends_on: ") and "service_ready" in p for p in found)
    assert any(p.startswith("services/mail/ports: ") for p in found)
    # The same through the whole check, as make check runs it.
    assert check_compose.problems(broken, (ROOT / "Procfile").read_text())[:3] == found


def test_a_worker_command_drifting_from_the_procfile_is_found(
    compose: check_compose.Compose, procfile: str
) -> None:
    broken = copy.deepcopy(compose)
    broken["services"]["worker"]["command"] = [
        "sh",
        "-c",
        "unset PROMETHEUS_MULTIPROC_DIR && exec python manage.py procrastinate worker --concurrency 4",
    ]
    assert check_compose.command_problems(broken, procfile) == [
        (
            "worker: its command runs `python manage.py procrastinate worker --concurrency 4`, "
            "the Procfile's worker runs `python manage.py procrastinate worker`"
        )
    ]


def test_an_image_cmd_drifting_from_the_procfile_is_found(
    compose: check_compose.Compose, procfile: str, tmp_path: Path
) -> None:
    dockerfile = ROOT / "infrastructure" / "docker" / check_compose.PYTHON_DOCKERFILE
    (tmp_path / "infrastructure" / "docker").mkdir(parents=True)
    (tmp_path / "infrastructure" / "docker" / dockerfile.name).write_text(
        dockerfile.read_text().replace("--blocking-threads 1 ", "")
    )
    found = check_compose.command_problems(compose, procfile, tmp_path)
    # Every web service runs the image's CMD.
    assert [problem.split(":")[0] for problem in found] == [
        "identity-service",
        "backend",
        "workflow-intelligence-service",
        "communication-service",
    ]
    assert "python-service.Dockerfile CMD runs `granian --interface wsgi --host * --port *" in found[0]


def test_a_procfile_flag_the_images_lack_is_found(compose: check_compose.Compose, procfile: str) -> None:
    changed = procfile.replace("--interface wsgi", "--interface wsgi --http 1", 1)
    assert check_compose.command_problems(compose, changed) == [
        (
            "backend: its python-service.Dockerfile CMD runs `granian --interface wsgi --host * --port * "
            "--workers * --blocking-threads 1 --log-level warning config.wsgi:application`, the Procfile's "
            "backend runs "
            "`granian --interface wsgi --http 1 --host * --port * --workers * --blocking-threads 1 "
            "--log-level warning config.wsgi:application`"
        )
    ]


def test_a_command_is_read_through_its_shell() -> None:
    assert check_compose.invocation(
        'cd x && A=1 B=$C exec env -u D .venv/bin/granian --host 127.0.0.1 --port "$PORT" app'
    ) == ["granian", "--host", "*", "--port", "*", "app"]
    assert check_compose.invocation(["python", "manage.py", "migrate"]) == ["python", "manage.py", "migrate"]
    assert check_compose.invocation("exec") == []
