"""Draining the outbox: one drainer at a time, oldest event first, each attempt recorded.

Events go out in the order they were written (`id`). The head event waiting for a retry holds
the ones behind it back (the receiver never sees an invitation's resend before the first mail);
an event that failed for good or died no longer does. Answers: 2xx delivered; network errors,
timeouts, 5xx, 408, 409 and 429 retried with exponential backoff and equal jitter (never sooner
than a `Retry-After`); any other 4xx failed for good; after EVENT_DELIVERY_MAX_ATTEMPTS, dead.
"""

import json
import logging
import random
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.outbox.models import OutboxAttempt, OutboxEvent
from apps.signing.encryption import decrypt
from hubkit.request_id import HEADER as REQUEST_ID_HEADER
from hubkit.webhooks import retry_after_seconds, sign_headers

logger = logging.getLogger(__name__)

USER_AGENT = "hub-identity-events/1"
_RETRYABLE_4XX = {408, 409, 429}
# A PostgreSQL advisory lock key: the one drainer of this database's outbox.
DRAINER_LOCK = 0x1D0E0001


@dataclass(frozen=True)
class Outcome:
    status_code: int | None
    error: str
    duration_ms: float
    retry_after_seconds: float | None = None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        return self.status_code is None or self.status_code >= 500 or self.status_code in _RETRYABLE_4XX


@dataclass
class DrainReport:
    by_status: dict[str, int] = field(default_factory=dict)
    next_attempt_at: datetime | None = None

    @property
    def attempts(self) -> int:
        return sum(self.by_status.values())


def envelope(event: OutboxEvent) -> dict[str, Any]:
    """The body the receiver gets: hubkit's envelope, `data` with its secret values put back."""
    data = dict(event.data)
    if event.secret_data_encrypted:
        data |= json.loads(decrypt(event.secret_data_encrypted))
    return {
        "id": str(event.event_id),
        "type": event.type,
        "version": 1,
        "occurred_at": event.occurred_at.isoformat().replace("+00:00", "Z"),
        "organization_id": str(event.organization_id),
        "actor": {"type": event.actor_type, "id": event.actor_id},
        "subject": {"type": event.subject_type, "id": event.subject_id},
        "data": data,
        "correlation_id": event.correlation_id or None,
    }


def encode_body(body: dict[str, Any]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def send(event: OutboxEvent, *, client: httpx.Client) -> Outcome:
    """POSTs one event, signed with every current secret; never raises for a failed delivery."""
    body = encode_body(envelope(event))
    headers = sign_headers(msg_id=str(event.event_id), body=body, secrets=settings.EVENT_SIGNING_SECRETS)
    headers |= {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    if event.correlation_id:
        headers[REQUEST_ID_HEADER] = event.correlation_id
    started = time.perf_counter()
    try:
        response = client.post(settings.EVENT_WEBHOOK_URL, content=body, headers=headers)
    except httpx.HTTPError as exc:
        # The exception names the URL, never the body: no secret reaches the log or the row.
        return Outcome(None, f"{type(exc).__name__}: {exc}"[:500], (time.perf_counter() - started) * 1000)
    duration = (time.perf_counter() - started) * 1000
    error = "" if response.is_success else f"HTTP {response.status_code}: {response.text[:500]}"
    retry_after = (
        retry_after_seconds(response.headers.get("Retry-After"))
        if response.status_code in (429, 503)
        else None
    )
    return Outcome(response.status_code, error, duration, retry_after)


def backoff_seconds(attempts: int) -> float:
    """Exponential with equal jitter: half fixed, half random, capped."""
    ceiling = float(
        min(
            settings.EVENT_DELIVERY_BACKOFF_MAX_SECONDS,
            settings.EVENT_DELIVERY_BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1),
        )
    )
    return ceiling / 2 + random.uniform(0, ceiling / 2)  # noqa: S311 - jitter, not a secret


def _record(event: OutboxEvent, outcome: Outcome, now: datetime) -> None:
    OutboxAttempt.objects.create(
        event=event,
        attempted_at=now,
        status_code=outcome.status_code,
        error=outcome.error,
        duration_ms=outcome.duration_ms,
    )
    event.attempts += 1
    event.last_status_code = outcome.status_code
    event.last_error = outcome.error
    if outcome.delivered:
        event.status = OutboxEvent.Status.DELIVERED
        event.delivered_at = now
        event.next_attempt_at = None
    elif not outcome.retryable:
        event.status = OutboxEvent.Status.FAILED
        event.next_attempt_at = None
    elif event.attempts >= settings.EVENT_DELIVERY_MAX_ATTEMPTS:
        event.status = OutboxEvent.Status.DEAD
        event.next_attempt_at = None
    else:
        wait = max(backoff_seconds(event.attempts), outcome.retry_after_seconds or 0.0)
        event.next_attempt_at = now + timedelta(seconds=wait)
    if event.status != OutboxEvent.Status.PENDING:
        event.secret_data_encrypted = ""  # delivered or given up on: the secret has no more use
    event.save()


def _drainer_lock() -> None:
    """Waits for, then holds, this session's drainer lock (released in `_drainer_unlock`)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [DRAINER_LOCK])


def _drainer_unlock() -> None:
    if connection.connection is None or connection.needs_rollback:
        return  # the session (and its lock) is gone, or Django will discard it
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s)", [DRAINER_LOCK])


def outbox_drain(*, limit: int = 200) -> DrainReport:
    """Delivers ready events in order until none is ready (or `limit` attempts were made).

    Returns when the head event waits for its retry (`next_attempt_at` of the report), so the
    caller can schedule a wake-up then.
    """
    report = DrainReport()
    _drainer_lock()
    try:
        with httpx.Client(timeout=settings.EVENT_DELIVERY_TIMEOUT_SECONDS, follow_redirects=False) as client:
            while report.attempts < limit:
                event = OutboxEvent.objects.filter(status=OutboxEvent.Status.PENDING).order_by("id").first()
                if event is None:
                    break
                now = timezone.now()
                if event.next_attempt_at is not None and event.next_attempt_at > now:
                    report.next_attempt_at = event.next_attempt_at
                    break
                outcome = send(event, client=client)
                with transaction.atomic():
                    _record(event, outcome, timezone.now())
                # The plain value: `_record` assigns the enum member, whose repr would reach the logs.
                status = OutboxEvent.Status(event.status).value
                report.by_status[status] = report.by_status.get(status, 0) + 1
                # A delivery is routine (DEBUG); one left for a retry or given up on is worth a line.
                log = logger.debug if status == OutboxEvent.Status.DELIVERED else logger.warning
                log(
                    "event %s %s: attempt %d %s (%s)",
                    event.type,
                    event.event_id,
                    event.attempts,
                    status,
                    outcome.status_code or outcome.error[:80],
                )
    finally:
        _drainer_unlock()
    return report
