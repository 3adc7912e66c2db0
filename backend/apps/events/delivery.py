"""Delivering the outbox: one drainer per (destination, shard) sends each line's events in order.

A drain job (task `events.drain`) works one (destination, shard) at a time:

1. It takes the shard's drainer lock (a second drainer leaves at once, since the holder will
   see everything the second one would have).
2. It reads a batch of ready deliveries in publishing order, skipping any line whose earlier
   delivery waits for a retry, and POSTs them (`apps.events.sending`) concurrently across
   lines, one at a time within a line; a line stops at its first delivery that must be retried.
3. It records the batch in one transaction: the delivery rows, one `DeliveryAttempt` each and
   its audit entry.
4. When nothing is ready it finishes as the wake-up protocol allows (`apps.events.wakeups`):
   no publisher in flight and still nothing ready; then it schedules a wake-up for the next
   retry due, releases the drainer lock and leaves. After its time budget it releases the
   shard and queues a follow-up job instead.

Crashes lose nothing: deliveries are recorded only after their POST, so a killed drainer's
batch is sent again by the next one and receivers drop the repeats by `webhook-id`.
"""

from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from apps.audit.services import audit_bulk_created
from apps.events.clients.webhook import encode_body
from apps.events.envelope import ENVELOPE_FIELDS, envelope
from apps.events.metrics import ATTEMPTS, DRAIN_DURATION, GIVEN_UP, status_class
from apps.events.models import Delivery, DeliveryAttempt
from apps.events.sending import Attempt, BatchSender, ReadyDelivery
from apps.events.subscriptions import subscription_named
from apps.events.wakeups import delivery_wake, drainer_lock, drainer_try_finish, drainer_unlock

logger = logging.getLogger(__name__)


@dataclass
class DrainReport:
    """What one drain job did; `follow_up` is set when it left work to a queued follow-up job."""

    attempts: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    busy: bool = False  # another drainer held the shard
    follow_up: bool = False
    next_wake_at: datetime | None = None


def drain(*, destination: str, shard: int) -> DrainReport:
    """Delivers every ready delivery of (destination, shard); see the module docstring."""
    report = DrainReport()
    if not drainer_lock(destination, shard):
        report.busy = True
        return report
    finished = False
    started = time.perf_counter()
    try:
        finished = _drain_locked(destination, shard, report)
    finally:
        if not finished:  # finishing released the lock already
            drainer_unlock(destination, shard)
        DRAIN_DURATION.labels(destination).observe(time.perf_counter() - started)
    if report.follow_up:
        # Queued after the lock is released: the follow-up must find the shard free when it starts.
        with transaction.atomic():
            delivery_wake(destination=destination, shard=shard)
    return report


def _drain_locked(destination: str, shard: int, report: DrainReport) -> bool:
    """Drains until done (True, the drainer lock released) or out of time (False)."""
    deadline = time.monotonic() + settings.EVENT_DRAIN_SECONDS
    with BatchSender(subscription_named(destination)) as sender:
        return _drain_batches(destination, shard, report, sender, deadline)


def _drain_batches(
    destination: str, shard: int, report: DrainReport, sender: BatchSender, deadline: float
) -> bool:
    while True:
        batch = _ready_batch(destination, shard)
        if batch:
            for attempt in _record(sender.send(batch)):
                report.attempts += 1
                status = str(attempt.status)  # the plain value in logs, never the enum's repr
                report.by_status[status] = report.by_status.get(status, 0) + 1
        else:
            finished, report.next_wake_at = drainer_try_finish(
                destination=destination,
                shard=shard,
                ready_exists=lambda: _ready_exists(destination, shard),
                next_retry_at=lambda: _next_retry_at(destination, shard),
            )
            if finished:
                return True
            if not _ready_exists(destination, shard):
                time.sleep(0.005)  # a publisher is about to commit
        if time.monotonic() > deadline:
            report.follow_up = True  # long enough: other jobs get this slot, a follow-up continues
            return False


def _behind_a_retry(now: datetime) -> Exists:
    """An earlier delivery of the same line (and destination) waits for its retry."""
    return Exists(
        Delivery.all_tenants.filter(
            destination=OuterRef("destination"),
            line=OuterRef("line"),
            status=Delivery.Status.PENDING,
            position__lt=OuterRef("position"),
            next_attempt_at__gt=now,
        )
    )


def _ready(destination: str, shard: int) -> Q:
    now = timezone.now()
    return Q(
        Q(destination=destination, shard=shard, status=Delivery.Status.PENDING),
        Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
        ~_behind_a_retry(now),
    )


_EVENT_FIELDS = tuple(f"event__{name}" for name in ENVELOPE_FIELDS)
_READ_FIELDS = ("id", "attempts", "line", "destination", "organization_id", *_EVENT_FIELDS)


def _ready_batch(destination: str, shard: int) -> list[ReadyDelivery]:
    rows = (
        Delivery.all_tenants.filter(_ready(destination, shard))
        .order_by("position")
        .values_list(*_READ_FIELDS)[: settings.EVENT_DRAIN_BATCH]
    )
    batch = []
    for delivery_id, attempts, line, destination_, organization_id, *event in rows:
        fields = dict(zip(ENVELOPE_FIELDS, event, strict=True))
        batch.append(
            ReadyDelivery(
                id=delivery_id,
                attempts=attempts,
                line=line,
                destination=destination_,
                organization_id=organization_id,
                event_id=fields["id"],
                correlation_id=fields["correlation_id"],
                body=encode_body(envelope(**fields)),
            )
        )
    return batch


