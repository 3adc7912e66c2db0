import dataclasses
import threading
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import jwt
import pytest
from django.core.cache import cache
from django.test import override_settings

from hubkit.identity import (
    ClaimsCache,
    InvalidToken,
    TokenClaims,
    TokenRevoked,
    get_verifier,
    is_service_token,
    reset_verifier,
    shared_cache_keys,
)
from hubkit.settings import redis_cache
from tests.issuer import Issuer, serve

ORG = uuid.UUID("0a0e0000-0000-4000-8000-000000000001")


def test_shared_key_cache_is_namespaced_by_issuer() -> None:
    with override_settings(IDENTITY={"ISSUER": "https://identity-a.example"}):
        first = shared_cache_keys()
    with override_settings(IDENTITY={"ISSUER": "https://identity-b.example"}):
        second = shared_cache_keys()
    with override_settings(IDENTITY={"ISSUER": "https://identity-a.example"}):
        again = shared_cache_keys()
    assert first == again
    assert set(first).isdisjoint(second)
    assert first[0] != first[1]


# -- reading claims ---------------------------------------------------------------------------


def test_a_user_token_is_read_with_its_organization_roles_and_scopes() -> None:
    payload = {
        "sub": "u1",
        "client_id": "hub-frontend",
        "sid": "s1",
        "org_id": str(ORG).upper(),
        "roles": ["manager"],
        "scope": "openid hub",
        "email": "a@b.test",
        "name": "A B",
        "exp": 2_000_000_000,
        "auth_time": 1_900_000_000,
        "amr": ["pwd"],
    }
    claims = TokenClaims.from_payload(payload)
    assert claims.is_service is False
    assert claims.subject == "u1"
    assert claims.organization_id == ORG
    assert claims.roles == frozenset({"manager"})
    assert claims.scopes == frozenset({"openid", "hub"})
    assert (claims.client_id, claims.email, claims.name) == ("hub-frontend", "a@b.test", "A B")
    assert claims.expires_at == datetime.fromtimestamp(2_000_000_000, tz=UTC)
    assert claims.auth_time == datetime.fromtimestamp(1_900_000_000, tz=UTC)
    assert claims.raw["amr"] == ["pwd"]


@pytest.mark.parametrize(
    ("payload", "is_service"),
    [
        ({"sub": "workflow", "client_id": "workflow"}, True),
        # Service tokens may be issued for an organization: still a service.
        ({"sub": "workflow", "client_id": "workflow", "org_id": str(ORG)}, True),
        # Email or roles do not make a user, nor does their absence make a service.
        ({"sub": "workflow", "client_id": "workflow", "email": "ops@x.test", "roles": ["owner"]}, True),
        ({"sub": "u1", "client_id": "hub-frontend"}, False),
        ({"sub": "u1", "client_id": "hub-frontend", "sid": "s1"}, False),
        # A session makes a user token even where sub and client_id coincide.
        ({"sub": "same", "client_id": "same", "sid": "s1"}, False),
    ],
)
def test_a_service_token_has_no_session_and_the_client_as_subject(
    payload: dict[str, Any], is_service: bool
) -> None:
    assert is_service_token(payload) is is_service
    assert TokenClaims.from_payload(payload).is_service is is_service


def test_a_service_token_never_carries_roles() -> None:
    claims = TokenClaims.from_payload({"sub": "w", "client_id": "w", "roles": ["owner"], "scope": "a b"})
    assert claims.roles == frozenset()
    assert claims.scopes == frozenset({"a", "b"})
    assert claims.organization_id is None


@pytest.mark.parametrize(
    "bad",
    [{"org_id": "acme"}, {"roles": "owner"}, {"roles": [1]}, {"scope": ["a"]}, {"exp": "soon"}],
)
def test_malformed_claims_are_invalid_tokens(bad: dict[str, Any]) -> None:
    with pytest.raises(InvalidToken):
        TokenClaims.from_payload({"sub": "u", "client_id": "c", "exp": 2_000_000_000, **bad})


