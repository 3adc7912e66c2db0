"""Reading a verified delivery: the envelope, then the data of the types this service acts on."""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from apps.messaging.exceptions import InvalidEvent, MalformedEvent
from apps.messaging.rendering import Outgoing, booking_messages, notification_messages
from apps.messaging.schemas import (
    BOOKING_EVENT_TYPES,
    NOTIFICATION_REQUESTED,
    BookingEventData,
    EventEnvelopeIn,
    NotificationRequestedData,
)

_M = TypeVar("_M", bound=BaseModel)


def parse_envelope(body: bytes, *, webhook_id: str) -> EventEnvelopeIn:
    """The envelope of a delivery; 400 for bytes that are not JSON, 422 for a wrong shape."""
    try:
        raw = json.loads(body)
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError
        raise MalformedEvent("The body is not valid JSON.") from exc
    envelope = _validate(EventEnvelopeIn, raw, prefix="")
    # The sender uses the event id as webhook-id; anything else would defeat deduplication.
    if str(envelope.id) != webhook_id.strip().lower():
        raise InvalidEvent(
            "webhook-id must be the event id.",
            errors=[{"field": "id", "message": "Does not match the webhook-id header."}],
        )
    return envelope


def outgoing_for(envelope: EventEnvelopeIn) -> list[Outgoing] | None:
    """The messages an event calls for, or None for a type this service does not act on."""
    if envelope.type == NOTIFICATION_REQUESTED:
        return notification_messages(data=_validate(NotificationRequestedData, envelope.data, prefix="data."))
    if envelope.type in BOOKING_EVENT_TYPES:
        data = _validate(BookingEventData, envelope.data, prefix="data.")
        return booking_messages(event_type=envelope.type, data=data)
    return None


def _validate(model: type[_M], raw: object, *, prefix: str) -> _M:
    try:
        return model.model_validate(raw)
    except PydanticValidationError as exc:
        errors = [
            {
                "field": (prefix + ".".join(str(part) for part in error["loc"])).rstrip(".") or "body",
                "message": error["msg"],
            }
            for error in exc.errors()
        ]
        raise InvalidEvent("The event does not match its schema.", errors=errors) from exc
