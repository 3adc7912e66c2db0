"""The verifier's key store against an issuer over real HTTP and a real Redis (a key prefix of its
own per test): sharing between processes, stale-if-error up to max-stale (then readiness fails),
the single-flight refresh (a caller waiting on another's refresh fetches nothing more), an issuer
answering 5xx, non-JSON or a non-object, Redis down, and a discovery document announcing another issuer."""

import json
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache

from hubkit import testing
from hubkit.health import Degraded, Healthy, identity_check, readiness_response
from hubkit.identity import (
    IdentityProtocolError,
    IdentityUnavailable,
    InvalidToken,
    TokenVerifier,
    get_verifier,
    reset_verifier,
    shared_cache_keys,
)
from hubkit.settings import redis_cache
from hubkit.testing import RedisNamespace
from tests.issuer import Issuer, serve

HUBKIT = Path(__file__).resolve().parent.parent


@pytest.fixture
def redis_namespace(settings: Any) -> Iterator[RedisNamespace]:
    """The real Redis in a namespace of this test's own (this run's and worker's database and
    prefix, `hubkit.testing.redis_namespace`); only its keys are deleted afterwards."""
    namespace = testing.redis_namespace(f"identity-keys-{uuid.uuid4().hex[:12]}")
    settings.CACHES = {"default": namespace.cache()}
    yield namespace
    namespace.flush()


@pytest.fixture
def issuer(settings: Any, redis_namespace: RedisNamespace) -> Iterator[Issuer]:
    with serve(Issuer()) as running:
        settings.IDENTITY = {"SERVICE_URL": running.url, "LEEWAY_SECONDS": 0}
        reset_verifier()
        yield running
        cache.delete_many([*shared_cache_keys()])
        reset_verifier()


def share_stale_keys(issuer: Issuer, age: float) -> None:
    """The shared copy as a worker stored it `age` seconds ago (the format `KeyStore` shares)."""
    payload = {"jwks": issuer.jwks(), "fetched_at": time.time() - age}
    cache.set(shared_cache_keys()[0], json.dumps(payload), timeout=3600)


def in_another_process(issuer: Issuer, namespace: RedisNamespace, token: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "tests.keystore_process", issuer.url, namespace.url, namespace.prefix, token],
        cwd=HUBKIT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_one_jwks_fetch_serves_two_processes_on_one_redis(
    issuer: Issuer, redis_namespace: RedisNamespace
) -> None:
    first = in_another_process(issuer, redis_namespace, issuer.token(sub="first"))
    second = in_another_process(issuer, redis_namespace, issuer.token(sub="second"))
    assert (first, second) == ({"subject": "first", "fetches": 1}, {"subject": "second", "fetches": 0})
    assert issuer.jwks_fetches == 1
    # And this process, a third worker, reads the same shared copy.
    get_verifier().verify(issuer.token())
    assert (issuer.jwks_fetches, get_verifier().keys.fetches) == (1, 0)


def test_another_prefix_is_another_redis_and_fetches_again(
    issuer: Issuer, redis_namespace: RedisNamespace
) -> None:
    other = testing.redis_namespace(redis_namespace.prefix.rsplit("-", 1)[-1] + "-other")
    try:
        in_another_process(issuer, redis_namespace, issuer.token())
        in_another_process(issuer, other, issuer.token())
        assert issuer.jwks_fetches == 2
    finally:
        other.flush()


def test_stale_keys_verify_while_the_issuer_is_down_until_max_stale_then_readiness_fails(
    settings: Any, redis_namespace: RedisNamespace
) -> None:
    with serve(Issuer()) as running:
        settings.IDENTITY = {
            "SERVICE_URL": running.url,
            "LEEWAY_SECONDS": 0,
            "JWKS_TTL_SECONDS": 0,  # every verification would like fresher keys
            "JWKS_REFRESH_COOLDOWN_SECONDS": 0,
            "JWKS_MAX_STALE_SECONDS": 1.5,
        }
        reset_verifier()
        verifier = get_verifier()
        verifier.verify(running.token())
        tokens = [running.token(sub=f"later-{n}") for n in range(3)]
    # The issuer is gone: nothing listens on its port any more.
    assert verifier.verify(tokens[0]).subject == "later-0"  # the last good keys
    assert isinstance(identity_check(), Degraded)  # still within max-stale: ready, degraded
    assert readiness_response({"identity": identity_check}).status_code == 200
    time.sleep(1.6)
    assert verifier.verify(tokens[1]).subject == "later-1"  # stale-if-error keeps verifying
    with pytest.raises(IdentityUnavailable):
        identity_check()
    response = readiness_response({"identity": identity_check})
    assert response.status_code == 503
    assert json.loads(response.content)["failing"] == ["identity"]