# -- verifying against an issuer over HTTP ----------------------------------------------------


@pytest.fixture
def issuer(settings: Any) -> Iterator[Issuer]:
    with serve(Issuer()) as running:
        settings.IDENTITY = {
            "SERVICE_URL": running.url,
            "LEEWAY_SECONDS": 0,
            "JWKS_REFRESH_COOLDOWN_SECONDS": 0,
        }
        cache.delete_many(list(shared_cache_keys()))
        reset_verifier()
        yield running
        reset_verifier()


def test_verify_answers_typed_claims(issuer: Issuer) -> None:
    token = issuer.token(org_id=str(ORG), roles=["staff"], email="s@acme.test")
    claims = get_verifier().verify(token)
    assert isinstance(claims, TokenClaims)
    assert (claims.is_service, claims.organization_id, claims.roles) == (False, ORG, frozenset({"staff"}))


def test_the_same_token_is_verified_once_then_served_from_the_cache(issuer: Issuer) -> None:
    verifier = get_verifier()
    token = issuer.token()
    first = verifier.verify(token)
    assert len(verifier.claims_cache) == 1
    # The very object of the first check: its signature was not checked again.
    assert verifier.verify(token) is first
    other = issuer.token()
    assert verifier.verify(other) is not first
    assert len(verifier.claims_cache) == 2


def test_invalid_tokens_are_never_cached(issuer: Issuer) -> None:
    verifier = get_verifier()
    good = issuer.token()
    forged = good[: good.rindex(".") + 1] + "A" * 86
    wrong_audience = issuer.token(aud=["someone-else"])
    for token in (forged, wrong_audience, forged):
        with pytest.raises(InvalidToken):
            verifier.verify(token)
    assert len(verifier.claims_cache) == 0


def test_a_cached_token_still_expires_on_time(issuer: Issuer) -> None:
    verifier = get_verifier()
    token = issuer.token(exp=int(time.time()) + 2)
    assert verifier.verify(token).subject
    assert verifier.verify(token).subject  # cached, well within the cache's 60 s
    time.sleep(max(0.0, verifier.verify(token).expires_at.timestamp() - time.time()) + 0.05)
    with pytest.raises(InvalidToken, match="expired"):
        verifier.verify(token)
    assert len(verifier.claims_cache) == 0


def _claims(expires_in: float, now: float) -> TokenClaims:
    return TokenClaims.from_payload({"sub": "u", "client_id": "c", "exp": now + expires_in})


def test_cache_entries_live_no_longer_than_the_ttl() -> None:
    now = [1_000_000.0]
    claims_cache = ClaimsCache(ttl=60, max_entries=10, clock=lambda: now[0])
    claims = _claims(900, now[0])
    claims_cache.put("token", claims)
    now[0] += 59.9
    assert claims_cache.get("token") is claims
    now[0] += 0.1
    assert claims_cache.get("token") is None
    assert len(claims_cache) == 0


def test_cache_entries_end_with_the_token() -> None:
    now = [1_000_000.0]
    claims_cache = ClaimsCache(ttl=60, max_entries=10, clock=lambda: now[0])
    claims_cache.put("token", _claims(5, now[0]))
    now[0] += 5
    assert claims_cache.get("token") is None


def test_the_cache_is_bounded_and_drops_the_oldest_entry() -> None:
    now = 1_000_000.0
    claims_cache = ClaimsCache(ttl=60, max_entries=3, clock=lambda: now)
    for name in ("a", "b", "c", "d"):
        claims_cache.put(name, _claims(900, now))
    assert len(claims_cache) == 3
    assert claims_cache.get("a") is None
    assert all(claims_cache.get(name) is not None for name in ("b", "c", "d"))


def test_a_zero_ttl_disables_the_cache() -> None:
    claims_cache = ClaimsCache(ttl=0, max_entries=3)
    claims_cache.put("a", _claims(900, time.time()))
    assert claims_cache.get("a") is None


