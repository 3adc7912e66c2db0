"""Procrastinate jobs of the outbox: drain jobs per (destination, shard); the periodic sweep."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import sync_to_async
from django.conf import settings
from procrastinate import RetryDecision
from procrastinate.contrib.django import app
from procrastinate.exceptions import UniqueViolation
from procrastinate.jobs import Job, Status
from procrastinate.retry import BaseRetryStrategy

from apps.events.delivery import delivery_sweep, drain
from apps.events.wakeups import DRAIN_TASK

logger = logging.getLogger(__name__)

QUEUE = "events"


class DrainRetry(BaseRetryStrategy):
    """A drain that failed (database unreachable, a bug) is tried again, backing off up to a minute.

    Deliveries themselves are retried by the drain, per their own backoff; this only keeps the
    shard from going idle.
    """

    def get_retry_decision(self, *, exception: BaseException, job: Job) -> RetryDecision | None:
        return RetryDecision(retry_in={"seconds": min(60, 2 ** min(job.attempts, 6))})


@app.task(queue=QUEUE, retry=DrainRetry(), name=DRAIN_TASK)
def drain_deliveries(destination: str, shard: int) -> None:
    report = drain(destination=destination, shard=shard)
    if report.attempts:
        # Every delivery arrived: routine (counted in hub_event_delivery_attempts_total), DEBUG.
        # Anything left for a retry is worth a line; given-up deliveries were logged louder already.
        routine = set(report.by_status) == {"delivered"}
        logger.log(
            logging.DEBUG if routine else logging.INFO,
            "drained %s/%s: %d attempt(s) %s%s",
            destination,
            shard,
            report.attempts,
            " ".join(f"{status}={count}" for status, count in sorted(report.by_status.items())),
            " (continued by a follow-up job)" if report.follow_up else "",
        )


@app.periodic(cron=settings.EVENT_STALLED_SWEEP_CRON, periodic_id="retry-stalled")
@app.task(queue=QUEUE, queueing_lock="events.retry_stalled", pass_context=True, name="events.retry_stalled")
async def retry_stalled_jobs(context: Any, timestamp: int) -> None:
    """Put back the jobs of workers that died mid-job (no heartbeat); wake drains left idle."""
    await retry_stalled(context.app)
    woken = await sync_to_async(delivery_sweep)(older_than_seconds=settings.EVENT_SWEEP_WAITING_SECONDS)
    if woken:
        logger.warning("woke the drain of %d shard(s) with deliveries left waiting", woken)


async def retry_stalled(app_: Any) -> int:
    stalled = await app_.job_manager.get_stalled_jobs(
        seconds_since_heartbeat=settings.EVENT_STALLED_WORKER_SECONDS
    )
    count = 0
    for job in stalled:
        try:
            await app_.job_manager.retry_job(job)
        except UniqueViolation:
            # A drain of the same shard is already waiting (queueing lock) and will do this
            # job's work: the stalled one is closed instead.
            await app_.job_manager.finish_job(job, status=Status.FAILED, delete_job=False)
        count += 1
    if count:
        logger.warning("retried %d stalled job(s)", count)
    return count
