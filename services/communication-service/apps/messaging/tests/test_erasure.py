"""`contact.erased`: the messages about that contact keep their status and ids, not their data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from apps.messaging.models import Message, ReceivedEvent
from tests.fixtures import ACME, GLOBEX, booking_data, deliver, envelope, notification_data

pytestmark = pytest.mark.django_db

PERSONAL = ("recipient", "recipient_name", "subject", "body", "error")


def _booking_for(contact_id: uuid.UUID, **kwargs: Any) -> dict[str, Any]:
    data = booking_data(email="jane@example.org", phone="+4930901820")
    data["contact"]["id"] = str(contact_id)
    event = envelope("booking.confirmed", data, **kwargs)
    assert deliver(event).json() == {"status": "accepted"}
    return event


def _erasure_of(contact_id: uuid.UUID, **kwargs: Any) -> dict[str, Any]:
    data = {"contact_id": str(contact_id), "erased_at": datetime.now(tz=UTC).isoformat()}
    return envelope("contact.erased", data, subject={"type": "contact", "id": str(contact_id)}, **kwargs)


def _personal(message: Message) -> tuple[str, ...]:
    return tuple(getattr(message, name) for name in PERSONAL)


def test_a_message_records_the_contact_its_event_was_about() -> None:
    contact = uuid.uuid4()
    _booking_for(contact)
    assert {m.contact_id for m in Message.objects.all()} == {contact}  # the email and the SMS
    notification = notification_data(data={"contact_id": str(contact).upper()})
    assert deliver(envelope("notification.requested", notification)).status_code == 200
    assert Message.objects.get(event_type="notification.requested").contact_id == contact
    assert deliver(envelope("notification.requested", notification_data())).status_code == 200
    assert Message.objects.filter(contact_id__isnull=True).count() == 1  # about no contact


def test_an_erasure_blanks_that_contacts_messages_in_its_organization_only() -> None:
    erased, other = uuid.uuid4(), uuid.uuid4()
    _booking_for(erased)
    _booking_for(other)
    _booking_for(erased, organization_id=GLOBEX)  # the same id in another organization is not theirs
    kept = {m.id: _personal(m) for m in Message.objects.exclude(contact_id=erased, organization_id=ACME)}
    erasure = _erasure_of(erased)

    response = deliver(erasure)

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ignored"}  # nothing sent for it
    blanked = Message.objects.filter(contact_id=erased, organization_id=ACME)
    assert {(m.channel, m.status) for m in blanked} == {("email", "sent"), ("sms", "sent")}
    assert {_personal(m) for m in blanked} == {("",) * len(PERSONAL)}
    assert all(m.provider_message_id and m.sent_at for m in blanked)  # what happened stays
    assert {m.id: _personal(m) for m in Message.objects.exclude(id__in=blanked)} == kept
    assert len(kept) == 4
    assert all(values[0] in ("jane@example.org", "+4930901820") and values[1] for values in kept.values())
    with connection.cursor() as cursor:  # the columns hold '' itself, not a sealed empty value
        columns = ", ".join(PERSONAL)
        cursor.execute(
            f"SELECT {columns} FROM messaging_message WHERE id = ANY(%s)",  # noqa: S608
            [[m.id for m in blanked]],
        )
        assert {value for row in cursor.fetchall() for value in row} == {""}
    assert ReceivedEvent.objects.filter(event_type="contact.erased").count() == 1


def test_a_redelivered_erasure_is_a_duplicate_and_a_later_message_about_the_contact_is_kept() -> None:
    contact = uuid.uuid4()
    erasure = _erasure_of(contact)
    _booking_for(contact)
    assert deliver(erasure).json() == {"status": "ignored"}
    later = _booking_for(contact)

    again = deliver(erasure)

    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert ReceivedEvent.objects.filter(event_type="contact.erased").count() == 1
    # The duplicate blanked nothing again: a message recorded after the erasure keeps its data.
    assert {m.recipient for m in Message.objects.filter(event_id=later["id"])} == {
        "jane@example.org",
        "+4930901820",
    }


def test_an_erasure_blanks_a_members_notification_that_named_the_contact() -> None:
    contact = uuid.uuid4()
    quoting = notification_data(title="No-show: Jane Doe", data={"contact_id": str(contact)})
    assert deliver(envelope("notification.requested", quoting)).status_code == 200
    assert deliver(envelope("notification.requested", notification_data())).status_code == 200

    assert deliver(_erasure_of(contact)).status_code == 200

    assert _personal(Message.objects.get(contact_id=contact)) == ("",) * len(PERSONAL)
    assert Message.objects.get(contact_id__isnull=True).recipient == "mia@acme.test"
