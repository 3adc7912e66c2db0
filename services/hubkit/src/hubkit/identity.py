"""Verifying identity-service access tokens, shared by every hub service.

Keys are discovered once (OIDC discovery → JWKS), kept per process and shared between
processes through the Django cache (Redis). A token with an unknown `kid` triggers at most one
refresh per cooldown window across all workers (a flood of random kids cannot cause a fetch
storm); concurrent refreshes in a process share one fetch; a failed refresh keeps the last good
keys (stale-if-error: PyJWT drops its cache on failure, we do not).

Settings read (on use): IDENTITY_SERVICE_URL, IDENTITY_ISSUER, IDENTITY_AUDIENCE,
IDENTITY_ALGORITHMS, IDENTITY_LEEWAY_SECONDS, IDENTITY_HTTP_TIMEOUT_SECONDS,
IDENTITY_JWKS_TTL_SECONDS, IDENTITY_JWKS_REFRESH_COOLDOWN_SECONDS, IDENTITY_JWKS_MAX_STALE_SECONDS,
IDENTITY_INTROSPECTION_CACHE_SECONDS, IDENTITY_CLIENT_ID, IDENTITY_CLIENT_SECRET.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from dataclasses import dataclass
from typing import Any

import httpx
import jwt
from django.conf import settings
from django.core.cache import cache

from hubkit.errors import ApplicationError, NotAuthenticated, ServiceUnavailable
from hubkit.request_id import HEADER as REQUEST_ID_HEADER
from hubkit.request_id import get_request_id

logger = logging.getLogger(__name__)


def _setting(name: str) -> Any:
    """A setting the hosting service defines (hubkit cannot know its settings module)."""
    return getattr(settings, name)


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    title = "Invalid access token"

    def __init__(self, message: str = "The access token is invalid.") -> None:
        # RFC 6750: tell the client why, without saying more than the error class.
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenRevoked(InvalidToken):
    code = "token_revoked"
    title = "Access token revoked"


class IdentityUnavailable(ServiceUnavailable):
    code = "identity_unavailable"
    title = "Identity service unavailable"


class IdentityProtocolError(ApplicationError):
    """The identity service answered something that does not follow its contract."""

    status = 503
    code = "identity_unavailable"
    title = "Identity service unavailable"


@dataclass(frozen=True)
class Discovery:
    issuer: str
    jwks_uri: str
    introspection_endpoint: str


class IdentityClient:
    def __init__(self, *, base_url: str, timeout: float, client_id: str, client_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)))

    @classmethod
    def from_settings(cls) -> IdentityClient:
        return cls(
            base_url=_setting("IDENTITY_SERVICE_URL"),
            timeout=_setting("IDENTITY_HTTP_TIMEOUT_SECONDS"),
            client_id=_setting("IDENTITY_CLIENT_ID"),
            client_secret=_setting("IDENTITY_CLIENT_SECRET"),
        )

    def _headers(self) -> dict[str, str]:
        request_id = get_request_id()
        return {REQUEST_ID_HEADER: request_id} if request_id else {}

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 500:
            raise IdentityUnavailable(f"identity-service answered {response.status_code}")
        if response.status_code != 200:
            raise IdentityProtocolError(f"identity-service answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise IdentityProtocolError("identity-service answered invalid JSON") from exc
        if not isinstance(body, dict):
            raise IdentityProtocolError("identity-service answered a non-object")
        return body

    def _get(self, url: str) -> dict[str, Any]:
        try:
            return self._json(self._http.get(url, headers=self._headers()))
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"identity-service unreachable: {type(exc).__name__}") from exc

    def discovery(self) -> Discovery:
        body = self._get(self.base_url + "/.well-known/openid-configuration")
        try:
            return Discovery(
                issuer=str(body["issuer"]),
                jwks_uri=str(body["jwks_uri"]),
                introspection_endpoint=str(body["introspection_endpoint"]),
            )
        except KeyError as exc:
            raise IdentityProtocolError(f"discovery document lacks {exc}") from exc

    def jwks(self, jwks_uri: str) -> dict[str, Any]:
        body = self._get(jwks_uri)
        if not isinstance(body.get("keys"), list):
            raise IdentityProtocolError("JWKS document has no key list")
        return body

    def introspect(self, introspection_endpoint: str, token: str) -> dict[str, Any]:
        try:
            response = self._http.post(
                introspection_endpoint,
                data={"token": token, "token_type_hint": "access_token"},
                auth=(self.client_id, self._client_secret),
                headers=self._headers(),
            )
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"identity-service unreachable: {type(exc).__name__}") from exc
        body = self._json(response)
        if not isinstance(body.get("active"), bool):
            raise IdentityProtocolError("introspection answer lacks `active`")
        return body


def shared_cache_keys() -> tuple[str, str]:
    """Cache keys of the shared key set and its refresh gate, namespaced by issuer.

    Two issuers (a move, a staging and a test instance on one Redis) never share keys.
    """
    issuer = hashlib.sha256(str(_setting("IDENTITY_ISSUER")).encode()).hexdigest()[:16]
    return f"identity:jwks:{issuer}", f"identity:jwks:{issuer}:refresh-gate"


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
        return float(_setting("IDENTITY_JWKS_TTL_SECONDS"))

    @property
    def _cooldown(self) -> float:
        return float(_setting("IDENTITY_JWKS_REFRESH_COOLDOWN_SECONDS"))

    @property
    def _max_stale(self) -> float:
        return float(_setting("IDENTITY_JWKS_MAX_STALE_SECONDS"))

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
            if self._discovery.issuer != _setting("IDENTITY_ISSUER"):
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
            return bool(cache.add(shared_cache_keys()[1], 1, timeout=max(int(self._cooldown), 1)))
        except Exception:  # noqa: BLE001 - Redis down: fall back to this process's cooldown
            return time.time() - self._last_failure >= self._cooldown

    def _load_shared(self) -> KeySet | None:
        try:
            raw = cache.get(shared_cache_keys()[0])
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
            cache.set(shared_cache_keys()[0], payload, timeout=int(self._max_stale))
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
        if algorithm not in _setting("IDENTITY_ALGORITHMS"):
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
                algorithms=[str(algorithm)],
                audience=_setting("IDENTITY_AUDIENCE"),
                issuer=_setting("IDENTITY_ISSUER"),
                leeway=_setting("IDENTITY_LEEWAY_SECONDS"),
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
            ttl = min(_setting("IDENTITY_INTROSPECTION_CACHE_SECONDS"), int(claims["exp"] - time.time()))
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
                keys = KeyStore(client=client, algorithms=list(_setting("IDENTITY_ALGORITHMS")))
                _verifier = TokenVerifier(keys=keys, client=client)
    return _verifier


def reset_verifier() -> None:
    """Forget the process-wide verifier (settings changed, e.g. in tests)."""
    global _verifier  # noqa: PLW0603
    _verifier = None
