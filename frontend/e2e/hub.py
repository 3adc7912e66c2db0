"""The real hub for the frontend's end-to-end tests, every part a process on an ephemeral port.

identity-service (demo users) with its outbox worker, communication-service with an SMTP sink
writing .eml files, and the backend (demo data) with its event delivery worker. Prints one JSON
line with the URLs, the mail directory and the backend's database URL, then runs until its
standard input closes (the test runner holds it open).

Run with the backend's virtualenv: backend/.venv/bin/python frontend/e2e/hub.py --frontend-url URL
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid
from contextlib import ExitStack
from pathlib import Path
from urllib.parse import urlsplit

from hubkit.testing import (
    RedisNamespace,
    ServiceProcess,
    drop_database,
    free_port,
    manage,
    recreate_database,
    venv_python,
)

ROOT = Path(__file__).resolve().parents[2]
BACKEND = ROOT / "backend"
IDENTITY = ROOT / "services" / "identity-service"
COMMUNICATION = ROOT / "services" / "communication-service"
# A database other test runs may use too (hubkit.testing's worker databases include it): each
# service keeps its keys under a prefix of this run's own, deleted key by key at the end, never
# the database. A new prefix per run: login-failure counters of one run never lock out the next.
REDIS_URL = "redis://127.0.0.1:6379/11"
READY_TIMEOUT_SECONDS = 180.0
SIGNING_SECRET = "dev-insecure-frontend-e2e-identity-webhook-secret"  # noqa: S105 - a test-run secret


DATABASES = ("identity", "communication", "backend")


def database_prefix() -> str:
    """Named after this run's DATABASE_URL, so parallel runs in other checkouts never collide."""
    url = os.environ.get("DATABASE_URL", "")
    name = urlsplit(url).path.lstrip("/") if url else ""
    return f"{name or 'hub'}_e2e"


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frontend-url", required=True, help="where the invitation links point")
    args = parser.parse_args()
    # The test runner ends the hub with SIGTERM: exit through the ExitStack so every process it
    # started is stopped too (Python's default for SIGTERM ends at once, leaving them running).
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    prefix = database_prefix()
    run = uuid.uuid4().hex[:12]
    namespaces = {name: RedisNamespace(REDIS_URL, f"e2e-{run}-{name}") for name in DATABASES}
    ports = {name: free_port() for name in ("identity", "communication", "backend", "smtp")}
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    mail_dir = Path(tempfile.mkdtemp(prefix="hub-e2e-mail-"))
    common = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "IDENTITY_SERVICE_URL": urls["identity"],
        "IDENTITY_ISSUER": urls["identity"],
    }
    with ExitStack() as stack:
        # Registered first, so they run last: once every process below has stopped, the databases
        # are dropped and this run's Redis keys deleted, also when a start fails or SIGTERM ends it.
        # (A database a killed run left behind is dropped by `recreate_database` before reuse.)
        for namespace in namespaces.values():
            stack.callback(namespace.flush)

        def database(name: str) -> str:
            url = recreate_database(f"{prefix}_{name}")
            stack.callback(drop_database, f"{prefix}_{name}")
            return url

        envs = {
            "identity": {
                **common,
                **namespaces["identity"].env(),
                "DATABASE_URL": database("identity"),
                "FRONTEND_URL": args.frontend_url,
                "EVENT_WEBHOOK_URL": urls["communication"] + "/api/v1/events",
                "EVENT_SIGNING_SECRET": SIGNING_SECRET,
                "EVENT_DELIVERY_BACKOFF_BASE_SECONDS": "0.3",
                "EVENT_DELIVERY_BACKOFF_MAX_SECONDS": "1",
                "EVENT_SWEEP_CRON": "* * * * * */2",
            },
            "communication": {
                **common,
                **namespaces["communication"].env(),
                "DATABASE_URL": database("communication"),
                "IDENTITY_WEBHOOK_SECRETS": SIGNING_SECRET,
                "EMAIL_HOST": "127.0.0.1",
                "EMAIL_PORT": str(ports["smtp"]),
            },
            "backend": {
                **common,
                **namespaces["backend"].env(),
                "DATABASE_URL": database("backend"),
                # The worker below delivers to the real communication-service; nothing listens at the
                # workflow address, so those deliveries stay pending (retried, never dead within a run):
                # an event always has one delivery still in progress and one delivered.
                "COMMUNICATION_SERVICE_URL": urls["communication"],
                "WORKFLOW_SERVICE_URL": f"http://127.0.0.1:{free_port()}",
                "EVENT_DELIVERY_MAX_ATTEMPTS": "1000",
            },
        }
        directories = {"identity": IDENTITY, "communication": COMMUNICATION, "backend": BACKEND}
        for name, directory in directories.items():
            manage(directory, envs[name], "migrate", "--no-input", "-v", "0")
        manage(IDENTITY, envs["identity"], "seed_demo")
        manage(BACKEND, envs["backend"], "seed_demo")

        logs = Path(tempfile.mkdtemp(prefix="hub-e2e-logs-"))

        def background(name: str, directory: Path, env: dict[str, str], *argv: str) -> None:
            log = stack.enter_context((logs / f"{name}.log").open("wb"))
            process = subprocess.Popen(  # noqa: S603 - fixed argv
                [venv_python(directory), *argv],
                cwd=directory,
                env={**os.environ, **env},
                stdout=log,
                stderr=subprocess.STDOUT,
            )

            def stop() -> None:
                process.terminate()
                try:
                    process.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    process.kill()

            stack.callback(stop)

        background(
            "smtp",
            COMMUNICATION,
            envs["communication"],
            *("-m", "apps.messaging.smtp_sink", "--host", "127.0.0.1"),
            *("--port", str(ports["smtp"]), "--directory", str(mail_dir)),
        )
        background("identity-worker", IDENTITY, envs["identity"], "manage.py", "procrastinate", "worker")
        # The backend's event delivery worker, without its metrics port (it would clash between runs).
        worker_env = {**envs["backend"], "METRICS_PORT": ""}
        background("backend-worker", BACKEND, worker_env, "manage.py", "procrastinate", "worker")
        for name, directory in directories.items():
            process = ServiceProcess(
                cwd=directory,
                wsgi="config.wsgi:application",
                python=venv_python(directory),
                env=envs[name],
                port=ports[name],
            )
            # A busy machine can take longer than the default 30 s to import Django and answer.
            stack.callback(process.stop)
            process.start(timeout=READY_TIMEOUT_SECONDS)
        sys.stdout.write(
            json.dumps(
                {
                    "backend": urls["backend"],
                    "identity": urls["identity"],
                    "communication": urls["communication"],
                    "mail_dir": str(mail_dir),
                    # For what no API may do: the booking flows move a confirmed booking into the
                    # past (the API books only from now on) to complete it or mark a no-show.
                    "backend_database": envs["backend"]["DATABASE_URL"],
                    "logs": str(logs),
                }
            )
            + "\n"
        )
        sys.stdout.flush()
        sys.stdin.read()  # until the test runner closes it (or exits)


if __name__ == "__main__":
    main()
