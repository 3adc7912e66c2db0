"""Keys are kept IDEMPOTENCY_RETENTION_SECONDS (at least 24 h, as the API promises); then purged hourly."""

from procrastinate.contrib.django import app

from apps.idempotency.services import idempotency_purge_expired


@app.periodic(cron="17 * * * *", periodic_id="purge-idempotency-keys")
@app.task(queue="maintenance", queueing_lock="idempotency.purge", name="idempotency.purge")
def purge_idempotency_keys(timestamp: int) -> None:
    idempotency_purge_expired()
