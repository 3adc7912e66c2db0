"""Procrastinate jobs of the outbox: one delivery job per (event, subscriber); a stalled-job sweep."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from procrastinate import RetryDecision
from procrastinate.contrib.django import app
from procrastinate.jobs import Job
from procrastinate.retry import BaseRetryStrategy

from apps.events.delivery import delivery_attempt

logger = logging.getLogger(__name__)

QUEUE = "events"


class RetryDelivery(Exception):
    def __init__(self, seconds: float) -> None:
        super().__init__(f"retry in {seconds:.1f}s")
        self.seconds = seconds


class DeliveryRetry(BaseRetryStrategy):
    """Retry exactly when the delivery said so, after the delay it computed (backoff, Retry-After).

    The job keeps its lock while it waits, so later events of the same subject wait too.
    """

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        if isinstance(exception, RetryDelivery):
            return RetryDecision(retry_in={"seconds": max(1, round(exception.seconds))})
        return None


@app.task(queue=QUEUE, retry=DeliveryRetry(), name="events.deliver")
def deliver_event(delivery_id: str) -> None:
    outcome = delivery_attempt(delivery_id=delivery_id)
    if outcome.retry_in_seconds is not None:
        raise RetryDelivery(outcome.retry_in_seconds)


@app.periodic(cron=settings.EVENT_STALLED_SWEEP_CRON, periodic_id="retry-stalled")
@app.task(queue=QUEUE, queueing_lock="events.retry_stalled", pass_context=True, name="events.retry_stalled")
async def retry_stalled_jobs(context: Any, timestamp: int) -> None:
    """Put back the jobs of workers that died mid-job (no heartbeat); receivers dedupe repeats."""
    await retry_stalled(context.app)


async def retry_stalled(app_: Any) -> int:
    stalled = await app_.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.EVENT_STALLED_WORKER_SECONDS
    )
    count = 0
    for job in stalled:
        await app_.job_manager.retry_job(job)
        count += 1
    if count:
        logger.warning("retried %d stalled job(s)", count)
    return count
