"""The email client against real SMTP servers (the local sink, and one that refuses), and the sink."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from apps.messaging.clients import PermanentSendError, TransientSendError
from apps.messaging.clients.email import send_email
from apps.messaging.models import Message
from apps.messaging.smtp_sink import start_sink
from hubkit.testing import free_port
from tests.fixtures import booking_data, deliver, envelope


@pytest.fixture
def smtp(settings: Any) -> Any:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.fixture
def sink(smtp: Any, tmp_path: Path) -> Iterator[Path]:
    port = free_port()
    controller = start_sink(host="127.0.0.1", port=port, directory=tmp_path)
    smtp.EMAIL_PORT = port
    yield tmp_path
    controller.stop()


def send(**overrides: Any) -> str:
    values: dict[str, Any] = {
        "to": "jane@example.org",
        "to_name": "Jane Doe",
        "subject": "Confirmed: Acme Clinic",
        "text": "Hello Jane,\n\nsee you.",
        "html": "<p>Hello Jane,</p>",
        "from_name": "Acme Clinic",
        "headers": {"X-Hub-Event-Id": "e-1"},
    }
    return send_email(**{**values, **overrides})


def test_mail_reaches_the_sink_as_an_eml_file(sink: Path) -> None:
    message_id = send()
    [path] = list(sink.glob("*.eml"))
    parsed = message_from_bytes(path.read_bytes(), policy=default_policy)
    assert parsed["Message-ID"] == message_id
    assert parsed["Subject"] == "Confirmed: Acme Clinic"
    assert parsed["To"] == "Jane Doe <jane@example.org>"
    assert parsed["From"] == "Acme Clinic <no-reply@hub.localhost>"
    assert parsed["X-Hub-Event-Id"] == "e-1"
    assert parsed.is_multipart()


def test_a_relay_that_is_down_is_a_transient_error(smtp: Any) -> None:
    smtp.EMAIL_PORT = free_port()
    with pytest.raises(TransientSendError):
        send()


class RefusingHandler:
    def __init__(self, reply: str) -> None:
        self.reply = reply

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        return self.reply


@pytest.mark.parametrize(
    ("reply", "error"),
    [("550 5.1.1 No such user", PermanentSendError), ("451 4.3.0 Try again later", TransientSendError)],
)
def test_a_refused_recipient_maps_by_reply_code(smtp: Any, reply: str, error: type[Exception]) -> None:
    port = free_port()
    controller = Controller(RefusingHandler(reply), hostname="127.0.0.1", port=port)
    controller.start()
    smtp.EMAIL_PORT = port
    try:
        with pytest.raises(error):
            send()
    finally:
        controller.stop()


@pytest.mark.django_db
def test_a_refused_address_is_recorded_as_failed_and_the_delivery_accepted(smtp: Any) -> None:
    port = free_port()
    controller = Controller(RefusingHandler("550 5.1.1 No such user"), hostname="127.0.0.1", port=port)
    controller.start()
    smtp.EMAIL_PORT = port
    try:
        response = deliver(envelope("booking.created", booking_data(email="nobody@example.org")))
    finally:
        controller.stop()
    assert response.json() == {"status": "accepted"}  # retrying would not help: no 503
    message = Message.objects.get()
    assert (message.status, message.recipient, message.sent_at) == ("failed", "nobody@example.org", None)
    assert "550" in message.error
