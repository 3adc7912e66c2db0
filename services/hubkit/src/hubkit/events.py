"""Receiving the hub's signed events: the one envelope schema and the one way to read a delivery.

`receive_event` checks, in this order: the Standard Webhooks signature (401 `invalid_signature`),
the media type (415), the body size (413), JSON (400 `malformed_json`), the envelope (422), and
that `webhook-id` is the envelope's id. Every refusal is final for the sender: the same bytes will never pass.
Receipts are counted in `hub_events_received_total{type, outcome}`: refusals here as
`rejected` (type `unknown` when the body did not name a known type), and what the receiver made
of a verified event (`accepted`, `duplicate`) through `record_receipt`.
Anything the receiver stores afterwards (text, jsonb) is safe to store: PostgreSQL refuses NUL
characters, unpaired surrogates and non-finite numbers, which Python's JSON parser accepts.
"""

from __future__ import annotations

import json
import math
import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Literal

from django.http import HttpRequest
from prometheus_client import Counter
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator
from pydantic import ValidationError as PydanticValidationError

from hubkit.access import Caller, note_caller
from hubkit.errors import ApplicationError, ValidationFailed, require_json_body
from hubkit.event_types import EVENT_TYPES
from hubkit.fields import MAX_JSON_DEPTH, Text, check_storable_json, utc
from hubkit.webhooks import verify_webhook

MAX_EVENT_BYTES = 256 * 1024
"""The largest delivery body a receiver reads (the backend's envelopes are a few KiB)."""

RECEIPTS = Counter(
    "hub_events_received_total",
    "Signed event deliveries received, by event type and outcome.",
    ["type", "outcome"],
)
ReceiptOutcome = Literal["accepted", "duplicate", "rejected"]
UNKNOWN_TYPE = "unknown"


def record_receipt(event_type: str, outcome: ReceiptOutcome) -> None:
    """Count a delivery's outcome; only registered types become labels."""
    RECEIPTS.labels(event_type if event_type in EVENT_TYPES else UNKNOWN_TYPE, outcome).inc()


MAX_DATA_DEPTH = MAX_JSON_DEPTH
"""How deeply `data` may nest (deeper input is refused before anything walks it recursively)."""


class MalformedEvent(ApplicationError):
    status = 400
    code = "malformed_json"
    title = "Malformed request body"


class InvalidEvent(ValidationFailed):
    code = "invalid_event"
    title = "Invalid event"


class EventTooLarge(ApplicationError):
    status = 413
    code = "payload_too_large"
    title = "Payload too large"


