"""Receiving an event: dedupe by event id, render, send, record — one transaction per delivery."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Literal

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from prometheus_client import Counter

from apps.messaging.clients import PermanentSendError, TransientSendError
from apps.messaging.clients.email import send_email
from apps.messaging.clients.sms import get_sms_provider
from apps.messaging.exceptions import SendUnavailable
from apps.messaging.models import Channel, Message, MessageStatus, ReceivedEvent
from apps.messaging.rendering import Outgoing
from apps.messaging.retention import retention_purge_if_due
from hubkit.events import CONTACT_ERASED, EventEnvelope, event_contact_id

logger = logging.getLogger(__name__)

MESSAGES = Counter("hub_communication_messages_total", "Messages recorded.", ["channel", "status"])

Receipt = Literal["accepted", "duplicate"]


@dataclass(frozen=True)
class Delivery:
    """The result of one provider call, as recorded on the message."""

    status: str
    provider_message_id: str = ""
    error: str = ""


def event_receive(*, envelope: EventEnvelope, outgoing: list[Outgoing]) -> Receipt:
    """Process one delivery exactly once.

    The dedupe key (`webhook_id`) is the event id as a canonical UUID string: the receiver
    checked that the `webhook-id` header names the same UUID, however it was spelled.

    The ReceivedEvent insert comes first: a concurrent delivery of the same id blocks on the
    unique index until this transaction ends, then sees IntegrityError (we committed) or
    proceeds (we rolled back). A transient send failure raises SendUnavailable, rolling back
    everything, so the sender's retry is processed afresh. Messages already handed to a
    provider before that failure may then be sent twice (at-least-once across channels).
    """
    with transaction.atomic():
        try:
            with transaction.atomic():
                event = ReceivedEvent.objects.create(
                    webhook_id=str(envelope.id),
                    event_id=envelope.id,
                    event_type=envelope.type,
                    organization_id=envelope.organization_id,
                    correlation_id=envelope.correlation_id or "",
                    occurred_at=envelope.occurred_at,
                )
        except IntegrityError:
            logger.info("event %s already processed", envelope.id)
            return "duplicate"
        contact_id = event_contact_id(envelope)
        if envelope.type == CONTACT_ERASED and contact_id is not None:
            _contact_messages_blank(organization_id=envelope.organization_id, contact_id=contact_id)
        messages = [_message_send(event=event, outgoing=item, contact_id=contact_id) for item in outgoing]
        transaction.on_commit(lambda: _count(messages))
    logger.info(
        "event %s %s: %s",
        envelope.type,
        envelope.id,
        ", ".join(f"{m.channel} {m.status}" for m in messages) or "no messages",
    )
    retention_purge_if_due()
    return "accepted"


def _contact_messages_blank(*, organization_id: uuid.UUID, contact_id: uuid.UUID) -> None:
    """One UPDATE: '' is stored as '' in the encrypted columns (emptiness is no secret)."""
    blanked = (
        Message.objects.filter(organization_id=organization_id, contact_id=contact_id)
        .exclude(recipient="", recipient_name="", subject="", body="", error="")
        .update(recipient="", recipient_name="", subject="", body="", error="")
    )
    logger.info("contact %s erased: %d message(s) blanked", contact_id, blanked)


def _message_send(*, event: ReceivedEvent, outgoing: Outgoing, contact_id: uuid.UUID | None) -> Message:
    if outgoing.skip_reason:
        delivery = Delivery(status=MessageStatus.SKIPPED)
    else:
        delivery = _deliver(event=event, outgoing=outgoing)
    return Message.objects.create(
        organization_id=event.organization_id,
        received_event=event,
        event_id=event.event_id,
        event_type=event.event_type,
        channel=outgoing.channel,
        contact_id=contact_id,
        recipient=outgoing.recipient,
        recipient_name=outgoing.recipient_name,
        subject=outgoing.subject,
        body=outgoing.recorded_body,
        status=delivery.status,
        reason=outgoing.skip_reason,
        provider_message_id=delivery.provider_message_id,
        error=delivery.error,
        sent_at=timezone.now() if delivery.status == MessageStatus.SENT else None,
    )


def _deliver(*, event: ReceivedEvent, outgoing: Outgoing) -> Delivery:
    try:
        if outgoing.channel == Channel.EMAIL:
            provider_id = send_email(
                to=outgoing.recipient,
                to_name=outgoing.recipient_name,
                subject=outgoing.subject,
                text=outgoing.text,
                html=outgoing.html,
                from_name=outgoing.from_name,
                headers=_email_headers(event),
            )
        else:
            provider_id = get_sms_provider().send(to=outgoing.recipient, body=outgoing.text)
    except TransientSendError as exc:
        logger.warning(
            "%s to recipient of event %s failed transiently: %s", outgoing.channel, event.event_id, exc
        )
        raise SendUnavailable(
            f"The {outgoing.channel} provider is unavailable; retry the delivery.",
            headers={"Retry-After": str(settings.SEND_RETRY_AFTER_SECONDS)},
        ) from exc
    except PermanentSendError as exc:
        logger.warning("%s for event %s rejected: %s", outgoing.channel, event.event_id, exc)
        return Delivery(status=MessageStatus.FAILED, error=str(exc)[:2000])
    return Delivery(status=MessageStatus.SENT, provider_message_id=provider_id)


def _email_headers(event: ReceivedEvent) -> dict[str, str]:
    headers = {"X-Hub-Event-Id": str(event.event_id)}
    if event.correlation_id:
        headers["X-Request-ID"] = event.correlation_id
    return headers


def _count(messages: list[Message]) -> None:
    for message in messages:
        MESSAGES.labels(message.channel, message.status).inc()
