from collections.abc import Iterator
from datetime import date
from decimal import Decimal

import pytest
from auditlog.context import set_actor
from auditlog.models import LogEntry
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.exceptions import ContactEmailTaken, ContactErased, OverrideNotFound
from apps.core.models import Contact, Resource, Service, WorkingHoursOverride
from apps.core.services.catalog import service_create, service_update
from apps.core.services.contacts import contact_archive, contact_create, contact_erase, contact_update
from apps.core.services.resources import (
    override_delete,
    override_put,
    resource_create,
    resource_update,
    time_off_create,
)
from apps.events.models import Event
from apps.identity.models import Organization, User
from hubkit.errors import ValidationFailed
from tests.factories import acme, globex, make_contact, make_override, make_resource, make_service
from tests.faults import rows_refused

pytestmark = pytest.mark.django_db


@pytest.fixture
def org() -> Organization:
    return acme()


@pytest.fixture
def actor() -> Iterator[User]:
    user = User.objects.create(subject="staff-subject", email="staff@acme.test", name="Sam Staff")
    with set_actor(user):
        yield user


def events_of(org: Organization, contact: Contact) -> list[Event]:
    return list(
        Event.objects.for_organization(org).filter(subject_id=str(contact.id)).order_by("occurred_at")
    )


def entries_of(contact: Contact) -> list[LogEntry]:
    return list(LogEntry.objects.filter(object_pk=str(contact.id)).order_by("timestamp", "id"))


