"""HTTP edge: the signed event receiver and the read API over recorded messages."""

import uuid
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import P, PathEx, Query, Router

from apps.messaging.auth import MessageReader
from apps.messaging.envelope import outgoing_for
from apps.messaging.models import Message
from apps.messaging.schemas import EventReceiptOut, MessageFilter, MessageOut
from apps.messaging.selectors import message_get, message_list
from apps.messaging.services import event_receive
from hubkit import events
from hubkit.event_types import publishing_service
from hubkit.openapi import problem_responses, webhook_receiver
from hubkit.pagination import KeysetPagination, paginate
from hubkit.webhooks import verify_webhook

events_router = Router(tags=["events"])
messages_router = Router(tags=["messages"])

EVENT_BODY = (
    "The hub's event envelope `{id, type, version: 1, occurred_at, organization_id, actor, subject, "
    "data, correlation_id}`; `data` is read for `booking.*`, `notification.requested` (from the backend), "
    "`invitation.mail_requested` and `security.notice_requested` (from identity-service); other types "
    "are recorded and ignored. Each type must be signed by the service that publishes it."
)

PUBLISHER_SECRETS = {"backend": "WEBHOOK_SECRETS", "identity-service": "IDENTITY_WEBHOOK_SECRETS"}


def _publisher_secrets(publisher: str) -> list[str]:
    """The secrets of `publisher`, the service the hub's registry names as a type's publisher."""
    return list(getattr(settings, PUBLISHER_SECRETS[publisher]))


@events_router.post(
    "",
    response={200: EventReceiptOut, **problem_responses(400, 401, 503)},
    auth=None,
    operation_id="receive_event",
    summary="Receive a signed event",
    openapi_extra=webhook_receiver(body_description=EVENT_BODY),
)
def receive_event(request: HttpRequest) -> dict[str, str]:
    """A Standard Webhooks delivery from the backend or identity-service; the signature is checked
    before anything else, and again against the secrets of the type's publisher (a type another
    service publishes is 401 `invalid_signature`).

    401 `invalid_signature`, 400 `malformed_json`, 413 `payload_too_large`, 422 `invalid_event`,
    503 `send_unavailable` (with `Retry-After`) when a provider failed transiently and nothing was
    recorded.
    """
    envelope = events.receive_event(
        request, secrets=[*settings.WEBHOOK_SECRETS, *settings.IDENTITY_WEBHOOK_SECRETS]
    )
    publisher = publishing_service(envelope.type)
    verify_webhook(body=request.body, headers=request.headers, secrets=_publisher_secrets(publisher))
    events.note_sender(request, publisher, envelope)
    outgoing = outgoing_for(envelope)
    # Every receipt is recorded (and deduplicated), also of types this service sends nothing for.
    receipt = event_receive(envelope=envelope, outgoing=outgoing or [])
    events.record_receipt(envelope.type, receipt)
    if outgoing is None and receipt == "accepted":
        return {"status": "ignored"}
    return {"status": receipt}


@messages_router.get(
    "", response=list[MessageOut], operation_id="list_messages", summary="Messages, newest first"
)
@paginate(KeysetPagination, keys=("created_at", "id"), descending=True)
def list_messages(request: HttpRequest, filters: Query[MessageFilter]) -> QuerySet[Message]:
    reader: MessageReader = request.auth  # type: ignore[attr-defined]
    return message_list(
        reader=reader,
        organization_id=filters.organization_id,
        event_id=filters.event_id,
        channel=filters.channel,
        status=filters.status,
    )


@messages_router.get("/{message_id}", response=MessageOut, operation_id="get_message", summary="One message")
def get_message(
    request: HttpRequest, message_id: PathEx[uuid.UUID, P(description="The message's id.")]
) -> Any:
    reader: MessageReader = request.auth  # type: ignore[attr-defined]
    return message_get(reader=reader, message_id=message_id)
