"""Creating, loading and rotating signing keys.

Rotation is next -> active -> retiring -> retired. The next key is published before it signs, so
verifiers that cache the JWKS already know it; a retiring key stays published for the access-token
lifetime plus leeway after it stops signing, so every token it signed can still be verified.
"""

import base64
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from functools import lru_cache

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone

from apps.signing.encryption import decrypt, encrypt
from apps.signing.models import KeyState, SigningKey
from apps.signing.selectors import signing_key_active_get

# Serialises key creation and rotation across processes (pg advisory lock id).
_ROTATION_LOCK = 0x1D_51_6E


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _new_kid(now: datetime) -> str:
    return f"{now:%Y%m%d}-{secrets.token_hex(4)}"


def signing_key_create(*, state: KeyState, now: datetime | None = None) -> SigningKey:
    now = now or timezone.now()
    private = Ed25519PrivateKey.generate()
    raw_private = private.private_bytes(
        serialization.Encoding.Raw, serialization.PrivateFormat.Raw, serialization.NoEncryption()
    )
    raw_public = private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SigningKey.objects.create(
        kid=_new_kid(now),
        public_key=_b64url(raw_public),
        private_key_encrypted=encrypt(raw_private),
        state=state,
        created_at=now,
        activated_at=now if state == KeyState.ACTIVE else None,
    )


def _lock() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_ROTATION_LOCK])


def signing_key_active() -> SigningKey:
    """The key that signs now; a fresh database gets its first active and next keys here."""
    key = signing_key_active_get()
    if key is not None:
        return key
    with transaction.atomic():
        _lock()
        key = signing_key_active_get()
        if key is None:
            key = signing_key_create(state=KeyState.ACTIVE)
        if not SigningKey.objects.filter(state=KeyState.NEXT).exists():
            signing_key_create(state=KeyState.NEXT)
    return key


@lru_cache(maxsize=16)
def _private_key(kid: str, ciphertext: str) -> Ed25519PrivateKey:
    return Ed25519PrivateKey.from_private_bytes(decrypt(ciphertext))


def signing_key_private(*, key: SigningKey) -> Ed25519PrivateKey:
    return _private_key(key.kid, key.private_key_encrypted)


@lru_cache(maxsize=64)
def _public_key(x: str) -> Ed25519PublicKey:
    return Ed25519PublicKey.from_public_bytes(base64.urlsafe_b64decode(x + "=" * (-len(x) % 4)))


def signing_key_public(*, key: SigningKey) -> Ed25519PublicKey:
    return _public_key(key.public_key)


@dataclass
class Rotation:
    activated: SigningKey | None = None
    retiring: SigningKey | None = None
    created: SigningKey | None = None
    retired: list[SigningKey] = field(default_factory=list)


def _retire_due(*, now: datetime, retire_now: bool) -> list[SigningKey]:
    keys = SigningKey.objects.select_for_update().filter(state=KeyState.RETIRING)
    if not retire_now:
        keys = keys.filter(retire_after__lte=now)
    retired = list(keys)
    for key in retired:
        key.state = KeyState.RETIRED
        key.retired_at = now
        key.save(update_fields=["state", "retired_at"])
    return retired


@transaction.atomic
def signing_key_rotate(*, retire_now: bool = False, rotate: bool = True) -> Rotation:
    """next -> active, active -> retiring, a fresh next key, and retiring keys past their time retired.

    `retire_now` retires every retiring key at once, including the one this rotation demotes: tokens
    it signed stop verifying immediately (use after a key compromise, or in tests).
    With `rotate=False` only the retirement step runs (a periodic clean-up).
    """
    _lock()
    now = timezone.now()
    result = Rotation()
    if rotate:
        grace = timedelta(seconds=settings.ACCESS_TOKEN_TTL_SECONDS + settings.TOKEN_LEEWAY_SECONDS)
        current = SigningKey.objects.select_for_update().filter(state=KeyState.ACTIVE).first()
        if current is not None:
            current.state = KeyState.RETIRING
            current.retiring_at = now
            current.retire_after = now + grace
            current.save(update_fields=["state", "retiring_at", "retire_after"])
            result.retiring = current
        upcoming = SigningKey.objects.select_for_update().filter(state=KeyState.NEXT).first()
        if upcoming is None:
            upcoming = signing_key_create(state=KeyState.ACTIVE, now=now)
        else:
            upcoming.state = KeyState.ACTIVE
            upcoming.activated_at = now
            upcoming.save(update_fields=["state", "activated_at"])
        result.activated = upcoming
        result.created = signing_key_create(state=KeyState.NEXT, now=now)
    result.retired = _retire_due(now=now, retire_now=retire_now)
    return result
