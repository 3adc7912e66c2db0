"""Verifies identity-service access tokens locally against its published keys.

Keys are discovered once (OIDC discovery → JWKS), kept per process and shared between
processes through Redis. A token with an unknown `kid` triggers at most one refresh per
cooldown window across all workers (a flood of random kids cannot cause a fetch storm);
concurrent refreshes in a process share one fetch; a failed refresh keeps the last good
keys (stale-if-error, see TRAPS: PyJWT drops its cache on failure, we do not).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.core.cache import cache

from apps.identity.client import Discovery, IdentityClient
from apps.identity.exceptions import IdentityProtocolError, IdentityUnavailable, InvalidToken, TokenRevoked

logger = logging.getLogger(__name__)

_SHARED_KEYS = "identity:jwks"
_REFRESH_GATE = "identity:jwks:refresh-gate"
_ACCEPTED_TYP = {"at+jwt", "application/at+jwt"}


@dataclass(frozen=True)
class KeySet:
    keys: dict[str, jwt.PyJWK]
    fetched_at: float

    @classmethod
    def parse(cls, document: dict[str, Any], fetched_at: float, algorithms: list[str]) -> KeySet:
        keys: dict[str, jwt.PyJWK] = {}
        for raw in document.get("keys", []):
            if not isinstance(raw, dict) or not raw.get("kid") or raw.get("use", "sig") != "sig":
                continue
            try:
                key = jwt.PyJWK(raw)
            except (jwt.PyJWKError, jwt.InvalidKeyError):
                logger.warning("skipping unusable JWK %s", raw.get("kid"))
                continue
            if key.algorithm_name in algorithms:
                keys[str(raw["kid"])] = key
        return cls(keys=keys, fetched_at=fetched_at)


class KeyStore:
    """The issuer's signing keys for this process; see the module docstring."""

    def __init__(self, *, client: IdentityClient, algorithms: list[str]) -> None:
        self._client = client
        self._algorithms = algorithms
        self._lock = threading.Lock()
        self._keyset: KeySet | None = None
        self._discovery: Discovery | None = None
        self._last_failure = 0.0
        self.fetches = 0  # JWKS documents this process fetched (for benchmarks and tests)

    # Read on use, so an operator's (or a test's) settings change applies without a restart.
    @property
    def _ttl(self) -> float:
        return float(settings.IDENTITY_JWKS_TTL_SECONDS)

    @property
    def _cooldown(self) -> float:
        return float(settings.IDENTITY_JWKS_REFRESH_COOLDOWN_SECONDS)

    @property
    def _max_stale(self) -> float:
        return float(settings.IDENTITY_JWKS_MAX_STALE_SECONDS)

    # -- public -----------------------------------------------------------------------

    def key_for(self, kid: str) -> jwt.PyJWK:
        keyset = self._usable_keyset()
        if kid in keyset.keys:
            return keyset.keys[kid]
        keyset = self._refresh(want_kid=kid)
        if kid in keyset.keys:
            return keyset.keys[kid]
        raise InvalidToken("The access token was signed with an unknown key.")

    def discovery(self) -> Discovery:
        if self._discovery is None:
            self._discovery = self._client.discovery()
            if self._discovery.issuer != settings.IDENTITY_ISSUER:
                self._discovery = None
                raise IdentityProtocolError("identity-service announces an unexpected issuer")
        return self._discovery

    def is_fresh(self) -> bool:
        keyset = self._keyset
        return keyset is not None and time.time() - keyset.fetched_at < self._max_stale

    def refresh(self) -> KeySet:
        """Fetch now (subject to the shared gate); used by readiness and tests."""
        return self._refresh(want_kid=None)

    # -- internals --------------------------------------------------------------------

    def _usable_keyset(self) -> KeySet:
        keyset = self._keyset or self._load_shared()
        if keyset is None:
            return self._refresh(want_kid=None)
        if time.time() - keyset.fetched_at > self._ttl:
            # Stale: one caller refreshes, everyone keeps verifying with what we have.
            try:
                return self._refresh(want_kid=None, blocking=False)
            except IdentityUnavailable:
                return keyset
        return keyset

    def _refresh(self, *, want_kid: str | None, blocking: bool = True) -> KeySet:
        if not self._lock.acquire(blocking=blocking):
            if self._keyset is not None:
                return self._keyset
            self._lock.acquire()
        try:
            return self._refresh_locked(want_kid)
        finally:
            self._lock.release()

    def _refresh_locked(self, want_kid: str | None) -> KeySet:
        now = time.time()
        current = self._keyset
        shared = self._load_shared()
        if shared is not None and (current is None or shared.fetched_at > current.fetched_at):
            self._keyset = current = shared
            if (want_kid is None and now - shared.fetched_at <= self._ttl) or want_kid in shared.keys:
                return shared
        if current is not None and not self._pass_gate():
            return current  # another worker fetched within the cooldown, or will shortly
        if current is None and now - self._last_failure < min(self._cooldown, 2.0):
            raise IdentityUnavailable("identity-service unreachable and no signing keys are cached")
        try:
            document = self._client.jwks(self.discovery().jwks_uri)
        except (IdentityUnavailable, IdentityProtocolError) as exc:
            self._last_failure = time.time()
            if current is not None:
                logger.warning("JWKS refresh failed, keeping the last good keys: %s", exc)
                return current
            raise IdentityUnavailable("identity-service unreachable and no signing keys are cached") from exc
        self.fetches += 1
        keyset = KeySet.parse(document, fetched_at=time.time(), algorithms=self._algorithms)
        self._keyset = keyset
        self._store_shared(document, keyset.fetched_at)
        return keyset

    def _pass_gate(self) -> bool:
        """True for at most one caller per cooldown window, across every process."""
        if self._cooldown <= 0:
            return True
        try:
            return bool(cache.add(_REFRESH_GATE, 1, timeout=max(int(self._cooldown), 1)))
        except Exception:  # noqa: BLE001 - Redis down: fall back to this process's cooldown
            return time.time() - self._last_failure >= self._cooldown

    def _load_shared(self) -> KeySet | None:
        try:
            raw = cache.get(_SHARED_KEYS)
        except Exception:  # noqa: BLE001 - Redis is an optimisation here, never a dependency
            return None
        if not raw:
            return None
        try:
            payload = json.loads(raw)
            return KeySet.parse(payload["jwks"], float(payload["fetched_at"]), self._algorithms)
        except (ValueError, KeyError, TypeError):
            return None

    def _store_shared(self, document: dict[str, Any], fetched_at: float) -> None:
        try:
            payload = json.dumps({"jwks": document, "fetched_at": fetched_at})
            cache.set(_SHARED_KEYS, payload, timeout=int(self._max_stale))
        except Exception:  # noqa: BLE001
            logger.warning("could not share JWKS through Redis")


