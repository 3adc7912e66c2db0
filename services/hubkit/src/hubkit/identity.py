"""Verifying identity-service access tokens, shared by every hub service.

Keys are discovered once (OIDC discovery → JWKS), kept per process and shared between
processes through the Django cache (Redis). A token with an unknown `kid` triggers at most one
refresh per cooldown window across all workers (a flood of random kids cannot cause a fetch
storm); concurrent refreshes in a process share one fetch; a failed refresh keeps the last good
keys (stale-if-error: PyJWT drops its cache on failure, we do not).

A verified token's claims are kept per process for a short while (`ClaimsCache`), so a client
sending the same token on every request pays for one EdDSA check, not one per request.

`verify` answers `TokenClaims`: the one reading of identity-service's claims every service uses
(who is a service, which organization, roles, scopes).

Settings read (on use): `IDENTITY`, a dict with the keys of `hubkit.settings.IdentityConfig`
(every key has a default there; build it with `hubkit.settings.identity_settings`).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx
import jwt
from django.conf import settings
from django.core.cache import cache

from hubkit.errors import ApplicationError, NotAuthenticated, ServiceUnavailable
from hubkit.request_id import HEADER as REQUEST_ID_HEADER
from hubkit.request_id import get_request_id
from hubkit.settings import IdentityConfig

logger = logging.getLogger(__name__)

# The scope identity-service requires of a client calling its introspection endpoint.
INTROSPECT_SCOPE = "introspect"


def identity_config() -> IdentityConfig:
    """The hosting service's `IDENTITY` setting over hubkit's defaults, read now.

    Read on use, so an operator's (or a test's) settings change applies without a restart.
    """
    return IdentityConfig.from_setting(getattr(settings, "IDENTITY", {}))


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
        config = identity_config()
        return cls(
            base_url=config.service_url,
            timeout=config.http_timeout_seconds,
            client_id=config.client_id,
            client_secret=config.client_secret,
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
    issuer = hashlib.sha256(identity_config().expected_issuer.encode()).hexdigest()[:16]
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
        self._last_fetch = 0.0
        self.fetches = 0  # JWKS documents this process fetched (for benchmarks and tests)

    # Read on use, so an operator's (or a test's) settings change applies without a restart.
    @property
    def _ttl(self) -> float:
        return float(identity_config().jwks_ttl_seconds)

    @property
    def _cooldown(self) -> float:
        return float(identity_config().jwks_refresh_cooldown_seconds)

    @property
    def _max_stale(self) -> float:
        return float(identity_config().jwks_max_stale_seconds)

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
            if self._discovery.issuer != identity_config().expected_issuer:
                self._discovery = None
                raise IdentityProtocolError("identity-service announces an unexpected issuer")
        return self._discovery

    def is_fresh(self) -> bool:
        keyset = self._keyset
        return keyset is not None and time.time() - keyset.fetched_at < self._max_stale

    def age_seconds(self) -> float | None:
        """How old the keys this process verifies with are (None: it has none yet)."""
        keyset = self._keyset
        if keyset is None:
            keyset = self._keyset = self._load_shared()
        return None if keyset is None else max(time.time() - keyset.fetched_at, 0.0)

    def probe(self) -> None:
        """Ask the issuer for its key set now, keeping what we have (readiness); raises when unreachable."""
        self._client.jwks(self.discovery().jwks_uri)

    def refresh(self) -> KeySet:
        """Fetch unless the keys are fresh (and subject to the shared gate); used by readiness."""
        return self._refresh(want_kid=None)

    # -- internals --------------------------------------------------------------------

    def _usable_keyset(self) -> KeySet:
        keyset = self._keyset
        if keyset is None:
            # Kept: a worker that did not fetch the keys itself must not read and parse the
            # shared copy again on every request.
            keyset = self._keyset = self._load_shared()
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
        if (
            current is not None
            and now - current.fetched_at <= self._ttl
            and (want_kid is None or want_kid in current.keys)
        ):
            return current  # another thread of this process fetched while this one waited
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
        self._last_fetch = time.time()
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
            return time.time() - max(self._last_fetch, self._last_failure) >= self._cooldown

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


def is_service_token(claims: Mapping[str, Any]) -> bool:
    """Whether claims describe a service (client_credentials) token rather than a user's.

    identity-service's own rule: a user token comes from a login session, so it names the
    session (`sid`) and the user as `sub`; a client_credentials token has no session and its
    `sub` is the `client_id`. Roles or an email are no test: a service token may one day carry
    either, and the issuer itself does not decide by them.
    """
    return "sid" not in claims and claims.get("sub") == claims.get("client_id")


def _timestamp(value: object, name: str) -> datetime:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidToken(f"The access token's {name} claim is malformed.")
    try:
        return datetime.fromtimestamp(value, tz=UTC)
    except (OverflowError, OSError, ValueError) as exc:
        raise InvalidToken(f"The access token's {name} claim is malformed.") from exc


@dataclass(frozen=True)
class TokenClaims:
    """A verified access token, read once: what every service needs to authorize its caller.

    Service tokens have no roles (whatever the token says); `organization_id` is the `org_id`
    claim, None when the token is for no organization. `raw` keeps every claim as sent.
    """

    subject: str
    is_service: bool
    organization_id: uuid.UUID | None
    roles: frozenset[str]
    scopes: frozenset[str]
    client_id: str
    email: str
    name: str
    expires_at: datetime
    auth_time: datetime | None = None
    raw: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any]) -> TokenClaims:
        """Interpret a token's claims; InvalidToken if one the hub relies on is malformed."""
        is_service = is_service_token(payload)
        org = payload.get("org_id")
        try:
            organization_id = uuid.UUID(str(org)) if org not in (None, "") else None
        except ValueError as exc:
            raise InvalidToken("The access token names an invalid organization.") from exc
        raw_roles = payload.get("roles", [])
        if raw_roles is None:
            raw_roles = []
        if not isinstance(raw_roles, list) or not all(isinstance(role, str) for role in raw_roles):
            raise InvalidToken("The access token's roles claim is malformed.")
        scope = payload.get("scope", "")
        if not isinstance(scope, str):
            raise InvalidToken("The access token's scope claim is malformed.")
        # A token without `exp` never reaches here from `verify` (it is required); for claims
        # built elsewhere (tests, fixtures) that lack one, the epoch means "already expired".
        expires_at = _timestamp(payload.get("exp", 0), "exp")
        auth_time = payload.get("auth_time")
        return cls(
            subject=str(payload["sub"]),
            is_service=is_service,
            organization_id=organization_id,
            roles=frozenset() if is_service else frozenset(raw_roles),
            scopes=frozenset(scope.split()),
            client_id=str(payload.get("client_id", "")),
            email=str(payload.get("email") or ""),
            name=str(payload.get("name") or ""),
            expires_at=expires_at,
            auth_time=_timestamp(auth_time, "auth_time") if auth_time is not None else None,
            raw=dict(payload),
        )


