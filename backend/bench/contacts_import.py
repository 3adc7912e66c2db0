"""Contact imports: rows/s of a 10,000-row CSV through the import job, next to its ceiling.

Run from backend/: `.venv/bin/python -m bench.contacts_import`. In this process, on its own
database (`<BENCH_DATABASE_PREFIX>_backend_contacts_import`, recreated and migrated), with
`config.settings.local` and DEBUG off:

1. import: `contact_import_start` accepts the file (read, checked, hashed, stored encrypted, job
   queued), then the job's task runs it as the worker would (`apps.core.tasks.import_contacts`):
   every row through the create schema and `contact_create`, with its audit entry and event, a
   savepoint per row and a transaction per batch. ROWS rows, REJECTED of them bad.
2. ceiling: the same valid rows through `contact_create` alone, one transaction each, for
   another organization: the API's create path without the file, the schema or the batches.
   The import cannot be faster; `share_of_ceiling` says how close it comes.
3. replay: the same file uploaded again answers the first import (no job, no row).

Each measurement runs REPEATS times (a fresh organization each); figures go to
bench/results/contacts_import.json. No goal yet: the figures are reported.
"""

from __future__ import annotations

import csv
import io
import json
import os
import statistics
import time
import uuid
from pathlib import Path
from typing import Any

import django

from hubkit.testing import manage, recreate_database

BACKEND = Path(__file__).resolve().parent.parent
RESULTS = BACKEND / "bench" / "results" / "contacts_import.json"
DATABASE_PREFIX = os.environ.get("BENCH_DATABASE_PREFIX", "bench_hub")
ROWS = int(os.environ.get("BENCH_IMPORT_ROWS", "10000"))
REPEATS = int(os.environ.get("BENCH_IMPORT_REPEATS", "2"))
REJECTED = ROWS // 100  # every hundredth row has a bad email


def _file(run: int) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["first_name", "last_name", "email", "phone", "notes", "tags"])
    for i in range(ROWS):
        email = "not-an-email" if i % 100 == 99 else f"person{i}.{run}@example.com"
        writer.writerow([f"Person{i}", "Tester", email, f"+49151{10_000_000 + i}", "imported", "bench,new"])
    return out.getvalue().encode()


def _valid_rows(run: int) -> list[dict[str, Any]]:
    return [
        {
            "first_name": f"Person{i}",
            "last_name": "Tester",
            "email": f"person{i}.{run}@example.com",
            "phone": f"+49151{10_000_000 + i}",
            "notes": "imported",
            "tags": ["bench", "new"],
        }
        for i in range(ROWS)
        if i % 100 != 99
    ]


def _distribution(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {"p50_ms": round(statistics.median(ordered) * 1000, 1), "max_ms": round(ordered[-1] * 1000, 1)}


def main() -> None:
    database_url = recreate_database(f"{DATABASE_PREFIX}_backend_contacts_import")
    env = {"DJANGO_SETTINGS_MODULE": "config.settings.local", "DEBUG": "false", "DATABASE_URL": database_url}
    manage(BACKEND, env, "migrate", "--no-input", "-v", "0")
    os.environ.update(env)
    os.environ["LOG_LEVEL"] = "WARNING"
    django.setup()

    from apps.core.models import Contact, ContactImport  # noqa: PLC0415 - needs django.setup()
    from apps.core.services.contacts import contact_create  # noqa: PLC0415
    from apps.core.services.imports import contact_import_start  # noqa: PLC0415
    from apps.core.tasks import import_contacts  # noqa: PLC0415
    from apps.identity.models import Organization, User  # noqa: PLC0415

    imports: list[float] = []
    starts: list[float] = []
    ceilings: list[float] = []
    replays: list[float] = []
    measuring = time.perf_counter()
    for run in range(REPEATS):
        organization = Organization.objects.create(id=uuid.uuid4(), name=f"Import bench {run}")
        actor = User.objects.create(
            subject=f"bench-{uuid.uuid4()}", email=f"staff{run}@bench.test", name="Bench"
        )
        content = _file(run)
        started = time.perf_counter()
        job, new = contact_import_start(
            organization=organization, actor=actor, filename="contacts.csv", source=io.BytesIO(content)
        )
        accepted = time.perf_counter()
        import_contacts(import_id=str(job.id), organization_id=str(organization.id))
        finished = time.perf_counter()
        job.refresh_from_db()
        if not new or job.status != ContactImport.Status.DONE or job.rejected_count != REJECTED:
            raise SystemExit(f"the import did not finish as expected: {job.status}, {job.rejected_count}")
        if job.created_count != ROWS - REJECTED:
            raise SystemExit(f"created {job.created_count}, expected {ROWS - REJECTED}")
        starts.append(accepted - started)
        imports.append(finished - started)
        started = time.perf_counter()
        again, new = contact_import_start(
            organization=organization, actor=actor, filename="contacts.csv", source=io.BytesIO(content)
        )
        replays.append(time.perf_counter() - started)
        if new or again.id != job.id:
            raise SystemExit("the same file was imported twice")

        other = Organization.objects.create(id=uuid.uuid4(), name=f"Ceiling bench {run}")
        rows = _valid_rows(run)
        started = time.perf_counter()
        for fields in rows:
            contact_create(organization=other, actor=actor, **fields)
        ceilings.append(time.perf_counter() - started)
        if Contact.objects.for_organization(other).count() != len(rows):
            raise SystemExit("the ceiling did not create every row")

    import_rps = ROWS / statistics.median(imports)
    ceiling_rps = (ROWS - REJECTED) / statistics.median(ceilings)
    result = {
        "benchmark": "contacts_import",
        "server": "none: in process (the job's task as the worker runs it),"
        " config.settings.local, DEBUG=false",
        "load": f"{ROWS} CSV rows ({REJECTED} rejected) x{REPEATS};"
        " ceiling: the valid rows via contact_create",
        "cpus": os.cpu_count(),
        "measuring_seconds": round(time.perf_counter() - measuring, 1),
        "targets": {
            "import": {
                "rows_per_second": round(import_rps, 1),
                "share_of_ceiling": round(import_rps / ceiling_rps, 3),
                "whole_file": _distribution(imports),
                "accept_upload": _distribution(starts),
            },
            "ceiling": {"rows_per_second": round(ceiling_rps, 1), "whole_file": _distribution(ceilings)},
            "replay": {"same_file_again": _distribution(replays)},
        },
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
