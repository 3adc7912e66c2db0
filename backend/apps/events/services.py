"""Publishing into the outbox: only inside the transaction of the change being reported."""

from __future__ import annotations

import uuid
import zlib
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from auditlog.context import disable_auditlog
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from procrastinate.exceptions import AlreadyEnqueued

from apps.events.lines import line_shard, subject_line
from apps.events.models import Delivery, Event
from apps.events.subscriptions import subscriptions_for
from apps.identity.models import Organization, User
from hubkit.request_id import get_request_id

# Advisory lock namespaces (first int4 of the key).
PUBLISHING = 0x0E0E0001  # shared by publishers until commit; a drainer takes it to finish
DRAINING = 0x0E0E0002  # held by the one drainer of a (destination, shard)


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
    line = subject_line(subject_type, str(subject_id))
    shard = line_shard(line)
    for subscription in subscriptions_for(type):
        # Queuing a delivery is part of the change being audited, not a separate act: no entry.
        with disable_auditlog():
            Delivery.objects.for_organization(organization).create(
                event=event, destination=subscription.name, line=line, shard=shard
            )
        delivery_wake(destination=subscription.name, shard=shard)
    return event


def drain_queueing_lock(destination: str, shard: int) -> str:
    """At most one drain job of a (destination, shard) waits to run (procrastinate queueing lock)."""
    return f"events:{destination}:{shard}"


def advisory_key(purpose: int, destination: str, shard: int) -> tuple[int, int]:
    """A PostgreSQL advisory lock key (two int4) for one (destination, shard)."""
    objid = zlib.crc32(f"{destination}:{shard}".encode())
    return purpose, objid - 2**32 if objid >= 2**31 else objid


def delivery_wake(*, destination: str, shard: int) -> None:
    """Makes sure a drain job will see the deliveries this transaction adds to (destination, shard).

    Runs in the publishing transaction. It holds a shared advisory lock on the (destination,
    shard) until commit, and defers a drain job unless one is already waiting. A drainer
    finishes only after taking that lock exclusively and finding nothing left, so a waiting
    job this transaction relied on cannot finish before this transaction's deliveries are
    visible. Under load, one waiting job serves many transactions instead of a job each.
    """
    from apps.events.tasks import drain_deliveries  # noqa: PLC0415 - tasks import this module

    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction("a drain must be woken inside transaction.atomic()")
    queueing_lock = drain_queueing_lock(destination, shard)
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_advisory_xact_lock_shared(%s, %s), EXISTS (SELECT 1 FROM procrastinate_jobs"
            " WHERE queueing_lock = %s AND status = 'todo')",
            [*advisory_key(PUBLISHING, destination, shard), queueing_lock],
        )
        row = cursor.fetchone()
    if row is not None and row[1]:
        return
    try:
        with transaction.atomic():  # a savepoint: a concurrent publisher may have queued it first
            drain_deliveries.configure(queueing_lock=queueing_lock).defer(
                destination=destination, shard=shard
            )
    except AlreadyEnqueued:
        pass  # that job is waiting, and will drain ours too


def delivery_wake_at(*, destination: str, shard: int, at: datetime) -> None:
    """A drain job of (destination, shard) due at `at` (a retry), unless one is due by then already.

    Without the queueing lock: publishers would take a wake-up due later for a waiting job and
    their events would wait for another line's retry.
    """
    from apps.events.tasks import DRAIN_TASK, drain_deliveries  # noqa: PLC0415 - tasks import this module

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'"
            " AND args->>'destination' = %s AND (args->>'shard')::int = %s"
            " AND coalesce(scheduled_at, now()) <= %s)",
            [DRAIN_TASK, destination, shard, at],
        )
        row = cursor.fetchone()
    if not (row and row[0]):
        drain_deliveries.configure(schedule_at=at).defer(destination=destination, shard=shard)


def event_redact_subject(*, organization: Organization, subject_type: str, subject_id: str) -> int:
    """Replaces the data of a subject's earlier events (GDPR erasure); the envelopes stay."""
    # Event is the outbox, not an audited model: a bulk update is allowed here (see AGENTS.md).
    return (
        Event.objects.for_organization(organization)
        .filter(subject_type=subject_type, subject_id=subject_id)
        .update(data={"redacted": True})
    )