def test_readiness_recovers_when_the_issuer_answers_again(
    settings: Any, redis_namespace: RedisNamespace
) -> None:
    settings.IDENTITY = {"SERVICE_URL": "http://127.0.0.1:1", "JWKS_REFRESH_COOLDOWN_SECONDS": 0}
    reset_verifier()
    with pytest.raises(IdentityUnavailable):
        identity_check()  # no keys and no issuer
    with serve(Issuer()) as running:
        settings.IDENTITY = {"SERVICE_URL": running.url, "JWKS_REFRESH_COOLDOWN_SECONDS": 0}
        reset_verifier()
        assert isinstance(identity_check(), Healthy)
        assert running.jwks_fetches == 2  # the probe, then the keys themselves


def verify_together(verifier: TokenVerifier, tokens: list[str]) -> list[Any]:
    """Each token verified in its own thread, all released by one barrier: subjects or errors."""
    count = len(tokens)
    barrier = threading.Barrier(count)
    results: list[Any] = [None] * count

    def run(index: int) -> None:
        barrier.wait()
        try:
            results[index] = verifier.verify(tokens[index]).subject
        except Exception as exc:  # noqa: BLE001 - returned to the assertions
            results[index] = exc

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_a_cold_start_under_load_fetches_the_keys_once(issuer: Issuer) -> None:
    for round_ in range(5):
        cache.delete_many([*shared_cache_keys()])
        reset_verifier()
        before = issuer.jwks_fetches
        tokens = [issuer.token(sub=f"{round_}-{n}") for n in range(8)]
        verifier = get_verifier()
        subjects = verify_together(verifier, tokens)
        assert subjects == [f"{round_}-{n}" for n in range(8)]
        assert issuer.jwks_fetches - before == 1


def test_a_new_kid_arriving_in_many_threads_at_once_is_fetched_once(issuer: Issuer, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "JWKS_REFRESH_COOLDOWN_SECONDS": 30}
    for round_ in range(3):
        cache.delete_many([*shared_cache_keys()])
        reset_verifier()
        verifier: TokenVerifier = get_verifier()
        verifier.verify(issuer.token())
        before = issuer.jwks_fetches
        issuer.rotate()
        tokens = [issuer.token(sub=f"{round_}-{n}") for n in range(8)]
        subjects = verify_together(verifier, tokens)
        assert subjects == [f"{round_}-{n}" for n in range(8)]
        assert issuer.jwks_fetches - before == 1
        # A flood of unknown kids within the cooldown fetches nothing more.
        strangers = [Issuer().token() for _ in range(8)]
        answers = verify_together(verifier, strangers)
        assert all(isinstance(answer, InvalidToken) for answer in answers)
        assert issuer.jwks_fetches - before == 1


def test_with_redis_down_tokens_verify_and_introspect_from_the_issuer(settings: Any) -> None:
    settings.CACHES = {"default": redis_cache("redis://127.0.0.1:1/0", prefix="hubkit-down")}
    with serve(Issuer()) as running:
        settings.IDENTITY = {"SERVICE_URL": running.url, "LEEWAY_SECONDS": 0}
        reset_verifier()
        verifier = get_verifier()
        token = running.token(roles=["staff"])
        running.introspection[token] = {"active": True, "roles": ["manager"]}
        claims = verifier.verify(token)
        assert verifier.verify(running.token()).subject  # the process keeps its own keys
        assert running.jwks_fetches == 1
        assert verifier.introspect(token, claims) == {"manager"}
        assert verifier.introspect(token, claims) == {"manager"}
        assert running.introspections == 2  # nothing cached: each answer is the issuer's own
        assert isinstance(identity_check(), Healthy)  # Redis is an optimisation here
        reset_verifier()


def test_a_discovery_announcing_another_issuer_is_refused(
    settings: Any, redis_namespace: RedisNamespace
) -> None:
    with serve(Issuer(announced_issuer="https://identity.elsewhere.example")) as running:
        settings.IDENTITY = {"SERVICE_URL": running.url, "JWKS_REFRESH_COOLDOWN_SECONDS": 0}
        reset_verifier()
        verifier = get_verifier()
        for _ in range(2):
            with pytest.raises((IdentityUnavailable, IdentityProtocolError)):
                verifier.verify(running.token())
        assert running.jwks_fetches == 0  # its keys are never even read
        with pytest.raises(IdentityProtocolError):
            verifier.keys.discovery()
        assert running.discovery_fetches >= 2  # refused answers are not remembered
        reset_verifier()


