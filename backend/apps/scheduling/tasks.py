"""Scheduling's periodic jobs: reminders coming due, and the tidy-up of expired holds."""

import logging

from procrastinate.contrib.django import app

from apps.scheduling.services.jobs import booking_expire_holds, booking_remind_due

logger = logging.getLogger(__name__)


@app.periodic(cron="* * * * *", periodic_id="booking-reminders")
@app.task(queue="maintenance", queueing_lock="scheduling.reminders", name="scheduling.reminders")
def send_booking_reminders(timestamp: int) -> None:
    sent = booking_remind_due()
    if sent:
        logger.info("published %d booking reminder(s)", sent)


@app.periodic(cron="* * * * *", periodic_id="expire-holds")
@app.task(queue="maintenance", queueing_lock="scheduling.expire_holds", name="scheduling.expire_holds")
def expire_holds(timestamp: int) -> None:
    # Expired holds block nothing already (reads and writes skip them); this only tidies their status.
    expired = booking_expire_holds()
    if expired:
        logger.info("cancelled %d expired hold(s)", expired)
