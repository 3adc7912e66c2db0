"""Reading a verified delivery's data for the types this service acts on (hubkit reads the envelope)."""

from __future__ import annotations

from typing import TypeVar

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError

from apps.messaging.rendering import (
    Outgoing,
    booking_messages,
    invitation_messages,
    notification_messages,
    security_notice_messages,
)
from apps.messaging.schemas import (
    BOOKING_EVENT_TYPES,
    INVITATION_MAIL_REQUESTED,
    NOTIFICATION_REQUESTED,
    SECURITY_NOTICE_REQUESTED,
    BookingEventData,
    InvitationMailRequestedData,
    NotificationRequestedData,
    SecurityNoticeRequestedData,
)
from hubkit.events import EventEnvelope, InvalidEvent

_M = TypeVar("_M", bound=BaseModel)


def outgoing_for(envelope: EventEnvelope) -> list[Outgoing] | None:
    """The messages an event calls for, or None for a type this service does not act on."""
    if envelope.type == NOTIFICATION_REQUESTED:
        return notification_messages(data=_validate(NotificationRequestedData, envelope.data))
    if envelope.type == INVITATION_MAIL_REQUESTED:
        return invitation_messages(data=_validate(InvitationMailRequestedData, envelope.data))
    if envelope.type == SECURITY_NOTICE_REQUESTED:
        return security_notice_messages(data=_validate(SecurityNoticeRequestedData, envelope.data))
    if envelope.type in BOOKING_EVENT_TYPES:
        data = _validate(BookingEventData, envelope.data)
        return booking_messages(event_type=envelope.type, data=data)
    return None


def _validate(model: type[_M], raw: object) -> _M:
    """The event's `data` as `model`; 422 naming each wrong field as `data.<path>`."""
    try:
        return model.model_validate(raw)
    except PydanticValidationError as exc:
        errors = [
            {"field": ".".join(["data", *(str(part) for part in error["loc"])]), "message": error["msg"]}
            for error in exc.errors()
        ]
        raise InvalidEvent("The event does not match its schema.", errors=errors) from exc
