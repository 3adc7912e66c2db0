"""POST /api/v1/events: signature first, then shape, then exactly-once processing."""

from __future__ import annotations

import functools
import json
import logging
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.db import connections
from django.test import Client
from prometheus_client import REGISTRY

from apps.messaging.models import Message, ReceivedEvent
from apps.messaging.rendering import WITHHELD_LINK
from hubkit.testing import all_at_once, free_port
from hubkit.webhooks import generate_secret
from tests.fixtures import (
    ACCEPT_URL,
    booking_data,
    deliver,
    envelope,
    identity_signed,
    invitation_data,
    notification_data,
    post_event,
    security_notice_data,
    signed,
    stored,
)

pytestmark = pytest.mark.django_db
ROUNDS = 3  # races of one event, each round a new one


def test_a_signed_booking_event_sends_one_email_and_records_it() -> None:
    event = envelope("booking.confirmed", booking_data(email="jane@example.org"))
    response = deliver(event)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    assert response["X-Request-ID"] == event["correlation_id"]
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["Jane Doe <jane@example.org>"]
    assert sent.subject.startswith("Confirmed: Acme Clinic")
    message = Message.objects.get()
    assert (message.channel, message.status, message.recipient) == ("email", "sent", "jane@example.org")
    assert str(message.event_id) == event["id"]
    assert message.event_type == "booking.confirmed"
    assert message.sent_at is not None
    assert message.provider_message_id == sent.extra_headers["Message-ID"]
    assert sent.extra_headers["X-Hub-Event-Id"] == event["id"]
    assert ReceivedEvent.objects.get().webhook_id == event["id"]


def _receipts(event_type: str, outcome: str) -> float:
    labels = {"type": event_type, "outcome": outcome}
    return REGISTRY.get_sample_value("hub_events_received_total", labels) or 0.0


def test_a_redelivery_is_a_duplicate_and_sends_nothing_again() -> None:
    accepted, duplicate = _receipts("booking.created", "accepted"), _receipts("booking.created", "duplicate")
    event = envelope("booking.created", booking_data())
    assert deliver(event).json() == {"status": "accepted"}
    again = deliver(event)
    assert again.status_code == 200
    assert again.json() == {"status": "duplicate"}
    assert stored() == (1, 1)
    # Counted by type and outcome for the operator.
    assert _receipts("booking.created", "accepted") - accepted == 1
    assert _receipts("booking.created", "duplicate") - duplicate == 1
    assert len(mail.outbox) == 1


class SlowLocmemBackend:
    """Django's locmem backend, slowed down so two deliveries overlap inside the transaction."""

    def __init__(self, **kwargs: Any) -> None:
        from django.core.mail.backends.locmem import EmailBackend  # noqa: PLC0415

        self._backend = EmailBackend(**kwargs)

    def send_messages(self, messages: Any) -> int:
        time.sleep(0.3)
        return int(self._backend.send_messages(messages))


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_of_one_event_are_processed_once(settings: Any) -> None:
    settings.EMAIL_BACKEND = f"{__name__}.SlowLocmemBackend"
    for round_ in range(1, ROUNDS + 1):  # a new event each round
        body, headers = signed(envelope("booking.created", booking_data()))
        send = functools.partial(post_event, body, headers)
        answers = all_at_once([send] * 2, finally_each=connections.close_all)
        assert sorted(answer.json()["status"] for answer in answers) == ["accepted", "duplicate"]
        assert stored() == (round_, round_)
        assert len(mail.outbox) == round_


def _without(name: str) -> Any:
    return lambda body, headers: (body, {k: v for k, v in headers.items() if k != name})


@pytest.mark.parametrize(
    "tamper",
    [
        pytest.param(lambda body, headers: (body + b" ", headers), id="body-tampered"),
        pytest.param(
            lambda body, headers: (body.replace(b"Jane", b"Joan"), headers), id="body-field-changed"
        ),
        pytest.param(
            lambda body, headers: (body, {**headers, "webhook-signature": "v1,bm90IHRoZSBzaWduYXR1cmU="}),
            id="bad-signature",
        ),
        pytest.param(_without("webhook-signature"), id="missing-signature"),
        pytest.param(_without("webhook-timestamp"), id="missing-timestamp"),
        pytest.param(_without("webhook-id"), id="missing-id"),
    ],
)
def test_an_unverifiable_delivery_is_401_and_stores_nothing(tamper: Any) -> None:
    body, headers = tamper(*signed(envelope("booking.created", booking_data())))
    response = post_event(body, headers)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "invalid_signature"
    assert stored() == (0, 0)
    assert mail.outbox == []