def _ready_exists(destination: str, shard: int) -> bool:
    return Delivery.all_tenants.filter(_ready(destination, shard)).exists()


def _next_retry_at(destination: str, shard: int) -> datetime | None:
    next_at: datetime | None = (
        Delivery.all_tenants.filter(destination=destination, shard=shard, status=Delivery.Status.PENDING)
        .aggregate(at=Min("next_attempt_at"))
        .get("at")
    )
    return next_at


# One statement: the deliveries still at the attempt count that was sent move on, and each gets
# its attempt row. A delivery that moved on meanwhile (a second drainer) is left out of both.
_RECORD_SQL = """
WITH recorded AS (
    UPDATE events_delivery AS d
       SET status = v.status, attempts = v.number, last_status_code = v.code, last_error = v.error,
           next_attempt_at = v.next_at, delivered_at = v.delivered_at
      FROM unnest(%s::uuid[], %s::int[], %s::text[], %s::int[], %s::text[], %s::timestamptz[],
                  %s::timestamptz[], %s::timestamptz[], %s::float8[], %s::text[])
           AS v(id, number, status, code, error, next_at, delivered_at, started_at, duration_ms, outcome)
     WHERE d.id = v.id AND d.status = 'pending' AND d.attempts = v.number - 1
 RETURNING d.id, d.organization_id, v.number, v.started_at, v.duration_ms, v.code, v.error, v.outcome
)
INSERT INTO events_deliveryattempt
       (id, organization_id, delivery_id, number, started_at, duration_ms, status_code, error, outcome)
SELECT gen_random_uuid(), organization_id, id, number, started_at, duration_ms, code, error, outcome
  FROM recorded
RETURNING id, delivery_id
"""


def _record_columns(attempts: list[Attempt], now: datetime) -> list[list[object]]:
    """The batch as the columns `_RECORD_SQL` unnests, in its order."""

    def retry_at(a: Attempt) -> datetime | None:
        return now + timedelta(seconds=a.retry_in_seconds) if a.retry_in_seconds is not None else None

    return [
        [a.delivery.id for a in attempts],
        [a.number for a in attempts],
        [a.status for a in attempts],
        [a.result.status_code for a in attempts],
        [a.result.error for a in attempts],
        [retry_at(a) for a in attempts],
        [now if a.status == Delivery.Status.DELIVERED else None for a in attempts],
        [a.started for a in attempts],
        [round(a.result.duration_ms, 2) for a in attempts],
        [a.outcome for a in attempts],
    ]


def _record(attempts: list[Attempt]) -> list[Attempt]:
    """Records a batch in one transaction: delivery rows, attempt rows and their audit entries."""
    if not attempts:
        return []
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The delivery row is the summary of its attempts; the attempt rows (audited below) are
            # the record, so this bookkeeping is not audited a second time.
            cursor.execute(_RECORD_SQL, _record_columns(attempts, timezone.now()))
            attempt_ids: dict[uuid.UUID, uuid.UUID] = {row[1]: row[0] for row in cursor.fetchall()}
        kept = [a for a in attempts if a.delivery.id in attempt_ids]
        rows = [
            DeliveryAttempt(
                id=attempt_ids[a.delivery.id],
                organization_id=a.delivery.organization_id,
                delivery_id=a.delivery.id,
                number=a.number,
                started_at=a.started,
                duration_ms=round(a.result.duration_ms, 2),
                status_code=a.result.status_code,
                error=a.result.error,
                outcome=a.outcome,
            )
            for a in kept
        ]
        audit_bulk_created(rows, cids=[a.delivery.correlation_id or None for a in kept])
    for a in kept:
        destination = a.delivery.destination
        ATTEMPTS.labels(destination, str(a.outcome), status_class(a.result.status_code, a.result.error)).inc()
        if a.status in _GIVEN_UP:
            GIVEN_UP.labels(destination, str(a.status)).inc()
            # Dead: every retry spent, someone must look (redeliver once the receiver is fixed).
            logger.log(
                logging.ERROR if a.status == Delivery.Status.DEAD else logging.WARNING,
                "delivery %s of event %s to %s is %s after %d attempt(s): %s %s",
                a.delivery.id,
                a.delivery.event_id,
                destination,
                str(a.status),
                a.number,
                a.result.status_code,
                a.result.error[:200],
            )
    return kept


_GIVEN_UP = frozenset({Delivery.Status.DEAD, Delivery.Status.FAILED, Delivery.Status.REFUSED_TOO_LARGE})


def delivery_sweep(*, older_than_seconds: float) -> int:
    """Wakes the drain of every (destination, shard) whose ready deliveries have waited too long.

    A safety net: drains are woken by publishing and by their own wake-ups, but a drain job
    that failed for good (a bug, a long database outage) would otherwise leave its shard idle.
    """
    now = timezone.now()
    cutoff = now - timedelta(seconds=older_than_seconds)
    stuck = (
        Delivery.all_tenants.filter(status=Delivery.Status.PENDING)
        .filter(Q(next_attempt_at__lte=cutoff) | Q(next_attempt_at__isnull=True, created_at__lte=cutoff))
        .exclude(_behind_a_retry(now))  # those wait for their line, not for a drain
        .values_list("destination", "shard")
        .distinct()
    )
    woken = 0
    for destination, shard in list(stuck):
        with transaction.atomic():
            delivery_wake(destination=destination, shard=shard)
        woken += 1
    return woken
