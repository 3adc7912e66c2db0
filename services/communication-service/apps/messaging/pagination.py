"""Keyset pagination over (created_at, id), newest first; the cursor is opaque to callers."""

from __future__ import annotations

import base64
import binascii
import json
import uuid
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet

from apps.messaging.models import Message
from hubkit.errors import ValidationFailed


@dataclass(frozen=True)
class Page:
    items: list[Message]
    next_cursor: str | None


def paginate_messages(queryset: QuerySet[Message], *, cursor: str | None, limit: int) -> Page:
    queryset = queryset.order_by("-created_at", "-id")
    if cursor:
        created_at, message_id = _decode(cursor)
        queryset = queryset.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=message_id))
    rows = list(queryset[: limit + 1])
    items = rows[:limit]
    next_cursor = _encode(items[-1]) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


def _encode(last: Message) -> str:
    raw = json.dumps([last.created_at.isoformat(), str(last.id)])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        created_at, message_id = json.loads(raw)
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("naive cursor time")
        return moment, uuid.UUID(message_id)
    except (binascii.Error, ValueError, TypeError) as exc:
        raise ValidationFailed(
            "The cursor is not valid for this list.",
            errors=[{"field": "cursor", "message": "Invalid cursor."}],
        ) from exc
