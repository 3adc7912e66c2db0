"""hubkit.encryption: the keyring, the encrypted fields on the real database, rotation, migrations."""

from __future__ import annotations

import base64
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as installed_apps
from django.conf import settings
from django.core.exceptions import FieldError, ImproperlyConfigured
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from hubkit.encryption.keys import (
    CorruptValue,
    UnknownKey,
    blind_index,
    is_envelope,
    key_id_of,
    keyring,
    parse_keys,
)
from hubkit.encryption.migration_ops import encrypt_existing
from hubkit.encryption.rotation import encrypted_models, rows_on_other_keys
from hubkit.testing import database_dump
from tests.models import Sealed

NEW = "new-1:" + base64.b64encode(b"n" * 32).decode()


def _raw(column: str, pk: Any) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column}::text FROM tests_sealed WHERE id = %s", [pk])  # noqa: S608 - fixed names
        value: str = cursor.fetchone()[0]
    return value


def _store_in_clear(pk: Any, *, text: str, document: str, blob: bytes) -> None:
    """What a row written before its columns were encrypted holds."""
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE tests_sealed SET text = %s, document = %s, blob = %s WHERE id = %s",
            [text, document, blob, pk],
        )


# ---- keys ----


def test_a_keyring_seals_with_its_first_key_and_opens_with_any() -> None:
    ring = parse_keys(f"{NEW}, {settings.FIELD_ENCRYPTION_KEYS}")
    assert ring.current == "new-1"
    sealed = ring.encrypt(b"ada@example.com")
    assert sealed.startswith("v1:new-1:")
    assert is_envelope(sealed)
    assert key_id_of(sealed) == "new-1"
    assert "ada" not in sealed
    assert ring.encrypt(b"ada@example.com") != sealed  # a nonce per value
    assert ring.decrypt(sealed) == b"ada@example.com"
    older = keyring().encrypt(b"x")  # the tests' current key, listed second above
    assert ring.decrypt(older) == b"x"
    assert key_id_of("plain text") is None
    assert key_id_of("v1:") is None


def test_a_value_under_a_key_no_longer_listed_is_refused() -> None:
    sealed = keyring().encrypt(b"secret")
    with pytest.raises(UnknownKey, match=keyring().current):
        parse_keys(NEW).decrypt(sealed)


@pytest.mark.parametrize(
    "damage",
    [
        lambda s: s[:-4] + ("AAAA" if not s.endswith("AAAA") else "BBBB"),  # tampered ciphertext
        lambda s: s[:-20],  # truncated
        lambda s: s.rsplit(":", 1)[0] + ":not base64!",
    ],
    ids=["tampered", "truncated", "not-base64"],
)
def test_a_corrupt_value_is_refused(damage: Any) -> None:
    with pytest.raises(CorruptValue):
        keyring().decrypt(damage(keyring().encrypt(b"secret")))


def test_a_wrong_key_under_a_listed_id_is_refused() -> None:
    sealed = parse_keys(NEW).encrypt(b"secret")
    with pytest.raises(CorruptValue):
        parse_keys("new-1:" + base64.b64encode(b"m" * 32).decode()).decrypt(sealed)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        " , ",
        "nokey",
        ":" + base64.b64encode(b"k" * 32).decode(),
        "k:not base64!",
        "k:" + base64.b64encode(b"short").decode(),
        f"{NEW},{NEW}",
    ],
)
def test_malformed_key_lists_are_refused(spec: str) -> None:
    with pytest.raises(ImproperlyConfigured, match="FIELD_ENCRYPTION_KEYS"):
        parse_keys(spec)


def test_keys_of_16_24_and_32_bytes_are_accepted() -> None:
    spec = ",".join(f"k{n}:{base64.b64encode(b'k' * n).decode()}" for n in (16, 24, 32))
    ring = parse_keys(spec)
    assert sorted(ring.ciphers) == ["k16", "k24", "k32"]


def test_the_keyring_follows_the_setting() -> None:
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW):
        assert keyring().current == "new-1"
    assert keyring().current == "dev-insecure-hubkit-2"


def test_the_blind_index_is_keyed_and_leaves_empty_empty() -> None:
    assert blind_index("") == ""
    value = blind_index("ada@example.com")
    assert len(value) == 64
    assert "ada" not in value
    assert blind_index("ada@example.com") == value
    with override_settings(BLIND_INDEX_KEY="another-key-for-this-test"):
        assert blind_index("ada@example.com") != value


# ---- fields ----


@pytest.mark.django_db
def test_values_are_sealed_on_save_and_read_with_any_listed_key() -> None:
    row = Sealed.objects.create(text="allergic", document={"email": "e@example.com"}, blob=b"b@x.org")
    for column, secret in (("text", "allergic"), ("document", "e@example.com"), ("blob", "b@x.org")):
        stored = _raw(column, row.pk)
        assert secret not in stored
        assert secret.encode().hex() not in stored  # bytea is rendered as hex
    assert _raw("text", row.pk).startswith(f"v1:{keyring().current}:")
    row.refresh_from_db()
    assert (row.text, row.document, bytes(row.blob)) == ("allergic", {"email": "e@example.com"}, b"b@x.org")
    with override_settings(FIELD_ENCRYPTION_KEYS=f"{NEW},{settings.FIELD_ENCRYPTION_KEYS}"):
        row.refresh_from_db()
        assert row.text == "allergic"
        row.save()
        assert key_id_of(_raw("text", row.pk)) == "new-1"
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW):
        row.refresh_from_db()  # re-sealed with new-1 above: readable once the older keys are gone
        assert row.text == "allergic"


