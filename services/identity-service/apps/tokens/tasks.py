"""Procrastinate jobs of the tokens app (worker: `manage.py procrastinate worker`)."""

import logging

from django.conf import settings
from procrastinate.contrib.django import app

from apps.tokens.services import revoked_tokens_purge

logger = logging.getLogger(__name__)

QUEUE = "maintenance"
PURGE_TASK = "tokens.purge_revoked"


@app.periodic(cron=settings.TOKEN_PURGE_CRON, periodic_id="revoked-tokens-purge")
@app.task(queue=QUEUE, queueing_lock=PURGE_TASK, name=PURGE_TASK)
def purge_revoked_tokens(timestamp: int) -> None:
    """Drops the revoked access-token ids whose tokens have expired anyway, so the table stays small."""
    deleted = revoked_tokens_purge()
    if deleted:
        logger.info("tokens: purged %d expired revoked access-token id(s)", deleted)
