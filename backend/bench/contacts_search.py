"""Contact search and list over 100,000 contacts of one organization, through the served stack.

Run from backend/: `.venv/bin/python -m bench.contacts_search`. Figures go to
bench/results/contacts_search.json: search latency per kind of query (p50/p95), list-endpoint
throughput next to the hello-world ceiling (`/api/health/`) of the same Granian server and run,
and the query plan of a typical search (trigram index used or not).
"""

from __future__ import annotations

import itertools
import json
import logging
import os
import random
import statistics
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import django
import httpx

from hubkit.testing import ServiceProcess, manage, recreate_database, start_identity_service, venv_python

BACKEND = Path(__file__).resolve().parent.parent
RESULTS = BACKEND / "bench" / "results" / "contacts_search.json"
DATABASE = "bench_hub_backend_contacts"
CONTACTS = int(os.environ.get("BENCH_CONTACTS", "100000"))
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "4"))
SEARCH_REQUESTS = int(os.environ.get("BENCH_SEARCH_REQUESTS", "400"))
LIST_REQUESTS = int(os.environ.get("BENCH_LIST_REQUESTS", "2000"))
WORKERS = int(os.environ.get("BENCH_SERVER_WORKERS", "1"))
ACME = uuid.UUID("0a0e0000-0000-4000-8000-000000000001")

FIRST = [
    "Anna",
    "Ben",
    "Clara",
    "David",
    "Emma",
    "Felix",
    "Greta",
    "Hannah",
    "Ida",
    "Jonas",
    "Karl",
    "Lena",
    "Mia",
    "Noah",
    "Olga",
    "Paul",
    "Quentin",
    "Rosa",
    "Sven",
    "Tilda",
    "Uwe",
    "Vera",
    "Wanda",
    "Yusuf",
]
LAST = [
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Meyer",
    "Wagner",
    "Becker",
    "Schulz",
    "Hoffmann",
    "Koch",
    "Richter",
    "Klein",
    "Wolf",
    "Neumann",
    "Schwarz",
    "Zimmermann",
    "Braun",
    "Krüger",
    "Hartmann",
]
DOMAINS = ["example.com", "mail.test", "praxis.example", "web.example", "acme-clients.test"]
TAGS = ["vip", "new", "regular", "insurance", "referral", "newsletter", "student", "senior"]

# Kinds of query a front desk types, each a list of terms cycled through.
QUERIES = {
    "first_name": ["anna", "felix", "tilda", "yusuf", "rosa"],
    "last_name_prefix": ["schm", "hoff", "zimmer", "krü", "hartm"],
    "full_name": ["anna müller", "paul weber", "greta koch"],
    "email": ["anna.mueller12", "@praxis.example", "sven.braun4"],
    "phone_digits": ["1512345", "987654", "4915"],
    "two_letters": ["an", "el"],
    "no_match": ["xylophone", "zzqq"],
}


def _generate(database_url: str) -> float:
    """Fills the bench database with CONTACTS contacts through COPY; returns seconds taken."""
    import psycopg  # noqa: PLC0415

    rng = random.Random(20261122)
    now = datetime.now(UTC)
    started = time.perf_counter()
    ascii_last = str.maketrans({"ü": "ue", "ö": "oe", "ä": "ae"})
    with psycopg.connect(database_url) as conn:
        conn.execute(
            "INSERT INTO identity_organization (id, name, timezone, created_at) VALUES (%s, 'Acme Clinic', "
            "'Europe/Berlin', now()) ON CONFLICT DO NOTHING",
            (ACME,),
        )
        conn.execute("DELETE FROM core_contact")
        columns = (
            "id, organization_id, first_name, last_name, email, phone, notes, tags, created_at, updated_at"
        )
        with conn.cursor().copy(f"COPY core_contact ({columns}) FROM STDIN") as copy:
            for i in range(CONTACTS):
                first, last = rng.choice(FIRST), rng.choice(LAST)
                email = f"{first.lower()}.{last.lower().translate(ascii_last)}{i}@{rng.choice(DOMAINS)}"
                phone = f"+49151{rng.randrange(10**7, 10**8)}" if rng.random() < 0.8 else ""
                tags = "{" + ",".join(rng.sample(TAGS, rng.randrange(0, 3))) + "}"
                created = now - timedelta(seconds=CONTACTS - i)
                copy.write_row((uuid.uuid4(), ACME, first, last, email, phone, "", tags, created, created))
        conn.execute("ANALYZE core_contact")
    return time.perf_counter() - started


