import json
import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.test import RequestFactory
from prometheus_client import REGISTRY

from hubkit.errors import ApplicationError
from hubkit.event_types import EVENT_TYPES
from hubkit.events import (
    MAX_DATA_DEPTH,
    MAX_EVENT_BYTES,
    EventEnvelope,
    EventTooLarge,
    InvalidEvent,
    MalformedEvent,
    event_contact_id,
    receive_event,
    record_receipt,
)
from hubkit.webhooks import InvalidWebhook, generate_secret, sign_headers

SECRET = generate_secret()


def envelope(**overrides: Any) -> dict[str, Any]:
    event: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "type": "booking.no_show",
        "version": 1,
        "occurred_at": "2026-03-02T09:00:00+02:00",
        "organization_id": str(uuid.uuid4()),
        "actor": {"type": "user", "id": str(uuid.uuid4())},
        "subject": {"type": "booking", "id": str(uuid.uuid4())},
        "data": {"booking": {"id": "b1", "notes": "Jürgen"}},
        "correlation_id": "corr-1",
    }
    event.update(overrides)
    return event


def receive(
    body: bytes | dict[str, Any], *, msg_id: str | None = None, secrets: list[str] | None = None, **kw: Any
) -> EventEnvelope:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    if msg_id is None:
        msg_id = body["id"] if isinstance(body, dict) else str(uuid.uuid4())
    headers = sign_headers(msg_id=msg_id, body=raw, secrets=[SECRET])
    request = RequestFactory().post(
        "/api/v1/events", data=raw, content_type="application/json", headers=headers
    )
    return receive_event(request, secrets=secrets or [SECRET], **kw)


def rejected(exc: pytest.ExceptionInfo[ApplicationError]) -> tuple[int, str, set[str]]:
    return exc.value.status, exc.value.error_code, {error["field"] for error in exc.value.errors}


def test_a_signed_envelope_is_read_with_utc_time() -> None:
    event = envelope()
    received = receive(event)
    assert received.id == uuid.UUID(event["id"])
    assert received.type == "booking.no_show"
    assert received.occurred_at == datetime(2026, 3, 2, 7, 0, tzinfo=UTC)
    assert received.occurred_at.utcoffset() is not None
    assert received.occurred_at.tzinfo == UTC
    assert received.data["booking"]["notes"] == "Jürgen"
    assert received.actor.type == "user"


def test_an_upper_case_webhook_id_is_the_same_event() -> None:
    event = envelope()
    received = receive(event, msg_id=event["id"].upper())
    assert received.id == uuid.UUID(event["id"])
    assert str(received.id) == event["id"]


# Fixed values: xdist workers must collect identical test ids (a uuid4() here differs per worker).
@pytest.mark.parametrize("msg_id", ["5f0c2a79-3154-4cc2-9bc4-5c1a71f727c7", "not-a-uuid", ""])
def test_a_webhook_id_other_than_the_event_id_is_422(msg_id: str) -> None:
    event = envelope()
    body = json.dumps(event).encode()
    headers = sign_headers(msg_id=msg_id or "x", body=body, secrets=[SECRET])
    if not msg_id:
        headers["webhook-id"] = ""
    request = RequestFactory().post("/e", data=body, content_type="application/json", headers=headers)
    with pytest.raises((InvalidEvent, InvalidWebhook)) as caught:
        receive_event(request, secrets=[SECRET])
    if msg_id:
        assert rejected(caught) == (422, "invalid_event", {"id"})
    else:  # an empty id is not even a signed delivery
        assert caught.value.status == 401


def test_a_bad_signature_is_401_before_anything_is_read() -> None:
    with pytest.raises(InvalidWebhook) as caught:
        receive(b"not json at all", secrets=[generate_secret()])
    assert (caught.value.status, caught.value.error_code) == (401, "invalid_signature")


@pytest.mark.parametrize("body", [b'{"id": "broken', b'{"data": NaN}', b'{"n": 1e999}'])
def test_signed_bytes_that_are_not_json_are_400(body: bytes) -> None:
    with pytest.raises(MalformedEvent) as caught:
        receive(body)
    assert (caught.value.status, caught.value.error_code) == (400, "malformed_json")


def test_a_body_over_the_limit_is_413() -> None:
    event = envelope(data={"blob": "x" * MAX_EVENT_BYTES})
    with pytest.raises(EventTooLarge) as caught:
        receive(event)
    assert caught.value.status == 413


