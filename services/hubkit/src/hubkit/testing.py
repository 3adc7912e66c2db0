"""Test support: run a hub service as a real subprocess on an ephemeral 127.0.0.1 port."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import IO, Any, TypeVar
from urllib.parse import urlsplit, urlunsplit

import httpx
import psycopg
import redis
from psycopg import sql

from hubkit.settings import REDIS_KEY_PREFIX_ENV, redis_cache

PG_ADMIN_URL = os.environ.get("TEST_PG_URL", "postgres://postgres@127.0.0.1:5432")
RUN_ENV = "HUB_TEST_RUN"
"""This test run's id, in the environment so every xdist worker and every service they start shares it."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ServiceProcess:
    """A WSGI app served by Granian in a subprocess; output captured to a log file."""

    def __init__(
        self,
        *,
        cwd: Path,
        wsgi: str,
        env: Mapping[str, str],
        python: str | None = None,
        port: int | None = None,
        workers: int = 1,
        ready_path: str = "/api/health/",
        extra_args: Sequence[str] = (),
    ) -> None:
        self.cwd = cwd
        self.wsgi = wsgi
        self.env = {**os.environ, **env}
        self.python = python or sys.executable
        self.port = port or free_port()
        self.workers = workers
        self.ready_path = ready_path
        self.extra_args = list(extra_args)
        self.process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> str:
        if self._log is None:
            raise RuntimeError("the service was never started")
        return self._log.name

    def read_log(self) -> str:
        return Path(self.log_path).read_text(errors="replace")

    def start(self, timeout: float = 120.0) -> ServiceProcess:
        # A limit, not a measurement: a service becomes ready in a second or two, but on a loaded
        # 2-core machine with several xdist workers starting theirs at once 30 s was seen to pass.
        self._log = tempfile.NamedTemporaryFile(prefix="service-", suffix=".log", delete=False)  # noqa: SIM115
        command = [
            self.python,
            "-m",
            "granian",
            "--interface",
            "wsgi",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
            "--workers",
            str(self.workers),
            "--no-access-log",
            *self.extra_args,
            self.wsgi,
        ]
        self.process = subprocess.Popen(  # noqa: S603 - fixed argv, no shell
            command, cwd=self.cwd, env=self.env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.wsgi} exited early:\n{self.read_log()}")
            try:
                if httpx.get(self.url + self.ready_path, timeout=1.0).status_code < 500:
                    return self
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        self.stop()
        raise RuntimeError(f"{self.wsgi} did not become ready in {timeout}s:\n{self.read_log()}")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        if self._log is not None:
            self._log.close()

    def __enter__(self) -> ServiceProcess:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()


T = TypeVar("T")