def test_a_delivery_signed_with_an_unknown_secret_is_401() -> None:
    response = deliver(envelope("booking.created", booking_data()), secrets=[generate_secret()])
    assert response.status_code == 401
    assert stored() == (0, 0)


def test_a_timestamp_six_minutes_old_is_401_even_when_signed() -> None:
    old = datetime.now(tz=UTC) - timedelta(minutes=6)
    response = deliver(envelope("booking.created", booking_data()), timestamp=old)
    assert response.status_code == 401
    assert "timestamp" in response.json()["detail"].lower()
    assert stored() == (0, 0)


def test_rotation_a_delivery_signed_with_old_and_new_secret_passes_a_receiver_knowing_only_new(
    settings: Any,
) -> None:
    old, new = generate_secret(), generate_secret()
    settings.WEBHOOK_SECRETS = [new]
    response = deliver(envelope("booking.created", booking_data()), secrets=[old, new])
    assert response.status_code == 200
    assert response.json() == {"status": "accepted"}
    assert stored() == (1, 1)


def test_signed_bytes_that_are_not_json_are_400_and_store_nothing() -> None:
    response = post_event(*signed(b'{"id": "broken', msg_id="e-1"))
    assert response.status_code == 400
    assert response.json()["code"] == "malformed_json"
    assert stored() == (0, 0)


def test_an_envelope_missing_fields_is_422_naming_them() -> None:
    event = envelope("booking.created", booking_data())
    del event["organization_id"]
    del event["occurred_at"]
    response = deliver(event)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_event"
    assert {"organization_id", "occurred_at"} <= {error["field"] for error in body["errors"]}
    assert stored() == (0, 0)


def test_booking_data_of_the_wrong_shape_is_422_and_sends_nothing() -> None:
    data = booking_data()
    del data["contact"]
    data["organization"]["timezone"] = "Mars/Olympus"
    response = deliver(envelope("booking.created", data))
    assert response.status_code == 422
    fields = {error["field"] for error in response.json()["errors"]}
    assert fields == {"data.contact", "data.organization.timezone"}
    assert stored() == (0, 0)
    assert mail.outbox == []


def test_a_webhook_id_other_than_the_event_id_is_422() -> None:
    event = envelope("booking.created", booking_data())
    response = deliver(event, msg_id="00000000-0000-4000-8000-000000000000")
    assert response.status_code == 422
    assert stored() == (0, 0)


@pytest.mark.parametrize("event_type", ["invoice.issued", "contact.created"])
def test_other_event_types_are_acknowledged_once_and_send_nothing(event_type: str) -> None:
    event = envelope(event_type, {"anything": 1})
    response = deliver(event)
    assert response.status_code == 200
    assert response.json() == {"status": "ignored"}
    # The receipt is kept (so "received exactly once" holds for every type), but no message.
    assert stored() == (1, 0)
    assert deliver(event).json() == {"status": "duplicate"}
    assert stored() == (1, 0)
    assert mail.outbox == []


def test_a_type_outside_the_hubs_registry_is_422_and_stores_nothing() -> None:
    response = deliver(envelope("booking.exploded", {"anything": 1}))
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_event"
    assert [error["field"] for error in body["errors"]] == ["type"]
    assert stored() == (0, 0)


def test_an_upper_case_webhook_id_is_the_same_event_for_dedupe() -> None:
    event = envelope("booking.created", booking_data())
    first = deliver(event, msg_id=event["id"].upper())
    assert first.json() == {"status": "accepted"}
    assert ReceivedEvent.objects.get().webhook_id == event["id"]
    assert deliver(event).json() == {"status": "duplicate"}
    assert stored() == (1, 1)
    assert len(mail.outbox) == 1


def test_a_transient_smtp_failure_is_503_with_nothing_stored_then_the_retry_succeeds(settings: Any) -> None:
    event = envelope("booking.created", booking_data())
    body, headers = signed(event)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_PORT = free_port()  # nothing listens: connection refused
    settings.EMAIL_TIMEOUT = 2
    failed = post_event(body, headers)
    assert failed.status_code == 503
    assert failed.json()["code"] == "send_unavailable"
    assert failed["Retry-After"] == str(settings.SEND_RETRY_AFTER_SECONDS)
    assert stored() == (0, 0)

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    retried = post_event(body, headers)
    assert retried.json() == {"status": "accepted"}
    assert stored() == (1, 1)
    assert len(mail.outbox) == 1


