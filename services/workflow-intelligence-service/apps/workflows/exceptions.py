"""Errors of the workflows app, each mapped to HTTP once by hubkit's problem handlers."""

from hubkit.errors import NotFound, ServiceUnavailable, ValidationFailed


class RuleNotFound(NotFound):
    code = "rule_not_found"
    title = "Rule not found"


class RunNotFound(NotFound):
    code = "run_not_found"
    title = "Run not found"


class InvalidCondition(ValidationFailed):
    code = "invalid_condition"
    title = "Invalid rule condition"


class InvalidEnvelope(ValidationFailed):
    """The problem code this receiver answers for an envelope hubkit.events refuses (422)."""

    code = "invalid_envelope"
    title = "Invalid event envelope"


class ActionUnavailable(ServiceUnavailable):
    """An action failed transiently; nothing was recorded, so a redelivery starts afresh."""

    code = "action_unavailable"
    title = "Action temporarily unavailable"
