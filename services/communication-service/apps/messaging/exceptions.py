from hubkit.errors import ApplicationError, NotFound, ServiceUnavailable, ValidationFailed


class MalformedEvent(ApplicationError):
    status = 400
    code = "malformed_json"
    title = "Malformed request body"


class InvalidEvent(ValidationFailed):
    code = "invalid_event"
    title = "Invalid event"


class SendUnavailable(ServiceUnavailable):
    """A provider failed transiently; nothing was committed, so the sender's retry starts afresh."""

    code = "send_unavailable"
    title = "Message provider unavailable"


class MessageNotFound(NotFound):
    code = "message_not_found"
    title = "Message not found"
