"""Publishing into the outbox: only inside the transaction of the change being reported."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection

from apps.events.models import Event
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
    return event


def event_redact_subject(*, organization: Organization, subject_type: str, subject_id: str) -> int:
    """Replaces the data of a subject's earlier events (GDPR erasure); the envelopes stay."""
    # Event is the outbox, not an audited model: a bulk update is allowed here (see AGENTS.md).
    return (
        Event.objects.for_organization(organization)
        .filter(subject_type=subject_type, subject_id=subject_id)
        .update(data={"redacted": True})
    )
