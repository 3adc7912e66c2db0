"""Procrastinate jobs of the outbox (worker: `manage.py procrastinate worker`)."""

import logging

from django.conf import settings
from procrastinate import RetryStrategy
from procrastinate.contrib.django import app

from apps.outbox.delivery import outbox_drain
from apps.outbox.models import OutboxEvent
from apps.outbox.services import DELIVER_TASK, QUEUE, outbox_wake

logger = logging.getLogger(__name__)


@app.task(queue=QUEUE, name=DELIVER_TASK, retry=RetryStrategy(max_attempts=5, exponential_wait=2))
def deliver_events() -> None:
    """Drains the outbox; when the head event waits for a retry, a job is deferred for then."""
    report = outbox_drain()
    if report.attempts:
        # As the backend's drains: every event arrived is routine (DEBUG), anything else INFO.
        routine = set(report.by_status) == {OutboxEvent.Status.DELIVERED.value}
        logger.log(
            logging.DEBUG if routine else logging.INFO,
            "outbox: %d attempt(s) %s",
            report.attempts,
            " ".join(f"{status}={count}" for status, count in sorted(report.by_status.items())),
        )
    if report.next_attempt_at is not None:
        outbox_wake(at=report.next_attempt_at)


@app.periodic(cron=settings.EVENT_SWEEP_CRON, periodic_id="outbox-sweep")
@app.task(queue=QUEUE, queueing_lock="outbox.sweep", name="outbox.sweep")
def sweep_outbox(timestamp: int) -> None:
    """The safety net: drains what a lost job (a worker killed mid-drain) left waiting."""
    deliver_events()
