"""The encrypted fields and the keyring, against the real database."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from apps.core.models import Contact
from apps.encryption.keys import CorruptValue, UnknownKey, blind_index, key_id_of, keyring, parse_keys
from apps.events.models import Event
from apps.idempotency.models import IdempotencyRecord
from tests.factories import acme, make_contact

NEW = "new-1:" + base64.b64encode(b"n" * 32).decode()


def _raw(table: str, column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}::text FROM {table} WHERE id = %s", [pk])  # noqa: S608 - fixed names
        value: str = cursor.fetchone()[0]
    return value


@pytest.mark.django_db
def test_values_are_sealed_with_the_first_key_and_read_with_any_listed_one() -> None:
    contact = make_contact(email="ada@example.com", notes="allergic")
    on_dev_key = make_contact(notes="x")
    stored = _raw("core_contact", "notes", contact.pk)
    assert stored.startswith(f"v1:{keyring().current}:")
    assert "allergic" not in stored
    assert _raw("core_contact", "notes", make_contact(notes="allergic").pk) != stored  # a nonce per value
    with override_settings(FIELD_ENCRYPTION_KEYS=f"{NEW},{settings.FIELD_ENCRYPTION_KEYS}"):
        contact.refresh_from_db()
        assert contact.notes == "allergic"
        contact.save()
        assert key_id_of(_raw("core_contact", "notes", contact.pk)) == "new-1"
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW), pytest.raises(UnknownKey):
        on_dev_key.refresh_from_db()


@pytest.mark.django_db
def test_empty_values_stay_empty_and_json_and_bytes_round_trip() -> None:
    contact = make_contact(email="", phone="", notes="")
    assert _raw("core_contact", "email", contact.pk) == ""
    event = Event.objects.for_organization(acme()).create(
        type="contact.created", subject_type="contact", subject_id="x", data={"email": "e@example.com"}
    )
    assert "e@example.com" not in _raw("events_event", "data", event.pk)
    Event.objects.for_organization(acme()).filter(pk=event.pk).update(data={"redacted": True})
    event.refresh_from_db()
    assert event.data == {"redacted": True}
    Event.objects.for_organization(acme()).bulk_update([Event(pk=event.pk, data={"n": 2})], ["data"])
    event.refresh_from_db()
    assert event.data == {"n": 2}
    record = IdempotencyRecord.objects.create(
        organization_id=acme().id,
        caller="c",
        key="k",
        fingerprint="f",
        response_body=b'{"email": "b@x.org"}',
        created_at=event.occurred_at,
        expires_at=event.occurred_at,
    )
    assert b"b@x.org" not in bytes.fromhex(
        _raw("idempotency_idempotencyrecord", "response_body", record.pk)[2:]
    )
    record.refresh_from_db()
    assert bytes(record.response_body) == b'{"email": "b@x.org"}'


@pytest.mark.django_db
def test_comparing_an_encrypted_value_in_sql_is_refused() -> None:
    with pytest.raises(FieldError, match="blind index"):
        Contact.all_tenants.filter(email="ada@example.com").exists()
    assert not Contact.all_tenants.filter(email="").filter(email_index="x").exists()


def test_a_tampered_value_is_refused_and_key_lists_are_checked() -> None:
    sealed = keyring().encrypt(b"secret")
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    with pytest.raises(CorruptValue):
        keyring().decrypt(tampered)
    for bad in ("", "nokey", "k:" + base64.b64encode(b"short").decode(), f"{NEW},{NEW}"):
        with pytest.raises(ImproperlyConfigured):
            parse_keys(bad)


def test_the_blind_index_is_keyed_and_leaves_empty_empty() -> None:
    assert blind_index("") == ""
    value = blind_index("ada@example.com")
    assert len(value) == 64
    assert "ada" not in value
    with override_settings(BLIND_INDEX_KEY="another-key-for-this-test"):
        assert blind_index("ada@example.com") != value
