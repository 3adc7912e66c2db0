"""Errors of the outbox. Each is a programming error in a publisher (a 500), not bad input."""

from __future__ import annotations


class OutboxOutsideTransaction(RuntimeError):
    """publish() was called outside transaction.atomic(): the event could outlive a rollback."""


class UnknownEventType(RuntimeError):
    """publish() was given a type that is not in the registry (`apps.events.types`)."""


class EventDataInvalid(RuntimeError):
    """publish() was given `data` that does not match its type's schema, or the wrong subject type."""


class ForeignEventType(RuntimeError):
    """publish() was given a type another service publishes (its `service` is not the backend)."""