def _plan(database_url: str, term: str) -> dict[str, object]:
    import psycopg  # noqa: PLC0415

    sql = (
        "EXPLAIN (ANALYZE, FORMAT JSON) SELECT id FROM core_contact WHERE organization_id = %s "
        "AND archived_at IS NULL AND search_text LIKE %s ORDER BY created_at, id LIMIT 51"
    )
    with psycopg.connect(database_url) as conn:
        row = conn.execute(sql, (ACME, f"%{term}%")).fetchone()
    assert row is not None
    plan = row[0][0]
    text = json.dumps(plan["Plan"])
    return {
        "term": term,
        "execution_ms": round(plan["Execution Time"], 3),
        "uses_trigram_index": "core_contact_search_trgm" in text,
    }


def _load(urls: list[str], headers: dict[str, str], total: int) -> dict[str, float]:
    per_thread = max(1, total // CONCURRENCY)

    def run(offset: int) -> list[float]:
        latencies = []
        cycle = itertools.islice(itertools.cycle(urls), offset, None)
        with httpx.Client(headers=headers, timeout=30) as client:
            for _, url in zip(range(per_thread), cycle, strict=False):
                started = time.perf_counter()
                response = client.get(url)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
        return latencies

    with httpx.Client(headers=headers, timeout=30) as warm:
        for url in urls * 3:
            warm.get(url)
    started = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        latencies = [lat for chunk in pool.map(run, range(CONCURRENCY)) for lat in chunk]
    elapsed = time.perf_counter() - started
    latencies.sort()
    return {
        "requests": len(latencies),
        "rps": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 2),
    }


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
    django.setup()
    logging.getLogger("httpx").setLevel(logging.WARNING)
    identity = start_identity_service(
        repo_root=BACKEND.parent,
        database_name="bench_hub_identity_search",
        redis_url="redis://127.0.0.1:6379/6",
    )
    database_url = recreate_database(DATABASE)
    env = {
        # Served as deployed: pooled database connections (the test settings open one per request).
        "DJANGO_SETTINGS_MODULE": "config.settings.local",
        "DEBUG": "false",
        "DATABASE_URL": database_url,
        "IDENTITY_SERVICE_URL": identity.url,
        "IDENTITY_ISSUER": identity.url,
        "LOG_LEVEL": "WARNING",
        "PYTEST_XDIST_WORKER": "bench",
    }
    python = venv_python(BACKEND)
    manage(BACKEND, env, "migrate", "--no-input", "-v", "0")
    generate_seconds = _generate(database_url)
    token = identity.token("viewer@acme.test")
    auth = {"Authorization": f"Bearer {token}"}
    server = ServiceProcess(
        cwd=BACKEND, wsgi="config.wsgi:application", python=python, env=env, workers=WORKERS
    )
    try:
        server.start()
        contacts = server.url + "/api/v1/contacts"
        search = {
            kind: _load([f"{contacts}?q={quote(term)}" for term in terms], auth, SEARCH_REQUESTS // 2)
            for kind, terms in QUERIES.items()
        }
        all_terms = [f"{contacts}?q={quote(t)}" for terms in QUERIES.values() for t in terms]
        search_mixed = _load(all_terms, auth, SEARCH_REQUESTS)
        ceiling = _load([server.url + "/api/health/"], {}, LIST_REQUESTS)
        first_page = _load([contacts + "?limit=50"], auth, LIST_REQUESTS)
        cursor = httpx.get(contacts + "?limit=200", headers=auth).json()["next_cursor"]
        deep_page = _load([f"{contacts}?limit=50&cursor={cursor}"], auth, LIST_REQUESTS // 2)
        tagged = _load([contacts + "?tags=vip,new&limit=50"], auth, LIST_REQUESTS // 2)
    finally:
        server.stop()
        identity.process.stop()
    result = {
        "benchmark": "contacts_search",
        "server": f"granian wsgi, {WORKERS} worker(s)",
        "client_concurrency": CONCURRENCY,
        "contacts": CONTACTS,
        "generate_seconds": round(generate_seconds, 1),
        "search_strategy": "substring (ILIKE-equivalent) on a generated lower-case column, GIN trigram index",
        "search_by_kind": search,
        "search_mixed": search_mixed,
        "list_first_page_limit_50": first_page,
        "list_after_cursor_limit_50": deep_page,
        "list_tags_filter": tagged,
        "hello_world_ceiling": ceiling,
        "list_share_of_ceiling_percent": round(first_page["rps"] / ceiling["rps"] * 100, 1),
        "plans": [_plan(database_url, term) for term in ("schm", "anna.mueller12", "an", "zzqq")],
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