@pytest.mark.django_db
def test_a_value_on_a_dropped_key_cannot_be_read() -> None:
    row = Sealed.objects.create(text="on the tests' key")
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW), pytest.raises(UnknownKey):
        row.refresh_from_db()


@pytest.mark.django_db
def test_empty_values_stay_empty_and_update_and_bulk_update_seal_too() -> None:
    row = Sealed.objects.create(text="", document=None, blob=b"")
    assert _raw("text", row.pk) == ""
    assert _raw("document", row.pk) is None
    assert _raw("blob", row.pk) == "\\x"
    row.refresh_from_db()
    assert (row.text, row.document, bytes(row.blob)) == ("", None, b"")
    Sealed.objects.filter(pk=row.pk).update(text="updated", document={"redacted": True}, blob=b"u")
    assert "updated" not in _raw("text", row.pk)
    row.refresh_from_db()
    assert (row.text, row.document, bytes(row.blob)) == ("updated", {"redacted": True}, b"u")
    Sealed.objects.bulk_update(
        [Sealed(pk=row.pk, text="bulk", document={"n": 2}, blob=b"v")], ["text", "document", "blob"]
    )
    assert "bulk" not in _raw("text", row.pk)
    row.refresh_from_db()
    assert (row.text, row.document, bytes(row.blob)) == ("bulk", {"n": 2}, b"v")
    assert Sealed._meta.get_field("document").value_to_string(row) == '{"n": 2}'


@pytest.mark.django_db
def test_comparing_an_encrypted_value_in_sql_is_refused() -> None:
    Sealed.objects.create(text="", label="empty")
    Sealed.objects.create(text="full", label="full")
    with pytest.raises(FieldError, match="blind index"):
        Sealed.objects.filter(text="full").exists()
    with pytest.raises(FieldError):
        Sealed.objects.filter(text__icontains="fu").exists()
    assert [r.label for r in Sealed.objects.filter(text="")] == ["empty"]
    assert Sealed.objects.filter(document__isnull=True).count() == 2


@pytest.mark.django_db
def test_values_stored_in_clear_read_as_they_are_until_the_migration_step_seals_them() -> None:
    row = Sealed.objects.create(label="old")
    _store_in_clear(row.pk, text="in clear", document='{"name": "Ada"}', blob=b"raw bytes")
    row.refresh_from_db()
    assert (row.text, row.document, bytes(row.blob)) == ("in clear", {"name": "Ada"}, b"raw bytes")
    model = installed_apps.get_model("tests", "Sealed")
    assert rows_on_other_keys(model, [model._meta.get_field(n) for n in ("text", "document", "blob")]) == 1

    class _Editor:
        connection = connection

    encrypt_existing("tests", "sealed", ["text", "document", "blob"])(installed_apps, _Editor())  # type: ignore[arg-type]
    assert "in clear" not in _raw("text", row.pk)
    assert "Ada" not in _raw("document", row.pk)
    row.refresh_from_db()
    assert (row.text, row.document, bytes(row.blob)) == ("in clear", {"name": "Ada"}, b"raw bytes")


# ---- rotation ----


@pytest.mark.django_db
def test_rotation_reseals_every_row_on_another_key_and_reports_none_left() -> None:
    rows = [Sealed.objects.create(text=f"note {i}", document={"i": i}, blob=b"x") for i in range(5)]
    Sealed.objects.create(label="empty")  # nothing to seal: not counted as stale
    assert [m for m, _ in encrypted_models()] == [Sealed]
    with override_settings(FIELD_ENCRYPTION_KEYS=f"{NEW},{settings.FIELD_ENCRYPTION_KEYS}"):
        out = StringIO()
        call_command("rotate_encryption_keys", "--no-progress", "--batch-size", "2", stdout=out)
        assert (
            out.getvalue().strip() == "tests.Sealed: 6 rows, 5 re-encrypted with new-1, 0 left on other keys"
        )
        for row in rows:
            assert {key_id_of(_raw(c, row.pk)) for c in ("text", "document")} == {"new-1"}
            row.refresh_from_db()
        assert [r.text for r in rows] == [f"note {i}" for i in range(5)]
        again = StringIO()
        call_command("rotate_encryption_keys", "--no-progress", stdout=again)
        assert "6 rows, 0 re-encrypted" in again.getvalue()
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW):  # the old keys can go
        assert [r.document for r in Sealed.objects.exclude(label="empty").order_by("id")] == [
            {"i": i} for i in range(5)
        ]


@pytest.mark.django_db(transaction=True)
def test_a_dump_of_the_database_holds_no_sealed_value_in_clear() -> None:
    Sealed.objects.create(
        text="dumpy.person@example.org", document={"phone": "+4930901820"}, blob=b"Dumpy", label="dump-label"
    )
    dump = database_dump(connection.settings_dict)
    assert "dump-label" in dump  # the dump holds the row: a clear value would be found
    assert [s for s in ("dumpy.person@example.org", "+4930901820", "Dumpy") if s in dump] == []
    assert b"Dumpy".hex() not in dump
