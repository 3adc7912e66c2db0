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
