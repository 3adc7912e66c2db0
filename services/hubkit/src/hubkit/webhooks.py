"""Standard Webhooks signing (sender) and verification (receiver), with secret rotation.

A sender signs with every current secret (one `v1,` signature each); a receiver accepts a
delivery whose signature matches any of its secrets. Secrets are `whsec_<base64>` or, for
readable development values, plain strings used as raw bytes.
"""

from __future__ import annotations

import base64
import secrets as _secrets
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

from standardwebhooks.webhooks import Webhook, WebhookVerificationError

from hubkit.errors import ApplicationError

HEADERS = ("webhook-id", "webhook-timestamp", "webhook-signature")


class InvalidWebhook(ApplicationError):
    status = 401
    code = "invalid_signature"
    title = "Invalid webhook signature"


def generate_secret() -> str:
    return "whsec_" + base64.b64encode(_secrets.token_bytes(32)).decode()


def _webhook(secret: str) -> Webhook:
    if secret.startswith("whsec_"):
        return Webhook(secret)
    return Webhook(secret.encode())


def sign_headers(
    *, msg_id: str, body: bytes, secrets: Sequence[str], timestamp: datetime | None = None
) -> dict[str, str]:
    """The three Standard Webhooks headers for `body`, exactly as it will be sent."""
    if not secrets:
        raise ValueError("at least one signing secret is required")
    moment = timestamp or datetime.now(tz=UTC)
    text = body.decode()
    signatures = " ".join(_webhook(s).sign(msg_id=msg_id, timestamp=moment, data=text) for s in secrets)
    return {
        "webhook-id": msg_id,
        "webhook-timestamp": str(int(moment.timestamp())),
        "webhook-signature": signatures,
    }


def verify_webhook(*, body: bytes, headers: Mapping[str, str], secrets: Sequence[str]) -> str:
    """Raise InvalidWebhook unless one secret signed this body (within ±5 min); return webhook-id."""
    lowered = {k.lower(): v for k, v in headers.items() if k.lower() in HEADERS}
    for secret in secrets:
        try:
            _webhook(secret).verify(body, lowered, json_parse=False)
        except WebhookVerificationError as exc:
            if "timestamp" in str(exc).lower() or "headers" in str(exc).lower():
                raise InvalidWebhook(f"Rejected: {exc}.") from exc
            continue
        except (ValueError, UnicodeDecodeError) as exc:  # malformed signature or body encoding
            raise InvalidWebhook("Rejected: malformed signature headers.") from exc
        return lowered["webhook-id"]
    raise InvalidWebhook("Rejected: no matching signature.")


RETRY_AFTER = frozenset({429, 503})
"""The answers whose `Retry-After` a sender honours."""


def retry_after_seconds(value: str | None) -> float | None:
    """A `Retry-After` value (seconds or an HTTP date) as seconds from now; None if absent or unreadable."""
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:  # an HTTP date is GMT; a malformed one may carry no zone
        moment = moment.replace(tzinfo=UTC)
    return max(0.0, (moment - datetime.now(tz=UTC)).total_seconds())
