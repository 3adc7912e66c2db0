from hubkit.errors import NotFound, ServiceUnavailable


class SendUnavailable(ServiceUnavailable):
    """A provider failed transiently; nothing was committed, so the sender's retry starts afresh."""

    code = "send_unavailable"
    title = "Message provider unavailable"


class MessageNotFound(NotFound):
    code = "message_not_found"
    title = "Message not found"
