"""HTTP edge: the signed event receiver and the read API over recorded messages."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router

from apps.messaging.auth import MessageReader
from apps.messaging.envelope import outgoing_for
from apps.messaging.pagination import paginate_messages
from apps.messaging.schemas import EventReceiptOut, MessageFilter, MessageListOut, MessageOut
from apps.messaging.selectors import message_get, message_list
from apps.messaging.services import event_receive
from hubkit import events

events_router = Router(tags=["events"])
messages_router = Router(tags=["messages"])


@events_router.post("", response=EventReceiptOut, auth=None)
def receive_event(request: HttpRequest) -> dict[str, str]:
    """A Standard Webhooks delivery from the backend; the signature is checked before anything else."""
    envelope = events.receive_event(request, secrets=settings.WEBHOOK_SECRETS)
    outgoing = outgoing_for(envelope)
    # Every receipt is recorded (and deduplicated), also of types this service sends nothing for.
    receipt = event_receive(envelope=envelope, outgoing=outgoing or [])
    if outgoing is None and receipt == "accepted":
        return {"status": "ignored"}
    return {"status": receipt}


@messages_router.get("", response=MessageListOut)
def list_messages(request: HttpRequest, filters: Query[MessageFilter]) -> dict[str, Any]:
    reader: MessageReader = request.auth  # type: ignore[attr-defined]
    messages = message_list(
        reader=reader,
        organization_id=filters.organization_id,
        event_id=filters.event_id,
        channel=filters.channel,
        status=filters.status,
    )
    page = paginate_messages(messages, cursor=filters.cursor, limit=filters.limit)
    return {"items": page.items, "next_cursor": page.next_cursor}


@messages_router.get("/{message_id}", response=MessageOut)
def get_message(request: HttpRequest, message_id: uuid.UUID) -> Any:
    reader: MessageReader = request.auth  # type: ignore[attr-defined]
    return message_get(reader=reader, message_id=message_id)