class EventActor(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Literal["user", "service"]
    id: Text = Field(min_length=1, max_length=200)


class EventSubject(BaseModel):
    model_config = ConfigDict(frozen=True)

    type: Text = Field(min_length=1, max_length=100)
    id: Text = Field(min_length=1, max_length=200)


class EventEnvelope(BaseModel):
    """The hub's event envelope, version 1; unknown top-level fields are ignored."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    id: uuid.UUID
    type: Text = Field(min_length=1, max_length=100)
    version: Literal[1]
    occurred_at: AwareDatetime
    organization_id: uuid.UUID
    actor: EventActor
    subject: EventSubject
    data: dict[str, Any]
    correlation_id: Text | None = Field(default=None, max_length=128)

    @field_validator("type")
    @classmethod
    def _known_type(cls, value: str) -> str:
        if value not in EVENT_TYPES:
            raise ValueError(f"unknown event type {value!r}")
        return value

    @field_validator("occurred_at")
    @classmethod
    def _utc(cls, value: datetime) -> datetime:
        # Python accepts offsets up to ±23:59 and PostgreSQL only ±15:59; as UTC it is storable.
        return utc(value)

    @field_validator("data")
    @classmethod
    def _storable_data(cls, value: dict[str, Any]) -> dict[str, Any]:
        check_storable_json(value, "data")
        return value


def _reject_constant(name: str) -> float:
    raise ValueError(f"{name} is not a JSON number")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise ValueError(f"{text} is out of range")
    return number


def _field_errors(exc: PydanticValidationError) -> list[dict[str, str]]:
    return [
        {"field": ".".join(str(part) for part in error["loc"]) or "body", "message": error["msg"]}
        for error in exc.errors()
    ]


def parse_event(body: bytes, *, webhook_id: str, invalid_code: str = InvalidEvent.code) -> EventEnvelope:
    """The envelope of a verified body whose `webhook-id` header was `webhook_id`."""
    if len(body) > MAX_EVENT_BYTES:
        raise EventTooLarge(f"An event body may be at most {MAX_EVENT_BYTES} bytes.")
    try:
        raw = json.loads(body, parse_constant=_reject_constant, parse_float=_finite_float)
    except RecursionError as exc:
        raise InvalidEvent("The event nests too deeply.", code=invalid_code) from exc
    except ValueError as exc:  # JSONDecodeError, UnicodeDecodeError, out-of-range numbers
        raise MalformedEvent("The body is not valid JSON.") from exc
    try:
        envelope = EventEnvelope.model_validate(raw)
    except PydanticValidationError as exc:
        raise InvalidEvent(
            "The body is not a valid event envelope.", code=invalid_code, errors=_field_errors(exc)
        ) from exc
    # The sender uses the event id as webhook-id, the receivers' dedupe key. Compared as UUIDs:
    # an upper-case or braced spelling of the same id is the same event, not a second one.
    try:
        same = uuid.UUID(webhook_id.strip()) == envelope.id
    except ValueError:
        same = False
    if not same:
        raise InvalidEvent(
            "webhook-id must be the event id.",
            code=invalid_code,
            errors=[{"field": "id", "message": "Does not match the webhook-id header."}],
        )
    return envelope


def receive_event(
    request: HttpRequest, *, secrets: Sequence[str], invalid_code: str = InvalidEvent.code
) -> EventEnvelope:
    """Verify a signed delivery and return its envelope (see the module docstring for the order).

    Deduplicate by the returned envelope's `id` (a UUID), never by the raw header text.
    `invalid_code` is the problem code of a 422, for a receiver that has always answered another.
    """
    try:
        webhook_id = verify_webhook(body=request.body, headers=request.headers, secrets=secrets)
        require_json_body(request)
        return parse_event(request.body, webhook_id=webhook_id, invalid_code=invalid_code)
    except ApplicationError:
        record_receipt(UNKNOWN_TYPE, "rejected")
        raise


def note_sender(request: HttpRequest, service: str, envelope: EventEnvelope) -> None:
    """Name `service` as the caller of this delivery in its access line; call it only once that
    service's secrets verified the signature (a receiver taking several publishers' secrets checks
    the publisher's own first)."""
    note_caller(request, Caller.sender(service, envelope.organization_id))


CONTACT_ERASED = "contact.erased"
_CONTACT_HOLDERS = ("invoice", "payment", "refund")


def event_contact_id(envelope: EventEnvelope) -> uuid.UUID | None:
    """The contact an event is about, where its envelope names one; None otherwise.

    The subject of a `contact.*` event; `data.contact.id` (bookings, no-shows); the `contact_id` of
    `data.invoice`, `data.payment` or `data.refund`; a notification's `data.data.contact_id`. A
    receiver keeps it on what it stores of the event, so `contact.erased` can find those rows.
    """
    if envelope.subject.type == "contact":
        return _uuid_or_none(envelope.subject.id)
    data = envelope.data
    contact = data.get("contact")
    if isinstance(contact, dict) and "id" in contact:
        return _uuid_or_none(contact["id"])
    for holder in (*(data.get(key) for key in _CONTACT_HOLDERS), data.get("data")):
        if isinstance(holder, dict) and "contact_id" in holder:
            return _uuid_or_none(holder["contact_id"])
    return None


def _uuid_or_none(value: object) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None
