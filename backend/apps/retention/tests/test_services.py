"""The retention purge, with the clock moved forward by passing `now`."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

import pytest
from auditlog.models import LogEntry
from django.core.management import call_command
from django.utils import timezone

from apps.audit.services import audit_access
from apps.core.models import Contact
from apps.core.services.contacts import contact_erase
from apps.events.models import Delivery, DeliveryAttempt, Event
from apps.identity.models import Organization
from apps.notifications.models import Category, Notification, NotificationDispatch
from apps.notifications.tests.factories import MANAGER_ID, make_notification, mirror_user
from apps.retention.models import RetentionSettings
from apps.retention.selectors import retention_expired_counts
from apps.retention.services import retention_purge, retention_purge_all
from tests.factories import acme, globex, make_contact

pytestmark = pytest.mark.django_db

NOW = timezone.now()
Status = Delivery.Status


def make_event(organization: Organization, *, age_days: float, statuses: list[str]) -> Event:
    """An event `age_days` before NOW with one delivery per status, each with one attempt."""
    event: Event = Event.objects.for_organization(organization).create(
        type="contact.updated",
        subject_type="contact",
        subject_id=str(uuid.uuid4()),
        occurred_at=NOW - timedelta(days=age_days),
    )
    for number, status in enumerate(statuses):
        delivery = Delivery.objects.for_organization(organization).create(
            event=event, destination=f"receiver-{number}", status=status, attempts=1
        )
        DeliveryAttempt.objects.for_organization(organization).create(
            delivery=delivery,
            number=1,
            started_at=event.occurred_at,
            duration_ms=3.0,
            outcome=DeliveryAttempt.Outcome.DELIVERED
            if status == Status.DELIVERED
            else DeliveryAttempt.Outcome.RETRY,
        )
    return event


def event_ids(organization: Organization) -> set[uuid.UUID]:
    return set(Event.objects.for_organization(organization).values_list("id", flat=True))


def test_final_events_past_retention_go_with_their_deliveries_and_nothing_else() -> None:
    delivered = make_event(acme(), age_days=31, statuses=[Status.DELIVERED, Status.DELIVERED])
    given_up = make_event(
        acme(), age_days=40, statuses=[Status.DEAD, Status.FAILED, Status.REFUSED_TOO_LARGE]
    )
    no_subscriber = make_event(acme(), age_days=90, statuses=[])
    pending = make_event(acme(), age_days=90, statuses=[Status.PENDING])
    half_delivered = make_event(acme(), age_days=90, statuses=[Status.DELIVERED, Status.PENDING])
    recent = make_event(acme(), age_days=29, statuses=[Status.DELIVERED])
    other_tenant = make_event(globex(), age_days=90, statuses=[Status.DELIVERED])
    entries_before = LogEntry.objects.count()

    purged = retention_purge(organization=acme(), now=NOW, batch_size=1)  # one row per batch

    assert event_ids(acme()) == {pending.id, half_delivered.id, recent.id}
    assert event_ids(globex()) == {other_tenant.id}
    assert purged.counts == {"events": 3, "deliveries": 5, "delivery_attempts": 5}
    gone = [delivered.id, given_up.id, no_subscriber.id]
    assert not Delivery.all_tenants.filter(event_id__in=gone).exists()
    assert not DeliveryAttempt.all_tenants.filter(delivery__event_id__in=gone).exists()
    assert DeliveryAttempt.all_tenants.filter(delivery__event_id=half_delivered.id).count() == 2
    # A purge is no change of business data: no DELETE entry per purged row.
    assert LogEntry.objects.count() == entries_before


def test_each_organization_has_its_own_periods() -> None:
    RetentionSettings.objects.for_organization(acme()).create(events_days=7)
    acme_event = make_event(acme(), age_days=10, statuses=[Status.DELIVERED])
    globex_event = make_event(globex(), age_days=10, statuses=[Status.DELIVERED])

    assert retention_expired_counts(organization=acme(), now=NOW)["events"] == 1
    retention_purge_all(now=NOW)

    assert acme_event.id not in event_ids(acme())
    assert event_ids(globex()) == {globex_event.id}  # defaults: 30 days
    assert retention_purge_all(now=NOW + timedelta(days=21)).counts["events"] == 1
    assert event_ids(globex()) == set()


def test_notifications_and_their_send_records_go_after_their_period() -> None:
    recipient = mirror_user(MANAGER_ID)
    make_notification(organization=acme())
    make_notification(organization=globex())
    NotificationDispatch.objects.for_organization(acme()).create(
        recipient=recipient, dedupe_key="k1", notification_id=uuid.uuid4(), channels=["email"]
    )

    assert retention_purge(organization=acme(), now=NOW + timedelta(days=179)).total == 0
    purged = retention_purge(organization=acme(), now=NOW + timedelta(days=181))

    assert purged.counts == {"notifications": 1, "notification_dispatches": 1}
    assert not Notification.objects.for_organization(acme()).exists()
    assert not NotificationDispatch.objects.for_organization(acme()).exists()
    assert Notification.objects.for_organization(globex()).count() == 1
    fresh = make_notification(organization=acme(), category=Category.SYSTEM)
    retention_purge(organization=acme(), now=timezone.now() + timedelta(days=100))
    assert list(Notification.objects.for_organization(acme())) == [fresh]


def entries_of(contact: Contact) -> LogEntry:
    return LogEntry.objects.filter(object_pk=str(contact.pk))


def backdate(entries: LogEntry, *, days: int) -> None:
    entries.update(timestamp=NOW - timedelta(days=days))


def test_audit_changes_and_access_entries_have_their_own_periods() -> None:
    old, middle = make_contact(), make_contact()
    other = make_contact(organization=globex())
    for contact in (old, middle, other):
        audit_access(instance=contact, actor=None)
    backdate(entries_of(old), days=1100)
    backdate(entries_of(middle), days=400)
    backdate(entries_of(other), days=1100)
    counts = retention_expired_counts(organization=acme(), now=NOW)

    purged = retention_purge(organization=acme(), now=NOW)

    assert counts["audit_changes"] == purged.counts["audit_changes"] == 1
    assert counts["access_log"] == purged.counts["access_log"] == 2
    assert not entries_of(old).exists()
    # 400 days: past the access period (365), within the change period (1095).
    assert [e.action for e in entries_of(middle)] == [LogEntry.Action.CREATE]
    assert entries_of(other).count() == 2


def test_an_erased_contact_stays_erased_through_a_purge() -> None:
    contact = make_contact(email="erin@example.test", phone="+491701234567", notes="allergic to latex")
    audit_access(instance=contact, actor=None)
    contact_erase(contact=contact, actor=None)
    backdate(entries_of(contact).filter(action=LogEntry.Action.ACCESS), days=400)

    retention_purge_all(now=NOW + timedelta(days=40))

    kept = list(entries_of(contact))
    assert kept
    assert all(e.action != LogEntry.Action.ACCESS for e in kept)
    assert not any("erin@example.test" in str(e.changes) + e.object_repr for e in kept)
    erased = Contact.objects.for_organization(acme()).get(pk=contact.pk)
    assert (erased.email, erased.erased_at is not None) == ("", True)


def test_the_command_counts_on_a_dry_run_and_purges_otherwise(capsys: pytest.CaptureFixture[str]) -> None:
    make_event(acme(), age_days=31, statuses=[Status.DELIVERED])

    call_command("purge_expired", "--dry-run")
    assert f"{acme().id} would purge: events 1" in capsys.readouterr().out
    assert len(event_ids(acme())) == 1

    call_command("purge_expired", "--batch-size", "10")
    assert f"{acme().id} purged: delivery_attempts 1, deliveries 1, events 1" in capsys.readouterr().out
    assert event_ids(acme()) == set()


def test_a_batch_size_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        retention_purge(organization=acme(), now=datetime.now(tz=NOW.tzinfo), batch_size=0)
