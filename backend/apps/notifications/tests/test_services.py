import socket
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, connection, transaction
from django.db.models import Model
from django.test.utils import CaptureQueriesContext

from apps.events.lines import SHARDS
from apps.events.models import Event
from apps.events.subscriptions import subscriptions_for
from apps.events.types import EventType
from apps.events.wakeups import delivery_wake
from apps.identity.models import Organization, User
from apps.identity.services import clear_principal_caches
from apps.notifications.clients.identity_members import IdentityMembersUnavailable
from apps.notifications.exceptions import PreferenceMandatory, UnknownRecipients
from apps.notifications.models import Notification, NotificationDispatch, NotificationPreference
from apps.notifications.selectors import notification_unread_count, preference_matrix
from apps.notifications.services import notifications as notification_services
from apps.notifications.services.notifications import (
    notification_mark_all_read,
    notification_mark_read,
    notification_send,
)
from apps.notifications.services.preferences import PreferenceChange, preference_set
from apps.notifications.tests.factories import (
    BOTH_ID,
    GLOBEX_OWNER_ID,
    MANAGER_ID,
    STAFF_ID,
    VIEWER_ID,
    mirror_user,
)
from tests.factories import acme, globex
from tests.faults import rows_refused

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("identity_service")]


@pytest.fixture
def org() -> Organization:
    return acme()


@pytest.fixture
def actor() -> Iterator[User]:
    user = User.objects.create(subject="admin-subject", email="admin@acme.test", name="Adam Admin")
    with set_actor(user):
        yield user


def send(org: Organization, actor: User, **fields: Any) -> notification_services.SendResult:
    values: dict[str, Any] = {"category": "booking", "severity": "warning", "title": "No-show", **fields}
    return notification_send(organization=org, actor=actor, **values)


def counts() -> dict[str, int]:
    models: list[type[Model]] = [Notification, NotificationDispatch, Event, LogEntry, User]
    return {m.__name__: m._default_manager.count() for m in models}


def requested(org: Organization) -> list[Event]:
    return list(
        Event.objects.for_organization(org).filter(type="notification.requested").order_by("occurred_at")
    )


def enable(org: Organization, user_id: uuid.UUID, channel: str, enabled: bool | None = True) -> None:
    preference_set(
        organization=org,
        user=mirror_user(user_id),
        changes=[PreferenceChange(category="booking", channel=channel, enabled=enabled)],
    )


def test_role_reaches_exactly_the_managers_as_mirror_users(org: Organization, actor: User) -> None:
    result = send(org, actor, role="manager", body="Ada did not come", data={"booking_id": "b1"})
    assert result.created
    assert [n.recipient_id for n in result.items] == [MANAGER_ID]
    manager = User.objects.get(id=MANAGER_ID)
    assert (manager.subject, manager.email, manager.name) == (
        str(MANAGER_ID),
        "manager@acme.test",
        "Mia Manager",
    )
    # both@hub.test is a manager in Globex but staff in Acme: not addressed here.
    assert not Notification.all_tenants.filter(recipient_id=BOTH_ID).exists()
    notification = result.items[0]
    assert (notification.severity, notification.data, notification.read_at) == (
        "warning",
        {"booking_id": "b1"},
        None,
    )
    # Email is on by default for bookings: one delivery event, to the manager.
    assert [e.data["recipient"]["user_id"] for e in requested(org)] == [str(MANAGER_ID)]


def test_recipient_ids_outside_the_organization_write_nothing(org: Organization, actor: User) -> None:
    before = counts()
    with pytest.raises(UnknownRecipients) as caught:
        send(org, actor, recipient_ids=[MANAGER_ID, GLOBEX_OWNER_ID])
    assert caught.value.errors == [{"field": "recipient_ids", "message": f"Not a member: {GLOBEX_OWNER_ID}"}]
    with pytest.raises(UnknownRecipients):
        send(org, actor, recipient_ids=[uuid.uuid4()])
    assert counts() == before


def test_recipient_ids_in_other_organization_are_members_there(actor: User) -> None:
    result = send(globex(), actor, recipient_ids=[GLOBEX_OWNER_ID, BOTH_ID, BOTH_ID])
    assert [n.recipient_id for n in result.items] == [GLOBEX_OWNER_ID, BOTH_ID]


def test_email_on_publishes_one_event_per_recipient_with_the_delivery_data(
    org: Organization, actor: User
) -> None:
    enable(org, MANAGER_ID, "email")
    enable(org, STAFF_ID, "email")
    enable(org, VIEWER_ID, "email", enabled=False)
    result = send(org, actor, recipient_ids=[MANAGER_ID, STAFF_ID, VIEWER_ID], action_url="/bookings/b1")
    events = requested(org)
    assert [e.data["recipient"]["user_id"] for e in events] == [str(MANAGER_ID), str(STAFF_ID)]
    first = events[0]
    notification = next(n for n in result.items if n.recipient_id == MANAGER_ID)
    assert (first.subject_type, first.subject_id) == ("notification", str(notification.id))
    assert (first.actor_type, first.actor_id) == ("user", str(actor.id))
    assert first.data == {
        "notification_id": str(notification.id),
        "channel": "email",
        "recipient": {
            "user_id": str(MANAGER_ID),
            "email": "manager@acme.test",
            "name": "Mia Manager",
            "phone": None,
        },
        "category": "booking",
        "severity": "warning",
        "title": "No-show",
        "body": "",
        "action_url": "/bookings/b1",
        "data": {},
    }


