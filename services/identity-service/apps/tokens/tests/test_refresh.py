"""Refresh is refused, and its session ends, once the user or membership behind it is gone; and a
refresh token dies at its expiry."""

from collections.abc import Callable
from datetime import timedelta
from typing import Any

import jwt
import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Membership, Organization, Role, User
from apps.tokens.models import RefreshToken, Session

pytestmark = pytest.mark.django_db

REFRESH = "/api/v1/auth/refresh"


def refresh(api: Client, token: str) -> Any:
    return api.post(REFRESH, {"refresh_token": token}, content_type="application/json")


def session_of(body: dict[str, Any]) -> Session:
    sid = jwt.decode(body["access_token"], options={"verify_signature": False})["sid"]
    return Session.objects.get(id=sid)


def test_refresh_after_the_user_is_deactivated_is_refused_and_ends_the_session(
    api: Client, make_user: Callable[..., User], org: Organization, login: Callable[..., dict[str, Any]]
) -> None:
    user = make_user((org, Role.STAFF))
    body = login(user)
    User.objects.filter(id=user.id).update(is_active=False)
    response = refresh(api, body["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"
    session = session_of(body)
    assert session.revoked_at is not None
    assert session.revoke_reason == "access_lost"
    User.objects.filter(id=user.id).update(is_active=True)
    assert refresh(api, body["refresh_token"]).status_code == 401  # reactivation does not revive it


def test_refresh_after_the_membership_is_gone_is_refused_and_ends_the_session(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    user = make_user((org, Role.STAFF))
    body = login(user)
    # Gone without the member removal (which revokes by itself): the refresh must notice on its own.
    Membership.objects.filter(user=user, organization=org).delete()
    response = refresh(api, body["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"
    assert session_of(body).revoke_reason == "access_lost"
    Membership.objects.create(user=user, organization=org, role=Role.STAFF)
    assert refresh(api, body["refresh_token"]).status_code == 401
    assert introspect(body["access_token"]) == {"active": False}


def test_a_refresh_token_past_its_expiry_is_refused_and_introspects_inactive(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    body = login(make_user((org, Role.STAFF)))
    assert introspect(body["refresh_token"])["active"] is True
    RefreshToken.objects.filter(session=session_of(body)).update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    response = refresh(api, body["refresh_token"])
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_refresh_token"
    assert introspect(body["refresh_token"]) == {"active": False}


def test_each_rotation_gives_the_new_token_a_full_lifetime(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    settings: Any,
) -> None:
    body = login(make_user((org, Role.STAFF)))
    first = RefreshToken.objects.get(session=session_of(body))
    RefreshToken.objects.filter(id=first.id).update(expires_at=timezone.now() + timedelta(seconds=30))
    rotated = refresh(api, body["refresh_token"])
    assert rotated.status_code == 200
    successor = RefreshToken.objects.get(session=session_of(body), rotated_at__isnull=True)
    lifetime = (successor.expires_at - successor.created_at).total_seconds()
    assert lifetime == settings.REFRESH_TOKEN_TTL_SECONDS  # sliding, per token
