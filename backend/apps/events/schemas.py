import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, StringConstraints


class EventFilter(Schema):
    type: Annotated[str, StringConstraints(max_length=100)] | None = None
    status: Literal["pending", "delivered", "failed", "dead"] | None = None
    subject_id: Annotated[str, StringConstraints(max_length=64)] | None = None
    limit: Annotated[int, Field(ge=1, le=200)] = 50
    cursor: Annotated[str, StringConstraints(max_length=512)] | None = None


class ActorOut(Schema):
    type: str
    id: str


class SubjectOut(Schema):
    type: str
    id: str


class EventOut(Schema):
    """The envelope each subscriber receives: one per event, the same on every delivery attempt."""

    id: uuid.UUID
    type: str
    version: int
    occurred_at: str
    organization_id: uuid.UUID
    actor: ActorOut
    subject: SubjectOut
    data: dict[str, Any]
    correlation_id: str | None


class EventPage(Schema):
    items: list[EventOut]
    next_cursor: str | None


class DeliveryOut(Schema):
    destination: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str
    next_attempt_at: datetime | None
    delivered_at: datetime | None


class EventDetailOut(EventOut):
    deliveries: list[DeliveryOut]


class RedeliverIn(Schema):
    include_delivered: bool = False


class RedeliverOut(Schema):
    redelivered: list[DeliveryOut]
