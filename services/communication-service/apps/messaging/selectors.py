"""Reads of recorded messages, always scoped to what the reader may see."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.messaging.auth import MessageReader
from apps.messaging.exceptions import MessageNotFound
from apps.messaging.models import Message


def message_list(
    *,
    reader: MessageReader,
    organization_id: uuid.UUID | None = None,
    event_id: uuid.UUID | None = None,
    channel: str | None = None,
    status: str | None = None,
) -> QuerySet[Message]:
    messages = _visible(reader)
    if organization_id is not None:
        messages = messages.filter(organization_id=organization_id)
    if event_id is not None:
        messages = messages.filter(event_id=event_id)
    if channel is not None:
        messages = messages.filter(channel=channel)
    if status is not None:
        messages = messages.filter(status=status)
    return messages


def message_get(*, reader: MessageReader, message_id: uuid.UUID) -> Message:
    try:
        return _visible(reader).get(id=message_id)
    except Message.DoesNotExist as exc:  # another organization's message answers the same
        raise MessageNotFound("No such message.") from exc


def _visible(reader: MessageReader) -> QuerySet[Message]:
    if reader.organization_id is None:
        return Message.objects.all()
    return Message.objects.filter(organization_id=reader.organization_id)