class ClaimsCache:
    """Verified tokens' claims, per process, keyed by the token's SHA-256; thread-safe and bounded.

    An entry lives until the token expires or `ttl` passes, whichever comes first. The short
    `ttl` bounds how long a token stays accepted after the issuer withdrew the key that signed
    it (rotation with a compromised key): at most `ttl` seconds, then its signature is checked
    against the current key set again. Revocation of single tokens is introspection's job
    (never cached here beyond its own setting). Only verified tokens are ever put in; when full,
    the oldest entry goes.
    """

    def __init__(self, *, ttl: float, max_entries: int, clock: Any = time.time) -> None:
        self.ttl = ttl
        self.max_entries = max_entries
        self._clock = clock
        self._lock = threading.Lock()
        self._entries: OrderedDict[bytes, tuple[TokenClaims, float]] = OrderedDict()

    @staticmethod
    def _key(token: str) -> bytes:
        return hashlib.sha256(token.encode()).digest()

    def get(self, token: str) -> TokenClaims | None:
        key = self._key(token)
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            claims, deadline = entry
            if self._clock() >= deadline:
                del self._entries[key]
                return None
            return claims

    def put(self, token: str, claims: TokenClaims) -> None:
        if self.ttl <= 0 or self.max_entries <= 0:
            return
        deadline = min(claims.expires_at.timestamp(), self._clock() + self.ttl)
        key = self._key(token)
        with self._lock:
            self._entries[key] = (claims, deadline)
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)


