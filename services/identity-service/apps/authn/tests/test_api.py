"""Login, lockout, MFA, refresh, organization switch and logout over HTTP."""

import hashlib
import json
import logging
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pyotp
import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Organization, Role, User
from apps.authn.models import SecurityNotice
from apps.authn.services import mfa_secret_set
from apps.outbox.models import OutboxEvent
from apps.signing.selectors import jwks
from apps.tokens.models import RefreshToken
from tests.fixtures import PASSWORD, bearer

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
LOGIN = "/api/v1/auth/login"


def post(api: Client, path: str, body: dict[str, Any], **headers: Any) -> Any:
    return api.post(path, body, content_type="application/json", **headers)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def verify_with_jwks(token: str) -> dict[str, Any]:
    """Verifies as a consumer would: the published JWKS, algorithm pinned, audience and issuer checked."""
    header = jwt.get_unverified_header(token)
    assert header["typ"] == "at+jwt"
    assert header["alg"] == "EdDSA"
    keys = {k["kid"]: k for k in jwks()["keys"]}
    key = jwt.PyJWK(keys[header["kid"]])
    claims: dict[str, Any] = jwt.decode(
        token, key, algorithms=["EdDSA"], audience="hub-backend", issuer="http://127.0.0.1:8001"
    )
    return claims


def test_login_returns_tokens_with_the_contract_claims(
    make_user: Callable[..., User], org: Organization, login: Callable[..., dict[str, Any]]
) -> None:
    user = make_user((org, Role.MANAGER))
    body = login(user)
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["user"]["email"] == user.email
    assert body["organization"]["id"] == str(org.id)
    assert body["refresh_token"].startswith("hubrt_")
    claims = verify_with_jwks(body["access_token"])
    assert claims["sub"] == str(user.id)
    assert claims["aud"] == ["hub-backend"]
    assert claims["org_id"] == str(org.id)
    assert claims["roles"] == ["manager"]
    assert claims["client_id"] == "hub-frontend"
    assert claims["amr"] == ["pwd"]
    assert claims["email"] == user.email
    assert claims["exp"] - claims["iat"] == 900
    assert claims["nbf"] == claims["iat"]
    assert isinstance(claims["scope"], str)
    assert claims["sid"]
    assert claims["jti"]


def test_wrong_password_and_unknown_email_fail_alike(
    api: Client, make_user: Callable[..., User], org: Organization
) -> None:
    user = make_user((org, Role.STAFF))
    wrong = post(api, LOGIN, {"email": user.email, "password": "not the password"})
    unknown = post(api, LOGIN, {"email": "nobody@example.org", "password": PASSWORD})
    for response in (wrong, unknown):
        assert response.status_code == 401
        assert response["Content-Type"] == PROBLEM
        assert response.json()["code"] == "invalid_credentials"
    assert wrong.json()["detail"] == unknown.json()["detail"]


def test_email_is_case_insensitive_at_login(
    make_user: Callable[..., User], org: Organization, login: Callable[..., dict[str, Any]], api: Client
) -> None:
    user = make_user((org, Role.STAFF))
    response = post(api, LOGIN, {"email": user.email.upper(), "password": PASSWORD})
    assert response.status_code == 200


