"""The verifier's key store against an issuer over real HTTP and a real Redis (a key prefix of its
own per test): sharing between processes, stale-if-error up to max-stale (then readiness fails),
the single-flight refresh, Redis down, and a discovery document announcing another issuer."""

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
from tests.issuer import Issuer, serve

HUBKIT = Path(__file__).resolve().parent.parent
REDIS_URL = "redis://127.0.0.1:6379/0"


@pytest.fixture
def redis_prefix(settings: Any) -> Iterator[str]:
    """The real Redis under a prefix no one else uses; this test's keys are deleted afterwards."""
    prefix = f"hubkit-test-{uuid.uuid4().hex[:12]}"
    settings.CACHES = {"default": redis_cache(REDIS_URL, prefix=prefix)}
    yield prefix
    cache.delete_many([*shared_cache_keys()])


@pytest.fixture
def issuer(settings: Any, redis_prefix: str) -> Iterator[Issuer]:
    with serve(Issuer()) as running:
        settings.IDENTITY = {"SERVICE_URL": running.url, "LEEWAY_SECONDS": 0}
        reset_verifier()
        yield running
        cache.delete_many([*shared_cache_keys()])
        reset_verifier()


def in_another_process(issuer: Issuer, prefix: str, token: str) -> dict[str, Any]:
    result = subprocess.run(  # noqa: S603 - fixed argv
        [sys.executable, "-m", "tests.keystore_process", issuer.url, REDIS_URL, prefix, token],
        cwd=HUBKIT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer: dict[str, Any] = json.loads(result.stdout.strip().splitlines()[-1])
    return answer


def test_one_jwks_fetch_serves_two_processes_on_one_redis(issuer: Issuer, redis_prefix: str) -> None:
    first = in_another_process(issuer, redis_prefix, issuer.token(sub="first"))
    second = in_another_process(issuer, redis_prefix, issuer.token(sub="second"))
    assert (first, second) == ({"subject": "first", "fetches": 1}, {"subject": "second", "fetches": 0})
    assert issuer.jwks_fetches == 1
    # And this process, a third worker, reads the same shared copy.
    get_verifier().verify(issuer.token())
    assert (issuer.jwks_fetches, get_verifier().keys.fetches) == (1, 0)


def test_another_prefix_is_another_redis_and_fetches_again(issuer: Issuer, redis_prefix: str) -> None:
    in_another_process(issuer, redis_prefix, issuer.token())
    in_another_process(issuer, redis_prefix + "-other", issuer.token())
    assert issuer.jwks_fetches == 2


def test_stale_keys_verify_while_the_issuer_is_down_until_max_stale_then_readiness_fails(
    settings: Any, redis_prefix: str
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


def test_readiness_recovers_when_the_issuer_answers_again(settings: Any, redis_prefix: str) -> None:
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


def test_a_discovery_announcing_another_issuer_is_refused(settings: Any, redis_prefix: str) -> None:
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