def test_a_contact_with_email_and_phone_gets_both(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("INFO", logger="apps.messaging.clients.sms")
    response = deliver(envelope("booking.reminder_due", booking_data(phone="+4915112345678")))
    assert response.json() == {"status": "accepted"}
    by_channel = {m.channel: m for m in Message.objects.all()}
    assert set(by_channel) == {"email", "sms"}
    sms = by_channel["sms"]
    assert sms.recipient == "+4915112345678"
    assert sms.status == "sent"
    assert sms.provider_message_id.startswith("log-")
    assert sms.provider_message_id in caplog.text
    assert "Reminder from Acme Clinic" in caplog.text
    assert len(mail.outbox) == 1


def test_a_contact_without_email_or_phone_is_recorded_as_skipped() -> None:
    response = deliver(envelope("booking.cancelled", booking_data(email=None, phone=None)))
    assert response.json() == {"status": "accepted"}
    message = Message.objects.get()
    assert (message.status, message.reason, message.recipient) == ("skipped", "no_contact_address", "")
    assert message.sent_at is None
    assert mail.outbox == []


@pytest.mark.parametrize(
    ("event_type", "status"), [("booking.created", "held"), ("booking.cancelled", "cancelled")]
)
def test_a_hold_is_recorded_as_skipped_and_tells_the_contact_nothing(event_type: str, status: str) -> None:
    data = booking_data(phone="+4915112345678", status=status, hold_expires_at="2025-03-10T07:15:00Z")
    event = envelope(event_type, data)
    response = deliver(event)
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    message = Message.objects.get()
    assert (message.status, message.reason, message.recipient, message.body) == (
        "skipped",
        "booking_hold",
        "",
        "",
    )
    assert (message.event_type, str(message.event_id)) == (event_type, event["id"])
    assert message.sent_at is None
    assert mail.outbox == []
    assert deliver(event).json() == {"status": "duplicate"}
    assert stored() == (1, 1)


def test_a_booking_event_without_hold_expires_at_is_announced_as_before() -> None:
    data = booking_data()
    del data["booking"]["hold_expires_at"]
    assert deliver(envelope("booking.created", data)).json() == {"status": "accepted"}
    assert Message.objects.get().status == "sent"
    assert len(mail.outbox) == 1


def test_a_hold_expiry_without_a_utc_offset_is_422() -> None:
    data = booking_data(status="held", hold_expires_at="2025-03-10T07:15:00")
    response = deliver(envelope("booking.created", data))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.booking.hold_expires_at"
    assert stored() == (0, 0)


def test_a_notification_request_emails_the_recipient() -> None:
    response = deliver(envelope("notification.requested", notification_data()))
    assert response.json() == {"status": "accepted"}
    sent = mail.outbox[0]
    assert isinstance(sent, EmailMultiAlternatives)
    assert sent.to == ["Mia Manager <mia@acme.test>"]
    assert sent.subject == "Jane Doe did not show up"
    assert "http://127.0.0.1:5173/bookings/123" in sent.body
    html = sent.alternatives[0]
    assert html[1] == "text/html"
    assert 'href="http://127.0.0.1:5173/bookings/123"' in str(html[0])
    assert Message.objects.get().recipient == "mia@acme.test"


def test_an_sms_notification_to_a_user_without_phone_is_skipped() -> None:
    data = notification_data(channel="sms")
    response = deliver(envelope("notification.requested", data))
    assert response.json() == {"status": "accepted"}
    message = Message.objects.get()
    assert (message.channel, message.status, message.reason) == ("sms", "skipped", "no_phone_number")


def test_a_notification_with_a_script_link_is_refused() -> None:
    data = notification_data(action_url="javascript:alert(1)")
    response = deliver(envelope("notification.requested", data))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "data.action_url"
    assert stored() == (0, 0)


def test_the_receiver_needs_no_bearer_token_but_rejects_get() -> None:
    response = Client().get("/api/v1/events")
    assert response.status_code == 405
    assert json.loads(response.content)["status"] == 405


def test_an_invitation_mails_the_accept_link_and_records_it_without_the_link() -> None:
    event = envelope(
        "invitation.mail_requested", invitation_data(), subject={"type": "invitation", "id": "i"}
    )
    response = post_event(*identity_signed(event))
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted"}
    sent = mail.outbox[0]
    assert isinstance(sent, EmailMultiAlternatives)
    assert sent.to == ["new.person@example.org"]
    assert sent.subject == "Olga Owner invited you to Acme Clinic on Hub"
    assert ACCEPT_URL in sent.body
    assert "Acme Clinic" in sent.body
    assert "Olga Owner (owner@acme.test)" in sent.body
    assert "4 December 2026, 14:00 UTC" in sent.body
    assert f'href="{ACCEPT_URL}"' in str(sent.alternatives[0][0])
    assert "Accept the invitation" in str(sent.alternatives[0][0])
    message = Message.objects.get()
    assert message.status == "sent"
    assert message.recipient == "new.person@example.org"
    # Owners and admins read the message list: whoever holds the link could accept in the
    # invitee's place, so the record keeps everything but the link.
    assert "SECRET-accept-token" not in json.dumps(list(Message.objects.values()), default=str)
    assert WITHHELD_LINK in message.body


def test_a_security_notice_mails_the_user() -> None:
    event = envelope("security.notice_requested", security_notice_data(), subject={"type": "user", "id": "u"})
    assert post_event(*identity_signed(event)).json() == {"status": "accepted"}
    sent = mail.outbox[0]
    assert sent.to == ["Mia Manager <mia@acme.test>"]
    assert sent.subject == "Two-factor authentication is now on for your Hub account"
    assert "1 December 2026, 10:00 UTC" in sent.body
    assert "change your password" in sent.body
    setup = envelope("security.notice_requested", security_notice_data(kind="mfa_setup_started"))
    assert post_event(*identity_signed(setup)).json() == {"status": "accepted"}
    assert mail.outbox[1].subject == "Two-factor authentication setup started on your Hub account"


@pytest.mark.parametrize(
    ("event_type", "data", "signer"),
    [
        ("invitation.mail_requested", invitation_data(), "backend"),
        ("security.notice_requested", security_notice_data(), "backend"),
        ("booking.confirmed", booking_data(), "identity"),
        ("notification.requested", notification_data(), "identity"),
    ],
)
def test_a_type_signed_by_another_service_than_its_publisher_is_401(
    event_type: str, data: dict[str, Any], signer: str
) -> None:
    event = envelope(event_type, data)
    body, headers = identity_signed(event) if signer == "identity" else signed(event)
    response = post_event(body, headers)
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_signature"
    assert stored() == (0, 0)
    assert mail.outbox == []


@pytest.mark.parametrize(
    "data",
    [
        invitation_data(accept_url="javascript:alert(1)"),
        invitation_data(email=None),
        security_notice_data(recipient={"name": "No address"}),
    ],
)
def test_identity_data_of_the_wrong_shape_is_422_and_sends_nothing(data: dict[str, Any]) -> None:
    event_type = "invitation.mail_requested" if "accept_url" in data else "security.notice_requested"
    response = post_event(*identity_signed(envelope(event_type, data)))
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"].startswith("data.")
    assert stored() == (0, 0)


def test_a_redelivered_invitation_is_mailed_once() -> None:
    event = envelope("invitation.mail_requested", invitation_data())
    body, headers = identity_signed(event)
    assert post_event(body, headers).json() == {"status": "accepted"}
    assert post_event(body, headers).json() == {"status": "duplicate"}
    assert len(mail.outbox) == 1
    assert stored() == (1, 1)


def _access_line(caplog: pytest.LogCaptureFixture) -> logging.LogRecord:
    [line] = [r for r in caplog.records if r.name == "hubkit.access"]
    return line


@pytest.mark.parametrize(
    ("event_type", "data", "sign", "sender"),
    [
        ("booking.confirmed", booking_data, signed, "backend"),
        ("invitation.mail_requested", invitation_data, identity_signed, "identity-service"),
    ],
)
def test_the_access_line_names_the_verified_sender_and_no_secret(
    caplog: pytest.LogCaptureFixture, event_type: str, data: Any, sign: Any, sender: str
) -> None:
    caplog.set_level(logging.INFO, logger="hubkit.access")
    event = envelope(event_type, data())
    body, headers = sign(event)
    assert post_event(body, headers).status_code == 200

    line = _access_line(caplog)
    assert vars(line)["caller"] == f"sender:{sender}"
    assert vars(line)["organization_id"] == event["organization_id"]
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert headers["webhook-signature"] not in logged
    for secret in (*settings.WEBHOOK_SECRETS, *settings.IDENTITY_WEBHOOK_SECRETS):
        assert secret not in logged


def test_a_delivery_signed_by_another_publisher_names_no_caller(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="hubkit.access")
    # A backend signature on a type identity-service publishes: verified by the first check only.
    response = deliver(envelope("invitation.mail_requested", invitation_data()))
    assert response.status_code == 401
    assert vars(_access_line(caplog))["caller"] == "-"
