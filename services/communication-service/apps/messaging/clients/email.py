"""The SMTP relay, through Django's email backend (EMAIL_* settings, EMAIL_TIMEOUT bounds each call)."""

from __future__ import annotations

import smtplib
from collections.abc import Mapping
from email.utils import formataddr, make_msgid

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection

from apps.messaging.clients import PermanentSendError, TransientSendError


def send_email(
    *,
    to: str,
    to_name: str,
    subject: str,
    text: str,
    html: str | None,
    from_name: str,
    headers: Mapping[str, str],
) -> str:
    """Hand one message to the relay; returns its Message-ID. Raises Transient/PermanentSendError."""
    message_id = make_msgid(domain=settings.MESSAGES_FROM_ADDRESS.rpartition("@")[2] or None)
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=formataddr((from_name, settings.MESSAGES_FROM_ADDRESS)),
        to=[formataddr((to_name, to))],
        headers={**headers, "Message-ID": message_id},
        connection=get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT),
    )
    if html:
        message.attach_alternative(html, "text/html")
    try:
        sent = message.send(fail_silently=False)
    except smtplib.SMTPRecipientsRefused as exc:
        codes = [code for code, _ in exc.recipients.values()]
        if codes and all(code >= 500 for code in codes):
            raise PermanentSendError(f"recipient refused: {_reply(codes[0], exc.recipients)}") from exc
        raise TransientSendError("recipient temporarily refused") from exc
    except smtplib.SMTPResponseException as exc:
        if exc.smtp_code >= 500 and not isinstance(exc, smtplib.SMTPServerDisconnected):
            raise PermanentSendError(f"relay refused the message: {exc.smtp_code}") from exc
        raise TransientSendError(f"relay answered {exc.smtp_code}") from exc
    except (smtplib.SMTPException, OSError) as exc:  # refused, reset, timed out, TLS failure
        raise TransientSendError(f"relay unreachable: {type(exc).__name__}") from exc
    if sent != 1:
        raise TransientSendError("the relay did not accept the message")
    return message_id


def _reply(code: int, recipients: Mapping[str, tuple[int, bytes]]) -> str:
    first = next(iter(recipients.values()))[1]
    return f"{code} {first.decode(errors='replace')[:200]}"