class TokenVerifier:
    def __init__(self, *, keys: KeyStore, client: IdentityClient) -> None:
        self.keys = keys
        self._client = client

    def verify(self, token: str) -> dict[str, Any]:
        """The token's claims if it is a valid access token for this backend, else InvalidToken."""
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("The access token is malformed.") from exc
        algorithm = header.get("alg")
        # Pinned algorithms: the header never chooses (no `none`, no HS256-with-public-key).
        if algorithm not in settings.IDENTITY_ALGORITHMS:
            raise InvalidToken("The access token uses a forbidden algorithm.")
        if str(header.get("typ", "")).lower() not in _ACCEPTED_TYP:
            raise InvalidToken("The token is not an access token.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise InvalidToken("The access token names no key.")
        key = self.keys.key_for(kid)
        try:
            claims: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[algorithm],
                audience=settings.IDENTITY_AUDIENCE,
                issuer=settings.IDENTITY_ISSUER,
                leeway=settings.IDENTITY_LEEWAY_SECONDS,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        return claims

    def introspect(self, token: str, claims: dict[str, Any]) -> None:
        """Ask the issuer whether the token is still active (revocation); cached briefly."""
        cache_key = "identity:introspect:" + hashlib.sha256(token.encode()).hexdigest()
        try:
            cached = cache.get(cache_key)
        except Exception:  # noqa: BLE001
            cached = None
        if cached is None:
            answer = self._client.introspect(self.keys.discovery().introspection_endpoint, token)
            cached = "active" if answer["active"] else "inactive"
            # Never beyond the token's own expiry.
            ttl = min(settings.IDENTITY_INTROSPECTION_CACHE_SECONDS, int(claims["exp"] - time.time()))
            if ttl > 0:
                try:
                    cache.set(cache_key, cached, timeout=ttl)
                except Exception:  # noqa: BLE001
                    logger.warning("could not cache an introspection answer")
        if cached != "active":
            raise TokenRevoked("The access token has been revoked.")


_verifier: TokenVerifier | None = None
_verifier_lock = threading.Lock()


def get_verifier() -> TokenVerifier:
    """The process-wide verifier (one key store per process, see TRAPS)."""
    global _verifier  # noqa: PLW0603 - a per-process singleton by design
    if _verifier is None:
        with _verifier_lock:
            if _verifier is None:
                client = IdentityClient.from_settings()
                keys = KeyStore(client=client, algorithms=list(settings.IDENTITY_ALGORITHMS))
                _verifier = TokenVerifier(keys=keys, client=client)
    return _verifier


def reset_verifier() -> None:
    """Forget the process-wide verifier (settings changed, e.g. in tests)."""
    global _verifier  # noqa: PLW0603
    _verifier = None
