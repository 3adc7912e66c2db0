"""Delivering the outbox: one drainer per (destination, shard) sends each line's events in order.

A drain job (`apps.events.tasks.drain_deliveries`) works one (destination, shard) at a time:

1. It takes the shard's drainer lock (a session advisory lock; a second drainer leaves at once,
   since the holder will see everything the second one would have).
2. It reads a batch of ready deliveries in publishing order, skipping any line whose earlier
   delivery waits for a retry, and POSTs them concurrently across lines, one at a time within a
   line; a line stops at its first delivery that must be retried.
3. It records the batch in one transaction: the delivery rows, one `DeliveryAttempt` each and
   its audit entry.
4. When nothing is ready it finishes only if it can take the shard's publishing lock
   exclusively (no publisher that relied on a waiting job is still in flight) and still finds
   nothing; then it schedules a wake-up for the next retry due, releases the drainer lock and
   leaves. After its time budget it releases the shard and queues a follow-up job instead.

Crashes lose nothing: deliveries are recorded only after their POST, so a killed drainer's
batch is sent again by the next one and receivers drop the repeats by `webhook-id`.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import aiohttp
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Exists, Min, OuterRef, Q
from django.utils import timezone

from apps.audit.services import audit_bulk_created
from apps.events.clients.webhook import SendResult, encode_body, event_session, send_event
from apps.events.envelope import ENVELOPE_FIELDS, envelope
from apps.events.models import Delivery, DeliveryAttempt, Event
from apps.events.services import DRAINING, PUBLISHING, advisory_key, delivery_wake, delivery_wake_at
from apps.events.subscriptions import Subscription, subscription_named
from apps.identity.models import Organization
from hubkit.errors import Conflict

logger = logging.getLogger(__name__)

NO_SUBSCRIPTION = "no such subscription in settings"


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the receiver's Retry-After."""
    base = settings.EVENT_DELIVERY_BACKOFF_BASE_SECONDS
    cap = settings.EVENT_DELIVERY_BACKOFF_MAX_SECONDS
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


@dataclass(frozen=True, slots=True)
class ReadyDelivery:
    """A delivery due now, with the exact body it is sent with (read as values, not models)."""

    id: uuid.UUID
    attempts: int
    line: str
    destination: str
    organization_id: uuid.UUID
    event_id: uuid.UUID
    correlation_id: str
    body: bytes


@dataclass(frozen=True)
class Attempt:
    """The outcome of one POST of a delivery, before it is recorded."""

    delivery: ReadyDelivery
    result: SendResult
    started: datetime
    status: str  # the delivery's status after this attempt
    outcome: str  # DeliveryAttempt.Outcome
    retry_in_seconds: float | None

    @property
    def number(self) -> int:
        return self.delivery.attempts + 1


def attempt_outcome(
    delivery: ReadyDelivery, result: SendResult, *, started: datetime, final: bool
) -> Attempt:
    """Classifies an attempt: delivered, refused for good, dead after the last try, or retry later."""
    number = delivery.attempts + 1
    retry_in: float | None = None
    if result.delivered:
        outcome, status = DeliveryAttempt.Outcome.DELIVERED, Delivery.Status.DELIVERED
    elif final or not result.retryable:
        outcome, status = DeliveryAttempt.Outcome.REFUSED, Delivery.Status.FAILED
    elif number >= settings.EVENT_DELIVERY_MAX_ATTEMPTS:
        outcome, status = DeliveryAttempt.Outcome.RETRY, Delivery.Status.DEAD
    else:
        outcome, status = DeliveryAttempt.Outcome.RETRY, Delivery.Status.PENDING
        retry_in = backoff_seconds(number, result.retry_after_seconds)
    return Attempt(delivery, result, started, status, outcome, retry_in)


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
    if not _lock_drainer(destination, shard):
        report.busy = True
        return report
    finished = False
    try:
        finished = _drain_locked(destination, shard, report)
    finally:
        if not finished:  # finishing released the lock already
            _unlock_drainer(destination, shard)
    if report.follow_up:
        # Queued after the lock is released: the follow-up must find the shard free when it starts.
        with transaction.atomic():
            delivery_wake(destination=destination, shard=shard)
    return report


def _drain_locked(destination: str, shard: int, report: DrainReport) -> bool:
    """Drains until done (True, the drainer lock released) or out of time (False)."""
    deadline = time.monotonic() + settings.EVENT_DRAIN_SECONDS
    with _Sender(subscription_named(destination)) as sender:
        return _drain_batches(destination, shard, report, sender, deadline)


def _drain_batches(
    destination: str, shard: int, report: DrainReport, sender: _Sender, deadline: float
) -> bool:
    while True:
        batch = _ready_batch(destination, shard)
        if batch:
            for attempt in _record(sender.send(batch)):
                report.attempts += 1
                report.by_status[attempt.status] = report.by_status.get(attempt.status, 0) + 1
        else:
            finished, report.next_wake_at = _try_finish(destination, shard)
            if finished:
                return True
            if not _ready_exists(destination, shard):
                time.sleep(0.005)  # a publisher is about to commit
        if time.monotonic() > deadline:
            report.follow_up = True  # long enough: other jobs get this slot, a follow-up continues
            return False


