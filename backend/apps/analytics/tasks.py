"""Analytics' periodic job: the rollups take in what changed since their last run."""

import logging

from procrastinate.contrib.django import app

from apps.analytics.services import rollups_refresh_all

logger = logging.getLogger(__name__)


@app.periodic(cron="*/10 * * * *", periodic_id="analytics-rollups")
@app.task(queue="maintenance", queueing_lock="analytics.rollups", name="analytics.rollups")
def refresh_rollups(timestamp: int) -> None:
    # Reads are exact without it (changed days are read live); it keeps the live part small.
    days = rollups_refresh_all()
    if days:
        logger.info("recomputed %d day(s) of analytics rollups", days)
