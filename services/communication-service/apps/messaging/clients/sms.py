"""SMS providers behind one interface; SMS_PROVIDER picks the adapter."""

from __future__ import annotations

import logging
import uuid
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

logger = logging.getLogger(__name__)


class SmsProvider(Protocol):
    def send(self, *, to: str, body: str) -> str:
        """Send one SMS; returns the provider's message id. Raises Transient/PermanentSendError."""
        ...


class LogSmsProvider:
    """Development adapter: the SMS is written to the log (the line is the delivery)."""

    def send(self, *, to: str, body: str) -> str:
        provider_id = f"log-{uuid.uuid4().hex}"
        logger.info("sms %s to %s: %s", provider_id, to, body)
        return provider_id


_PROVIDERS: dict[str, type[SmsProvider]] = {"log": LogSmsProvider}


def get_sms_provider() -> SmsProvider:
    try:
        return _PROVIDERS[settings.SMS_PROVIDER]()
    except KeyError as exc:
        raise ImproperlyConfigured(f"unknown SMS_PROVIDER {settings.SMS_PROVIDER!r}") from exc
