"""Delivering one event to one subscriber: one attempt at a time, every attempt on record."""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from datetime import timedelta

from auditlog.context import disable_auditlog
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.events.clients.webhook import SendResult, encode_body, send_event
from apps.events.envelope import event_envelope
from apps.events.models import Delivery, DeliveryAttempt, Event
from apps.events.subscriptions import subscription_named
from apps.identity.models import Organization
from hubkit.errors import Conflict
from hubkit.request_id import get_request_id, set_request_id

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class AttemptOutcome:
    status: str
    retry_in_seconds: float | None  # set when the job must be retried


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with full jitter, never sooner than the receiver's Retry-After."""
    base = settings.EVENT_DELIVERY_BACKOFF_BASE_SECONDS
    cap = settings.EVENT_DELIVERY_BACKOFF_MAX_SECONDS
    ceiling = min(cap, base * (2 ** max(attempt - 1, 0)))
    delay = random.uniform(ceiling / 2, ceiling)  # noqa: S311 - jitter, not cryptography
    if retry_after is not None:
        delay = max(delay, min(retry_after, cap))
    return delay


def delivery_attempt(*, delivery_id: str) -> AttemptOutcome:
    """Make the next attempt of a delivery; safe to call again for a finished one (no-op)."""
    delivery = Delivery.all_tenants.select_related("event").get(pk=delivery_id)
    if delivery.status != Delivery.Status.PENDING:
        return AttemptOutcome(status=delivery.status, retry_in_seconds=None)
    event: Event = delivery.event
    subscription = subscription_named(delivery.destination)
    previous_request_id = get_request_id()
    set_request_id(event.correlation_id or None)  # logs, audit cid and the outgoing header
    try:
        if subscription is None:
            result = SendResult(None, "no such subscription in settings", 0.0, None)
            return _record(delivery, result, started=timezone.now(), final=True)
        started = timezone.now()
        result = send_event(
            url=subscription.url,
            event_id=str(event.id),
            body=encode_body(event_envelope(event)),
            secrets=subscription.secrets,
            correlation_id=event.correlation_id,
        )
        return _record(delivery, result, started=started, final=False)
    finally:
        set_request_id(previous_request_id)


def _record(delivery: Delivery, result: SendResult, *, started: object, final: bool) -> AttemptOutcome:
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
    now = timezone.now()
    with transaction.atomic():
        # Re-read under lock: a redelivery may have reset this row meanwhile.
        locked = Delivery.all_tenants.select_for_update().get(pk=delivery.pk)
        DeliveryAttempt.objects.for_organization(locked.organization).create(
            delivery=locked,
            number=number,
            started_at=started,
            duration_ms=round(result.duration_ms, 2),
            status_code=result.status_code,
            error=result.error,
            outcome=outcome,
        )
        # The attempt row (audited above) is the record of this state change; the delivery row
        # is its summary, updated without a second audit entry. People's actions on it
        # (redelivery) are audited.
        locked.attempts = number
        locked.status = status
        locked.last_status_code = result.status_code
        locked.last_error = result.error
        locked.next_attempt_at = now + timedelta(seconds=retry_in) if retry_in is not None else None
        if status == Delivery.Status.DELIVERED:
            locked.delivered_at = now
        with disable_auditlog():
            locked.save()
    if status in {Delivery.Status.DEAD, Delivery.Status.FAILED}:
        logger.warning(
            "delivery %s of event %s to %s is %s after %d attempt(s): %s %s",
            delivery.pk, delivery.event_id, delivery.destination, status, number,
            result.status_code, result.error[:200],
        )  # fmt: skip
    return AttemptOutcome(status=status, retry_in_seconds=retry_in)


def event_redeliver(*, organization: Organization, event: Event, include_delivered: bool) -> list[Delivery]:
    """Send an event again: its failed and dead deliveries (or all), each as a fresh job."""
    from apps.events.services import delivery_schedule  # noqa: PLC0415 - avoids an import cycle

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
            delivery_schedule(delivery=delivery)
            redelivered.append(delivery)
    return redelivered