def test_email_off_publishes_nothing_and_sms_follows_its_own_switch(org: Organization, actor: User) -> None:
    enable(org, MANAGER_ID, "email", enabled=False)
    enable(org, MANAGER_ID, "sms")
    send(org, actor, recipient_ids=[MANAGER_ID])
    assert [e.data["channel"] for e in requested(org)] == ["sms"]


def test_in_app_off_still_delivers_by_email_once_per_dedupe_key(org: Organization, actor: User) -> None:
    enable(org, MANAGER_ID, "in_app", enabled=False)
    enable(org, MANAGER_ID, "email")
    first = send(org, actor, role="manager", dedupe_key="no-show:b1")
    assert (first.created, first.items) == (True, [])
    assert len(requested(org)) == 1
    replay = send(org, actor, role="manager", dedupe_key="no-show:b1")
    assert (replay.created, replay.items) == (False, [])
    assert len(requested(org)) == 1


def test_mandatory_category_reaches_the_inbox_even_with_in_app_off(org: Organization, actor: User) -> None:
    with pytest.raises(PreferenceMandatory):
        preference_set(
            organization=org,
            user=mirror_user(MANAGER_ID),
            changes=[PreferenceChange(category="security", channel="in_app", enabled=False)],
        )
    with pytest.raises(PreferenceMandatory):
        preference_set(
            organization=org,
            user=None,
            changes=[PreferenceChange(category="security", channel="in_app", enabled=False)],
        )
    assert not NotificationPreference.all_tenants.exists()
    result = send(org, actor, recipient_ids=[MANAGER_ID], category="security", title="New login")
    assert len(result.items) == 1
    # Security email is on by default.
    assert [e.data["channel"] for e in requested(org)] == ["email"]


def test_dedupe_key_replays_the_same_items_without_new_rows(org: Organization, actor: User) -> None:
    first = send(org, actor, role="manager", dedupe_key="no-show:b2")
    before = counts()
    replay = send(org, actor, role="manager", dedupe_key="no-show:b2")
    assert replay.created is False
    assert [n.id for n in replay.items] == [n.id for n in first.items]
    assert counts() == before
    # A new recipient under the same key gets it; the earlier one is not sent again.
    both = send(org, actor, recipient_ids=[MANAGER_ID, STAFF_ID], dedupe_key="no-show:b2")
    assert both.created is True
    assert [n.recipient_id for n in both.items] == [MANAGER_ID, STAFF_ID]
    assert both.items[0].id == first.items[0].id
    assert Notification.objects.for_organization(org).filter(recipient_id=MANAGER_ID).count() == 1


def test_rows_and_events_commit_together(org: Organization, actor: User) -> None:
    enable(org, MANAGER_ID, "email")
    enable(org, STAFF_ID, "email")
    mirror_user(STAFF_ID)
    before = counts()
    # The in-app rows, dispatch records and their audit entries are written by the time the outbox
    # refuses the events (their data is encrypted, so the refusal goes by type).
    with rows_refused(Event, where="type = 'notification.requested'"), pytest.raises(IntegrityError):
        send(org, actor, recipient_ids=[MANAGER_ID, STAFF_ID], dedupe_key="k")
    assert counts() == before
    # Nothing else stood in the way: the same send then commits both.
    send(org, actor, recipient_ids=[MANAGER_ID, STAFF_ID], dedupe_key="k")
    assert len(requested(org)) == 2