def test_concurrent_verification_from_many_threads(issuer: Issuer, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "CLAIMS_CACHE_SIZE": 50}
    reset_verifier()
    verifier = get_verifier()
    tokens = [issuer.token(sub=f"user-{i}") for i in range(80)]
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(offset: int) -> None:
        try:
            start.wait()
            for round_ in range(3):
                for index in range(len(tokens)):
                    token = tokens[(index + offset + round_) % len(tokens)]
                    assert verifier.verify(token).subject == jwt_subject(token)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i * 10,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(verifier.claims_cache) <= 50


def jwt_subject(token: str) -> str:
    return str(jwt.decode(token, options={"verify_signature": False})["sub"])


def test_a_worker_keeps_the_key_set_another_worker_shared(issuer: Issuer) -> None:
    first = get_verifier()
    first.verify(issuer.token())  # fetches and shares the key set through the cache
    assert issuer.jwks_fetches == 1
    reset_verifier()  # another worker: nothing of its own yet
    second = get_verifier()
    second.verify(issuer.token())
    cache.delete(shared_cache_keys()[0])
    # It verifies with the key set it loaded, not by reading (or refetching) the shared copy
    # on every request.
    second.verify(issuer.token())
    assert (issuer.jwks_fetches, second.keys.fetches) == (1, 0)


def test_without_redis_unknown_kids_still_wait_for_this_process_cooldown(
    issuer: Issuer, settings: Any
) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "JWKS_REFRESH_COOLDOWN_SECONDS": 30}
    # Nothing listens on port 1: every shared-gate call fails at once.
    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:1/0", prefix="hubkit-down")}
    verifier = get_verifier()
    verifier.verify(issuer.token())
    assert issuer.jwks_fetches == 1
    for _ in range(20):
        stranger = Issuer()  # another key, another kid: each one a miss
        with pytest.raises(InvalidToken):
            verifier.verify(stranger.token())
    assert issuer.jwks_fetches == 1


# -- introspection: revocation and the role held now -------------------------------------------


@pytest.fixture
def introspecting(settings: Any, issuer: Issuer) -> Issuer:
    settings.IDENTITY = {
        **settings.IDENTITY,
        "CLIENT_ID": "hubkit-tests",
        "CLIENT_SECRET": "dev-insecure-hubkit-tests",
        "INTROSPECTION_CACHE_SECONDS": 60,
    }
    cache.clear()
    reset_verifier()
    return issuer


def test_introspection_answers_the_role_held_now_not_the_claim(introspecting: Issuer) -> None:
    token = introspecting.token(org_id=str(ORG), roles=["admin"])
    introspecting.introspection[token] = {"active": True, "roles": ["staff"], "org_id": str(ORG)}
    verifier = get_verifier()
    claims = verifier.verify(token)
    assert claims.roles == frozenset({"admin"})
    assert verifier.introspect(token, claims) == frozenset({"staff"})
    # Cached per token: the second check does not ask again.
    assert verifier.introspect(token, claims) == frozenset({"staff"})
    assert introspecting.introspections == 1


def test_introspection_of_an_inactive_token_raises_and_a_service_token_has_no_roles(
    introspecting: Issuer,
) -> None:
    verifier = get_verifier()
    revoked = introspecting.token(roles=["owner"])
    with pytest.raises(TokenRevoked):
        verifier.introspect(revoked, verifier.verify(revoked))
    # A service token never holds roles, whatever an answer says.
    service = introspecting.token(roles=["admin"])
    introspecting.introspection[service] = {"active": True, "roles": ["admin"]}
    claims = dataclasses.replace(verifier.verify(service), is_service=True)
    assert verifier.introspect(service, claims) == frozenset()


def test_introspection_ignores_a_malformed_roles_answer(introspecting: Issuer) -> None:
    token = introspecting.token(roles=["admin"])
    introspecting.introspection[token] = {"active": True, "roles": "admin"}
    verifier = get_verifier()
    assert verifier.introspect(token, verifier.verify(token)) == frozenset()
