"""Events to messages: who gets what, rendered from the templates in templates/messaging/."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.template import engines
from django.utils import timezone

from apps.messaging.models import Channel
from apps.messaging.schemas import (
    BookingEventData,
    InvitationMailRequestedData,
    NotificationRequestedData,
    SecurityNoticeRequestedData,
)


@dataclass(frozen=True)
class Outgoing:
    """One message to send; `skip_reason` set means there is no address to send it to."""

    channel: str
    recipient: str
    recipient_name: str
    subject: str
    text: str
    html: str | None
    from_name: str
    skip_reason: str = ""
    # What the message record keeps as its body when the sent text holds a secret (an accept link).
    stored_text: str | None = None

    @property
    def recorded_body(self) -> str:
        return self.text if self.stored_text is None else self.stored_text


def _text(template: str, context: dict[str, Any]) -> str:
    return engines["text"].get_template(template).render(context).strip()


def _one_line(value: str) -> str:
    return " ".join(value.split())


def _html(
    *, subject: str, text: str, action_url: str | None = None, action_label: str = "Open in the hub"
) -> str:
    context = {"subject": subject, "text": text, "action_url": action_url, "action_label": action_label}
    return engines["django"].get_template("messaging/email.html").render(context)


def booking_messages(*, event_type: str, data: BookingEventData) -> list[Outgoing]:
    """The contact's messages: email if they have an address, SMS if a phone, both if both.

    A hold (a slot kept for the client mid-checkout) is no booking to announce: its creation, and
    its cancellation when it was never confirmed (released or expired), send nothing and are
    recorded as one skipped message, as an event for a contact without any address is.
    """
    name = event_type.removeprefix("booking.")
    contact = data.contact
    if data.booking.is_hold_event(event_type):
        return [
            Outgoing(
                channel=Channel.EMAIL,
                recipient="",
                recipient_name=contact.full_name,
                subject="",
                text="",
                html=None,
                from_name=data.organization.name,
                skip_reason="booking_hold",
            )
        ]
    context = {
        "booking": data.booking,
        "contact": contact,
        "organization": data.organization,
        "resource": data.booking.resource,
        "service": data.booking.service,
    }
    sender = data.organization.name
    messages = []
    # Templates print times in the organization's zone (the date filter converts aware datetimes).
    with timezone.override(ZoneInfo(data.organization.timezone)):
        subject = _one_line(_text(f"messaging/booking/{name}_subject.txt", context))
        if contact.email:
            text = _text(f"messaging/booking/{name}_email.txt", context)
            messages.append(
                Outgoing(
                    channel=Channel.EMAIL,
                    recipient=contact.email,
                    recipient_name=contact.full_name,
                    subject=subject,
                    text=text,
                    html=_html(subject=subject, text=text),
                    from_name=sender,
                )
            )
        if contact.phone:
            messages.append(
                Outgoing(
                    channel=Channel.SMS,
                    recipient=contact.phone,
                    recipient_name=contact.full_name,
                    subject="",
                    text=_text(f"messaging/booking/{name}_sms.txt", context),
                    html=None,
                    from_name=sender,
                )
            )
    if not messages:
        messages.append(
            Outgoing(
                channel=Channel.EMAIL,
                recipient="",
                recipient_name=contact.full_name,
                subject=subject,
                text="",
                html=None,
                from_name=sender,
                skip_reason="no_contact_address",
            )
        )
    return messages


def notification_messages(*, data: NotificationRequestedData) -> list[Outgoing]:
    """The one message a `notification.requested` event asks for, on its channel."""
    recipient = data.recipient
    action_url = data.action_url
    if action_url and action_url.startswith("/"):  # a path in the hub's web app
        action_url = settings.FRONTEND_URL.rstrip("/") + action_url
    context = {
        "recipient": recipient,
        "title": data.title,
        "body": data.body,
        "action_url": action_url,
        "category": data.category,
        "severity": data.severity,
    }
    subject = _one_line(_text("messaging/notification/subject.txt", context))
    if data.channel == "email":
        text = _text("messaging/notification/email.txt", context)
        return [
            Outgoing(
                channel=Channel.EMAIL,
                recipient=recipient.email or "",
                recipient_name=recipient.name,
                subject=subject,
                text=text,
                html=_html(subject=subject, text=text, action_url=action_url),
                from_name="Hub",
                skip_reason="" if recipient.email else "no_email_address",
            )
        ]
    return [
        Outgoing(
            channel=Channel.SMS,
            recipient=recipient.phone or "",
            recipient_name=recipient.name,
            subject="",
            text=_text("messaging/notification/sms.txt", context),
            html=None,
            from_name="Hub",
            skip_reason="" if recipient.phone else "no_phone_number",
        )
    ]


# Recorded instead of the accept link: the message list is readable by the organization's owners
# and admins, and whoever holds the link could accept the invitation in the invitee's place.
WITHHELD_LINK = "[the link is only in the email sent to the invitee]"


def invitation_messages(*, data: InvitationMailRequestedData) -> list[Outgoing]:
    """The invitee's email with the accept link; the recorded copy withholds the link."""
    context = {
        "organization": data.organization,
        "inviter": data.inviter,
        "role": data.role,
        "accept_url": data.accept_url,
        "expires_at": data.expires_at,
    }
    with timezone.override(ZoneInfo("UTC")):
        subject = _one_line(_text("messaging/invitation/subject.txt", context))
        text = _text("messaging/invitation/email.txt", context)
        stored = _text("messaging/invitation/email.txt", {**context, "accept_url": WITHHELD_LINK})
    return [
        Outgoing(
            channel=Channel.EMAIL,
            recipient=data.email,
            recipient_name="",
            subject=subject,
            text=text,
            html=_html(
                subject=subject, text=text, action_url=data.accept_url, action_label="Accept the invitation"
            ),
            from_name=data.organization.name,
            stored_text=stored,
        )
    ]


def security_notice_messages(*, data: SecurityNoticeRequestedData) -> list[Outgoing]:
    """The user's email about a change to their account's security."""
    context = {"recipient": data.recipient, "kind": data.kind, "created_at": data.created_at}
    with timezone.override(ZoneInfo("UTC")):
        subject = _one_line(_text("messaging/security/subject.txt", context))
        text = _text("messaging/security/email.txt", context)
    return [
        Outgoing(
            channel=Channel.EMAIL,
            recipient=data.recipient.email,
            recipient_name=data.recipient.name,
            subject=subject,
            text=text,
            html=_html(subject=subject, text=text),
            from_name="Hub",
        )
    ]
