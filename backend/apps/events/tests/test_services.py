import uuid
from datetime import UTC, datetime

import pytest
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from procrastinate.contrib.django.models import ProcrastinateJob

from apps.events.clients.webhook import encode_body
from apps.events.envelope import event_envelope
from apps.events.exceptions import EventDataInvalid, EventTooLarge, OutboxOutsideTransaction
from apps.events.models import Delivery, Event
from apps.events.services import publish, publish_many
from apps.events.subscriptions import subscriptions_for
from apps.events.tests.factories import booking_data, contact_data
from apps.events.wakeups import drain_queueing_lock
from apps.identity.models import Organization, User
from hubkit.events import MAX_EVENT_BYTES
from hubkit.request_id import set_request_id
from tests.factories import acme


@pytest.mark.django_db(transaction=True)
def test_publish_refuses_to_run_outside_a_transaction() -> None:
    with pytest.raises(OutboxOutsideTransaction):
        publish(
            organization=acme(),
            type="contact.created",
            subject_type="contact",
            subject_id=uuid.uuid4(),
            data=contact_data(),
            actor=None,
        )
    assert Event.all_tenants.count() == 0


@pytest.mark.django_db
def test_the_envelope_matches_the_contract() -> None:
    user = User.objects.create(subject="s-1", email="a@acme.test")
    subject = uuid.uuid4()
    # Python values (a UUID, an aware datetime) are sent as their JSON strings.
    contact = {
        **contact_data()["contact"],
        "id": uuid.UUID(int=1),
        "archived_at": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    }
    set_request_id("corr-0000001")
    try:
        with transaction.atomic():
            event = publish(
                organization=acme(),
                type="contact.updated",
                subject_type="contact",
                subject_id=subject,
                data={"changed": ["email"], "contact": contact},
                actor=user,
            )
    finally:
        set_request_id(None)
    envelope = event_envelope(event)
    assert set(envelope) == {
        "id",
        "type",
        "version",
        "occurred_at",
        "organization_id",
        "actor",
        "subject",
        "data",
        "correlation_id",
    }
    assert envelope["version"] == 1
    assert envelope["occurred_at"].endswith("Z")
    assert envelope["actor"] == {"type": "user", "id": str(user.id)}
    assert envelope["subject"] == {"type": "contact", "id": str(subject)}
    assert envelope["data"] == {
        "changed": ["email"],
        "contact": {**contact, "id": str(uuid.UUID(int=1)), "archived_at": "2026-01-02T03:04:05.678Z"},
    }
    assert envelope["correlation_id"] == "corr-0000001"
    assert envelope["organization_id"] == str(acme().id)


@pytest.mark.django_db
def test_an_event_without_a_principal_names_the_backend_as_its_actor() -> None:
    organization = Organization.objects.get_or_create(id="0a0e0000-0000-4000-8000-000000000001")[0]
    with transaction.atomic():
        event = publish(
            organization=organization,
            type="booking.reminder_due",
            subject_type="booking",
            subject_id="b1",
            data={**booking_data(), "remind_at": "2026-11-22T09:00:00Z"},
            actor=None,
        )
    assert event_envelope(event)["actor"] == {"type": "service", "id": "hub-backend"}


def _notification_data(blob: str) -> dict[str, object]:
    return {
        "notification_id": uuid.uuid4(),
        "channel": "email",
        "recipient": {"user_id": uuid.uuid4(), "email": "m@acme.test", "name": "M", "phone": None},
        "category": "system",
        "severity": "info",
        "title": "Big",
        "body": "",
        "data": {"blob": blob},
        "action_url": "",
    }


def _publish_notification(blob: str) -> Event:
    with transaction.atomic():
        return publish(
            organization=acme(),
            type="notification.requested",
            subject_type="notification",
            subject_id=uuid.UUID(int=7),
            data=_notification_data(blob),
            actor=None,
        )


@pytest.mark.django_db
def test_an_envelope_larger_than_receivers_accept_is_refused_before_anything_is_written() -> None:
    # The bytes a delivery sends are what the receivers measure: find the padding that fills them.
    probe = _publish_notification("")
    room = MAX_EVENT_BYTES - len(encode_body(event_envelope(probe)))
    probe.delete()
    before = (Event.all_tenants.count(), Delivery.all_tenants.count())

    with pytest.raises(EventTooLarge) as refused:
        _publish_notification("x" * (room + 1))
    assert refused.value.status == 422
    assert refused.value.error_code == "event_too_large"
    assert str(MAX_EVENT_BYTES) in refused.value.message
    assert (Event.all_tenants.count(), Delivery.all_tenants.count()) == before

    # Exactly at the limit is still deliverable.
    fits = _publish_notification("x" * room)
    assert len(encode_body(event_envelope(fits))) == MAX_EVENT_BYTES


@pytest.mark.django_db
def test_publish_many_writes_every_event_in_order_and_wakes_each_drain_once() -> None:
    org = acme()
    contact_id = uuid.uuid4()
    others = [uuid.uuid4() for _ in range(5)]
    items = [(subject, contact_data(contact_id=subject)) for subject in [contact_id, *others, contact_id]]
    # Events, deliveries and the drains' wake-up: one query each (plus the drain jobs deferred for
    # shards with none waiting), however many events.
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        events = publish_many(
            organization=org, type="contact.created", subject_type="contact", items=items, actor=None
        )
    inserts = [q["sql"] for q in queries.captured_queries if q["sql"].startswith('INSERT INTO "events_')]
    assert len(inserts) == 2  # one for the events, one for their deliveries
    assert [e.subject_id for e in events] == [str(subject) for subject, _ in items]
    destinations = {s.name for s in subscriptions_for("contact.created")}
    deliveries = Delivery.objects.for_organization(org).filter(event__in=events)
    assert deliveries.count() == len(items) * len(destinations)
    # A line's deliveries keep the order their events were published in.
    for destination in destinations:
        line = deliveries.filter(destination=destination, event__subject_id=str(contact_id))
        assert [d.event_id for d in line.order_by("position")] == [events[0].id, events[-1].id]
    # Every touched (destination, shard) has its drain job waiting.
    locks = {drain_queueing_lock(d.destination, d.shard) for d in deliveries}
    waiting = set(
        ProcrastinateJob.objects.filter(queueing_lock__in=locks, status="todo").values_list(
            "queueing_lock", flat=True
        )
    )
    assert waiting == locks


@pytest.mark.django_db
def test_publish_many_checks_every_event_before_writing_any() -> None:
    org = acme()
    before = (Event.all_tenants.count(), Delivery.all_tenants.count())
    good = (uuid.uuid4(), contact_data())
    bad = (uuid.uuid4(), {"contact": {"id": "not a contact"}})
    with transaction.atomic(), pytest.raises(EventDataInvalid):
        publish_many(
            organization=org, type="contact.created", subject_type="contact", items=[good, bad], actor=None
        )
    assert (Event.all_tenants.count(), Delivery.all_tenants.count()) == before
