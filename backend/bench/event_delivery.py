"""Event delivery: events/s through one worker, and commit → receipt latency (p50/p99).

Real processes: identity-service, the communication and workflow services, one procrastinate
worker, and two verifying sinks (`bench.webhook_sink`). Three phases:

1. Worker capacity: a backlog committed in one transaction goes to the two sinks, which only
   verify signatures and deduplicate, so the figure is the worker's, not a receiver's.
   Then events published one by one at a steady pace: commit → receipt at a sink.
2. End to end: the same backlog with the real sibling services as receivers. On a small machine
   they, not the worker, set this rate (they share its cores).
3. Latency: events published one by one at a steady pace; commit → receipt at the workflow
   service.

Run from backend/: `.venv/bin/python -m bench.event_delivery`; figures go to
bench/results/event_delivery.json. Goals: ≥ 500 events/s per worker, p50 < 50 ms, p99 < 500 ms.
"""

from __future__ import annotations

import json
import logging
import os
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg

from hubkit.testing import (
    ServiceProcess,
    free_port,
    manage,
    recreate_database,
    start_identity_service,
    venv_python,
)

BACKEND = Path(__file__).resolve().parent.parent
ROOT = BACKEND.parent
RESULTS = BACKEND / "bench" / "results" / "event_delivery.json"
CAPACITY_EVENTS = int(os.environ.get("BENCH_CAPACITY_EVENTS", "10000"))
END_TO_END_EVENTS = int(os.environ.get("BENCH_END_TO_END_EVENTS", "2000"))
SUBJECTS = int(os.environ.get("BENCH_SUBJECTS", "500"))
PACED = int(os.environ.get("BENCH_PACED_EVENTS", "300"))
PACE_PER_SECOND = float(os.environ.get("BENCH_PACE_PER_SECOND", "30"))
ACME = "0a0e0000-0000-4000-8000-000000000001"
SECRETS = {
    "communication": "dev-insecure-communication-webhook-secret",
    "workflow": "dev-insecure-workflow-webhook-secret",
}
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def _contact_updated(n: int) -> dict[str, Any]:
    """A valid contact.updated `data` (publish() validates it against the event type registry)."""
    contact: dict[str, Any] = {
        "id": f"00000000-0000-4000-8000-{n:012d}",
        "first_name": "Bench",
        "last_name": str(n),
        "email": None,
        "phone": None,
        "tags": [],
        "archived_at": None,
    }
    return {"changed": ["last_name"], "contact": contact}


def _scalar(url: str, sql: str) -> int:
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(sql).fetchone()
    return int(row[0]) if row else 0


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def _start_sink(port: int, secret: str) -> subprocess.Popen[str]:
    command = [sys.executable, "-m", "bench.webhook_sink", "--port", str(port), "--secret", secret]
    return subprocess.Popen(command, cwd=BACKEND, stdout=subprocess.PIPE, text=True)  # noqa: S603


def _latency(commits: dict[str, float], receipts: Iterable[Sequence[Any]]) -> dict[str, Any]:
    latencies = sorted((float(at) - commits[eid]) * 1000 for eid, at in receipts if eid in commits)
    return {
        "paced_events": len(latencies),
        "paced_rate_per_second": PACE_PER_SECOND,
        "commit_to_receipt_ms": {
            "p50": round(statistics.median(latencies), 1),
            "p90": round(latencies[int(len(latencies) * 0.90)], 1),
            "p99": round(latencies[int(len(latencies) * 0.99)], 1),
            "max": round(latencies[-1], 1),
        },
    }


