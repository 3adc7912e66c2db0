"""Errors of the outbox. Each is a programming error in a publisher (a 500), not bad input."""


class OutboxOutsideTransaction(RuntimeError):
    """outbox_add() was called outside transaction.atomic(): the event could outlive a rollback."""


class NotOurEventType(RuntimeError):
    """outbox_add() was given a type the hub's registry does not name as identity-service's."""