def test_create_normalises_and_publishes_one_event_with_the_change(org: Organization, actor: User) -> None:
    contact = contact_create(
        organization=org,
        actor=actor,
        first_name="  Ada  ",
        email="Ada.L@Example.COM",
        phone="0151 2345 6789",
        tags=["VIP", "vip ", " new  client"],
    )
    assert (contact.first_name, contact.email, contact.phone) == (
        "Ada",
        "Ada.L@example.com",
        "+4915123456789",
    )
    assert contact.tags == ["vip", "new client"]
    [event] = events_of(org, contact)
    assert event.type == "contact.created"
    assert (event.actor_type, event.actor_id) == ("user", str(actor.id))
    assert event.data["contact"]["email"] == "Ada.L@example.com"
    [entry] = entries_of(contact)
    assert entry.actor == actor
    assert entry.additional_data == {"organization_id": str(org.id)}


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"email": "not-an-email"}, "email"),
        ({"email": "a@b"}, "email"),
        ({"phone": "12"}, "phone"),
        ({"phone": "+49 not a number"}, "phone"),
        ({"first_name": "   "}, "first_name"),
        ({"tags": [f"t{i}" for i in range(21)]}, "tags"),
    ],
)
def test_create_rejects_invalid_fields_and_writes_nothing(
    org: Organization, actor: User, fields: dict[str, object], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        contact_create(organization=org, actor=actor, **{"first_name": "Ada", **fields})  # type: ignore[arg-type]
    assert [e["field"] for e in caught.value.errors] == [field]
    assert Contact.objects.for_organization(org).count() == 0
    assert Event.objects.for_organization(org).count() == 0


def test_email_is_unique_among_active_contacts_ignoring_case(org: Organization, actor: User) -> None:
    first = contact_create(organization=org, actor=actor, first_name="A", email="same@example.com")
    with pytest.raises(ContactEmailTaken):
        contact_create(organization=org, actor=actor, first_name="B", email="SAME@example.com")
    assert Event.objects.for_organization(org).count() == 1
    # Another organization may hold the same address; archiving frees it.
    contact_create(organization=globex(), actor=actor, first_name="C", email="same@example.com")
    contact_archive(contact=first, actor=actor)
    contact_create(organization=org, actor=actor, first_name="D", email="same@example.com")


def test_a_failing_outbox_write_rolls_the_change_back(org: Organization, actor: User) -> None:
    # The contact row and its audit entry are written by then; the event's insert fails.
    with rows_refused(Event, where="type = 'contact.created'"), pytest.raises(IntegrityError):
        contact_create(organization=org, actor=actor, first_name="Ada")
    assert Contact.objects.for_organization(org).count() == 0
    assert not LogEntry.objects.filter(additional_data__organization_id=str(org.id)).exists()
    assert Event.objects.for_organization(org).count() == 0
    # The refusal was the only obstacle: the same write then succeeds.
    contact_create(organization=org, actor=actor, first_name="Ada")
    assert Event.objects.for_organization(org).count() == 1


def test_update_writes_only_real_changes(org: Organization, actor: User) -> None:
    contact = make_contact(first_name="Ada", email="ada@example.com")
    assert contact_update(contact=contact, actor=actor, data={"first_name": "Ada"}) is contact
    assert events_of(org, contact) == []
    contact_update(contact=contact, actor=actor, data={"last_name": "Lovelace", "phone": "+44 20 7946 0958"})
    [event] = events_of(org, contact)
    assert event.type == "contact.updated"
    assert sorted(event.data["changed"]) == ["last_name", "phone"]
    [entry] = [e for e in entries_of(contact) if e.action == LogEntry.Action.UPDATE]
    assert entry.changes["last_name"] == ["Tester", "Lovelace"]
    assert entry.changes["phone"] == ["", "[masked]"]


def test_update_to_a_taken_email_is_a_conflict_and_leaves_the_contact(org: Organization, actor: User) -> None:
    make_contact(email="taken@example.com")
    contact = make_contact(email="mine@example.com")
    with pytest.raises(ContactEmailTaken):
        contact_update(contact=contact, actor=actor, data={"email": "Taken@example.com"})
    contact.refresh_from_db()
    assert contact.email == "mine@example.com"
    assert events_of(org, contact) == []


def test_a_patch_holding_a_copy_loaded_before_an_erasure_cannot_undo_it(
    org: Organization, actor: User
) -> None:
    # The API loads the contact, then calls the service: an erasure may commit in between.
    stale = make_contact(first_name="Zelda", email="zelda@example.com")
    contact_erase(contact=Contact.objects.for_organization(org).get(pk=stale.pk), actor=actor)
    assert stale.erased_at is None
    with pytest.raises(ContactErased):
        contact_update(contact=stale, actor=actor, data={"notes": "back again"})
    with pytest.raises(ContactErased):
        contact_update(contact=stale, actor=actor, data={"email": "zelda@example.com"})
    stored = Contact.all_tenants.get(pk=stale.pk)
    assert (stored.first_name, stored.email, stored.notes) == ("Erased", "", "")
    # Archiving the stale copy is a no-op on the erased (hence archived) row, not a second write.
    assert contact_archive(contact=stale, actor=actor).archived_at == stored.archived_at
    assert [e.type for e in events_of(org, stored)] == ["contact.erased"]


def test_a_patch_on_a_stale_copy_compares_with_the_row_as_it_is_now(org: Organization) -> None:
    stale = make_service(name="Cut", duration_minutes=30)
    service_update(service=Service.objects.for_organization(org).get(pk=stale.pk), data={"name": "Trim"})
    with CaptureQueriesContext(connection) as queries:
        service_update(service=stale, data={"name": "Trim"})  # already the value: nothing to write
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert stale.name == "Trim"
    resource = make_resource(name="Room 1")
    resource_update(
        resource=Resource.objects.for_organization(org).get(pk=resource.pk), data={"is_active": False}
    )
    resource_update(resource=resource, data={"name": "Room A"})
    stored = Resource.objects.for_organization(org).get(pk=resource.pk)
    assert (stored.name, stored.is_active) == ("Room A", False)


def test_notes_are_masked_in_the_audit_trail(org: Organization, actor: User) -> None:
    contact = make_contact()
    contact_update(contact=contact, actor=actor, data={"notes": "allergic to penicillin"})
    [entry] = [e for e in entries_of(contact) if e.action == LogEntry.Action.UPDATE]
    assert entry.changes["notes"] == ["", "[masked]"]


def test_erase_leaves_no_personal_value_in_contact_audit_or_outbox(org: Organization, actor: User) -> None:
    secrets = {
        "first_name": "Zelda",
        "last_name": "Quux",
        "email": "zelda.quux@example.com",
        "phone": "+4915199887766",
        "notes": "private note",
        "tags": ["zeldatag"],
    }
    contact = contact_create(organization=org, actor=actor, **secrets)  # type: ignore[arg-type]
    contact_update(contact=contact, actor=actor, data={"last_name": "Quuxington", "email": "zq@example.com"})
    contact_archive(contact=contact, actor=actor)

    erased = contact_erase(contact=contact, actor=actor)

    assert erased.erased_at is not None
    assert (erased.first_name, erased.email, erased.phone, erased.notes, erased.tags) == (
        "Erased",
        "",
        "",
        "",
        [],
    )
    values = [*secrets.values(), "Quuxington", "zq@example.com", "zelda", "quux", "penicillin"]
    stored = repr(list(Contact.all_tenants.filter(pk=contact.pk).values())).lower()
    entries = entries_of(contact)
    stored += repr([(e.changes, e.changes_text, e.object_repr, e.serialized_data) for e in entries]).lower()
    stored += repr([e.data for e in events_of(org, contact)]).lower()
    for value in values:
        assert str(value).lower().strip("[]'") not in stored
    # The erasure itself is audited (who and when) and announced without the data.
    assert entries[-1].actor == actor
    assert "erased_at" in entries[-1].changes
    assert events_of(org, contact)[-1].type == "contact.erased"
    assert set(events_of(org, contact)[-1].data) == {"contact_id", "erased_at"}
    with pytest.raises(ContactErased):
        contact_update(contact=erased, actor=actor, data={"first_name": "Back"})
    assert contact_erase(contact=erased, actor=actor).erased_at == erased.erased_at


@pytest.mark.parametrize(
    ("hours", "field"),
    [
        ([{"weekday": 0, "start": "10:00", "end": "09:00"}], "working_hours.0"),
        (
            [
                {"weekday": 1, "start": "09:00", "end": "12:00"},
                {"weekday": 1, "start": "11:30", "end": "14:00"},
            ],
            "working_hours.1",
        ),
    ],
)
def test_working_hours_must_be_ordered_and_not_overlap(
    org: Organization, hours: list[dict[str, object]], field: str
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        resource_create(organization=org, name="Room", kind="room", timezone="UTC", working_hours=hours)
    assert caught.value.errors[0]["field"] == field


def test_a_working_hours_error_names_the_interval_as_sent_not_as_sorted(org: Organization) -> None:
    hours = [
        {"weekday": 3, "start": "13:00", "end": "17:00"},
        {"weekday": 3, "start": "09:00", "end": "13:30"},
    ]
    with pytest.raises(ValidationFailed) as caught:
        resource_create(organization=org, name="Room", kind="room", timezone="UTC", working_hours=hours)
    assert [e["field"] for e in caught.value.errors] == ["working_hours.0"]


def test_working_hours_are_stored_sorted(org: Organization) -> None:
    resource = resource_create(
        organization=org,
        name="Room",
        kind="room",
        timezone="Europe/Berlin",
        working_hours=[
            {"weekday": 2, "start": "13:00", "end": "17:00"},
            {"weekday": 2, "start": "08:00", "end": "12:00"},
            {"weekday": 0, "start": "09:00", "end": "17:00"},
        ],
    )
    assert [(h["weekday"], h["start"]) for h in resource.working_hours] == [
        (0, "09:00"),
        (2, "08:00"),
        (2, "13:00"),
    ]


@pytest.mark.parametrize("name", ["Mars/Olympus", "../../etc/passwd", "utc ", ""])
def test_unknown_time_zones_are_rejected(org: Organization, name: str) -> None:
    resource = make_resource()
    with pytest.raises(ValidationFailed):
        resource_update(resource=resource, data={"timezone": name})


def test_time_off_needs_aware_ordered_bounds(org: Organization) -> None:
    from datetime import UTC, datetime  # noqa: PLC0415

    resource = make_resource()
    start = datetime(2030, 1, 1, 9, tzinfo=UTC)
    with pytest.raises(ValidationFailed):
        time_off_create(resource=resource, start=start, end=start)
    with pytest.raises(ValidationFailed):
        time_off_create(resource=resource, start=start.replace(tzinfo=None), end=datetime(2030, 1, 2))  # noqa: DTZ001
    assert time_off_create(resource=resource, start=start, end=start.replace(hour=12)).resource == resource


@pytest.mark.parametrize(
    ("amount", "currency", "stored", "field"),
    [
        ("12.5", "EUR", Decimal("12.50"), None),
        ("1000", "JPY", Decimal("1000"), None),
        ("1.234", "KWD", Decimal("1.234"), None),
        ("12.505", "EUR", None, "price.amount"),
        ("100.5", "JPY", None, "price.amount"),
        ("10.00", "XYZ", None, "price.currency"),
    ],
)
def test_prices_are_decimals_quantised_to_the_currency(
    org: Organization, amount: str, currency: str, stored: Decimal | None, field: str | None
) -> None:
    price = {"amount": amount, "currency": currency}
    if field is None:
        service = service_create(organization=org, name="Cut", duration_minutes=30, price=price)
        service.refresh_from_db()
        assert service.price_amount == stored
    else:
        with pytest.raises(ValidationFailed) as caught:
            service_create(organization=org, name="Cut", duration_minutes=30, price=price)
        assert caught.value.errors[0]["field"] == field


def test_service_update_changes_price(org: Organization) -> None:
    service = make_service()
    service_update(service=service, data={"price": {"amount": "55.00", "currency": "CHF"}})
    assert (service.price_amount, service.price_currency) == (Decimal("55.00"), "CHF")


def test_service_capacity_defaults_to_one_and_is_audited_when_changed(org: Organization) -> None:
    service = service_create(
        organization=org, name="Cut", duration_minutes=30, price={"amount": "20.00", "currency": "EUR"}
    )
    assert service.capacity == 1
    group = service_create(
        organization=org,
        name="Group class",
        duration_minutes=60,
        price={"amount": "15.00", "currency": "EUR"},
        capacity=6,
    )
    with CaptureQueriesContext(connection) as queries:
        service_update(service=group, data={"capacity": 6})
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    service_update(service=group, data={"capacity": 10})
    group.refresh_from_db()
    assert group.capacity == 10
    [entry] = LogEntry.objects.filter(object_pk=str(group.pk), action=LogEntry.Action.UPDATE)
    assert entry.changes["capacity"] == [6, 10]


def test_create_runs_in_one_transaction(org: Organization, actor: User) -> None:
    with transaction.atomic():
        contact = contact_create(organization=org, actor=actor, first_name="Ada")
        transaction.set_rollback(True)
    assert not Contact.all_tenants.filter(pk=contact.pk).exists()
    assert not Event.all_tenants.filter(subject_id=str(contact.pk)).exists()


SATURDAY = date(2031, 1, 4)


def test_an_override_put_creates_then_replaces_the_dates_one_row(org: Organization) -> None:
    resource = make_resource()
    created = override_put(
        resource=resource,
        date=SATURDAY,
        intervals=[{"start": "14:00", "end": "18:00"}, {"start": "10:00", "end": "12:00"}],
        reason=" Saturday opening ",
    )
    assert created.intervals == [{"start": "10:00", "end": "12:00"}, {"start": "14:00", "end": "18:00"}]
    assert created.reason == "Saturday opening"
    closed = override_put(resource=resource, date=SATURDAY, intervals=[], reason="Holiday")
    assert closed.pk == created.pk
    stored = WorkingHoursOverride.objects.for_organization(org).get()
    assert (stored.date, stored.intervals, stored.reason) == (SATURDAY, [], "Holiday")
    [entry] = LogEntry.objects.filter(object_pk=str(created.pk), action=LogEntry.Action.UPDATE)
    assert set(entry.changes) == {"intervals", "reason"}
    # Another date of the same resource is another row.
    override_put(resource=resource, date=date(2031, 1, 5), intervals=[])
    assert WorkingHoursOverride.objects.for_organization(org).count() == 2


def test_an_override_put_with_what_is_stored_writes_nothing(org: Organization) -> None:
    override = make_override(intervals=[{"start": "10:00", "end": "14:00"}], reason="Saturday")
    with CaptureQueriesContext(connection) as queries:
        again = override_put(
            resource=override.resource,
            date=override.date,
            intervals=[{"start": "10:00", "end": "14:00"}],
            reason="Saturday ",
        )
    writes = [q for q in queries.captured_queries if q["sql"].startswith(("UPDATE", "INSERT"))]
    assert writes == []
    assert again.pk == override.pk
    assert again.updated_at == override.updated_at


@pytest.mark.parametrize(
    ("intervals", "fields"),
    [
        ([{"start": "10:00", "end": "10:00"}], ["intervals.0"]),
        ([{"start": "15:00", "end": "18:00"}, {"start": "08:00", "end": "15:30"}], ["intervals.0"]),
        (
            [
                {"start": "08:00", "end": "07:00"},
                {"start": "12:00", "end": "13:00"},
                {"start": "12:30", "end": "14:00"},
            ],
            ["intervals.0", "intervals.2"],
        ),
        ([{"start": f"{h:02}:00", "end": f"{h:02}:30"} for h in range(21)], ["intervals"]),
    ],
)
def test_override_intervals_must_be_ordered_and_not_overlap(
    org: Organization, intervals: list[dict[str, str]], fields: list[str]
) -> None:
    with pytest.raises(ValidationFailed) as caught:
        override_put(resource=make_resource(), date=SATURDAY, intervals=intervals)
    assert [e["field"] for e in caught.value.errors] == fields
    assert WorkingHoursOverride.objects.for_organization(org).count() == 0


def test_an_override_may_end_at_midnight(org: Organization) -> None:
    override = override_put(
        resource=make_resource(), date=SATURDAY, intervals=[{"start": "18:00", "end": "24:00"}]
    )
    assert override.intervals == [{"start": "18:00", "end": "24:00"}]


def test_deleting_an_override_already_deleted_is_not_found(org: Organization) -> None:
    stale = make_override()
    override_delete(override=WorkingHoursOverride.objects.for_organization(org).get(pk=stale.pk))
    with pytest.raises(OverrideNotFound):
        override_delete(override=stale)
    assert LogEntry.objects.filter(object_pk=str(stale.pk), action=LogEntry.Action.DELETE).count() == 1
