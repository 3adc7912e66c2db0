"""Templates: the right recipient, subject and local time for every type acted on."""

from __future__ import annotations

from typing import Any

import pytest

from apps.messaging.rendering import booking_messages, notification_messages
from apps.messaging.schemas import BOOKING_EVENT_TYPES, BookingEventData, NotificationRequestedData
from tests.fixtures import booking_data, notification_data


def booking(**kwargs: Any) -> BookingEventData:
    return BookingEventData.model_validate(booking_data(**kwargs))


def test_booking_times_are_in_the_organization_zone_not_utc() -> None:
    # 08:00 UTC on 10 March is 09:00 in Berlin (CET) and 04:00 in New York (EDT since 9 March).
    [berlin] = booking_messages(event_type="booking.confirmed", data=booking(timezone="Europe/Berlin"))
    assert berlin.subject == "Confirmed: Acme Clinic on 10 Mar, 09:00"
    assert "Monday, 10 March 2025, 09:00-09:30 (Europe/Berlin)" in berlin.text
    [new_york] = booking_messages(event_type="booking.confirmed", data=booking(timezone="America/New_York"))
    assert new_york.subject == "Confirmed: Acme Clinic on 10 Mar, 04:00"
    assert "04:00-04:30 (America/New_York)" in new_york.text


def test_booking_email_goes_to_the_contact_by_name_with_the_booking_details() -> None:
    [email] = booking_messages(event_type="booking.created", data=booking(email="jane@example.org"))
    assert (email.channel, email.recipient, email.recipient_name) == ("email", "jane@example.org", "Jane Doe")
    assert email.from_name == "Acme Clinic"
    assert email.text.startswith("Hello Jane,")
    assert "Check-up with Dr. Rivera" in email.text
    assert email.html is not None
    assert "<h1" in email.html


def test_a_cancellation_states_its_reason() -> None:
    [email] = booking_messages(
        event_type="booking.cancelled", data=booking(cancel_reason="The doctor is ill")
    )
    assert email.subject.startswith("Cancelled:")
    assert "Reason: The doctor is ill" in email.text


def test_sms_only_for_a_contact_with_only_a_phone() -> None:
    [sms] = booking_messages(
        event_type="booking.rescheduled", data=booking(email=None, phone="+15551234567", timezone="UTC")
    )
    assert (sms.channel, sms.recipient) == ("sms", "+15551234567")
    assert sms.text == "Acme Clinic: your booking is now on Mon 10 Mar, 08:00."


@pytest.mark.parametrize("event_type", sorted(BOOKING_EVENT_TYPES))
def test_every_booking_type_has_subject_email_and_sms(event_type: str) -> None:
    messages = booking_messages(event_type=event_type, data=booking(phone="+4930123456"))
    assert [m.channel for m in messages] == ["email", "sms"]
    email, sms = messages
    assert email.subject
    assert "\n" not in email.subject
    assert "Acme Clinic" in email.text
    assert "Acme Clinic" in sms.text
    assert "{" not in email.text + sms.text + email.subject


HOLD_EXPIRES = "2025-03-10T07:15:00Z"


@pytest.mark.parametrize(
    ("event_type", "status", "hold_expires_at"),
    [
        ("booking.created", "held", HOLD_EXPIRES),
        ("booking.created", "held", None),
        ("booking.cancelled", "cancelled", HOLD_EXPIRES),
        ("booking.cancelled", "expired", HOLD_EXPIRES),
    ],
)
def test_a_hold_taken_or_let_go_sends_nothing_and_says_why(
    event_type: str, status: str, hold_expires_at: str | None
) -> None:
    data = booking(phone="+4930123456", status=status, hold_expires_at=hold_expires_at)
    [skipped] = booking_messages(event_type=event_type, data=data)
    assert (skipped.skip_reason, skipped.recipient, skipped.text, skipped.html) == (
        "booking_hold",
        "",
        "",
        None,
    )
    assert skipped.recipient_name == "Jane Doe"


@pytest.mark.parametrize(
    ("event_type", "status", "hold_expires_at"),
    [
        ("booking.created", "pending", None),
        ("booking.confirmed", "confirmed", None),  # a hold confirmed becomes a booking to announce
        ("booking.cancelled", "cancelled", None),
    ],
)
def test_bookings_that_are_no_holds_are_still_announced(
    event_type: str, status: str, hold_expires_at: str | None
) -> None:
    data = booking(status=status, hold_expires_at=hold_expires_at)
    [email] = booking_messages(event_type=event_type, data=data)
    assert (email.skip_reason, email.recipient) == ("", "jane@example.org")


def test_text_is_not_html_escaped_but_html_is() -> None:
    [email] = booking_messages(event_type="booking.created", data=booking(organization="O'Brien & Co"))
    assert "O'Brien & Co" in email.subject
    assert "O'Brien & Co" in email.text
    assert email.html is not None
    assert "O&#x27;Brien &amp; Co" in email.html


def test_a_notification_email_carries_title_body_and_link() -> None:
    data = NotificationRequestedData.model_validate(
        notification_data(action_url="https://hub.example/bookings/1")
    )
    [email] = notification_messages(data=data)
    assert (email.recipient, email.recipient_name) == ("mia@acme.test", "Mia Manager")
    assert email.subject == "Jane Doe did not show up"
    assert "The 09:00 check-up was marked as a no-show." in email.text
    assert "https://hub.example/bookings/1" in email.text
    assert email.skip_reason == ""


def test_a_notification_sms_goes_to_the_phone() -> None:
    recipient = {"user_id": "0b0e0000-0000-4000-8000-000000000003", "name": "Mia", "phone": "+491701234567"}
    data = NotificationRequestedData.model_validate(
        notification_data(channel="sms", recipient=recipient, action_url=None)
    )
    [sms] = notification_messages(data=data)
    assert (sms.channel, sms.recipient) == ("sms", "+491701234567")
    assert sms.text == "Jane Doe did not show up: The 09:00 check-up was marked as a no-show."
