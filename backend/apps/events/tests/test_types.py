"""The event type registry: publish() refuses what it does not name, and the flags tell the truth."""

from __future__ import annotations

import re
import uuid
from fnmatch import fnmatchcase
from pathlib import Path
from typing import Any, get_args

import pytest
from django.conf import settings
from django.db import transaction

from apps.events.exceptions import EventDataInvalid, ForeignEventType, UnknownEventType
from apps.events.models import Event
from apps.events.services import publish
from apps.events.subscriptions import event_subscriptions
from apps.events.tests.factories import booking_data, contact_data
from apps.events.types import BACKEND, IDENTITY_SERVICE, REGISTRY, EventType, event_validate
from apps.notifications.models import Category, Severity
from tests.factories import acme

APPS = Path(__file__).resolve().parents[2]

# The types the receivers are built against (the hub's interface): each must stay registered.
INTERFACE_TYPES = {
    "contact.created",
    "contact.updated",
    "contact.erased",
    "booking.created",
    "booking.confirmed",
    "booking.rescheduled",
    "booking.cancelled",
    "booking.completed",
    "booking.no_show",
    "booking.reminder_due",
    "invoice.issued",
    "invoice.voided",
    "invoice.overdue",
    "payment.succeeded",
    "refund.created",
    "notification.requested",
    "invitation.mail_requested",
    "security.notice_requested",
}

# The types identity-service publishes (from its own outbox); the backend never does.
IDENTITY_TYPES = {"invitation.mail_requested", "security.notice_requested"}


def _publish(type_: str, data: Any, subject_type: str = "contact") -> Event:
    with transaction.atomic():
        return publish(
            organization=acme(),
            type=type_,
            subject_type=subject_type,
            subject_id=uuid.uuid4(),
            data=data,
            actor=None,
        )


def test_every_interface_type_is_registered_once() -> None:
    assert set(REGISTRY) >= INTERFACE_TYPES
    assert set(REGISTRY) == {t.value for t in EventType}
    assert all(spec.description and spec.description.endswith(".") for spec in REGISTRY.values())


@pytest.mark.django_db
def test_publish_refuses_an_unregistered_type() -> None:
    with pytest.raises(UnknownEventType, match=r"contact\.renamed"):
        _publish("contact.renamed", contact_data())
    assert Event.all_tenants.count() == 0


@pytest.mark.django_db
@pytest.mark.parametrize(
    "data",
    [
        {},  # a required field missing
        {"contact": {**contact_data()["contact"], "id": "not-a-uuid"}},
        {"contact": {**contact_data()["contact"], "archived_at": "2026-01-01T00:00:00"}},  # no offset
        {**contact_data(), "extra": 1},  # a field the registry does not name
    ],
)
def test_publish_refuses_data_that_does_not_match_the_types_model(data: dict[str, Any]) -> None:
    with pytest.raises(EventDataInvalid, match="ContactCreatedData"):
        _publish(EventType.CONTACT_CREATED, data)
    assert Event.all_tenants.count() == 0


def test_each_type_names_the_service_that_publishes_it() -> None:
    services = {name: spec.service for name, spec in REGISTRY.items()}
    assert {name for name, service in services.items() if service == IDENTITY_SERVICE} == IDENTITY_TYPES
    assert set(services.values()) == {BACKEND, IDENTITY_SERVICE}


@pytest.mark.django_db
@pytest.mark.parametrize("type_", sorted(IDENTITY_TYPES))
def test_publish_refuses_the_types_of_another_service(type_: str) -> None:
    spec = REGISTRY[type_]
    with pytest.raises(ForeignEventType, match="identity-service"):
        _publish(type_, {}, subject_type=spec.subject_type)
    assert Event.all_tenants.count() == 0


@pytest.mark.django_db
def test_publish_refuses_another_subject_type_than_registered() -> None:
    with pytest.raises(EventDataInvalid, match="'contact'"):
        _publish(EventType.CONTACT_CREATED, contact_data(), subject_type="booking")


@pytest.mark.django_db
def test_publish_stores_the_registered_name_and_the_data_as_given() -> None:
    data = booking_data(status="no_show")
    event = _publish(EventType.BOOKING_NO_SHOW, data, subject_type="booking")
    event.refresh_from_db()
    assert event.type == "booking.no_show"
    assert event.data == data


def test_the_booking_factory_data_is_valid_for_every_booking_type() -> None:
    extra = {
        EventType.BOOKING_RESCHEDULED: {
            "previous_start": "2026-11-22T09:00:00Z",
            "previous_end": "2026-11-22T09:30:00Z",
        },
        EventType.BOOKING_REMINDER_DUE: {"remind_at": "2026-11-22T09:00:00Z"},
    }
    for name, spec in REGISTRY.items():
        if spec.subject_type == "booking":
            event_validate(
                event_type=name, subject_type="booking", data={**booking_data(), **extra.get(spec.name, {})}
            )


def test_notification_values_are_the_notification_apps_own() -> None:
    fields = REGISTRY[EventType.NOTIFICATION_REQUESTED].data.model_fields
    assert set(get_args(fields["category"].annotation)) == set(Category.values)
    assert set(get_args(fields["severity"].annotation)) == set(Severity.values)


def _sources() -> dict[Path, str]:
    return {
        path: path.read_text(encoding="utf-8")
        for path in APPS.rglob("*.py")
        if "tests" not in path.parts and "migrations" not in path.parts
    }


def test_published_says_whether_the_named_app_publishes_the_type() -> None:
    sources = _sources()
    for spec in REGISTRY.values():
        mention = re.compile(rf"\bEventType\.{spec.name.name}\b")
        users = {p.relative_to(APPS).parts[0] for p, text in sources.items() if mention.search(text)}
        users.discard("events")
        if spec.service != BACKEND:
            assert not users, f"{spec.name} is {spec.service}'s: the backend's {users} must not publish it"
        elif spec.published:
            assert users == {spec.publisher}, f"{spec.name} is published by {users}, not {spec.publisher}"
        else:
            assert not users, f"{spec.name} is published by {users}: set published=True"


def test_no_publisher_names_a_type_by_a_bare_string() -> None:
    bare = re.compile(r"\btype=[\"']([a-z_]+\.[a-z_]+)[\"']")
    offenders = [
        f"{path.relative_to(APPS)}: {match.group(1)}"
        for path, text in _sources().items()
        for match in bare.finditer(text)
    ]
    assert not offenders, "publish with EventType.<NAME>, not a string"


@pytest.mark.parametrize(
    "subscriptions",
    [
        settings.EVENT_SUBSCRIPTIONS,
        event_subscriptions(
            communication_url="https://c.example",
            communication_secrets=["a"],
            workflow_url="https://w.example",
            workflow_secrets=["b"],
        ),
    ],
)
def test_every_subscription_pattern_matches_a_registered_type(subscriptions: list[dict[str, Any]]) -> None:
    for subscription in subscriptions:
        for pattern in subscription["types"]:
            assert any(fnmatchcase(name, pattern) for name in REGISTRY), (
                f"{subscription['name']}: {pattern!r} matches no registered type"
            )
