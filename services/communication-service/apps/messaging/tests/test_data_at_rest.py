"""Messages at rest: a dump of this service's database holds no recipient, name, subject, body or error
in clear, the API answers them decrypted, and the key rotation command re-seals them."""

from __future__ import annotations

from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from apps.messaging.clients import PermanentSendError
from apps.messaging.clients.sms import LogSmsProvider
from apps.messaging.models import Message
from hubkit.encryption.keys import key_id_of
from hubkit.testing import IdentityService, database_dump
from tests.fixtures import bearer, booking_data, deliver, envelope

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "dumpy.person@example.org"
PHONE = "+4930901820"
FIRST, LAST = "Dumpinella", "Leakproof"
NEW_KEY = "rotated-1:" + "cm90YXRlZC1jb21tdW5pY2F0aW9uLWtleS0xMjM0NTY="


def _refuse(self: LogSmsProvider, *, to: str, body: str) -> str:
    raise PermanentSendError(f"carrier refused {to}")


def _process_a_booking_for_the_contact(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(LogSmsProvider, "send", _refuse)  # the SMS fails, quoting the number
    data = booking_data(email=EMAIL, phone=PHONE)
    data["contact"] |= {"first_name": FIRST, "last_name": LAST}
    response = deliver(envelope("booking.confirmed", data))
    assert response.status_code == 200, response.content
    assert {(m.channel, m.status) for m in Message.objects.all()} == {("email", "sent"), ("sms", "failed")}


def _raw_columns() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT recipient, recipient_name, subject, body, error FROM messaging_message")
        return [value for row in cursor.fetchall() for value in row if value]


def test_a_dump_holds_none_of_the_contacts_data_and_the_api_answers_it(
    monkeypatch: pytest.MonkeyPatch, identity_service: IdentityService
) -> None:
    _process_a_booking_for_the_contact(monkeypatch)

    dump = database_dump(connection.settings_dict)
    assert "booking.confirmed" in dump  # the dump holds the messages: a clear value would be found
    assert [value for value in (EMAIL, PHONE, FIRST, LAST) if value in dump] == []
    raw = _raw_columns()
    assert len(raw) == 8  # recipient, name and body of both, the subject of the email, the SMS error
    assert all(value.startswith("v1:dev-insecure-communication-2:") for value in raw)

    listed = bearer(identity_service.token("admin@acme.test")).get("/api/v1/messages")
    assert listed.status_code == 200, listed.content
    by_channel = {item["channel"]: item for item in listed.json()["items"]}
    assert by_channel["email"]["recipient"] == EMAIL
    assert by_channel["email"]["recipient_name"] == f"{FIRST} {LAST}"
    assert FIRST in by_channel["email"]["body"]
    assert by_channel["sms"]["recipient"] == PHONE
    assert by_channel["sms"]["error"] == f"carrier refused {PHONE}"


def test_the_rotation_command_reseals_every_message_with_the_new_key(monkeypatch: pytest.MonkeyPatch) -> None:
    _process_a_booking_for_the_contact(monkeypatch)
    with override_settings(FIELD_ENCRYPTION_KEYS=f"{NEW_KEY},{settings.FIELD_ENCRYPTION_KEYS}"):
        out = StringIO()
        call_command("rotate_encryption_keys", "--no-progress", stdout=out)
        assert (
            "messaging.Message: 2 rows, 2 re-encrypted with rotated-1, 0 left on other keys" in out.getvalue()
        )
        assert {key_id_of(value) for value in _raw_columns()} == {"rotated-1"}
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW_KEY):  # the old keys can go
        sms = Message.objects.get(channel="sms")
        assert (sms.recipient, sms.error) == (PHONE, f"carrier refused {PHONE}")