@pytest.mark.parametrize(
    ("breakage", "fields"),
    [
        ({"version": 2}, {"version"}),
        ({"organization_id": "acme"}, {"organization_id"}),
        ({"type": ""}, {"type"}),
        ({"type": "booking.exploded"}, {"type"}),
        ({"subject": None}, {"subject"}),
        ({"occurred_at": "yesterday"}, {"occurred_at"}),
        ({"occurred_at": "2026-03-02T09:00:00"}, {"occurred_at"}),  # naive
        ({"occurred_at": "0001-01-01T00:00:00+05:00"}, {"occurred_at"}),  # before year 1 in UTC
        ({"data": []}, {"data"}),
        ({"actor": {"type": "robot", "id": "r"}}, {"actor.type"}),
        ({"actor": {"type": "user", "id": ""}}, {"actor.id"}),
        ({"subject": {"type": "b" * 101, "id": "x"}}, {"subject.type"}),
        ({"correlation_id": "c" * 129}, {"correlation_id"}),
        ({"correlation_id": "nul\x00"}, {"correlation_id"}),
        ({"data": {"notes": "nul\x00"}}, {"data"}),
        ({"data": {"k\x00": 1}}, {"data"}),
        ({"data": {"notes": "\ud800 lone"}}, {"data"}),
    ],
)
def test_an_invalid_envelope_is_422_naming_the_field(breakage: dict[str, Any], fields: set[str]) -> None:
    with pytest.raises(InvalidEvent) as caught:
        receive(envelope(**breakage))
    assert rejected(caught) == (422, "invalid_event", fields)


def test_missing_fields_are_each_named() -> None:
    event = envelope()
    del event["organization_id"], event["occurred_at"]
    with pytest.raises(InvalidEvent) as caught:
        receive(event)
    assert rejected(caught)[2] == {"organization_id", "occurred_at"}


def test_deeply_nested_data_is_422_not_a_crash() -> None:
    nested: Any = "leaf"
    for _ in range(MAX_DATA_DEPTH + 1):
        nested = {"n": nested}
    with pytest.raises(InvalidEvent):
        receive(envelope(data=nested))
    id_ = str(uuid.uuid4())
    body = (f'{{"id": "{id_}", "data": ' + "[" * 100_000 + "]" * 100_000 + "}").encode()
    with pytest.raises(ApplicationError) as caught:
        receive(body[:MAX_EVENT_BYTES], msg_id=id_)
    assert caught.value.status in (400, 422)


def test_unknown_top_level_fields_are_ignored() -> None:
    assert receive(envelope(extra_field={"x": 1})).type == "booking.no_show"


def test_every_registered_type_is_accepted() -> None:
    for event_type in sorted(EVENT_TYPES):
        assert receive(envelope(type=event_type)).type == event_type


def test_a_receiver_may_keep_its_own_problem_code() -> None:
    with pytest.raises(InvalidEvent) as caught:
        receive(envelope(version=2), invalid_code="invalid_envelope")
    assert rejected(caught)[:2] == (422, "invalid_envelope")


def _receipts(event_type: str, outcome: str) -> float:
    return (
        REGISTRY.get_sample_value("hub_events_received_total", {"type": event_type, "outcome": outcome})
        or 0.0
    )


def test_refusals_are_counted_as_rejected_and_receipts_by_type() -> None:
    before = _receipts("unknown", "rejected")
    with pytest.raises(InvalidWebhook):
        receive(b"{}", secrets=[generate_secret()])
    with pytest.raises(MalformedEvent):
        receive(b'{"id": "broken')
    assert _receipts("unknown", "rejected") - before == 2

    accepted = _receipts("booking.no_show", "accepted")
    record_receipt(receive(envelope()).type, "accepted")
    record_receipt("no.such_type", "duplicate")  # never a label of its own
    assert _receipts("booking.no_show", "accepted") - accepted == 1
    assert _receipts("no.such_type", "duplicate") == 0.0


CONTACT = uuid.UUID("0c000000-0000-4000-8000-00000000000c")


@pytest.mark.parametrize(
    ("event_type", "subject_type", "subject_id", "data"),
    [
        (
            "contact.erased",
            "contact",
            str(CONTACT),
            {"contact_id": str(CONTACT), "erased_at": "2026-03-02T09:00:00Z"},
        ),
        ("contact.updated", "contact", str(CONTACT).upper(), {"changed": ["email"], "contact": {}}),
        ("booking.no_show", "booking", "b1", {"booking": {"id": "b1"}, "contact": {"id": str(CONTACT)}}),
        ("invoice.issued", "invoice", "i1", {"invoice": {"id": "i1", "contact_id": str(CONTACT)}}),
        ("payment.succeeded", "payment", "p1", {"payment": {"contact_id": str(CONTACT)}}),
        ("refund.created", "payment", "p1", {"refund": {"contact_id": str(CONTACT)}}),
        ("notification.requested", "notification", "n1", {"data": {"contact_id": str(CONTACT)}}),
    ],
)
def test_the_contact_an_event_is_about_is_read_where_its_type_names_it(
    event_type: str, subject_type: str, subject_id: str, data: dict[str, Any]
) -> None:
    event = EventEnvelope.model_validate(
        envelope(type=event_type, subject={"type": subject_type, "id": subject_id}, data=data)
    )
    assert event_contact_id(event) == CONTACT


@pytest.mark.parametrize(
    "data",
    [
        {"booking": {"id": "b1"}},
        {"contact": {"id": "not-a-uuid"}},
        {"contact": "Jane"},
        {"data": {"booking_id": str(CONTACT)}},
        {"data": {"contact_id": ["x"]}},
    ],
)
def test_an_event_naming_no_contact_or_no_valid_id_is_about_none(data: dict[str, Any]) -> None:
    assert event_contact_id(EventEnvelope.model_validate(envelope(data=data))) is None