def test_inactive_user_cannot_log_in(api: Client, make_user: Callable[..., User], org: Organization) -> None:
    user = make_user((org, Role.STAFF))
    user.is_active = False
    user.save()
    response = post(api, LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_credentials"


def test_failures_delay_that_address_even_with_the_right_password_then_success_resets(
    api: Client, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    assert settings.LOGIN_MAX_FAILURES == 3
    locked = make_user((org, Role.STAFF))
    for _ in range(3):
        assert post(api, LOGIN, {"email": locked.email, "password": "wrong"}).status_code == 401
    response = post(api, LOGIN, {"email": locked.email, "password": PASSWORD})
    assert response.status_code == 429
    assert response.json()["code"] == "too_many_attempts"
    assert 0 < int(response["Retry-After"]) <= settings.LOGIN_LOCKOUT_SECONDS
    # The delay holds this address for this account only: the owner elsewhere still gets in.
    assert (
        post(
            Client(REMOTE_ADDR="192.0.2.200"), LOGIN, {"email": locked.email, "password": PASSWORD}
        ).status_code
        == 200
    )

    # Another account is not affected, and a success forgives earlier failures.
    other = make_user((org, Role.STAFF))
    for _ in range(2):
        assert post(api, LOGIN, {"email": other.email, "password": "wrong"}).status_code == 401
    assert post(api, LOGIN, {"email": other.email, "password": PASSWORD}).status_code == 200
    for _ in range(2):
        assert post(api, LOGIN, {"email": other.email, "password": "wrong"}).status_code == 401
    assert post(api, LOGIN, {"email": other.email, "password": PASSWORD}).status_code == 200


def test_one_address_spraying_many_emails_is_locked_out(
    api: Client, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.LOGIN_IP_MAX_FAILURES = 4
    user = make_user((org, Role.STAFF))
    for n in range(4):
        assert post(api, LOGIN, {"email": f"spray{n}@example.org", "password": "x"}).status_code == 401
    response = post(api, LOGIN, {"email": user.email, "password": PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response


def test_login_picks_the_first_membership_or_the_requested_one(
    api: Client,
    make_user: Callable[..., User],
    make_org: Callable[..., Organization],
    login: Callable[..., dict[str, Any]],
) -> None:
    first, second, foreign = make_org(), make_org(), make_org()
    user = make_user((first, Role.STAFF), (second, Role.MANAGER))
    assert login(user)["organization"]["id"] == str(first.id)
    body = login(user, organization_id=str(second.id))
    assert body["organization"]["id"] == str(second.id)
    assert body["roles"] == ["manager"]
    response = post(
        api, LOGIN, {"email": user.email, "password": PASSWORD, "organization_id": str(foreign.id)}
    )
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_a_user_without_organization_gets_a_token_without_org(
    make_user: Callable[..., User], login: Callable[..., dict[str, Any]]
) -> None:
    body = login(make_user())
    assert body["organization"] is None
    claims = verify_with_jwks(body["access_token"])
    assert "org_id" not in claims
    assert claims["roles"] == []


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (LOGIN, {"email": "not-an-email", "password": "x"}),
        (LOGIN, {"email": "a@example.org", "password": "x", "organization_id": "nope"}),
        (LOGIN, {"email": "a@example.org"}),
        ("/api/v1/auth/mfa/verify", {"mfa_token": "x", "code": "12ab56"}),
        ("/api/v1/auth/refresh", {"refresh_token": ""}),
    ],
)
def test_bad_input_is_a_422_problem(api: Client, path: str, body: dict[str, Any]) -> None:
    response = post(api, path, body)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "validation_error"
    assert response.json()["errors"]


def test_malformed_json_is_a_400_problem(api: Client) -> None:
    response = api.post(LOGIN, "{not json", content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM


def _code(secret: str, step_offset: int = 0) -> str:
    totp = pyotp.TOTP(secret)
    return totp.generate_otp(totp.timecode(timezone.now()) + step_offset)


def test_mfa_setup_enable_login_verify_and_replay(
    api: Client, make_user: Callable[..., User], org: Organization, login: Callable[..., dict[str, Any]]
) -> None:
    user = make_user((org, Role.ADMIN))
    token = login(user)["access_token"]
    setup = post(api, "/api/v1/auth/mfa/setup", {}, **bearer(token))
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert setup.json()["otpauth_uri"].startswith("otpauth://totp/")
    user.refresh_from_db()
    assert secret not in user.mfa_secret_encrypted  # encrypted at rest

    assert (
        post(
            api,
            "/api/v1/auth/mfa/enable",
            {"code": "000000" if _code(secret) != "000000" else "111111"},
            **bearer(token),
        ).status_code
        == 401
    )
    enabled = post(api, "/api/v1/auth/mfa/enable", {"code": _code(secret, -1)}, **bearer(token))
    assert enabled.status_code == 200
    assert enabled.json()["mfa_enabled"] is True

    challenge = post(api, LOGIN, {"email": user.email, "password": PASSWORD})
    assert challenge.status_code == 200
    assert challenge.json()["mfa_required"] is True
    assert "access_token" not in challenge.json()
    mfa_token = challenge.json()["mfa_token"]

    # The code used to enable is spent: replay refused.
    replay = post(api, "/api/v1/auth/mfa/verify", {"mfa_token": mfa_token, "code": _code(secret, -1)})
    assert replay.status_code == 401
    assert replay.json()["code"] == "invalid_mfa_code"

    verified = post(api, "/api/v1/auth/mfa/verify", {"mfa_token": mfa_token, "code": _code(secret)})
    assert verified.status_code == 200
    assert verify_with_jwks(verified.json()["access_token"])["amr"] == ["pwd", "otp"]

    # The challenge is single-use, and the same code cannot be used again on a new one.
    again = post(api, "/api/v1/auth/mfa/verify", {"mfa_token": mfa_token, "code": _code(secret, 1)})
    assert again.json()["code"] == "invalid_mfa_token"
    fresh = post(api, LOGIN, {"email": user.email, "password": PASSWORD}).json()["mfa_token"]
    reused = post(api, "/api/v1/auth/mfa/verify", {"mfa_token": fresh, "code": _code(secret)})
    assert reused.status_code == 401
    assert reused.json()["code"] == "invalid_mfa_code"


def test_mfa_challenge_burns_after_too_many_wrong_codes(
    api: Client, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    secret = pyotp.random_base32()
    user = mfa_secret_set(user=make_user((org, Role.STAFF)), secret=secret)
    mfa_token = post(api, LOGIN, {"email": user.email, "password": PASSWORD}).json()["mfa_token"]
    wrong = str((int(_code(secret)) + 500000) % 1000000).zfill(6)
    for _ in range(settings.MFA_MAX_ATTEMPTS):
        assert (
            post(api, "/api/v1/auth/mfa/verify", {"mfa_token": mfa_token, "code": wrong}).status_code == 401
        )
    response = post(api, "/api/v1/auth/mfa/verify", {"mfa_token": mfa_token, "code": _code(secret)})
    assert response.json()["code"] == "invalid_mfa_token"


def test_mfa_setup_needs_authentication(api: Client) -> None:
    response = post(api, "/api/v1/auth/mfa/setup", {})
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM


def test_refresh_rotates_and_reuse_revokes_the_family(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    first = login(make_user((org, Role.STAFF)))
    second = post(api, "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert second.status_code == 200
    second_body = second.json()
    assert second_body["refresh_token"] != first["refresh_token"]
    assert (
        verify_with_jwks(second_body["access_token"])["sid"] == verify_with_jwks(first["access_token"])["sid"]
    )
    assert introspect(second_body["access_token"])["active"] is True

    # Past the grace window for concurrent refreshes, presenting the rotated token again is reuse.
    RefreshToken.objects.filter(token_hash=_sha256(first["refresh_token"])).update(
        rotated_at=timezone.now() - timedelta(hours=1)
    )
    reuse = post(api, "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert reuse.status_code == 401
    assert reuse.json()["code"] == "refresh_token_reused"
    # The whole family is gone: the newest refresh token and every access token of the session.
    newest = post(api, "/api/v1/auth/refresh", {"refresh_token": second_body["refresh_token"]})
    assert newest.status_code == 401
    assert introspect(second_body["access_token"]) == {"active": False}
    assert introspect(first["access_token"]) == {"active": False}


def test_unknown_refresh_token_is_401(api: Client) -> None:
    response = post(api, "/api/v1/auth/refresh", {"refresh_token": "hubrt_nothing"})
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"


def test_logout_revokes_the_session(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    body = login(make_user((org, Role.STAFF)))
    assert api.get("/api/v1/users/me", **bearer(body["access_token"])).status_code == 200
    assert post(api, "/api/v1/auth/logout", {}, **bearer(body["access_token"])).status_code == 204
    assert api.get("/api/v1/users/me", **bearer(body["access_token"])).status_code == 401
    assert introspect(body["access_token"]) == {"active": False}
    assert post(api, "/api/v1/auth/refresh", {"refresh_token": body["refresh_token"]}).status_code == 401


def test_switch_organization_issues_tokens_for_the_other_membership(
    api: Client,
    make_user: Callable[..., User],
    make_org: Callable[..., Organization],
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    acme, globex, foreign = make_org(), make_org(), make_org()
    user = make_user((acme, Role.STAFF), (globex, Role.MANAGER))
    first = login(user)
    switched = post(
        api,
        "/api/v1/auth/switch-organization",
        {"organization_id": str(globex.id)},
        **bearer(first["access_token"]),
    )
    assert switched.status_code == 200
    claims = verify_with_jwks(switched.json()["access_token"])
    assert claims["org_id"] == str(globex.id)
    assert claims["roles"] == ["manager"]
    assert introspect(first["access_token"]) == {"active": False}
    assert introspect(switched.json()["access_token"])["roles"] == ["manager"]

    denied = post(
        api,
        "/api/v1/auth/switch-organization",
        {"organization_id": str(foreign.id)},
        **bearer(switched.json()["access_token"]),
    )
    assert denied.status_code == 404
    assert json.loads(denied.content)["code"] == "organization_not_found"


def test_mfa_guesses_are_counted_per_user_across_fresh_logins(
    api: Client, make_user: Callable[..., User], org: Organization, settings: Any
) -> None:
    settings.MFA_MAX_ATTEMPTS = 2  # each challenge burns fast; the per-user count is what stops guessing
    secret = pyotp.random_base32()
    user = mfa_secret_set(user=make_user((org, Role.STAFF)), secret=secret)
    wrong = str((int(_code(secret)) + 500000) % 1000000).zfill(6)
    statuses: list[int] = []
    for _ in range(4):  # four fresh password logins, two guesses each
        mfa_token = post(api, LOGIN, {"email": user.email, "password": PASSWORD}).json()["mfa_token"]
        guess = {"mfa_token": mfa_token, "code": wrong}
        statuses.extend(post(api, "/api/v1/auth/mfa/verify", guess).status_code for _ in range(2))
    assert statuses[: settings.MFA_USER_MAX_FAILURES] == [401] * settings.MFA_USER_MAX_FAILURES
    assert set(statuses[settings.MFA_USER_MAX_FAILURES :]) == {429}

    mfa_token = post(api, LOGIN, {"email": user.email, "password": PASSWORD}).json()["mfa_token"]
    right = post(api, "/api/v1/auth/mfa/verify", {"mfa_token": mfa_token, "code": _code(secret)})
    assert right.status_code == 429  # even the right code waits for the lock to end
    assert right.json()["code"] == "too_many_attempts"
    assert 0 < int(right["Retry-After"]) <= settings.MFA_LOCKOUT_SECONDS
    user.refresh_from_db()
    assert user.mfa_last_counter is None  # the refused code was not spent


def test_access_tokens_carry_auth_time_kept_across_refresh_and_switch(
    api: Client,
    make_user: Callable[..., User],
    make_org: Callable[..., Organization],
    login: Callable[..., dict[str, Any]],
) -> None:
    other = make_org()
    user = make_user((make_org(), Role.STAFF), (other, Role.STAFF))
    body = login(user)
    auth_time = verify_with_jwks(body["access_token"])["auth_time"]
    assert abs(auth_time - timezone.now().timestamp()) < 5
    refreshed = post(api, "/api/v1/auth/refresh", {"refresh_token": body["refresh_token"]}).json()
    assert verify_with_jwks(refreshed["access_token"])["auth_time"] == auth_time
    switch = {"organization_id": str(other.id)}
    switched = post(
        api, "/api/v1/auth/switch-organization", switch, **bearer(refreshed["access_token"])
    ).json()
    assert verify_with_jwks(switched["access_token"])["auth_time"] == auth_time


def test_mfa_setup_and_enable_need_the_password_when_the_login_is_not_recent(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    settings: Any,
) -> None:
    user = make_user((org, Role.STAFF))
    token = login(user)["access_token"]
    settings.REAUTHENTICATION_MAX_AGE_SECONDS = -1  # every login counts as old
    for body in ({}, {"password": "not the password"}):
        refused = post(api, "/api/v1/auth/mfa/setup", body, **bearer(token))
        assert refused.status_code == 403
        assert refused["Content-Type"] == PROBLEM
        assert refused.json()["code"] == "reauthentication_required"
    assert not SecurityNotice.objects.filter(user=user).exists()

    setup = post(api, "/api/v1/auth/mfa/setup", {"password": PASSWORD}, **bearer(token))
    assert setup.status_code == 200
    secret = setup.json()["secret"]
    assert post(api, "/api/v1/auth/mfa/enable", {"code": _code(secret)}, **bearer(token)).status_code == 403
    enabled = post(
        api, "/api/v1/auth/mfa/enable", {"code": _code(secret), "password": PASSWORD}, **bearer(token)
    )
    assert enabled.status_code == 200
    assert enabled.json()["mfa_enabled"] is True
    notices = list(
        SecurityNotice.objects.filter(user=user).order_by("created_at").values_list("kind", flat=True)
    )
    assert notices == [SecurityNotice.Kind.MFA_SETUP_STARTED, SecurityNotice.Kind.MFA_ENABLED]
    # Each notice is mailed: an outbox event in its transaction, for the user, in this organization.
    mails = list(OutboxEvent.objects.filter(type="security.notice_requested").order_by("id"))
    assert [m.data["kind"] for m in mails] == ["mfa_setup_started", "mfa_enabled"]
    assert {m.organization_id for m in mails} == {org.id}
    assert {(m.subject_type, m.subject_id) for m in mails} == {("user", str(user.id))}
    assert mails[0].data["recipient"] == {"name": user.name, "email": user.email}
    assert secret not in json.dumps([m.data for m in mails]) + "".join(m.secret_data_encrypted for m in mails)


def test_wrong_passwords_at_mfa_setup_are_throttled_like_logins(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    settings: Any,
) -> None:
    token = login(make_user((org, Role.STAFF)))["access_token"]
    for _ in range(settings.LOGIN_MAX_FAILURES):
        assert post(api, "/api/v1/auth/mfa/setup", {"password": "guess"}, **bearer(token)).status_code == 403
    throttled = post(api, "/api/v1/auth/mfa/setup", {"password": PASSWORD}, **bearer(token))
    assert throttled.status_code == 429
    assert "Retry-After" in throttled


def test_a_second_refresh_of_the_same_token_within_the_grace_answers_the_same_successor(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    first = login(make_user((org, Role.STAFF)))
    one = post(api, "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]}).json()
    two = post(api, "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert two.status_code == 200
    assert two.json()["refresh_token"] == one["refresh_token"]  # no second branch of the family
    assert introspect(one["access_token"])["active"] is True
    assert introspect(two.json()["access_token"])["active"] is True
    # The successor rotates normally; after that the first token is reuse again, even in the grace.
    three = post(api, "/api/v1/auth/refresh", {"refresh_token": one["refresh_token"]})
    assert three.status_code == 200
    stale = post(api, "/api/v1/auth/refresh", {"refresh_token": first["refresh_token"]})
    assert stale.json()["code"] == "refresh_token_reused"
    assert introspect(three.json()["access_token"]) == {"active": False}
    # No copy of a refresh token is left once its successor has been rotated.
    assert (
        not RefreshToken.objects.filter(token_hash=_sha256(first["refresh_token"]))
        .exclude(successor_token_encrypted="")
        .exists()
    )


def _access_lines(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "hubkit.access"]


def test_login_and_refresh_name_the_user_in_the_access_line_and_no_secret(
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    api: Client,
    caplog: pytest.LogCaptureFixture,
) -> None:
    user = make_user((org, Role.MANAGER))
    caplog.set_level(logging.INFO, logger="hubkit.access")
    body = login(user)
    refreshed = post(api, "/api/v1/auth/refresh", {"refresh_token": body["refresh_token"]})
    assert refreshed.status_code == 200
    wrong = post(api, LOGIN, {"email": user.email, "password": "not-the-password"})
    assert wrong.status_code == 401

    logged_in, rotated, refused = _access_lines(caplog)
    assert (vars(logged_in)["caller"], vars(logged_in)["organization_id"]) == (f"user:{user.id}", str(org.id))
    assert vars(rotated)["caller"] == f"user:{user.id}"
    assert vars(refused)["caller"] == "-"  # a failed login names nobody
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    for secret in (PASSWORD, "not-the-password", body["access_token"], body["refresh_token"]):
        assert secret not in logged
    assert refreshed.json()["refresh_token"] not in logged
