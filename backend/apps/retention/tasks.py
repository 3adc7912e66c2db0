"""The daily purge of what each organization's retention settings let go."""

import logging

from procrastinate.contrib.django import app

from apps.retention.services import retention_purge_all

logger = logging.getLogger(__name__)


@app.periodic(cron="41 3 * * *", periodic_id="retention-purge")
@app.task(queue="maintenance", queueing_lock="retention.purge", name="retention.purge")
def purge_expired(timestamp: int) -> None:
    purged = retention_purge_all()
    if purged.total:
        logger.info("retention purge removed %s", purged.counts)
