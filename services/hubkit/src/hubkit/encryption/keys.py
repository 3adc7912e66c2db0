"""Field encryption keys and the blind index key, read from settings (the environment), never the database.

`FIELD_ENCRYPTION_KEYS` is `kid:base64key,kid:base64key,...`: every listed key decrypts, the
first one encrypts. A stored value is the envelope `v1:<kid>:<base64(nonce + AES-GCM ciphertext)>`,
so each value names the key it needs and a rotation can tell which rows are still on an old key.
`BLIND_INDEX_KEY` keys the HMAC of searchable values (`blind_index`); it is never an encryption key.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
from dataclasses import dataclass
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

VERSION = "v1"
PREFIX = VERSION + ":"
_NONCE_BYTES = 12  # AES-GCM's standard nonce: random per value, never reused with a key


class UnknownKey(ImproperlyConfigured):
    """A stored value names a key id that FIELD_ENCRYPTION_KEYS no longer lists."""


class CorruptValue(ValueError):
    """A stored envelope does not decrypt (tampered, truncated, or a wrong key under its id)."""


@dataclass(frozen=True)
class Keyring:
    current: str
    ciphers: dict[str, AESGCM]

    def encrypt(self, plaintext: bytes) -> str:
        nonce = os.urandom(_NONCE_BYTES)
        sealed = self.ciphers[self.current].encrypt(nonce, plaintext, None)
        return f"{PREFIX}{self.current}:{base64.b64encode(nonce + sealed).decode('ascii')}"

    def decrypt(self, envelope: str) -> bytes:
        _, kid, payload = envelope.split(":", 2)
        cipher = self.ciphers.get(kid)
        if cipher is None:
            raise UnknownKey(f"a stored value needs key {kid!r}, which FIELD_ENCRYPTION_KEYS does not list")
        try:
            raw = base64.b64decode(payload, validate=True)
            return cipher.decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], None)
        except (binascii.Error, InvalidTag, ValueError) as exc:
            raise CorruptValue(f"a value under key {kid!r} does not decrypt") from exc


def parse_keys(spec: str) -> Keyring:
    """`kid:base64key,...` (AES keys of 16, 24 or 32 bytes; kids without `:` or `,`); first writes."""
    ciphers: dict[str, AESGCM] = {}
    for item in (part.strip() for part in spec.split(",")):
        if not item:
            continue
        kid, sep, encoded = item.partition(":")
        if not sep or not kid:
            raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS: each key is kid:base64key")
        try:
            key = base64.b64decode(encoded, validate=True)
        except binascii.Error as exc:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: key {kid!r} is not base64") from exc
        if len(key) not in {16, 24, 32}:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: key {kid!r} is not 16, 24 or 32 bytes")
        if kid in ciphers:
            raise ImproperlyConfigured(f"FIELD_ENCRYPTION_KEYS: key id {kid!r} is listed twice")
        ciphers[kid] = AESGCM(key)
    if not ciphers:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS lists no key")
    return Keyring(current=next(iter(ciphers)), ciphers=ciphers)


@lru_cache(maxsize=8)
def _keyring_of(spec: str) -> Keyring:
    return parse_keys(spec)


def keyring() -> Keyring:
    # Cached per value of the setting, so a changed setting (a test's override) takes effect at once.
    return _keyring_of(settings.FIELD_ENCRYPTION_KEYS)


def is_envelope(value: str) -> bool:
    return value.startswith(PREFIX)


def key_id_of(envelope: str) -> str | None:
    """The key id an envelope was sealed with; None for a value that is not (yet) encrypted."""
    return envelope.split(":", 2)[1] if is_envelope(envelope) and envelope.count(":") >= 2 else None


def blind_index(normalized: str) -> str:
    """HMAC-SHA256 (hex) of an already normalised value, for exact lookups; '' stays ''."""
    if not normalized:
        return ""
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, normalized.encode(), hashlib.sha256).hexdigest()
