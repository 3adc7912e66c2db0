"""Every system outside the hub that messages leave through, one typed client module each."""

from __future__ import annotations


class SendError(Exception):
    """A provider did not take the message."""


class TransientSendError(SendError):
    """Worth retrying later (connection refused, timeout, 4xx SMTP reply, provider 5xx)."""


class PermanentSendError(SendError):
    """Retrying will not help (address refused, provider rejected the request)."""
