"""Idempotency-Key handling (IETF httpapi draft), one record per (organization, caller, key).

`idempotency_begin` claims the key in its own committed row before the request runs, so a
concurrent request with the same key sees it; `idempotency_complete` stores the final outcome
(status, content type, body; the edge builds the HTTP answers from it),
`idempotency_abandon` frees the key when the request failed on our side (5xx) so it can be retried.
"""

from __future__ import annotations

import hashlib
import re
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.idempotency.exceptions import (
    IdempotencyKeyInUse,
    IdempotencyKeyInvalid,
    IdempotencyKeyReused,
)
from apps.idempotency.models import IdempotencyRecord

_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # visible ASCII, as the draft's sf-string allows


@dataclass(frozen=True)
class Claimed:
    record_id: uuid.UUID


@dataclass(frozen=True)
class StoredOutcome:
    """The final answer to a request that claimed a key, as replayed to the same key and body."""

    status: int
    content_type: str
    body: bytes


def request_fingerprint(*, method: str, path: str, body: bytes) -> str:
    return hashlib.sha256(b"\n".join([method.encode(), path.encode(), body])).hexdigest()


def idempotency_begin(
    *, organization_id: uuid.UUID, caller: str, key: str, fingerprint: str
) -> Claimed | StoredOutcome:
    """Claim the key for this request, or the stored outcome of its first use."""
    key = key.strip().strip('"')  # the draft sends it as a structured-field string
    if not _KEY.match(key):
        raise IdempotencyKeyInvalid("Idempotency-Key must be 1 to 255 visible ASCII characters.")
    now = timezone.now()
    fields = {"organization_id": organization_id, "caller": caller, "key": key}
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                **fields,
                fingerprint=fingerprint,
                created_at=now,
                expires_at=now + timedelta(seconds=settings.IDEMPOTENCY_RETENTION_SECONDS),
            )
        return Claimed(record_id=record.id)
    except IntegrityError:
        pass
    with transaction.atomic():
        record = IdempotencyRecord.objects.select_for_update().get(**fields)
        if record.fingerprint != fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was used with a different request.")
        if record.state == IdempotencyRecord.State.COMPLETED:
            return StoredOutcome(
                status=record.response_status or 200,
                content_type=record.response_content_type or "application/json",
                body=bytes(record.response_body),
            )
        stale = record.created_at < now - timedelta(seconds=settings.IDEMPOTENCY_IN_PROGRESS_SECONDS)
        if not stale:
            raise IdempotencyKeyInUse(
                "A request with this Idempotency-Key is still being processed.",
                headers={"Retry-After": "1"},
            )
        # The first attempt died mid-way (its process is gone): this one takes the key over.
        record.created_at = now
        record.save(update_fields=["created_at"])
        return Claimed(record_id=record.id)


def idempotency_complete(*, record_id: uuid.UUID, outcome: StoredOutcome) -> None:
    IdempotencyRecord.objects.filter(pk=record_id).update(
        state=IdempotencyRecord.State.COMPLETED,
        response_status=outcome.status,
        response_content_type=outcome.content_type,
        response_body=outcome.body,
    )


def idempotency_abandon(*, record_id: uuid.UUID) -> None:
    IdempotencyRecord.objects.filter(pk=record_id, state=IdempotencyRecord.State.IN_PROGRESS).delete()


def idempotency_purge_expired() -> int:
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lt=timezone.now()).delete()
    return deleted
