"""Key rotation while the hub serves writes: `manage.py rotate_encryption_keys` against the live backend.

The served backend lists both dev keys (the first writes); the command runs as a separate process
on the same database while threads PATCH contacts over HTTP. Nothing written may be lost, and
afterwards every value is sealed with the current key; blind-index lookups and the unique-email
rule answer the same before and after.
"""

from __future__ import annotations

import threading
import uuid
from typing import Any

import pytest
from django.conf import settings

from conftest import ROOT, LiveBackend
from hubkit.encryption.keys import key_id_of
from hubkit.testing import manage

pytestmark = pytest.mark.xdist_group("live")

CONTACTS = 6
CURRENT_KEY, OLDER_KEY = settings.DEV_FIELD_ENCRYPTION_KEYS.split(",")
CURRENT, OLDER = CURRENT_KEY.split(":")[0], OLDER_KEY.split(":")[0]


def _rotate(live: LiveBackend, keys: str) -> str:
    env = {
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": live.database_url,
        "FIELD_ENCRYPTION_KEYS": keys,
        "LOG_LEVEL": "WARNING",
    }
    return manage(
        ROOT / "backend", env, "rotate_encryption_keys", "--no-progress", "--batch-size", "3"
    ).stdout


def _key_ids(live: LiveBackend, ids: list[str]) -> set[str | None]:
    rows = live.query("SELECT email, phone, notes FROM core_contact WHERE id = ANY(%s::uuid[])", ids)
    return {key_id_of(value) for row in rows for value in row}


def _lookups_work(live: LiveBackend, contacts: list[dict[str, Any]]) -> None:
    staff = live.api("staff@acme.test")
    for contact in contacts[:2]:
        for term in (contact["email"].upper(), contact["phone"]):
            found = staff.get("/contacts", params={"q": term}).json()["items"]
            assert [c["id"] for c in found] == [contact["id"]], term
    taken = staff.post("/contacts", json={"first_name": "Copy", "email": contacts[0]["email"]})
    assert taken.status_code == 409, taken.text
    assert taken.json()["code"] == "contact_email_taken"


def test_rotation_under_concurrent_writes_loses_nothing(live_backend: LiveBackend) -> None:
    staff = live_backend.api("staff@acme.test")
    marker = uuid.uuid4().hex[:8]
    contacts = []
    for i in range(CONTACTS):
        created = staff.post(
            "/contacts",
            json={
                "first_name": f"Rotate{marker}",
                "email": f"rotate-{marker}-{i}@example.com",
                "phone": f"+49 30 9018{i:04}",
                "notes": "first",
            },
        )
        assert created.status_code == 201, created.text
        contacts.append(created.json())
    ids = [c["id"] for c in contacts]

    # Everything onto the older key first (as if written before the new key was deployed).
    _rotate(live_backend, f"{OLDER_KEY},{CURRENT_KEY}")
    assert _key_ids(live_backend, ids) == {OLDER}
    _lookups_work(live_backend, contacts)

    last_written: dict[str, str] = {}
    stop = threading.Event()
    start = threading.Barrier(CONTACTS + 1)
    failures: list[str] = []

    def writer(contact_id: str) -> None:
        client = live_backend.api("staff@acme.test")
        start.wait(timeout=30)
        n = 0
        while not stop.is_set() or n < 3:
            value = f"write {n} {marker}"
            answer = client.patch(f"/contacts/{contact_id}", json={"notes": value})
            if answer.status_code != 200:
                failures.append(answer.text)
                return
            last_written[contact_id] = value
            n += 1

    threads = [threading.Thread(target=writer, args=(contact_id,)) for contact_id in ids]
    for thread in threads:
        thread.start()
    start.wait(timeout=30)
    output = _rotate(live_backend, settings.DEV_FIELD_ENCRYPTION_KEYS)
    stop.set()
    for thread in threads:
        thread.join(timeout=60)

    assert failures == []
    assert "core.Contact:" in output
    assert "0 left on other keys" in output.split("core.Contact:")[1].splitlines()[0]
    assert _key_ids(live_backend, ids) == {CURRENT}
    for contact_id in ids:
        assert staff.get(f"/contacts/{contact_id}").json()["notes"] == last_written[contact_id]
    _lookups_work(live_backend, contacts)
