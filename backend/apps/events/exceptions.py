"""Errors of the outbox: programming errors in a publisher (a 500), and an event too large to deliver."""

from __future__ import annotations

from hubkit.errors import ValidationFailed


class OutboxOutsideTransaction(RuntimeError):
    """publish() was called outside transaction.atomic(): the event could outlive a rollback."""


class UnknownEventType(RuntimeError):
    """publish() was given a type that is not in the registry (`apps.events.types`)."""


class EventDataInvalid(RuntimeError):
    """publish() was given `data` that does not match its type's schema, or the wrong subject type."""


class ForeignEventType(RuntimeError):
    """publish() was given a type another service publishes (its `service` is not the backend)."""


class EventTooLarge(ValidationFailed):
    """The envelope would exceed what receivers accept (`hubkit.events.MAX_EVENT_BYTES`).

    Raised inside the publisher's transaction, before anything is stored: the write that would
    have sent it fails as a whole (422) instead of committing an event no receiver will take.
    """

    code = "event_too_large"
    title = "Event too large to deliver"
