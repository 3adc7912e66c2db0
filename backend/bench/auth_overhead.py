"""Authenticated vs anonymous request on the same cheap endpoint, same Granian server, one run.

Run from backend/: `.venv/bin/python -m bench.auth_overhead`. Figures go to
bench/results/auth_overhead.json. Goal: overhead ≤ 15 %, JWKS fetched once per worker.
"""

from __future__ import annotations

import json
import logging
import os
import re
import statistics
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import django
import httpx

from hubkit.testing import ServiceProcess, manage, recreate_database, start_identity_service, venv_python

BACKEND = Path(__file__).resolve().parent.parent
RESULTS = BACKEND / "bench" / "results" / "auth_overhead.json"
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "8"))
REQUESTS = int(os.environ.get("BENCH_REQUESTS", "4000"))
WORKERS = int(os.environ.get("BENCH_SERVER_WORKERS", "1"))


def _load(url: str, headers: dict[str, str]) -> dict[str, float]:
    per_thread = REQUESTS // CONCURRENCY

    def run() -> list[float]:
        latencies = []
        with httpx.Client(headers=headers, timeout=10) as client:
            for _ in range(per_thread):
                started = time.perf_counter()
                response = client.get(url)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
        return latencies

    with httpx.Client(headers=headers) as warm:
        for _ in range(200):
            warm.get(url)
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        latencies = [lat for chunk in pool.map(lambda _: run(), range(CONCURRENCY)) for lat in chunk]
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 3),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 3),
        "p99_ms": round(latencies[int(len(latencies) * 0.99)] * 1000, 3),
    }


def _jwks_fetches(identity_url: str) -> float:
    text = httpx.get(identity_url + "/metrics").text
    total = 0.0
    for line in text.splitlines():
        if line.startswith("hub_http_requests_total{") and re.search(
            r'route="\.well-known/jwks\.json"', line
        ):
            total += float(line.rsplit(" ", 1)[1])
    return total


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    # The load generator must not spend its CPU logging every request.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    # Django must be set up before the test support (which imports models) is imported.
    identity = start_identity_service(
        repo_root=BACKEND.parent,
        database_name="bench_hub_identity_auth",
        redis_url="redis://127.0.0.1:6379/6",
    )
    database_url = recreate_database("bench_hub_backend_auth")
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "ROOT_URLCONF": "bench.auth_urls",
        "DATABASE_URL": database_url,
        "IDENTITY_SERVICE_URL": identity.url,
        "IDENTITY_ISSUER": identity.url,
        "LOG_LEVEL": "WARNING",
        "PYTEST_XDIST_WORKER": "bench",
    }
    python = venv_python(BACKEND)
    manage(BACKEND, env, "migrate", "--no-input", "-v", "0")
    token = identity.token("staff@acme.test")
    server = ServiceProcess(
        cwd=BACKEND, wsgi="config.wsgi:application", python=python, env=env, workers=WORKERS
    )
    try:
        server.start()
        fetches_before = _jwks_fetches(identity.url)
        anonymous = _load(server.url + "/bench/anonymous", {})
        authenticated = _load(server.url + "/bench/authenticated", {"Authorization": f"Bearer {token}"})
        fetches = _jwks_fetches(identity.url) - fetches_before
    finally:
        server.stop()
        identity.process.stop()
    overhead = round((anonymous["rps"] / authenticated["rps"] - 1) * 100, 1)
    result = {
        "benchmark": "auth_overhead",
        "server": f"granian wsgi, {WORKERS} worker(s)",
        "client_concurrency": CONCURRENCY,
        "anonymous": anonymous,
        "authenticated": authenticated,
        "throughput_overhead_percent": overhead,
        "p50_overhead_ms": round(authenticated["p50_ms"] - anonymous["p50_ms"], 3),
        "goal_overhead_percent": 15,
        "jwks_fetches_during_load": fetches,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
