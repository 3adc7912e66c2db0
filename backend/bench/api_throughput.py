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
import os
import random
import sys
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from bench.harness import (
    ACME,
    BACKEND,
    CONNECTIONS,
    GRANIAN_ARGS,
    ROUNDS,
    SECONDS_PER_ROUND,
    WORKERS,
    WRK_THREADS,
    Target,
    measure,
    served,
    start_wrk_bench,
)

RESULTS = BACKEND / "bench" / "results" / "api_throughput.json"
CONTACTS = 500
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


def main() -> None:
    start_wrk_bench()
    seeded: list[uuid.UUID] = []
    with served("throughput", prepare=lambda url: seeded.append(_seed_contacts(url))) as stack:
        started = time.monotonic()
        contact_id = seeded[0]
        auth = stack.auth("viewer@acme.test")
        api = stack.api
        figures = measure(
            {
                "hello": Target(stack.ceiling.url + "/hello"),
                "rows": Target(stack.ceiling.url + "/rows"),
                "list": Target(api + "/contacts?limit=50", auth),
                "detail": Target(f"{api}/contacts/{contact_id}", auth),
                "me": Target(api + "/me", auth),
            }
        )
        measuring = round(time.monotonic() - started, 1)
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
        "measuring_seconds": measuring,
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
