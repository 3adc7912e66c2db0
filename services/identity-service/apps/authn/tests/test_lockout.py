"""Throttling of passwords per (address, account) with doubling delays, its backstops, known
devices, the trusted proxy header, and the per-user MFA lock."""

import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import Organization, Role, User
from apps.authn.exceptions import TooManyAttempts
from apps.authn.lockout import mfa_lockout_check, mfa_lockout_record_failure
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db

LOGIN = "/api/v1/auth/login"


def address() -> str:
    n = uuid.uuid4().int
    return f"172.{16 + n % 16}.{n // 16 % 256}.{n // 4096 % 254 + 1}"


def log_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post(
        LOGIN, {"email": email, "password": password, **extra}, content_type="application/json"
    )


def test_an_attacker_failing_from_one_address_does_not_lock_the_owner_out_elsewhere(
    make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    user = make_user((org, Role.STAFF))
    attacker, owner = Client(REMOTE_ADDR=address()), Client(REMOTE_ADDR=address())
    statuses = [log_in(attacker, user.email, "guess").status_code for _ in range(10)]
    assert statuses[: settings.LOGIN_MAX_FAILURES] == [401] * settings.LOGIN_MAX_FAILURES
    assert set(statuses[settings.LOGIN_MAX_FAILURES :]) == {429}  # delayed, not guessing
    assert log_in(attacker, user.email, PASSWORD).status_code == 429
    assert log_in(owner, user.email, PASSWORD).status_code == 200


def test_each_failure_past_the_limit_doubles_the_delay(
    make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.LOGIN_DELAY_SECONDS = 1
    user = make_user((org, Role.STAFF))
    client = Client(REMOTE_ADDR=address())
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert log_in(client, user.email, "guess").status_code == 401
    first = log_in(client, user.email, PASSWORD)
    assert first.status_code == 429
    assert first["Retry-After"] == "1"
    time.sleep(1.1)
    assert log_in(client, user.email, "guess").status_code == 401  # the one try the delay allows
    second = log_in(client, user.email, PASSWORD)
    assert second.status_code == 429
    assert second["Retry-After"] == "2"
    time.sleep(2.1)
    assert log_in(client, user.email, PASSWORD).status_code == 200
    assert log_in(client, user.email, "guess").status_code == 401  # the success forgave the pair


def test_the_account_ceiling_stops_guessing_from_many_addresses_but_not_a_known_device(
    make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 4
    user = make_user((org, Role.STAFF))
    device_token = log_in(Client(REMOTE_ADDR=address()), user.email, PASSWORD).json()["device_token"]
    for _ in range(4):
        assert log_in(Client(REMOTE_ADDR=address()), user.email, "guess").status_code == 401
    response = log_in(Client(REMOTE_ADDR=address()), user.email, PASSWORD)
    assert response.status_code == 429
    assert int(response["Retry-After"]) <= settings.LOGIN_ACCOUNT_WINDOW_SECONDS
    known = log_in(Client(REMOTE_ADDR=address()), user.email, PASSWORD, device_token=device_token)
    assert known.status_code == 200


def test_a_known_device_is_not_delayed_by_failures_from_its_own_address(
    make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    user, other = make_user((org, Role.STAFF)), make_user((org, Role.STAFF))
    shared = address()  # one office NAT: the attacker and the owner share it
    device_token = log_in(Client(REMOTE_ADDR=shared), user.email, PASSWORD).json()["device_token"]
    for _ in range(settings.LOGIN_MAX_FAILURES):
        log_in(Client(REMOTE_ADDR=shared), user.email, "guess")
    assert log_in(Client(REMOTE_ADDR=shared), user.email, PASSWORD).status_code == 429
    assert (
        log_in(Client(REMOTE_ADDR=shared), user.email, PASSWORD, device_token=device_token).status_code == 200
    )
    # The token is the account's own: it does not vouch for another account, nor when forged.
    assert (
        log_in(Client(REMOTE_ADDR=shared), other.email, "guess", device_token=device_token).status_code == 401
    )
    forged = log_in(Client(REMOTE_ADDR=shared), user.email, PASSWORD, device_token=device_token + "x")
    assert forged.status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_is_the_client(
    make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = 1
    user = make_user((org, Role.STAFF))
    proxy = address()  # everyone arrives from the proxy's address
    attacker_ip, owner_ip = address(), address()
    for n in range(settings.LOGIN_MAX_FAILURES):
        # The left part is the attacker's own say and changes every time; the proxy appends the truth.
        via_proxy = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"203.0.113.{n}, {attacker_ip}")
        assert log_in(via_proxy, user.email, "guess").status_code == 401
    spoofed = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=f"{owner_ip}, {attacker_ip}")
    assert log_in(spoofed, user.email, PASSWORD).status_code == 429
    owner = Client(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=owner_ip)
    assert log_in(owner, user.email, PASSWORD).status_code == 200


def test_each_mfa_lock_lasts_twice_the_previous(settings: Any) -> None:
    settings.MFA_LOCKOUT_SECONDS = 1
    user_id = uuid.uuid4()
    for _ in range(settings.MFA_USER_MAX_FAILURES):
        mfa_lockout_check(user_id=user_id)
        mfa_lockout_record_failure(user_id=user_id)
    with pytest.raises(TooManyAttempts) as first:
        mfa_lockout_check(user_id=user_id)
    assert first.value.headers["Retry-After"] == "1"
    time.sleep(1.1)
    for _ in range(settings.MFA_USER_MAX_FAILURES):
        mfa_lockout_check(user_id=user_id)
        mfa_lockout_record_failure(user_id=user_id)
    with pytest.raises(TooManyAttempts) as second:
        mfa_lockout_check(user_id=user_id)
    assert second.value.headers["Retry-After"] == "2"
