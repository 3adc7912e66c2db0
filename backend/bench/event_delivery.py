"""Event delivery: events/s through one worker, and commit → receipt latency (p50/p99).

Real processes: identity-service, communication and workflow services (the receivers) and one
procrastinate worker. Phase 1 commits a burst and measures how fast one worker drains it;
phase 2 publishes at a steady pace and measures commit → receipt at the workflow service.
Run from backend/: `.venv/bin/python -m bench.event_delivery`; figures go to
bench/results/event_delivery.json. Goals: ≥ 500 events/s per worker, p50 < 50 ms, p99 < 500 ms.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from hubkit.testing import ServiceProcess, free_port, recreate_database, start_identity_service

BACKEND = Path(__file__).resolve().parent.parent
ROOT = BACKEND.parent
RESULTS = BACKEND / "bench" / "results" / "event_delivery.json"
BURST = int(os.environ.get("BENCH_BURST_EVENTS", "2000"))
PACED = int(os.environ.get("BENCH_PACED_EVENTS", "300"))
PACE_PER_SECOND = float(os.environ.get("BENCH_PACE_PER_SECOND", "30"))
CONCURRENCY = os.environ.get("BENCH_WORKER_CONCURRENCY", "8")
ACME = "0a0e0000-0000-4000-8000-000000000001"


def _python(directory: Path) -> str:
    return str(directory / ".venv" / "bin" / "python")


def _manage(directory: Path, env: dict[str, str], *args: str) -> None:
    subprocess.run(  # noqa: S603
        [_python(directory), "manage.py", *args], cwd=directory, env={**os.environ, **env}, check=True,
        capture_output=True,
    )  # fmt: skip


def _count(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def main() -> None:
    logging.basicConfig(level=logging.WARNING)
    identity = start_identity_service(
        repo_root=ROOT, database_name="bench_hub_identity_events", redis_url="redis://127.0.0.1:6379/6"
    )
    ports = {name: free_port() for name in ("communication", "workflow", "smtp")}
    databases = {
        n: recreate_database(f"bench_hub_events_{n}") for n in ("backend", "communication", "workflow")
    }
    common = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false", "LOG_LEVEL": "WARNING",
        "REDIS_URL": "redis://127.0.0.1:6379/6", "IDENTITY_SERVICE_URL": identity.url,
        "IDENTITY_ISSUER": identity.url,
    }  # fmt: skip
    backend_env = {
        **common,
        "DATABASE_URL": databases["backend"],
        "COMMUNICATION_SERVICE_URL": f"http://127.0.0.1:{ports['communication']}",
        "WORKFLOW_SERVICE_URL": f"http://127.0.0.1:{ports['workflow']}",
    }
    receivers = {
        "communication": (ROOT / "services" / "communication-service", {
            **common, "DATABASE_URL": databases["communication"], "EMAIL_PORT": str(ports["smtp"])}),
        "workflow": (ROOT / "services" / "workflow-intelligence-service", {
            **common, "DATABASE_URL": databases["workflow"], "BACKEND_URL": "http://127.0.0.1:9"}),
    }  # fmt: skip
    _manage(BACKEND, backend_env, "migrate", "--no-input", "-v", "0")
    processes = []
    for name, (directory, env) in receivers.items():
        _manage(directory, env, "migrate", "--no-input", "-v", "0")
        processes.append(
            ServiceProcess(
                cwd=directory,
                wsgi="config.wsgi:application",
                python=_python(directory),
                env=env,
                port=ports[name],
            ).start()
        )
    os.environ.update(backend_env)
    import django  # noqa: PLC0415 - configured from the environment set just above

    django.setup()
    from django.db import transaction  # noqa: PLC0415

    from apps.events.services import publish  # noqa: PLC0415
    from apps.identity.models import Organization  # noqa: PLC0415

    organization = Organization.objects.get_or_create(id=ACME)[0]
    worker = subprocess.Popen(  # noqa: S603
        [_python(BACKEND), "manage.py", "procrastinate", "worker", "--concurrency", CONCURRENCY],
        cwd=BACKEND, env={**os.environ, **backend_env}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    delivered_sql = "SELECT count(*) FROM events_delivery WHERE status = 'delivered'"
    try:
        time.sleep(2)  # the worker is up and listening
        # Phase 1: a burst, committed in batches of 100, drained by one worker.
        started = time.perf_counter()
        for batch in range(BURST // 100):
            with transaction.atomic():
                for i in range(100):
                    publish(
                        organization=organization,
                        type="contact.updated",
                        subject_type="contact",
                        subject_id=f"burst-{(batch * 100 + i) % 200}",
                        data={"n": i},
                        actor=None,
                    )
        committed = time.perf_counter()
        while _count(databases["backend"], delivered_sql) < 2 * BURST:
            time.sleep(0.05)
        drained = time.perf_counter()
        # Phase 2: a steady pace; latency from each commit to its receipt at the workflow service.
        commits: dict[str, float] = {}
        for n in range(PACED):
            with transaction.atomic():
                event = publish(organization=organization, type="contact.updated", subject_type="contact",
                                subject_id=f"paced-{n % 50}", data={"n": n}, actor=None)  # fmt: skip
            commits[str(event.id)] = datetime.now(tz=UTC).timestamp()
            time.sleep(1 / PACE_PER_SECOND)
        while _count(databases["backend"], delivered_sql) < 2 * (BURST + PACED):
            time.sleep(0.05)
        with psycopg.connect(databases["workflow"], autocommit=True) as conn:
            rows = conn.execute(
                "SELECT id::text, extract(epoch FROM received_at) FROM workflows_receivedevent"
            ).fetchall()
    finally:
        worker.terminate()
        worker.wait(timeout=20)
        for process in processes:
            process.stop()
        identity.process.stop()
    latencies = sorted((float(received) - commits[eid]) * 1000 for eid, received in rows if eid in commits)
    result: dict[str, Any] = {
        "benchmark": "event_delivery",
        "worker_concurrency": int(CONCURRENCY),
        "receivers_per_event": 2,
        "burst_events": BURST,
        "burst_publish_seconds": round(committed - started, 2),
        "burst_drain_seconds": round(drained - started, 2),
        "events_per_second_one_worker": round(BURST / (drained - started), 1),
        "deliveries_per_second_one_worker": round(2 * BURST / (drained - started), 1),
        "paced_events": len(latencies),
        "paced_rate_per_second": PACE_PER_SECOND,
        "commit_to_receipt_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p90": round(latencies[int(len(latencies) * 0.90)], 1),
            "p99": round(latencies[int(len(latencies) * 0.99)], 1),
            "max": round(latencies[-1], 1),
        },
        "goals": {"events_per_second": 500, "p50_ms": 50, "p99_ms": 500},
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