def _lock_drainer(destination: str, shard: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", advisory_key(DRAINING, destination, shard))
        row = cursor.fetchone()
    return bool(row and row[0])


def _unlock_drainer(destination: str, shard: int) -> None:
    if connection.connection is None or connection.needs_rollback:
        return  # the session (and its lock) is gone, or Django will discard it
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", advisory_key(DRAINING, destination, shard))


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


_READ_FIELDS = (
    "id",
    "attempts",
    "line",
    "destination",
    "organization_id",
    *(f"event__{name}" for name in ENVELOPE_FIELDS),
)


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


def _try_finish(destination: str, shard: int) -> tuple[bool, datetime | None]:
    """Finish if no publisher is in flight and nothing is ready; schedule the next retry's wake-up."""
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", advisory_key(PUBLISHING, destination, shard)
            )
            row = cursor.fetchone()
        if not (row and row[0]) or _ready_exists(destination, shard):
            return False, None
        next_at: datetime | None = (
            Delivery.all_tenants.filter(destination=destination, shard=shard, status=Delivery.Status.PENDING)
            .aggregate(at=Min("next_attempt_at"))
            .get("at")
        )
        if next_at is not None:
            delivery_wake_at(destination=destination, shard=shard, at=next_at)
        # Released before the commit that lets publishers in again: a job they defer from now on
        # finds the shard free.
        _unlock_drainer(destination, shard)
    return True, next_at


class _Sender:
    """POSTs batches for one drain: one event loop and one keep-alive session for all its batches."""

    def __init__(self, subscription: Subscription | None) -> None:
        self.subscription = subscription
        self.runner = asyncio.Runner()
        self.session: aiohttp.ClientSession | None = None

    def __enter__(self) -> _Sender:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self.session is not None:
            self.runner.run(self.session.close())
        self.runner.close()

    def send(self, batch: list[ReadyDelivery]) -> list[Attempt]:
        """Lines side by side, each line in order, stopping at its first delivery to retry."""
        if self.subscription is None:
            now = timezone.now()
            result = SendResult(None, NO_SUBSCRIPTION, 0.0, None)
            return [attempt_outcome(d, result, started=now, final=True) for d in batch]
        lines: dict[str, list[ReadyDelivery]] = {}
        for delivery in batch:
            lines.setdefault(delivery.line, []).append(delivery)
        return self.runner.run(self._send_lines(list(lines.values()), self.subscription))

    async def _send_lines(
        self, lines: list[list[ReadyDelivery]], subscription: Subscription
    ) -> list[Attempt]:
        concurrency = settings.EVENT_DRAIN_CONCURRENCY
        if self.session is None:
            self.session = event_session(max_connections=concurrency)
        session = self.session
        slots = asyncio.Semaphore(concurrency)
        attempts: list[Attempt] = []

        async def send_line(line: list[ReadyDelivery]) -> None:
            for delivery in line:
                async with slots:
                    started = timezone.now()
                    result = await send_event(
                        session,
                        url=subscription.url,
                        event_id=str(delivery.event_id),
                        body=delivery.body,
                        secrets=subscription.secrets,
                        correlation_id=delivery.correlation_id,
                    )
                attempt = attempt_outcome(delivery, result, started=started, final=False)
                attempts.append(attempt)
                if attempt.status == Delivery.Status.PENDING:
                    return  # later events of this line wait for this one's retry

        await asyncio.gather(*(send_line(line) for line in lines))
        return attempts


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


def _record(attempts: list[Attempt]) -> list[Attempt]:
    """Records a batch in one transaction: delivery rows, attempt rows and their audit entries."""
    if not attempts:
        return []
    now = timezone.now()
    columns = (
        [a.delivery.id for a in attempts],
        [a.number for a in attempts],
        [a.status for a in attempts],
        [a.result.status_code for a in attempts],
        [a.result.error for a in attempts],
        [
            now + timedelta(seconds=a.retry_in_seconds) if a.retry_in_seconds is not None else None
            for a in attempts
        ],
        [now if a.status == Delivery.Status.DELIVERED else None for a in attempts],
        [a.started for a in attempts],
        [round(a.result.duration_ms, 2) for a in attempts],
        [a.outcome for a in attempts],
    )
    with transaction.atomic():
        with connection.cursor() as cursor:
            # The delivery row is the summary of its attempts; the attempt rows (audited below) are
            # the record, so this bookkeeping is not audited a second time.
            cursor.execute(_RECORD_SQL, list(columns))
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
        if a.status in {Delivery.Status.DEAD, Delivery.Status.FAILED}:
            logger.warning(
                "delivery %s of event %s to %s is %s after %d attempt(s): %s %s",
                a.delivery.id,
                a.delivery.event_id,
                a.delivery.destination,
                a.status,
                a.number,
                a.result.status_code,
                a.result.error[:200],
            )
    return kept


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


def event_redeliver(*, organization: Organization, event: Event, include_delivered: bool) -> list[Delivery]:
    """Send an event again: its failed and dead deliveries (or all), through their drains."""
    wanted = [Delivery.Status.FAILED, Delivery.Status.DEAD]
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
