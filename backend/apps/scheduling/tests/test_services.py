"""Scheduling services and jobs: reminders, hold tidy-up, GDPR, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.db import IntegrityError

from apps.core.gdpr import export_sections
from apps.core.services.contacts import contact_erase
from apps.events.models import Event
from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.services.bookings import booking_create, booking_reschedule
from apps.scheduling.services.jobs import booking_expire_holds, booking_remind_due
from apps.scheduling.services.placement import occupy, placement_of
from apps.scheduling.services.settings import scheduling_settings_update
from apps.scheduling.tests.factories import make_booking, open_resource, tomorrow_at
from hubkit.errors import ValidationFailed
from tests.factories import globex, make_contact


def _events(booking: Booking, type_: str) -> list[Event]:
    return list(Event.all_tenants.filter(subject_id=str(booking.id), type=type_))


@pytest.mark.django_db
def test_a_reminder_is_published_once_when_its_lead_time_comes() -> None:
    booking = make_booking(start=tomorrow_at(10))
    lead = timedelta(hours=24)
    assert booking_remind_due(now=booking.start - lead - timedelta(minutes=1)) == 0
    assert booking_remind_due(now=booking.start - lead) == 1
    assert booking_remind_due(now=booking.start - lead + timedelta(minutes=5)) == 0
    [event] = _events(booking, "booking.reminder_due")
    assert event.data["remind_at"].startswith((booking.start - lead).strftime("%Y-%m-%dT%H:%M"))
    assert event.data["booking"]["id"] == str(booking.id)


@pytest.mark.django_db
def test_no_reminder_for_cancelled_or_past_bookings_or_with_reminders_off() -> None:
    cancelled = make_booking(start=tomorrow_at(10), status=BookingStatus.CANCELLED)
    done = make_booking(start=tomorrow_at(10, days=-1), status=BookingStatus.COMPLETED)
    assert booking_remind_due(now=tomorrow_at(9)) == 0
    assert not _events(cancelled, "booking.reminder_due")
    assert not _events(done, "booking.reminder_due")
    other = make_booking(start=tomorrow_at(11))
    scheduling_settings_update(organization=other.organization, data={"reminder_lead_minutes": 0})
    assert booking_remind_due(now=tomorrow_at(10, 59)) == 0


@pytest.mark.django_db
def test_a_rescheduled_booking_is_reminded_of_its_new_time() -> None:
    booking = make_booking(start=tomorrow_at(10, days=2))
    scheduling_settings_update(organization=booking.organization, data={"reminder_lead_minutes": 60})
    assert booking_remind_due(now=booking.start - timedelta(minutes=30)) == 1
    booking_reschedule(
        booking=booking, actor=None, data={"start": tomorrow_at(12, days=2), "end": tomorrow_at(13, days=2)}
    )
    assert booking_remind_due(now=tomorrow_at(11, 30, days=2)) == 1
    assert len(_events(booking, "booking.reminder_due")) == 2


@pytest.mark.django_db
def test_the_tidy_up_cancels_expired_holds_only() -> None:
    now = datetime.now(UTC)
    expired = make_booking(status=BookingStatus.HELD, hold_expires_at=now - timedelta(minutes=1))
    live = make_booking(status=BookingStatus.HELD, hold_expires_at=now + timedelta(minutes=5))
    assert booking_expire_holds(now=now) == 1
    expired.refresh_from_db()
    live.refresh_from_db()
    assert (expired.status, expired.cancel_reason) == (BookingStatus.CANCELLED, "Hold expired")
    assert live.status == BookingStatus.HELD
    [event] = _events(expired, "booking.cancelled")
    assert event.data["booking"]["hold_expires_at"] is not None


@pytest.mark.django_db
def test_a_hold_expires_after_the_organizations_hold_time() -> None:
    resource, contact = open_resource(), make_contact()
    scheduling_settings_update(organization=resource.organization, data={"hold_minutes": 7})
    before = datetime.now(UTC)
    hold = booking_create(
        organization=resource.organization,
        actor=None,
        resource_id=resource.id,
        contact_id=contact.id,
        start=tomorrow_at(10),
        end=tomorrow_at(11),
        status=BookingStatus.HELD,
    )
    assert hold.hold_expires_at is not None
    assert before + timedelta(minutes=7) <= hold.hold_expires_at <= datetime.now(UTC) + timedelta(minutes=7)


@pytest.mark.django_db
def test_erasing_a_contact_clears_its_bookings_free_text_and_export_lists_them() -> None:
    booking = make_booking(notes="Allergic to latex", cancel_reason="")
    contact = booking.contact
    [exported] = export_sections()["bookings"](contact)
    assert (exported["id"], exported["notes"]) == (str(booking.id), "Allergic to latex")
    contact_erase(contact=contact, actor=None)
    booking.refresh_from_db()
    assert booking.notes == ""
    assert booking.status == BookingStatus.CONFIRMED


@pytest.mark.django_db
def test_every_change_is_audited_with_notes_masked() -> None:
    resource, contact = open_resource(), make_contact()
    booking = booking_create(
        organization=resource.organization,
        actor=None,
        resource_id=resource.id,
        contact_id=contact.id,
        start=tomorrow_at(10),
        end=tomorrow_at(11),
        notes="Secret detail",
    )
    booking_reschedule(booking=booking, actor=None, data={"start": tomorrow_at(12), "end": tomorrow_at(13)})
    entries = LogEntry.objects.filter(object_pk=str(booking.id)).order_by("id")
    assert [e.action for e in entries] == [LogEntry.Action.CREATE, LogEntry.Action.UPDATE]
    assert "Secret detail" not in str(entries[0].changes)


@pytest.mark.django_db
def test_reminded_bookings_do_not_fill_the_batch() -> None:
    reminded = [make_booking(start=tomorrow_at(10, m)) for m in range(0, 30, 10)]
    for booking in reminded:
        booking.reminded_start = booking.start
        booking.save(update_fields=["reminded_start"])
    later = make_booking(start=tomorrow_at(11))
    assert booking_remind_due(now=tomorrow_at(11, days=0), limit=2) == 1
    assert _events(later, "booking.reminder_due")


@pytest.mark.django_db
def test_each_organization_is_reminded_with_its_own_lead() -> None:
    start = tomorrow_at(10)
    first = make_booking(start=start)
    scheduling_settings_update(organization=first.organization, data={"reminder_lead_minutes": 60})
    second = make_booking(resource=first.resource, start=start + timedelta(minutes=30))
    theirs = make_booking(resource=open_resource(organization=globex()), start=start)
    # An hour ahead of the first start: Acme's first booking is due, its second not yet;
    # Globex keeps the default day's lead, so its booking came due long ago.
    assert booking_remind_due(now=start - timedelta(minutes=60)) == 2
    assert [bool(_events(b, "booking.reminder_due")) for b in (first, second, theirs)] == [True, False, True]
    assert booking_remind_due(now=start - timedelta(minutes=30)) == 1
    assert _events(second, "booking.reminder_due")


@pytest.mark.django_db
def test_a_booking_is_created_held_pending_or_confirmed_only() -> None:
    resource, contact = open_resource(), make_contact()
    with pytest.raises(ValidationFailed) as refused:
        booking_create(
            organization=resource.organization,
            actor=None,
            resource_id=resource.id,
            contact_id=contact.id,
            start=tomorrow_at(10),
            end=tomorrow_at(11),
            status=BookingStatus.COMPLETED,
        )
    assert [e["field"] for e in refused.value.errors] == ["status"]
    assert not Booking.objects.for_organization(resource.organization).exists()


@pytest.mark.django_db
def test_a_refusal_other_than_the_overlap_is_not_reported_as_a_conflict() -> None:
    booking = make_booking(start=tomorrow_at(10), end=tomorrow_at(11))
    placement = placement_of(resource=booking.resource, service=None, start=booking.start, end=booking.end)
    # A blocked period not covering the booking breaks another constraint of the table.
    booking.blocked_start = booking.start + timedelta(minutes=5)
    with pytest.raises(IntegrityError, match="scheduling_booking_blocked_covers_booking"):
        occupy(
            booking,
            placement,
            now=datetime.now(UTC),
            save=lambda: booking.save(update_fields=["blocked_start"]),
        )
    booking.refresh_from_db()
    assert booking.blocked_start == booking.start


@pytest.mark.django_db
def test_erasure_redacts_the_contacts_booking_events_the_outbox_keeps() -> None:
    # Booking events carry the contact's name, email and phone for the receivers; the outbox keeps
    # delivered ones for the retention period and given-up ones until they are purged.
    resource = open_resource()
    contact = make_contact(email="erin@example.test", phone="+491701234567")
    other = make_contact(email="olga@example.test")
    booking = booking_create(
        organization=resource.organization,
        actor=None,
        resource_id=resource.id,
        contact_id=contact.id,
        start=tomorrow_at(10),
        end=tomorrow_at(11),
    )
    kept = booking_create(
        organization=resource.organization,
        actor=None,
        resource_id=resource.id,
        contact_id=other.id,
        start=tomorrow_at(12),
        end=tomorrow_at(13),
    )
    assert _events(booking, "booking.created")[0].data["contact"]["email"] == "erin@example.test"

    contact_erase(contact=contact, actor=None)

    assert [e.data for e in Event.all_tenants.filter(subject_id=str(booking.id))] == [{"redacted": True}]
    assert _events(kept, "booking.created")[0].data["contact"]["email"] == "olga@example.test"
