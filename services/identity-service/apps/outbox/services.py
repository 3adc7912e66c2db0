"""Outbox writes: an event joins the transaction of its change, and so does the job delivering it."""

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection
from procrastinate.contrib.django import app

from apps.outbox.exceptions import NotOurEventType, OutboxOutsideTransaction
from apps.outbox.models import OutboxEvent
from apps.signing.encryption import encrypt
from hubkit.event_types import EVENT_TYPES, data_schema, publishing_service
from hubkit.request_id import get_request_id

PUBLISHER = "identity-service"
DELIVER_TASK = "outbox.deliver"
QUEUE = "outbox"
# The actor of events no signed-in user caused (an anonymous accept, a sweep).
SERVICE_ACTOR = ("service", PUBLISHER)


def _json(value: Mapping[str, Any]) -> dict[str, Any]:
    encoded: dict[str, Any] = json.loads(json.dumps(value, cls=DjangoJSONEncoder))
    return encoded


def outbox_add(
    *,
    type: str,  # noqa: A002 - the envelope's field name
    organization_id: uuid.UUID,
    subject_type: str,
    subject_id: uuid.UUID | str,
    data: Mapping[str, Any],
    secret_data: Mapping[str, Any] | None = None,
    actor: tuple[str, str] = SERVICE_ACTOR,
) -> OutboxEvent:
    """Adds an event to the outbox in the caller's transaction, and a job to deliver it.

    `secret_data` is merged into `data` only in the signed body (stored Fernet-encrypted). The
    job is deferred in the same transaction: it exists exactly when the event does, so no event
    waits for a wake-up that was never sent.
    """
    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction(f"outbox_add({type!r}) must run inside transaction.atomic()")
    if type not in EVENT_TYPES or publishing_service(type) != PUBLISHER:
        raise NotOurEventType(f"{type!r} is not an identity-service event type in the hub's registry")
    plain = _json(data)
    secret = _json(secret_data or {})
    missing = set(data_schema(type).get("required", [])) - set(plain) - set(secret)
    if missing:
        raise NotOurEventType(f"data of {type} lacks {sorted(missing)}")
    event = OutboxEvent.objects.create(
        type=type,
        organization_id=organization_id,
        actor_type=actor[0],
        actor_id=actor[1],
        subject_type=subject_type,
        subject_id=str(subject_id),
        data=plain,
        secret_data_encrypted=encrypt(json.dumps(secret).encode()) if secret else "",
        correlation_id=get_request_id() or "",
    )
    outbox_wake()
    return event


def outbox_wake(*, at: datetime | None = None) -> None:
    """Defers a delivery job (now, or at `at`); in a transaction it becomes visible on commit.

    For a retry (`at`), none is added while a waiting job is due by then already: the drains
    and the sweep that find the head event still waiting do not pile up wake-ups.
    """
    if at is not None:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'"
                " AND coalesce(scheduled_at, now()) <= %s)",
                [DELIVER_TASK, at],
            )
            row = cursor.fetchone()
        if row and row[0]:
            return
    task = app.configure_task(name=DELIVER_TASK, allow_unknown=False, queue=QUEUE, schedule_at=at)
    task.defer()
