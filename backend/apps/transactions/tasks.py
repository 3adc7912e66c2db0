"""Transactions' periodic job: invoices becoming overdue."""

import logging

from procrastinate.contrib.django import app

from apps.transactions.services.jobs import invoice_flag_overdue

logger = logging.getLogger(__name__)


@app.periodic(cron="*/15 * * * *", periodic_id="invoices-overdue")
@app.task(queue="maintenance", queueing_lock="transactions.overdue", name="transactions.overdue")
def flag_overdue_invoices(timestamp: int) -> None:
    flagged = invoice_flag_overdue()
    if flagged:
        logger.info("published invoice.overdue for %d invoice(s)", flagged)
