"""Publishing into the outbox: only inside the transaction of the change being reported."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from auditlog.context import disable_auditlog
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from apps.events.models import Delivery, Event
from apps.events.subscriptions import subscriptions_for
from apps.identity.models import Organization, User
from hubkit.request_id import get_request_id


class OutboxOutsideTransaction(RuntimeError):
    """publish() was called outside transaction.atomic(): the event could outlive a rollback."""


def _encode(value: Any, encoder: DjangoJSONEncoder) -> Any:
    if isinstance(value, Mapping):
        return {str(k): _encode(v, encoder) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_encode(v, encoder) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return encoder.default(value)


def publish(
    *,
    organization: Organization,
    type: str,  # noqa: A002 - the envelope's field name
    subject_type: str,
    subject_id: uuid.UUID | str,
    data: Mapping[str, Any],
    actor: User | None,
) -> Event:
    """Adds an event to the outbox in the caller's transaction (required: no event without its change)."""
    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction(f"publish({type!r}) must run inside transaction.atomic()")
    event: Event = Event.objects.for_organization(organization).create(
        type=type,
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=_encode(data, DjangoJSONEncoder()),
        actor_type=(actor.kind if actor is not None else ""),
        actor_id=(str(actor.id) if actor is not None else ""),
        correlation_id=get_request_id() or "",
    )
    for subscription in subscriptions_for(type):
        # Queuing a delivery is part of the change being audited, not a separate act: no entry.
        with disable_auditlog():
            delivery = Delivery.objects.for_organization(organization).create(
                event=event, destination=subscription.name
            )
        delivery_schedule(delivery=delivery)
    return event


def delivery_lock(delivery: Delivery) -> str:
    """Deliveries of one subject to one subscriber run one at a time, in order.

    Per subject and destination: a subscriber that is down, or a poisoned subject, holds up
    only its own line, never other subjects or other subscribers.
    """
    event = delivery.event
    return f"events:{delivery.destination}:{event.subject_type}:{event.subject_id}"


def delivery_schedule(*, delivery: Delivery) -> None:
    """Defer the delivery job in the caller's transaction: no event without its job, nor the reverse."""
    from apps.events.tasks import deliver_event  # noqa: PLC0415 - tasks import this module

    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction("a delivery job must be deferred inside transaction.atomic()")
    deliver_event.configure(lock=delivery_lock(delivery)).defer(delivery_id=str(delivery.id))


def event_redact_subject(*, organization: Organization, subject_type: str, subject_id: str) -> int:
    """Replaces the data of a subject's earlier events (GDPR erasure); the envelopes stay."""
    # Event is the outbox, not an audited model: a bulk update is allowed here (see AGENTS.md).
    return (
        Event.objects.for_organization(organization)
        .filter(subject_type=subject_type, subject_id=subject_id)
        .update(data={"redacted": True})
    )
