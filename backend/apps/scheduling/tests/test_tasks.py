"""Scheduling's periodic jobs, called as the worker calls them."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from apps.events.models import Event
from apps.scheduling.models import BookingStatus
from apps.scheduling.tasks import expire_holds, send_booking_reminders
from apps.scheduling.tests.factories import make_booking


@pytest.mark.django_db
def test_the_reminder_job_publishes_due_reminders_and_says_how_many(caplog: pytest.LogCaptureFixture) -> None:
    booking = make_booking(start=datetime.now(UTC) + timedelta(hours=2))
    with caplog.at_level(logging.INFO, logger="apps.scheduling.tasks"):
        send_booking_reminders(timestamp=0)
        assert "published 1 booking reminder(s)" in caplog.messages
        caplog.clear()
        send_booking_reminders(timestamp=0)
    assert caplog.messages == []
    assert Event.all_tenants.filter(subject_id=str(booking.id), type="booking.reminder_due").count() == 1


@pytest.mark.django_db
def test_the_hold_job_cancels_expired_holds_and_says_how_many(caplog: pytest.LogCaptureFixture) -> None:
    now = datetime.now(UTC)
    expired = make_booking(status=BookingStatus.HELD, hold_expires_at=now - timedelta(minutes=1))
    live = make_booking(status=BookingStatus.HELD, hold_expires_at=now + timedelta(minutes=30))
    with caplog.at_level(logging.INFO, logger="apps.scheduling.tasks"):
        expire_holds(timestamp=0)
        assert "cancelled 1 expired hold(s)" in caplog.messages
        caplog.clear()
        expire_holds(timestamp=0)
    assert caplog.messages == []
    expired.refresh_from_db()
    live.refresh_from_db()
    assert (expired.status, live.status) == (BookingStatus.CANCELLED, BookingStatus.HELD)
