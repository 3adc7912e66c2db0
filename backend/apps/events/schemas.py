import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import BaseModel, Field, StringConstraints, model_validator

from apps.events.envelope import event_envelope
from apps.events.models import Event
from hubkit.fields import Text

DeliveryStatus = Literal["pending", "delivered", "failed", "dead", "refused_too_large"]


class EventFilter(Schema):
    """Event list filters."""

    type: Annotated[Text, StringConstraints(max_length=100)] | None = Field(
        None, description="Only events of this type, e.g. `contact.created`."
    )
    status: DeliveryStatus | None = Field(
        None,
        description="Only events with a delivery in this state (`delivered`: delivered to every subscriber).",
    )
    subject_id: Annotated[Text, StringConstraints(max_length=64)] | None = Field(
        None, description="Only events about this subject (its id)."
    )


class ActorOut(Schema):
    """Who caused the event: a user, or a service (the backend itself when no one acted)."""

    type: str
    id: str


class SubjectOut(Schema):
    """What the event is about."""

    type: str
    id: str


class EventOut(BaseModel):
    """The envelope each subscriber receives: one per event, the same on every delivery attempt."""

    # A pydantic model, not a ninja Schema: ninja's Schema wraps its input in an attribute getter
    # before any of our validators see it, and a paginated list hands over Event rows, of which
    # the envelope is what is shown.

    id: uuid.UUID
    type: str
    version: int
    occurred_at: str
    organization_id: uuid.UUID
    actor: ActorOut
    subject: SubjectOut
    data: dict[str, Any]
    correlation_id: str | None

    @model_validator(mode="before")
    @classmethod
    def _envelope_of_event(cls, value: Any) -> Any:
        return event_envelope(value) if isinstance(value, Event) else value


class DeliveryOut(Schema):
    """The event's delivery to one subscriber."""

    destination: str
    status: DeliveryStatus = Field(
        description="`pending` (queued or waiting for a retry), `delivered`, `failed` (refused for good), "
        "`dead` (retries exhausted) or `refused_too_large` (the receiver answered 413)."
    )
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class EventDetailOut(EventOut):
    """The envelope and its deliveries."""

    deliveries: list[DeliveryOut]


class RedeliverIn(Schema):
    """Redelivery options."""

    include_delivered: bool = Field(
        default=False, description="Also send again to subscribers that already received it."
    )


class RedeliverOut(Schema):
    """The deliveries queued again."""

    redelivered: list[DeliveryOut]
