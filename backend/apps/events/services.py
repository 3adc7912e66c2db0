"""Outbox writes: publish (only in the transaction of the change it reports), redact, redeliver."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from auditlog.context import disable_auditlog
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction

from apps.events.clients.webhook import encode_body
from apps.events.envelope import event_envelope
from apps.events.exceptions import EventTooLarge, OutboxOutsideTransaction
from apps.events.lines import line_shard, subject_line
from apps.events.models import Delivery, Event
from apps.events.subscriptions import subscriptions_for
from apps.events.types import event_validate
from apps.events.wakeups import delivery_wake, delivery_wake_many
from apps.identity.models import Organization, User
from hubkit.errors import Conflict
from hubkit.events import MAX_EVENT_BYTES
from hubkit.request_id import get_request_id


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
    """Adds an event to the outbox in the caller's transaction (required: no event without its change).

    `type` must be registered (`apps.events.types.EventType`) and `data` match its model. An
    envelope larger than receivers accept (`hubkit.events.MAX_EVENT_BYTES`, as the exact bytes a
    delivery sends) raises `EventTooLarge` before anything is written.
    """
    (event,) = publish_many(
        organization=organization,
        type=type,
        subject_type=subject_type,
        items=[(subject_id, data)],
        actor=actor,
    )
    return event


def publish_many(
    *,
    organization: Organization,
    type: str,  # noqa: A002 - the envelope's field name
    subject_type: str,
    items: Sequence[tuple[uuid.UUID | str, Mapping[str, Any]]],
    actor: User | None,
) -> list[Event]:
    """`publish` for many (subject id, data) of one type at once, in the order given.

    One INSERT for the events, one for their deliveries and one query waking the drains of
    every (destination, shard) touched, so a write that reports one event per recipient costs a fixed
    number of queries however many recipients it has. Every envelope is checked before anything
    is written.
    """
    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction(f"publish({type!r}) must run inside transaction.atomic()")
    encoder = DjangoJSONEncoder()
    events: list[Event] = []
    for subject_id, data in items:
        encoded = _encode(data, encoder)
        event_validate(event_type=type, subject_type=subject_type, data=encoded)
        event = Event(
            organization=organization,
            type=str(type),
            subject_type=subject_type,
            subject_id=str(subject_id),
            data=encoded,
            actor_type=(actor.kind if actor is not None else ""),
            actor_id=(str(actor.id) if actor is not None else ""),
            correlation_id=get_request_id() or "",
        )
        size = len(encode_body(event_envelope(event)))
        if size > MAX_EVENT_BYTES:
            raise EventTooLarge(
                f"The {type} event would be {size} bytes; receivers accept at most {MAX_EVENT_BYTES}.",
                errors=[{"field": "data", "message": f"The event would exceed {MAX_EVENT_BYTES} bytes."}],
            )
        events.append(event)
    if not events:
        return []
    Event.objects.for_organization(organization).bulk_create(events)
    deliveries: list[Delivery] = []
    for event in events:
        line = subject_line(subject_type, event.subject_id)
        shard = line_shard(line)
        deliveries.extend(
            Delivery(organization=organization, event=event, destination=s.name, line=line, shard=shard)
            for s in subscriptions_for(type)
        )
    if deliveries:
        # Queuing a delivery is part of the change being audited, not a separate act: no entry.
        # One multi-row INSERT: `position` (a sequence default) follows the order of the rows,
        # so each line's deliveries keep the order their events were published in.
        with disable_auditlog():
            Delivery.objects.for_organization(organization).bulk_create(deliveries)
    delivery_wake_many([(d.destination, d.shard) for d in deliveries])
    return events


def event_redact_subject(*, organization: Organization, subject_type: str, subject_id: str) -> int:
    """Replaces the data of a subject's earlier events (GDPR erasure); the envelopes stay."""
    # Event is the outbox, not an audited model: a bulk update is allowed here (see AGENTS.md).
    return (
        Event.objects.for_organization(organization)
        .filter(subject_type=subject_type, subject_id=subject_id)
        .update(data={"redacted": True})
    )


def event_redeliver(*, organization: Organization, event: Event, include_delivered: bool) -> list[Delivery]:
    """Send an event again: its failed, dead and too-large deliveries (or all), through their drains."""
    wanted = [Delivery.Status.FAILED, Delivery.Status.DEAD, Delivery.Status.REFUSED_TOO_LARGE]
    if include_delivered:
        wanted.append(Delivery.Status.DELIVERED)
    redelivered = []
    with transaction.atomic():
        deliveries = list(
            Delivery.objects.for_organization(organization).select_for_update().filter(event=event)
        )
        if any(d.status == Delivery.Status.PENDING for d in deliveries) and not any(
            d.status in wanted for d in deliveries
        ):
            raise Conflict("The event is still being delivered.", code="delivery_in_progress")
        for delivery in deliveries:
            if delivery.status not in wanted:
                continue
            delivery.status = Delivery.Status.PENDING
            delivery.attempts = 0
            delivery.next_attempt_at = None
            delivery.save()
            delivery_wake(destination=delivery.destination, shard=delivery.shard)
            redelivered.append(delivery)
    return redelivered
