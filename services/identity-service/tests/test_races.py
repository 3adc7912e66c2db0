"""Guarantees that must hold when requests arrive at the same instant.

Each test runs several rounds against the live server (a thread per request, each with its own
database connection); in every round the requests wait on a barrier and then all go at once.
Addresses come from `X-Forwarded-For` (the live server's peer acts as the one trusted proxy), so
every round has addresses of its own.
"""

import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import jwt
import pyotp
import pytest
from django.db import connection
from pytest_django.live_server_helper import LiveServer

from apps.accounts.models import Membership, Organization, Role, User
from apps.authn.services import mfa_secret_set
from apps.signing.models import KeyState, SigningKey
from apps.signing.services import signing_key_rotate
from apps.tokens.models import RefreshToken, Session
from tests.fixtures import PASSWORD

ROUNDS = 5
LOGIN = "/api/v1/auth/login"


@pytest.fixture(autouse=True)
def _forwarded_addresses(settings: Any) -> None:
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    settings.TRUSTED_PROXY_COUNT = 1


def address() -> str:
    n = uuid.uuid4().int
    return f"10.{n % 250}.{n // 250 % 250}.{n // 62500 % 250 + 1}"


Call = Callable[[httpx.Client], httpx.Response]


def at_once(server: LiveServer, calls: list[Call]) -> list[httpx.Response]:
    """Runs every call in its own thread and connection, all released together by one barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call: Callable[[httpx.Client], httpx.Response]) -> httpx.Response:
        with httpx.Client(base_url=server.url, timeout=30) as client:
            client.get("/api/health/")  # the connection is open before the barrier
            barrier.wait()
            return call(client)

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def post(path: str, body: dict[str, Any], **headers: str) -> Call:
    return lambda client: client.post(path, json=body, headers=headers)


def wrong_password(email: str, ip: str) -> Call:
    return post(LOGIN, {"email": email, "password": "not the password"}, **{"X-Forwarded-For": ip})


def right_password(email: str, ip: str) -> Call:
    return post(LOGIN, {"email": email, "password": PASSWORD}, **{"X-Forwarded-For": ip})


def log_in(server: LiveServer, user: User, **extra: Any) -> dict[str, Any]:
    response = httpx.post(
        server.url + LOGIN,
        json={"email": user.email, "password": PASSWORD, **extra},
        headers={"X-Forwarded-For": address()},
    )
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def demote(*, org: Organization, target: User, token: str) -> Call:
    path = f"/api/v1/organizations/{org.id}/members/{target.id}"
    headers = {"Authorization": f"Bearer {token}"}
    return lambda client: client.patch(path, json={"role": "admin"}, headers=headers)


def statuses(responses: list[httpx.Response]) -> list[int]:
    return sorted(response.status_code for response in responses)


def test_parallel_wrong_passwords_get_no_more_tries_than_sequential_ones(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    limit = settings.LOGIN_MAX_FAILURES
    for _ in range(ROUNDS):
        user, ip = make_user((org, Role.STAFF)), address()
        answers = at_once(live_server, [wrong_password(user.email, ip)] * 8)
        assert statuses(answers) == [401] * limit + [429] * (8 - limit)
        # The pair waits, the right password too.
        assert at_once(live_server, [right_password(user.email, ip)])[0].status_code == 429


def test_parallel_guesses_from_many_addresses_stop_at_the_account_ceiling(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.LOGIN_ACCOUNT_MAX_FAILURES = 4
    for _ in range(ROUNDS):
        user = make_user((org, Role.STAFF))
        answers = at_once(live_server, [wrong_password(user.email, address()) for _ in range(8)])
        assert statuses(answers) == [401] * 4 + [429] * 4


def test_parallel_spraying_from_one_address_stops_at_the_address_ceiling(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.LOGIN_IP_MAX_FAILURES = 4
    for _ in range(ROUNDS):
        ip = address()
        users = [make_user((org, Role.STAFF)) for _ in range(8)]
        answers = at_once(live_server, [wrong_password(user.email, ip) for user in users])
        assert statuses(answers) == [401] * 4 + [429] * 4


def test_right_passwords_in_parallel_do_not_fill_a_ceiling(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.LOGIN_IP_MAX_FAILURES = 4
    ip = address()
    users = [make_user((org, Role.STAFF)) for _ in range(6)]
    for _ in range(2):
        answers = at_once(live_server, [right_password(user.email, ip) for user in users])
        # At most the limit run at once; a success gives its unit back.
        assert set(statuses(answers)) <= {200, 429}
        assert statuses(answers).count(200) >= 4
    guesses = at_once(live_server, [wrong_password(users[0].email + "x", ip)] * 2)
    assert statuses(guesses) == [401, 401]  # the successes left the address's ceiling untouched


def test_two_owners_demoting_each_other_at_once_leave_an_owner(
    live_server: LiveServer, make_org: Callable[..., Organization], make_user: Callable[..., User]
) -> None:
    for _ in range(ROUNDS):
        org = make_org()
        first, second = make_user((org, Role.OWNER)), make_user((org, Role.OWNER))
        tokens = {user.id: log_in(live_server, user)["access_token"] for user in (first, second)}
        answers = at_once(
            live_server,
            [
                demote(org=org, target=second, token=tokens[first.id]),
                demote(org=org, target=first, token=tokens[second.id]),
            ],
        )
        # The loser either is no owner any more when it is read (403) or would leave none (409).
        assert [a.status_code for a in answers].count(200) == 1
        losers = {a.json()["code"] for a in answers if a.status_code != 200}
        assert losers <= {"last_owner", "permission_denied"}
        assert Membership.objects.filter(organization=org, role=Role.OWNER).count() == 1


def test_parallel_refreshes_of_one_token_rotate_it_once(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization
) -> None:
    for _ in range(ROUNDS):
        body = log_in(live_server, make_user((org, Role.STAFF)))
        refresh = {"refresh_token": body["refresh_token"]}
        answers = at_once(live_server, [post("/api/v1/auth/refresh", refresh)] * 3)
        assert statuses(answers) == [200, 200, 200]  # within the grace: the same successor for all
        assert len({answer.json()["refresh_token"] for answer in answers}) == 1
        session_id = jwt.decode(body["access_token"], options={"verify_signature": False})["sid"]
        assert RefreshToken.objects.filter(session_id=session_id).count() == 2  # one rotation
        successor = {"refresh_token": answers[0].json()["refresh_token"]}
        onward = httpx.post(live_server.url + "/api/v1/auth/refresh", json=successor)
        assert onward.status_code == 200


def test_without_grace_one_of_two_parallel_refreshes_wins_and_the_reuse_ends_the_family(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.REFRESH_REUSE_GRACE_SECONDS = -1
    for _ in range(ROUNDS):
        body = log_in(live_server, make_user((org, Role.STAFF)))
        refresh = {"refresh_token": body["refresh_token"]}
        answers = at_once(live_server, [post("/api/v1/auth/refresh", refresh)] * 2)
        assert statuses(answers) == [200, 401]
        winner = next(a for a in answers if a.status_code == 200).json()
        loser = next(a for a in answers if a.status_code == 401).json()
        assert loser["code"] == "refresh_token_reused"
        session_id = jwt.decode(body["access_token"], options={"verify_signature": False})["sid"]
        assert Session.objects.get(id=session_id).revoke_reason == "refresh_reused"
        onward = httpx.post(
            live_server.url + "/api/v1/auth/refresh", json={"refresh_token": winner["refresh_token"]}
        )
        assert onward.status_code == 401  # the whole family is gone


def test_one_totp_code_verified_twice_at_once_signs_in_once(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization
) -> None:
    for _ in range(ROUNDS):
        secret = pyotp.random_base32()
        user = mfa_secret_set(user=make_user((org, Role.STAFF)), secret=secret)
        # Two challenges (two logins) and one challenge presented twice: one code, one sign-in.
        challenges = [log_in(live_server, user)["mfa_token"] for _ in range(2)]
        for pair in ([challenges[0], challenges[1]], [log_in(live_server, user)["mfa_token"]] * 2):
            code = pyotp.TOTP(secret).now()
            verify = "/api/v1/auth/mfa/verify"
            answers = at_once(live_server, [post(verify, {"mfa_token": t, "code": code}) for t in pair])
            assert statuses(answers) == [200, 401], [a.text for a in answers]
            User.objects.filter(id=user.id).update(mfa_last_counter=None)  # the next pair's code again


def test_the_first_keys_are_made_once_when_many_sign_at_once(
    live_server: LiveServer, make_user: Callable[..., User], org: Organization
) -> None:
    for _ in range(ROUNDS):
        SigningKey.objects.all().delete()
        users = [make_user((org, Role.STAFF)) for _ in range(4)]
        answers = at_once(live_server, [right_password(user.email, address()) for user in users])
        assert statuses(answers) == [200] * 4
        kids = {jwt.get_unverified_header(a.json()["access_token"])["kid"] for a in answers}
        active = SigningKey.objects.get(state=KeyState.ACTIVE)
        assert kids == {active.kid}
        assert SigningKey.objects.filter(state=KeyState.NEXT).count() == 1
        assert SigningKey.objects.count() == 2


def test_two_rotations_at_once_run_one_after_the_other(live_server: LiveServer) -> None:
    for _ in range(ROUNDS):
        SigningKey.objects.all().delete()
        httpx.get(live_server.url + "/.well-known/jwks.json")
        barrier = threading.Barrier(2)

        def rotate(barrier: threading.Barrier) -> str:
            try:
                barrier.wait()
                activated = signing_key_rotate().activated
                assert activated is not None
                return activated.kid
            finally:
                connection.close()  # this thread's own connection

        with ThreadPoolExecutor(2) as pool:
            activated = list(pool.map(rotate, [barrier] * 2))
        assert len(set(activated)) == 2  # the second rotation saw the first one's result
        states = sorted(SigningKey.objects.values_list("state", flat=True))
        assert states == ["active", "next", "retiring", "retiring"]
        assert SigningKey.objects.get(state=KeyState.ACTIVE).kid in activated