def test_identity_down_is_unavailable_and_writes_nothing(
    org: Organization, actor: User, settings: Any
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.IDENTITY = {**settings.IDENTITY, "SERVICE_URL": f"http://127.0.0.1:{port}"}
    before = counts()
    with pytest.raises(IdentityMembersUnavailable) as caught:
        send(org, actor, role="manager")
    assert (caught.value.status, caught.value.error_code) == (503, "identity_unavailable")
    assert counts() == before


def test_wrong_client_secret_is_unavailable(org: Organization, actor: User, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "CLIENT_SECRET": "wrong-" + uuid.uuid4().hex}
    with pytest.raises(IdentityMembersUnavailable):
        send(org, actor, role="manager")
    assert not Notification.all_tenants.exists()


def test_read_state_is_not_audited_but_creation_is(org: Organization, actor: User) -> None:
    result = send(org, actor, role="manager", title="Secret title")
    send(org, actor, role="manager", title="Second")
    notification = result.items[0]
    entries = LogEntry.objects.get_for_object(notification)
    assert entries.count() == 1
    assert entries.get().changes_dict["title"] == ["None", "[masked]"]
    manager = mirror_user(MANAGER_ID)
    assert notification_unread_count(organization=org, user=manager) == 2
    notification_mark_read(notification=notification)
    first_read = notification.read_at
    notification_mark_read(notification=notification)
    assert notification.read_at == first_read
    assert notification.seen_at == first_read
    assert notification_mark_all_read(organization=org, user=manager) == 1
    assert notification_mark_all_read(organization=org, user=manager) == 0
    assert notification_unread_count(organization=org, user=manager) == 0
    assert LogEntry.objects.get_for_object(notification).count() == 1
    assert Notification.objects.for_organization(org).filter(seen_at__isnull=True).count() == 0


def test_effective_preferences_layer_user_over_organization_over_built_in(org: Organization) -> None:
    manager = mirror_user(MANAGER_ID)

    def cell(channel: str) -> tuple[bool, bool, str]:
        found = next(
            c
            for c in preference_matrix(organization=org, user=manager)
            if c.category == "workflow" and c.channel == channel
        )
        return found.enabled, found.organization_default, found.source

    def choose(user: User | None, enabled: bool | None) -> None:
        change = PreferenceChange("workflow", "email", enabled=enabled)
        preference_set(organization=org, user=user, changes=[change])

    assert cell("email") == (False, False, "default")
    choose(None, enabled=True)
    assert cell("email") == (True, True, "organization")
    choose(manager, enabled=False)
    assert cell("email") == (False, True, "user")
    choose(manager, enabled=None)
    assert cell("email") == (True, True, "organization")
    # Another organization's defaults do not apply.
    assert (
        next(
            c
            for c in preference_matrix(organization=globex(), user=manager)
            if c.category == "workflow" and c.channel == "email"
        ).enabled
        is False
    )


def _deliveries(org: Organization) -> set[tuple[str, str]]:
    """(recipient user id, channel) of every delivery event published so far."""
    return {(e.data["recipient"]["user_id"], e.data["channel"]) for e in requested(org)}


def test_an_organization_default_changes_what_a_send_publishes(org: Organization, actor: User) -> None:
    recipients = [STAFF_ID, VIEWER_ID]
    send(org, actor, recipient_ids=recipients, category="workflow", dedupe_key="before")
    assert _deliveries(org) == set()  # built in: workflow is in-app only
    preference_set(organization=org, user=None, changes=[PreferenceChange("workflow", "email", enabled=True)])
    send(org, actor, recipient_ids=recipients, category="workflow", dedupe_key="after")
    assert _deliveries(org) == {(str(STAFF_ID), "email"), (str(VIEWER_ID), "email")}


def test_a_user_choice_wins_over_the_organization_default(org: Organization, actor: User) -> None:
    preference_set(
        organization=org,
        user=None,
        changes=[
            PreferenceChange("booking", "email", enabled=False),
            PreferenceChange("booking", "sms", enabled=False),
        ],
    )
    enable(org, STAFF_ID, "email")  # the organization switched it off; the user on
    enable(org, VIEWER_ID, "sms")
    enable(org, VIEWER_ID, "in_app", enabled=False)
    result = send(org, actor, recipient_ids=[STAFF_ID, VIEWER_ID, MANAGER_ID], dedupe_key="k")
    assert _deliveries(org) == {(str(STAFF_ID), "email"), (str(VIEWER_ID), "sms")}
    assert {n.recipient_id for n in result.items} == {STAFF_ID, MANAGER_ID}


@pytest.mark.parametrize("category", ["system", "booking"])
def test_a_sends_queries_do_not_grow_with_its_recipients(
    org: Organization, actor: User, category: str, django_assert_num_queries: Any
) -> None:
    """One recipient or four, first sight of their mirror rows included: the same queries.

    Booking sends publish an email event per recipient: the outbox takes them in one write
    (`publish_many`), so those compare equal too.
    """
    many = [MANAGER_ID, STAFF_ID, VIEWER_ID, BOTH_ID]
    _steady_state()
    with CaptureQueriesContext(connection) as one:
        send(org, actor, recipient_ids=[MANAGER_ID], category=category, dedupe_key="one")
    clear_principal_caches()  # the other three are first seen by the next send, as the first was
    with django_assert_num_queries(len(one)):
        send(org, actor, recipient_ids=many, category=category, dedupe_key="many")
    assert Notification.objects.for_organization(org).filter(dedupe_key="many").count() == len(many)
    assert LogEntry.objects.filter(object_repr__startswith="Notification ").count() == 2 * (1 + len(many))
    if category == "booking":
        requested = Event.objects.for_organization(org).filter(type=EventType.NOTIFICATION_REQUESTED)
        assert requested.count() == 1 + len(many)


def _steady_state() -> None:
    """What a running process has: content types cached, a drain job waiting for every shard.

    Which shard an event lands in follows its random subject id; with a job already waiting
    for each, every publish costs the same and the counts compare.
    """
    ContentType.objects.get_for_models(Notification, NotificationDispatch)
    with transaction.atomic():
        for subscription in subscriptions_for(EventType.NOTIFICATION_REQUESTED):
            for shard in range(SHARDS):
                delivery_wake(destination=subscription.name, shard=shard)
