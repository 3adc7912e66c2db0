"""Known devices: a signed token handed out at a completed login and sent back at the next one.

A login carrying a valid device token of the same account is throttled per device, not per
address, and is not refused by the account's ceiling: failures from elsewhere never delay it.
"""

import secrets
import uuid

from django.conf import settings
from django.core import signing

_SALT = "hub-identity.device"


def device_token_issue(*, user_id: uuid.UUID) -> str:
    return signing.dumps({"u": str(user_id), "d": secrets.token_urlsafe(16)}, salt=_SALT, compress=False)


def device_token_verify(*, token: str | None, user_id: uuid.UUID) -> str | None:
    """The device id if the token is genuine, recent and belongs to this user; else None."""
    if not token:
        return None
    try:
        data = signing.loads(token, salt=_SALT, max_age=settings.LOGIN_DEVICE_TTL_SECONDS)
    except signing.BadSignature:
        return None
    if not isinstance(data, dict) or data.get("u") != str(user_id) or not isinstance(data.get("d"), str):
        return None
    device: str = data["d"]
    return device