def all_at_once(
    calls: Sequence[Callable[[], T]],
    *,
    finally_each: Callable[[], object] | None = None,
    timeout: float = 30.0,
) -> list[T]:
    """Runs every call on its own thread, all released together by one barrier; answers in call order.

    `finally_each` runs on each thread after its call (a Django test passes
    `django.db.connections.close_all`: each thread had a connection of its own). A call's
    exception is raised here, after every thread ended.
    """
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[], T]) -> T:
        try:
            barrier.wait(timeout=timeout)
            return call()
        finally:
            if finally_each is not None:
                finally_each()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def wait_until(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    """`check()`'s first truthy answer, polled every `interval` s; AssertionError after `timeout` s."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout}s")
        time.sleep(interval)


PRODUCTION_DROPPED_ENV = ("SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE")
"""What a production start never inherits from the test's environment: the caller names them."""


def django_start(
    directory: Path, env: Mapping[str, str], *, settings: str = "config.settings.production"
) -> subprocess.CompletedProcess[str]:
    """Load `settings` and run `django.setup()` in a fresh interpreter of the project (its own venv),
    with this environment minus `PRODUCTION_DROPPED_ENV`, plus `env`. Printing `started` and
    exiting 0 means the settings accept that environment; a refusal is on stderr."""
    inherited = {k: v for k, v in os.environ.items() if k not in PRODUCTION_DROPPED_ENV}
    return subprocess.run(  # noqa: S603 - fixed argv
        [venv_python(directory), "-c", "import django; django.setup(); print('started')"],
        cwd=directory,
        env={**inherited, "DJANGO_SETTINGS_MODULE": settings, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def venv_python(directory: Path) -> str:
    """The interpreter of a hub project's own virtualenv (made by `make setup`)."""
    return str(directory / ".venv" / "bin" / "python")


def manage(
    directory: Path, env: Mapping[str, str], *args: str, timeout: float = 180
) -> subprocess.CompletedProcess[str]:
    """Run a project's `manage.py` with its own interpreter and `env` over this environment.

    A failing command raises with its output, so a broken migration reads as itself.
    """
    result = subprocess.run(  # noqa: S603
        [venv_python(directory), "manage.py", *args],
        cwd=directory,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(
            f"manage.py {args[0]} in {directory.name} failed:\n{result.stdout}\n{result.stderr}"
        )
    return result


def recreate_database(name: str) -> str:
    """Drop (a stale one from a killed run) and create a PostgreSQL database; returns its URL.

    Whoever creates one drops it again when done (`drop_database`).
    """
    with psycopg.connect(PG_ADMIN_URL + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    return f"{PG_ADMIN_URL}/{name}"


def drop_database(name: str) -> None:
    """Drop a database `recreate_database` made, ending any connection still open to it."""
    with psycopg.connect(PG_ADMIN_URL + "/postgres", autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


PG_DUMP = "/usr/bin/pg_dump"


def database_dump(settings_dict: Mapping[str, Any]) -> str:
    """`pg_dump --data-only` of a Django database (its `settings_dict`): what a leaked dump shows.

    It sees committed rows only: a test writing what it dumps runs with `transaction=True`.
    """
    command = [PG_DUMP, "--data-only", "--dbname", str(settings_dict["NAME"])]
    for option, key in (("--host", "HOST"), ("--port", "PORT"), ("--username", "USER")):
        if settings_dict.get(key):
            command += [option, str(settings_dict[key])]
    env = {**os.environ, "PGPASSWORD": str(settings_dict.get("PASSWORD") or "")}
    return subprocess.run(  # noqa: S603 - a fixed binary and the test's own database
        command, env=env, capture_output=True, text=True, check=True, timeout=120
    ).stdout


def run_id() -> str:
    """One id per test run: the first process to ask (xdist's controller) sets it for the rest."""
    return os.environ.setdefault(RUN_ENV, os.environ.get("PYTEST_XDIST_TESTRUNUID") or uuid.uuid4().hex[:12])


def worker_id() -> str:
    """This test process's name: the xdist worker id, or `main` without xdist."""
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


# Database 0 is the development services', 6 the benchmarks', 12 the fuzz run's (it empties it).
_WORKER_DBS = (1, 2, 3, 4, 5, 7, 8, 9, 10, 11, 13, 14)
_MAIN_DB = 15  # a run without xdist


def _worker_db(worker: str) -> int:
    return _WORKER_DBS[int(worker[2:]) % len(_WORKER_DBS)] if worker.startswith("gw") else _MAIN_DB


@dataclass(frozen=True)
class RedisNamespace:
    """Where one test process (or a service it started) keeps its Redis keys: a URL and a key prefix."""

    url: str
    prefix: str

    def cache(self) -> dict[str, Any]:
        """The `CACHES["default"]` of a test settings module (the environment's prefix ignored)."""
        return {**redis_cache(self.url, prefix=self.prefix), "KEY_PREFIX": self.prefix}

    def env(self) -> dict[str, str]:
        """The environment that puts a service's cache into this namespace (`hubkit.settings.redis_cache`)."""
        return {"REDIS_URL": self.url, REDIS_KEY_PREFIX_ENV: self.prefix}

    def flush(self) -> int:
        """Deletes this namespace's keys, and no other: the database is shared, so never FLUSHDB."""
        pattern = "".join("\\" + c if c in "*?[]\\" else c for c in self.prefix) + ":*"
        client = redis.Redis.from_url(self.url, socket_timeout=5.0)
        try:
            deleted = 0
            batch: list[bytes] = []
            for key in client.scan_iter(match=pattern, count=500):
                batch.append(key)
                if len(batch) == 500:
                    deleted += int(client.unlink(*batch))
                    batch = []
            if batch:
                deleted += int(client.unlink(*batch))
            return deleted
        finally:
            client.close()


_namespaces: dict[tuple[str, str], RedisNamespace] = {}


def redis_namespace(name: str, *, redis_url: str | None = None) -> RedisNamespace:
    """This run's and worker's Redis namespace for `name`, remembered for `flush_redis_namespaces`.

    The database is the worker's own on `REDIS_URL`'s server (or the one `redis_url` names); the
    prefix holds the run id and the worker, so back-to-back and simultaneous runs never meet.
    """
    if redis_url is None:
        base = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
        redis_url = urlunsplit(base._replace(path=f"/{_worker_db(worker_id())}"))
    namespace = RedisNamespace(url=redis_url, prefix=f"test-{run_id()}-{worker_id()}-{name}")
    return _namespaces.setdefault((namespace.url, namespace.prefix), namespace)


def flush_redis_namespaces() -> int:
    """Deletes the keys of every namespace this process handed out (`hubkit.pytest_plugin` calls it)."""
    return sum(namespace.flush() for namespace in list(_namespaces.values()))


@dataclass
class IdentityService:
    """A running identity-service for tests and benchmarks, with demo users logged in on demand."""

    process: ServiceProcess
    database_url: str
    env: dict[str, str]
    password: str
    directory: Path
    _tokens: dict[tuple[str, str | None], str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return self.process.url

    def stop(self) -> None:
        """Stop the process and drop its database (made for it by `start_identity_service`)."""
        self.process.stop()
        drop_database(urlsplit(self.database_url).path.lstrip("/"))

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run one of identity-service's management commands against its database."""
        return manage(self.directory, self.env, *args)

    def login(self, email: str, organization_id: str | None = None) -> dict[str, object]:
        body: dict[str, object] = {"email": email, "password": self.password}
        if organization_id:
            body["organization_id"] = organization_id
        response = httpx.post(self.url + "/api/v1/auth/login", json=body, timeout=10)
        response.raise_for_status()
        result: dict[str, object] = response.json()
        return result

    def token(self, email: str, organization_id: str | None = None) -> str:
        """A cached access token for a demo user (fresh enough for one test run)."""
        key = (email, organization_id)
        if key not in self._tokens:
            self._tokens[key] = str(self.login(email, organization_id)["access_token"])
        return self._tokens[key]

    def service_token(self, client_id: str, secret: str, **extra: str) -> str:
        response = httpx.post(
            self.url + "/oauth/token",
            data={"grant_type": "client_credentials", **extra},
            auth=(client_id, secret),
            timeout=10,
        )
        response.raise_for_status()
        return str(response.json()["access_token"])


def start_identity_service(
    *, repo_root: Path, database_name: str, redis_url: str | None = None
) -> IdentityService:
    """Start the real identity-service (fresh database, migrated, demo data) on an ephemeral port.

    Its cache (lockout counters) lives in a Redis namespace of its own (`redis_namespace`, on the
    worker's database unless `redis_url` names one), emptied now and at the end of the run. The
    caller ends it with `service.stop()` (its database dropped too; `service.process.stop()` only
    stops it, to be started again). Its venv must exist (`make setup`).
    """
    cache = redis_namespace(f"identity-{database_name}", redis_url=redis_url)
    cache.flush()
    directory = repo_root / "services" / "identity-service"
    database_url = recreate_database(database_name)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DATABASE_URL": database_url,
        "IDENTITY_ISSUER": url,
        **cache.env(),
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
    }
    demo = json.loads((repo_root / "infrastructure" / "demo" / "identities.json").read_text())
    service = IdentityService(
        process=ServiceProcess(
            cwd=directory,
            wsgi="config.wsgi:application",
            python=venv_python(directory),
            env=env,
            port=port,
        ),
        database_url=database_url,
        env=env,
        password=str(demo["password"]),
        directory=directory,
    )
    service.manage("migrate", "--no-input", "-v", "0")
    service.manage("seed_demo")
    service.process.start()
    return service