class TokenVerifier:
    def __init__(self, *, keys: KeyStore, client: IdentityClient, claims_cache: ClaimsCache) -> None:
        self.keys = keys
        self._client = client
        self.claims_cache = claims_cache

    def verify(self, token: str) -> TokenClaims:
        """The token's claims if it is a valid access token for this service, else InvalidToken."""
        cached = self.claims_cache.get(token)
        if cached is not None:
            return cached
        claims = TokenClaims.from_payload(self._decode(token, identity_config()))
        self.claims_cache.put(token, claims)
        return claims

    def _decode(self, token: str, config: IdentityConfig) -> dict[str, Any]:
        try:
            header = jwt.get_unverified_header(token)
        except jwt.PyJWTError as exc:
            raise InvalidToken("The access token is malformed.") from exc
        algorithm = header.get("alg")
        # Pinned algorithms: the header never chooses (no `none`, no HS256-with-public-key).
        if algorithm not in config.algorithms:
            raise InvalidToken("The access token uses a forbidden algorithm.")
        if str(header.get("typ", "")).lower() not in _ACCEPTED_TYP:
            raise InvalidToken("The token is not an access token.")
        kid = header.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > 200:
            raise InvalidToken("The access token names no key.")
        key = self.keys.key_for(kid)
        try:
            payload: dict[str, Any] = jwt.decode(
                token,
                key=key,
                algorithms=[str(algorithm)],
                audience=config.audience,
                issuer=config.expected_issuer,
                # Since PyJWT 2.6 an `iat` a moment ahead of our clock is refused without leeway.
                leeway=config.leeway_seconds,
                options={"require": ["exp", "iat", "iss", "aud", "sub", "jti"]},
            )
        except jwt.ExpiredSignatureError as exc:
            raise InvalidToken("The access token has expired.") from exc
        except jwt.PyJWTError as exc:
            raise InvalidToken() from exc
        return payload

    def introspect(self, token: str, claims: TokenClaims) -> frozenset[str]:
        """Ask the issuer whether the token is still active; the roles its holder has now.

        TokenRevoked when it is not active. The roles are the issuer's current answer, not the
        token's claim (a demotion shows at once; empty for service tokens): callers that grant
        by role check them. The answer is cached briefly (`introspection_cache_seconds`), never
        beyond the token's expiry.
        """
        cache_key = "identity:introspect:v2:" + hashlib.sha256(token.encode()).hexdigest()
        try:
            cached = cache.get(cache_key)
        except Exception:  # noqa: BLE001
            cached = None
        if not isinstance(cached, dict):
            answer = self._client.introspect(self.keys.discovery().introspection_endpoint, token)
            roles = answer.get("roles") if answer["active"] else []
            cached = {
                "active": bool(answer["active"]),
                "roles": sorted(r for r in roles if isinstance(r, str)) if isinstance(roles, list) else [],
            }
            ttl = min(
                identity_config().introspection_cache_seconds,
                int(claims.expires_at.timestamp() - time.time()),
            )
            if ttl > 0:
                try:
                    cache.set(cache_key, cached, timeout=ttl)
                except Exception:  # noqa: BLE001
                    logger.warning("could not cache an introspection answer")
        if not cached.get("active"):
            raise TokenRevoked("The access token has been revoked.")
        return frozenset() if claims.is_service else frozenset(cached.get("roles", []))


_verifier: TokenVerifier | None = None
_verifier_lock = threading.Lock()


def get_verifier() -> TokenVerifier:
    """The process-wide verifier.

    One per process, never one per request: a fresh key store would fetch the JWKS on every
    request, and a fresh claims cache would remember nothing.
    """
    global _verifier  # noqa: PLW0603 - a per-process singleton by design
    if _verifier is None:
        with _verifier_lock:
            if _verifier is None:
                config = identity_config()
                client = IdentityClient.from_settings()
                keys = KeyStore(client=client, algorithms=list(config.algorithms))
                claims_cache = ClaimsCache(
                    ttl=config.claims_cache_seconds, max_entries=config.claims_cache_size
                )
                _verifier = TokenVerifier(keys=keys, client=client, claims_cache=claims_cache)
    return _verifier


def reset_verifier() -> None:
    """Forget the process-wide verifier (settings changed, e.g. in tests)."""
    global _verifier  # noqa: PLW0603
    _verifier = None
