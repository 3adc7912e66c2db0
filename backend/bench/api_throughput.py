"""List, detail and /me throughput next to the bare Ninja + Granian ceiling, measured in one run.

Run from backend/: `.venv/bin/python -m bench.api_throughput` (needs `wrk`: `apt-get install -y
wrk`; `make bench` installs it). The backend is served as `make run` serves it (Granian WSGI, the
Procfile's workers and blocking threads, `config.settings.local` with DEBUG=false, multi-process
metrics) against a real identity-service; the ceiling (`bench.ceiling`) is Django + Ninja alone on
the same Granian command line: a hello-world and fifty ten-field rows from memory through a
response schema. wrk drives every target with the same connections, in interleaved rounds so that
noise from other work on the machine falls on all of them alike.

Goals: `GET /contacts?limit=50` ≥ 60 % of the fifty-row ceiling, `GET /contacts/{id}` ≥ 60 % of
the hello-world. Figures go to bench/results/api_throughput.json; exits 1 when a goal is missed.
"""

from __future__ import annotations

import json
import logging
import os
import random
import re
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import django
import httpx

from hubkit.testing import ServiceProcess, manage, recreate_database, start_identity_service, venv_python

BACKEND = Path(__file__).resolve().parent.parent
RESULTS = BACKEND / "bench" / "results" / "api_throughput.json"
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "50"))
WRK_THREADS = int(os.environ.get("BENCH_WRK_THREADS", "2"))
SECONDS_PER_ROUND = int(os.environ.get("BENCH_SECONDS_PER_ROUND", "5"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
WARMUP_SECONDS = int(os.environ.get("BENCH_WARMUP_SECONDS", "2"))
# As the Procfile serves the backend (BACKEND_WORKERS defaults to 2, one blocking thread); both
# servers always get the same, BENCH_BLOCKING_THREADS tries another thread count on both.
WORKERS = int(os.environ.get("BACKEND_WORKERS", "2"))
GRANIAN_ARGS = ("--blocking-threads", os.environ.get("BENCH_BLOCKING_THREADS", "1"))
CONTACTS = 500
ACME = uuid.UUID("0a0e0000-0000-4000-8000-000000000001")
GOALS = {"list_per_rows": 0.60, "detail_per_hello": 0.60}


def _seed_contacts(database_url: str) -> uuid.UUID:
    """CONTACTS contacts of the demo organization Acme (through COPY); returns one of their ids."""
    import psycopg  # noqa: PLC0415

    rng = random.Random(20260101)
    first = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Jonas", "Lena", "Paul"]
    last = ["Müller", "Schmidt", "Fischer", "Weber", "Wagner", "Becker", "Koch", "Wolf"]
    tags = ["vip", "new", "regular", "insurance", "referral"]
    now = datetime.now(UTC)
    ids = [uuid.uuid4() for _ in range(CONTACTS)]
    columns = "id, organization_id, first_name, last_name, email, phone, notes, tags, created_at, updated_at"
    with psycopg.connect(database_url) as conn:
        with conn.cursor().copy(f"COPY core_contact ({columns}) FROM STDIN") as copy:
            for i, contact_id in enumerate(ids):
                given, family = rng.choice(first), rng.choice(last)
                email = f"{given.lower()}.{i}@example.com"
                phone = f"+49151{rng.randrange(10**7, 10**8)}" if i % 5 else ""
                row_tags = "{" + ",".join(rng.sample(tags, rng.randrange(0, 3))) + "}"
                created = now - timedelta(seconds=CONTACTS - i)
                row = (contact_id, ACME, given, family, email, phone, "", row_tags, created, created)
                copy.write_row(row)
        # Planner statistics as autovacuum would leave them on a running hub.
        conn.execute("ANALYZE core_contact")
    return ids[len(ids) // 2]


def _wrk(url: str, headers: dict[str, str], seconds: int) -> dict[str, float]:
    # A generous timeout: on a busy machine the tail of a slow target passes wrk's default 2 s.
    command = ["wrk", "-t", str(WRK_THREADS), "-c", str(CONNECTIONS), "-d", f"{seconds}s", "--timeout", "10s"]
    command.append("--latency")
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run(  # noqa: S603 - fixed argv, no shell
        [*command, url], capture_output=True, text=True, check=True, timeout=seconds + 30
    ).stdout
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: (.*)", output)
    if failed or errors:
        raise RuntimeError(f"{url} did not answer every request with success:\n{output}")
    requests = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s)", output, re.MULTILINE)
    if requests is None or p50 is None or p99 is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    elapsed = float(requests[2]) * (60 if requests[3] == "m" else 1)
    return {
        "requests": int(requests[1]),
        "seconds": elapsed,
        "p50_ms": _ms(p50),
        "p99_ms": _ms(p99),
    }


def _ms(match: re.Match[str]) -> float:
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]


def _measure(targets: dict[str, tuple[str, dict[str, str]]]) -> dict[str, dict[str, Any]]:
    """Every target, warmed up, then in ROUNDS interleaved rounds; rps over all rounds."""
    for name, (url, headers) in targets.items():
        response = httpx.get(url, headers=headers, timeout=10)
        if response.status_code != 200:
            raise RuntimeError(f"{name}: {url} answered {response.status_code}: {response.text[:300]}")
        _wrk(url, headers, WARMUP_SECONDS)
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in targets}
    for _ in range(ROUNDS):
        for name, (url, headers) in targets.items():
            runs[name].append(_wrk(url, headers, SECONDS_PER_ROUND))
    figures: dict[str, dict[str, Any]] = {}
    for name, measured in runs.items():
        requests = sum(run["requests"] for run in measured)
        seconds = sum(run["seconds"] for run in measured)
        figures[name] = {
            "rps": round(requests / seconds, 1),
            "rps_per_round": [round(run["requests"] / run["seconds"], 1) for run in measured],
            "p50_ms": max(run["p50_ms"] for run in measured),
            "p99_ms": max(run["p99_ms"] for run in measured),
            "requests": requests,
        }
    return figures


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (Debian/Ubuntu), or run `make bench`.")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    identity = start_identity_service(
        repo_root=BACKEND.parent,
        database_name="bench_hub_identity_throughput",
        redis_url="redis://127.0.0.1:6379/6",
    )
    database_url = recreate_database("bench_hub_backend_throughput")
    metrics_dir = tempfile.TemporaryDirectory(prefix="bench-metrics-")
    env = {
        # As `make run` serves it, with DEBUG off (the developer default is on).
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "REDIS_URL": "redis://127.0.0.1:6379/6",
        "IDENTITY_SERVICE_URL": identity.url,
        "IDENTITY_ISSUER": identity.url,
        "PROMETHEUS_MULTIPROC_DIR": metrics_dir.name,
    }
    python = venv_python(BACKEND)
    manage(BACKEND, env, "migrate", "--no-input", "-v", "0")
    manage(BACKEND, env, "seed_demo")
    contact_id = _seed_contacts(database_url)
    auth = {"Authorization": f"Bearer {identity.token('viewer@acme.test')}"}
    backend = ServiceProcess(
        cwd=BACKEND,
        wsgi="config.wsgi:application",
        python=python,
        env=env,
        workers=WORKERS,
        extra_args=GRANIAN_ARGS,
    )
    ceiling = ServiceProcess(
        cwd=BACKEND,
        wsgi="bench.ceiling.wsgi:application",
        python=python,
        env={"DJANGO_SETTINGS_MODULE": "bench.ceiling.settings"},
        workers=WORKERS,
        extra_args=GRANIAN_ARGS,
        ready_path="/hello",
    )
    started = time.monotonic()
    try:
        backend.start()
        ceiling.start()
        api = backend.url + "/api/v1"
        figures = _measure(
            {
                "hello": (ceiling.url + "/hello", {}),
                "rows": (ceiling.url + "/rows", {}),
                "list": (api + "/contacts?limit=50", auth),
                "detail": (f"{api}/contacts/{contact_id}", auth),
                "me": (api + "/me", auth),
            }
        )
    finally:
        ceiling.stop()
        backend.stop()
        identity.process.stop()
        metrics_dir.cleanup()
    ratios = {
        "list_per_rows": round(figures["list"]["rps"] / figures["rows"]["rps"], 3),
        "detail_per_hello": round(figures["detail"]["rps"] / figures["hello"]["rps"], 3),
        "me_per_hello": round(figures["me"]["rps"] / figures["hello"]["rps"], 3),
    }
    missed = [name for name, goal in GOALS.items() if ratios[name] < goal]
    result: dict[str, Any] = {
        "benchmark": "api_throughput",
        "server": f"granian wsgi, {WORKERS} worker(s), {' '.join(GRANIAN_ARGS)}, DEBUG=false",
        "load": f"wrk -t{WRK_THREADS} -c{CONNECTIONS}, {ROUNDS} rounds x {SECONDS_PER_ROUND}s per target",
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "measuring_seconds": round(time.monotonic() - started, 1),
        "targets": {
            "hello": "ceiling GET /hello",
            "rows": "ceiling GET /rows (50 ten-field rows, response schema)",
            "list": "GET /api/v1/contacts?limit=50",
            "detail": "GET /api/v1/contacts/{id}",
            "me": "GET /api/v1/me",
        },
        "figures": figures,
        "ratios": ratios,
        "goals": GOALS,
        "goals_missed": missed,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    for name, figure in figures.items():
        rps, p50, p99 = figure["rps"], figure["p50_ms"], figure["p99_ms"]
        print(f"{name:>7}: {rps:>8.1f} rps  p50 {p50:.2f} ms  p99 {p99:.2f} ms")
    for name, ratio in ratios.items():
        goal = GOALS.get(name)
        verdict = "" if goal is None else ("  ok" if ratio >= goal else f"  BELOW GOAL {goal:.2f}")
        print(f"{name:>17}: {ratio:.3f}{verdict}")
    if missed:
        sys.exit(1)


if __name__ == "__main__":
    main()
