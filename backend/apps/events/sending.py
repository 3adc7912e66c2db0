"""Sending a drain's batch: one aiohttp session per drain, lines side by side, each line in order.

Each POST becomes an `Attempt`, classified by `attempt_outcome` (delivered, refused for good,
dead after the last try, or retry after `backoff_seconds`); recording it is the drain's job.
"""

from __future__ import annotations

import asyncio
import random
import uuid
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus

import aiohttp
from django.conf import settings
from django.utils import timezone

from apps.events.clients.webhook import SendResult, event_session, send_event
from apps.events.models import Delivery, DeliveryAttempt
from apps.events.subscriptions import Subscription

NO_SUBSCRIPTION = "no such subscription in settings"


def backoff_seconds(attempt: int, retry_after: float | None = None) -> float:
    """Exponential backoff with equal jitter, never sooner than the receiver's Retry-After.

    Equal jitter: a delay drawn from [ceiling / 2, ceiling], so retries spread out while each
    still waits at least half its exponential step (full jitter, [0, ceiling], could retry at once).
    """
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
    """Classifies an attempt: delivered, refused for good (as too large, on 413), dead after the last
    try, or retry later."""
    number = delivery.attempts + 1
    retry_in: float | None = None
    if result.delivered:
        outcome, status = DeliveryAttempt.Outcome.DELIVERED, Delivery.Status.DELIVERED
    elif result.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE:
        # The same bytes will never fit: final, and told apart from the receiver's other refusals.
        outcome, status = DeliveryAttempt.Outcome.REFUSED, Delivery.Status.REFUSED_TOO_LARGE
    elif final or not result.retryable:
        outcome, status = DeliveryAttempt.Outcome.REFUSED, Delivery.Status.FAILED
    elif number >= settings.EVENT_DELIVERY_MAX_ATTEMPTS:
        outcome, status = DeliveryAttempt.Outcome.RETRY, Delivery.Status.DEAD
    else:
        outcome, status = DeliveryAttempt.Outcome.RETRY, Delivery.Status.PENDING
        retry_in = backoff_seconds(number, result.retry_after_seconds)
    return Attempt(delivery, result, started, status, outcome, retry_in)


class BatchSender:
    """POSTs batches for one drain: one event loop and one keep-alive session for all its batches."""

    def __init__(self, subscription: Subscription | None) -> None:
        self.subscription = subscription
        self.runner = asyncio.Runner()
        self.session: aiohttp.ClientSession | None = None

    def __enter__(self) -> BatchSender:
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
