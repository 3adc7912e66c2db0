"""Secrets at rest (TOTP secrets, private signing keys), Fernet-encrypted with FIELD_ENCRYPTION_KEY."""

import base64
import binascii
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings


class DecryptionFailed(Exception):
    """The ciphertext was not made with any configured key (or was tampered with)."""


def _fernet_key(secret: str) -> bytes:
    """A Fernet key as given (`Fernet.generate_key()`), or derived from a long passphrase."""
    try:
        if len(base64.urlsafe_b64decode(secret.encode())) == 32:
            return secret.encode()
    except (binascii.Error, ValueError):
        pass
    return base64.urlsafe_b64encode(hashlib.sha256(secret.encode()).digest())


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    # The first key encrypts; all decrypt, so a new key can be put in front of the old one.
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def encrypt(plaintext: bytes) -> str:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS)).encrypt(plaintext).decode()


def decrypt(ciphertext: str) -> bytes:
    try:
        return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS)).decrypt(ciphertext.encode())
    except InvalidToken as exc:
        raise DecryptionFailed("no configured FIELD_ENCRYPTION_KEY decrypts this value") from exc
