from datetime import UTC, datetime, timedelta
from email.utils import format_datetime

import pytest

from hubkit.webhooks import InvalidWebhook, generate_secret, retry_after_seconds, sign_headers, verify_webhook

BODY = b'{"id":"e1","type":"contact.created","data":{"name":"J\xc3\xbcrgen"}}'
OLD = "dev-insecure-webhook-secret-old"
NEW = generate_secret()


def test_a_signed_body_verifies_and_yields_its_id() -> None:
    headers = sign_headers(msg_id="e1", body=BODY, secrets=[NEW])
    assert verify_webhook(body=BODY, headers=headers, secrets=[NEW]) == "e1"


def test_rotation_two_secrets_each_side() -> None:
    headers = sign_headers(msg_id="e1", body=BODY, secrets=[OLD, NEW])
    assert len(headers["webhook-signature"].split(" ")) == 2
    # A receiver that knows only one of them still accepts.
    assert verify_webhook(body=BODY, headers=headers, secrets=[OLD]) == "e1"
    assert verify_webhook(body=BODY, headers=headers, secrets=["other", NEW]) == "e1"


@pytest.mark.parametrize(
    "tamper",
    [
        lambda h, b: (h, b + b" "),  # body changed by one byte
        lambda h, b: ({**h, "webhook-id": "e2"}, b),  # id swapped
        lambda h, b: ({**h, "webhook-timestamp": str(int(h["webhook-timestamp"]) + 1)}, b),
        lambda h, b: ({k: v for k, v in h.items() if k != "webhook-signature"}, b),
        lambda h, b: ({**h, "webhook-signature": "garbage"}, b),
        lambda h, b: ({**h, "webhook-signature": "v1,!!notbase64"}, b),
        lambda h, b: (h, b"\xff\xfe"),
    ],
)
def test_tampering_is_rejected(tamper) -> None:  # type: ignore[no-untyped-def]
    headers, body = tamper(sign_headers(msg_id="e1", body=BODY, secrets=[NEW]), BODY)
    with pytest.raises(InvalidWebhook):
        verify_webhook(body=body, headers=headers, secrets=[NEW])


def test_wrong_secret_is_rejected() -> None:
    headers = sign_headers(msg_id="e1", body=BODY, secrets=[OLD])
    with pytest.raises(InvalidWebhook, match="no matching signature"):
        verify_webhook(body=BODY, headers=headers, secrets=[NEW])


@pytest.mark.parametrize("age", [timedelta(minutes=6), timedelta(minutes=-6)])
def test_replayed_or_future_timestamps_are_rejected(age: timedelta) -> None:
    headers = sign_headers(msg_id="e1", body=BODY, secrets=[NEW], timestamp=datetime.now(tz=UTC) - age)
    with pytest.raises(InvalidWebhook, match="timestamp"):
        verify_webhook(body=BODY, headers=headers, secrets=[NEW])


def test_headers_are_case_insensitive() -> None:
    headers = {k.title(): v for k, v in sign_headers(msg_id="e1", body=BODY, secrets=[NEW]).items()}
    assert verify_webhook(body=BODY, headers=headers, secrets=[NEW]) == "e1"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", 120.0),
        ("-5", 0.0),
        (None, None),
        ("", None),
        ("soon", None),
        ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0),
    ],
)
def test_retry_after_reads_seconds_and_http_dates(value: str | None, expected: float | None) -> None:
    assert retry_after_seconds(value) == expected


def test_retry_after_an_http_date_ahead_counts_down_to_it() -> None:
    ahead = format_datetime(datetime.now(tz=UTC) + timedelta(seconds=90), usegmt=True)
    seconds = retry_after_seconds(ahead)
    assert seconds is not None
    assert 85 <= seconds <= 90