def test_stale_keys_another_process_refreshed_meanwhile_are_adopted_without_a_fetch(
    issuer: Issuer, redis_namespace: RedisNamespace, settings: Any
) -> None:
    # No gate between refreshes here: only reading the other process's fresh copy saves a fetch.
    settings.IDENTITY = {**settings.IDENTITY, "JWKS_REFRESH_COOLDOWN_SECONDS": 0}
    share_stale_keys(issuer, age=600)  # older than the TTL (300 s), younger than max-stale
    verifier = get_verifier()
    assert (verifier.keys.age_seconds() or 0) >= 600  # this process holds the stale keys
    # Meanwhile another process finds them stale too, fetches once and shares the fresh copy.
    assert in_another_process(issuer, redis_namespace, issuer.token(sub="other")) == {
        "subject": "other",
        "fetches": 1,
    }
    assert verifier.verify(issuer.token(sub="here")).subject == "here"
    assert (issuer.jwks_fetches, verifier.keys.fetches) == (1, 0)
    assert (verifier.keys.age_seconds() or 600) < 300  # it verifies with the fresh copy now


def test_a_caller_waiting_on_another_threads_refresh_gets_its_keys_without_fetching(
    issuer: Issuer, redis_namespace: RedisNamespace, settings: Any
) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "JWKS_REFRESH_COOLDOWN_SECONDS": 0}
    share_stale_keys(issuer, age=600)
    verifier = get_verifier()
    verifier.keys.age_seconds()  # holds the stale keys
    issuer.hold_jwks = threading.Event()
    first = threading.Thread(target=verifier.keys.refresh)
    first.start()
    assert issuer.jwks_requested.wait(timeout=30)  # the first refresh is in flight, holding the lock
    answers: list[Any] = []
    second = threading.Thread(target=lambda: answers.append(verifier.keys.refresh()))
    second.start()
    # Let the second caller reach the lock before the fetch completes; had it come later it would
    # only find fresh keys the plain way (the test could then pass without proving the wait, never fail).
    second.join(timeout=0.5)
    issuer.hold_jwks.set()
    first.join(timeout=30)
    second.join(timeout=30)
    assert issuer.jwks_fetches == 1
    assert verifier.keys.fetches == 1
    assert answers  # and the second caller answered with the fresh keys the first one fetched
    assert time.time() - answers[0].fetched_at < 300


BROKEN_ANSWERS = {
    "5xx": (503, "application/json", b'{"detail": "down"}'),
    "non-JSON": (200, "text/html", b"<html>maintenance</html>"),
    "a list": (200, "application/json", b'[{"keys": []}]'),
}


@pytest.mark.parametrize("answer", BROKEN_ANSWERS.values(), ids=BROKEN_ANSWERS.keys())
def test_a_broken_issuer_without_cached_keys_is_a_clear_unavailable(
    answer: tuple[int, str, bytes], settings: Any, redis_namespace: RedisNamespace
) -> None:
    with serve(Issuer(broken=answer)) as running:
        settings.IDENTITY = {"SERVICE_URL": running.url, "JWKS_REFRESH_COOLDOWN_SECONDS": 0}
        reset_verifier()
        with pytest.raises(IdentityUnavailable, match="no signing keys are cached") as raised:
            get_verifier().verify(running.token())
        assert isinstance(raised.value.__cause__, (IdentityUnavailable, IdentityProtocolError))
        with pytest.raises((IdentityUnavailable, IdentityProtocolError)):
            identity_check()  # not ready: nothing can be verified
        assert running.broken_answers >= 2
        reset_verifier()


@pytest.mark.parametrize("answer", BROKEN_ANSWERS.values(), ids=BROKEN_ANSWERS.keys())
def test_a_broken_issuer_leaves_the_cached_keys_verifying_and_readiness_degraded(
    answer: tuple[int, str, bytes], settings: Any, redis_namespace: RedisNamespace
) -> None:
    with serve(Issuer()) as running:
        settings.IDENTITY = {
            "SERVICE_URL": running.url,
            "JWKS_TTL_SECONDS": 0,  # every verification would like fresher keys
            "JWKS_REFRESH_COOLDOWN_SECONDS": 0,
        }
        reset_verifier()
        verifier = get_verifier()
        verifier.verify(running.token())
        cache.delete(shared_cache_keys()[0])  # nothing fresher to read elsewhere either
        running.broken = answer
        assert verifier.verify(running.token(sub="later")).subject == "later"
        assert running.broken_answers >= 1  # a refresh was tried, and failed
        assert isinstance(identity_check(), Degraded)
        assert (running.jwks_fetches, verifier.keys.fetches) == (1, 1)
        reset_verifier()