class Worker:
    """One `manage.py procrastinate worker` with the given receivers."""

    def __init__(self, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(  # noqa: S603
            [venv_python(BACKEND), "manage.py", "procrastinate", "worker"],
            cwd=BACKEND,
            env={**os.environ, **env},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(3)  # Django set up, listening for jobs

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=30)


def main() -> None:  # noqa: PLR0915 - one linear script
    logging.basicConfig(level=logging.WARNING)
    identity = start_identity_service(
        repo_root=ROOT, database_name="bench_hub_identity_events", redis_url="redis://127.0.0.1:6379/6"
    )
    ports = {name: free_port() for name in ("communication", "workflow", "smtp", "sink_c", "sink_w")}
    databases = {
        n: recreate_database(f"bench_hub_events_{n}") for n in ("backend", "communication", "workflow")
    }
    common = {
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "LOG_LEVEL": "WARNING",
        "REDIS_URL": "redis://127.0.0.1:6379/6",
        "IDENTITY_SERVICE_URL": identity.url,
        "IDENTITY_ISSUER": identity.url,
    }
    backend_env = {**common, "DATABASE_URL": databases["backend"]}
    to_sinks = {
        **backend_env,
        "COMMUNICATION_SERVICE_URL": f"http://127.0.0.1:{ports['sink_c']}",
        "WORKFLOW_SERVICE_URL": f"http://127.0.0.1:{ports['sink_w']}",
    }
    to_services = {
        **backend_env,
        "COMMUNICATION_SERVICE_URL": f"http://127.0.0.1:{ports['communication']}",
        "WORKFLOW_SERVICE_URL": f"http://127.0.0.1:{ports['workflow']}",
    }
    receivers = {
        "communication": (
            ROOT / "services" / "communication-service",
            {**common, "DATABASE_URL": databases["communication"], "EMAIL_PORT": str(ports["smtp"])},
        ),
        "workflow": (
            ROOT / "services" / "workflow-intelligence-service",
            {**common, "DATABASE_URL": databases["workflow"], "BACKEND_URL": "http://127.0.0.1:9"},
        ),
    }
    manage(BACKEND, backend_env, "migrate", "--no-input", "-v", "0")
    processes = []
    for name, (directory, env) in receivers.items():
        manage(directory, env, "migrate", "--no-input", "-v", "0")
        processes.append(
            ServiceProcess(
                cwd=directory,
                wsgi="config.wsgi:application",
                python=venv_python(directory),
                env=env,
                port=ports[name],
            ).start()
        )
    sinks = {name: _start_sink(ports[f"sink_{name[0]}"], secret) for name, secret in SECRETS.items()}
    os.environ.update(to_services)
    import django  # noqa: PLC0415 - configured from the environment set just above

    django.setup()
    from django.db import transaction  # noqa: PLC0415

    from apps.events.services import publish  # noqa: PLC0415
    from apps.identity.models import Organization  # noqa: PLC0415

    organization = Organization.objects.get_or_create(id=ACME)[0]
    delivered_sql = "SELECT count(*) FROM events_delivery WHERE status = 'delivered'"

    def backlog(count: int, prefix: str) -> float:
        """Commits `count` events (over SUBJECTS subjects) at once; returns the commit time."""
        with transaction.atomic():
            for n in range(count):
                publish(
                    organization=organization,
                    type="contact.updated",
                    subject_type="contact",
                    subject_id=f"{prefix}-{n % SUBJECTS}",
                    data=_contact_updated(n),
                    actor=None,
                )
        return time.perf_counter()

    def drained(target: int) -> float:
        while _scalar(databases["backend"], delivered_sql) < target:
            time.sleep(0.1)
        return time.perf_counter()

    def paced(prefix: str) -> dict[str, float]:
        """Publishes PACED events one by one at PACE_PER_SECOND; returns each one's commit time."""
        base = _scalar(databases["backend"], delivered_sql)
        commits: dict[str, float] = {}
        for n in range(PACED):
            with transaction.atomic():
                event = publish(
                    organization=organization,
                    type="contact.updated",
                    subject_type="contact",
                    subject_id=f"{prefix}-{n % 50}",
                    data=_contact_updated(n),
                    actor=None,
                )
            commits[str(event.id)] = datetime.now(tz=UTC).timestamp()
            time.sleep(1 / PACE_PER_SECOND)
        drained(base + 2 * PACED)
        return commits

    result: dict[str, Any] = {"benchmark": "event_delivery", "receivers_per_event": 2, "subjects": SUBJECTS}
    try:
        # Phase 1: the worker's capacity, against the verifying sinks; then its latency to them.
        worker = Worker(to_sinks)
        cpu_before = _cpu_seconds(worker.process.pid)
        committed = backlog(CAPACITY_EVENTS, "capacity")
        done = drained(2 * CAPACITY_EVENTS)
        cpu_used = _cpu_seconds(worker.process.pid) - cpu_before
        sink_commits = paced("paced-sink")
        worker.stop()
        sink_counts = {}
        for name, sink in sinks.items():
            sink.send_signal(signal.SIGTERM)
            out, _ = sink.communicate(timeout=20)
            sink_counts[name] = json.loads(out.strip().splitlines()[-1])
        sink_receipts = sink_counts["workflow"].pop("first_receipts")
        sink_counts["communication"].pop("first_receipts")
        result["worker_capacity"] = {
            "events": CAPACITY_EVENTS,
            "seconds": round(done - committed, 2),
            "events_per_second": round(CAPACITY_EVENTS / (done - committed), 1),
            "deliveries_per_second": round(2 * CAPACITY_EVENTS / (done - committed), 1),
            "worker_cpu_ms_per_delivery": round(cpu_used * 1000 / (2 * CAPACITY_EVENTS), 3),
            "sinks": sink_counts,
        }
        result["latency_to_sink"] = _latency(sink_commits, sink_receipts.items())
        # Phase 2: the same, received by the real sibling services.
        worker = Worker(to_services)
        base = _scalar(databases["backend"], delivered_sql)
        committed = backlog(END_TO_END_EVENTS, "e2e")
        done = drained(base + 2 * END_TO_END_EVENTS)
        result["end_to_end"] = {
            "events": END_TO_END_EVENTS,
            "seconds": round(done - committed, 2),
            "events_per_second": round(END_TO_END_EVENTS / (done - committed), 1),
        }
        # Phase 3: a steady pace; latency from each commit to its receipt at the workflow service.
        service_commits = paced("paced")
        worker.stop()
        with psycopg.connect(databases["workflow"], autocommit=True) as conn:
            rows = conn.execute(
                "SELECT id::text, extract(epoch FROM received_at) FROM workflows_receivedevent"
            ).fetchall()
    finally:
        for sink in sinks.values():
            if sink.poll() is None:
                sink.kill()
        for process in processes:
            process.stop()
        identity.process.stop()
    result["latency"] = _latency(service_commits, rows)
    result["goals"] = {"events_per_second_per_worker": 500, "p50_ms": 50, "p99_ms": 500}
    result["machine"] = {"cpus": os.cpu_count()}
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
