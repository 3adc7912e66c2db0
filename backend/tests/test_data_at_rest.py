"""A dump of the backend's database holds no contact's email, phone or notes in clear text.

The backend runs on its own database, seeded with the demo data (as `make run` does) and then
written to over HTTP; `pg_dump` of that database is searched for every personal value. The
names are not encrypted, so finding them in the same dump proves the search would see a value.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from datetime import timedelta

import httpx
import psycopg
import pytest
from django.utils import timezone

from conftest import ROOT, migrated_backend_database
from hubkit.encryption.keys import keyring
from hubkit.testing import IdentityService, ServiceProcess, manage

pytestmark = pytest.mark.xdist_group("live")
PG_DUMP = "/usr/bin/pg_dump"


@pytest.fixture(scope="module")
def seeded_backend(identity_service: IdentityService, worker: str) -> Iterator[tuple[ServiceProcess, str]]:
    database_url, env = migrated_backend_database(f"dump_{worker}", identity_service)
    manage(ROOT / "backend", env, "seed_demo")
    with ServiceProcess(cwd=ROOT / "backend", wsgi="config.wsgi:application", env=env) as process:
        yield process, database_url


def _opened(value: str) -> str:
    return keyring().decrypt(value).decode() if value else ""


def test_a_dump_after_the_demo_seed_and_api_writes_holds_no_personal_value_in_clear(
    seeded_backend: tuple[ServiceProcess, str], identity_service: IdentityService
) -> None:
    process, database_url = seeded_backend

    token = identity_service.token("manager@acme.test")
    api = httpx.Client(
        base_url=process.url + "/api/v1", headers={"Authorization": f"Bearer {token}"}, timeout=30
    )
    created = api.post(
        "/contacts",
        json={
            "first_name": "Dumpy",
            "email": "dumpy.person@example.org",
            "phone": "+49 30 901820",
            "notes": "allergic to latex, dumptest",
        },
        headers={"Idempotency-Key": "dump-test-create"},
    )
    assert created.status_code == 201, created.text
    contact_id = created.json()["id"]
    assert (
        api.patch(f"/contacts/{contact_id}", json={"notes": "prefers evenings, dumptest"}).status_code == 200
    )
    resource = api.post("/resources", json={"name": "Dump room", "kind": "room", "timezone": "UTC"}).json()
    start = (timezone.now() + timedelta(days=400)).replace(microsecond=0)
    api.post(
        f"/resources/{resource['id']}/time-off",
        json={
            "start": start.isoformat(),
            "end": (start + timedelta(hours=2)).isoformat(),
            "reason": "surgery, dumptest",
        },
    )
    assert api.get(f"/contacts/{contact_id}").status_code == 200

    with psycopg.connect(database_url, autocommit=True) as conn:
        rows = conn.execute("SELECT first_name, last_name, email, phone, notes FROM core_contact").fetchall()
    assert len(rows) >= 11
    names = {part for first, last, *_ in rows for part in (first, last) if part}
    secrets = {_opened(value) for *_, email, phone, notes in rows for value in (email, phone, notes)} - {""}
    secrets |= {
        "dumpy.person@example.org",
        "+4930901820",
        "allergic to latex, dumptest",
        "prefers evenings, dumptest",
        "surgery, dumptest",
    }
    # Every demo contact has an email, most a phone: the seed's values are among those searched for.
    assert sum("@" in s for s in secrets) >= 10
    assert sum(s.startswith("+49151") for s in secrets) >= 6

    dump = subprocess.run(  # noqa: S603 - a fixed binary and our own database URL
        [PG_DUMP, "--data-only", database_url], capture_output=True, text=True, check=True, timeout=120
    ).stdout
    # Names stay in clear: the search finds a value that is there.
    assert "Schmidt" in names
    assert [name for name in names if name not in dump] == []
    found = [value for value in secrets if value in dump or json.dumps(value)[1:-1] in dump]
    assert found == []
