"""A demoted member's old token keeps its role claim until it expires: introspection closes that gap.

Endpoints declared with `@requires(..., introspect=True)` ask identity-service about the token
and check the role its holder has now; others trust the token's claim. Against a dedicated
identity-service, so demoting its admin disturbs no other test.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import psycopg
import pytest
from django.test import Client

from apps.transactions.models import Payment
from conftest import bearer, own_identity_service, use_identity
from hubkit.testing import IdentityService, ServiceProcess
from tests.factories import ACME_ID, make_contact

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
# The admin-level endpoints that check the current role, with a body each accepts, and the
# answer an admin gets (redelivering an unknown event: authorized, then 404).
ADMIN_ONLY = [
    ("post", "/notifications", {"role": "manager", "category": "system", "title": "Hi"}, 201),
    (
        "put",
        "/notifications/preferences/defaults",
        {"items": [{"category": "workflow", "channel": "sms", "enabled": True}]},
        200,
    ),
    ("post", f"/events/{uuid.UUID(int=1)}/redeliver", None, 404),
    ("get", "/audit", None, 200),
]


@pytest.fixture(scope="module")
def roles_identity(worker: str, identity_service: IdentityService) -> Iterator[IdentityService]:
    with own_identity_service("roles", worker, identity_service) as service:
        yield service


@pytest.fixture
def identity(settings: Any, roles_identity: IdentityService) -> IdentityService:
    """Every introspection asks the issuer (no answer reused), so a demotion shows at once."""
    settings.IDENTITY = {**settings.IDENTITY, "INTROSPECTION_CACHE_SECONDS": 0}
    use_identity(roles_identity.url)
    return roles_identity


def _set_role(identity: IdentityService, email: str, role: str) -> None:
    """Changes the membership in identity-service's own database (it has no API for that yet)."""
    with psycopg.connect(identity.database_url, autocommit=True) as conn:
        changed = conn.execute(
            "UPDATE accounts_membership m SET role = %s FROM accounts_user u"
            " WHERE u.id = m.user_id AND u.email = %s AND m.organization_id = %s",
            (role, email, ACME_ID),
        ).rowcount
    assert changed == 1


def _call(client: Client, method: str, path: str, body: Any) -> Any:
    kwargs: dict[str, Any] = {"content_type": "application/json"}
    if body is not None:
        kwargs["data"] = body
    return getattr(client, method)("/api/v1" + path, **kwargs)


def test_a_demoted_admin_is_refused_admin_endpoints_at_once_but_keeps_ordinary_reads(
    identity: IdentityService,
) -> None:
    admin = bearer(str(identity.login("admin@acme.test")["access_token"]))
    for method, path, body, accepted in ADMIN_ONLY:
        response = _call(admin, method, path, body)
        assert response.status_code == accepted, (path, response.content)
    _set_role(identity, "admin@acme.test", "staff")
    try:
        for method, path, body, _ in ADMIN_ONLY:
            response = _call(admin, method, path, body)
            assert response.status_code == 403, (path, response.content)
            assert response["Content-Type"] == PROBLEM
            assert response.json()["code"] == "permission_denied"
        # The same token still claims admin and is still good for what the claim is trusted with.
        assert admin.get("/api/v1/me").json()["roles"] == ["admin"]
        assert admin.get("/api/v1/contacts").status_code == 200
    finally:
        _set_role(identity, "admin@acme.test", "admin")
    # Promoted back: the same token passes again.
    assert _call(admin, "get", "/audit", None).status_code == 200


def test_a_demoted_manager_can_no_longer_erase(identity: IdentityService) -> None:
    contact = make_contact()
    manager = bearer(str(identity.login("manager@acme.test")["access_token"]))
    _set_role(identity, "manager@acme.test", "staff")
    try:
        response = manager.post(f"/api/v1/contacts/{contact.id}/erase")
        assert response.status_code == 403, response.content
        # Staff may still edit: PATCH trusts the token's claim.
        patched = manager.patch(
            f"/api/v1/contacts/{contact.id}", {"notes": "kept"}, content_type="application/json"
        )
        assert patched.status_code == 200
    finally:
        _set_role(identity, "manager@acme.test", "manager")
    contact.refresh_from_db()
    assert contact.erased_at is None


def test_a_removed_membership_is_refused_like_a_revoked_token(identity: IdentityService) -> None:
    admin = bearer(str(identity.login("admin@acme.test")["access_token"]))
    with psycopg.connect(identity.database_url, autocommit=True) as conn:
        saved = conn.execute(
            "DELETE FROM accounts_membership m USING accounts_user u"
            " WHERE u.id = m.user_id AND u.email = %s AND m.organization_id = %s"
            " RETURNING m.id, m.user_id, m.role, m.created_at",
            ("admin@acme.test", ACME_ID),
        ).fetchone()
    assert saved is not None
    try:
        response = admin.get("/api/v1/audit")
        assert response.status_code == 401, response.content
        assert response.json()["code"] == "token_revoked"
    finally:
        with psycopg.connect(identity.database_url, autocommit=True) as conn:
            conn.execute(
                "INSERT INTO accounts_membership (id, user_id, organization_id, role, created_at)"
                " VALUES (%s, %s, %s, %s, %s)",
                (saved[0], saved[1], ACME_ID, saved[2], saved[3]),
            )


def test_admin_endpoints_answer_503_while_the_issuer_cannot_be_asked(identity: IdentityService) -> None:
    admin = bearer(str(identity.login("admin@acme.test")["access_token"]))
    assert admin.get("/api/v1/contacts").status_code == 200  # the keys are known now
    identity.process.stop()
    try:
        for method, path, body, _ in ADMIN_ONLY:
            response = _call(admin, method, path, body)
            assert response.status_code == 503, (path, response.content)
            assert response["Content-Type"] == PROBLEM
            assert response.json()["code"] == "identity_unavailable"
        # Fails closed only where the current role matters: ordinary reads carry on.
        assert admin.get("/api/v1/contacts").status_code == 200
    finally:
        identity.process = ServiceProcess(
            cwd=identity.process.cwd,
            wsgi=identity.process.wsgi,
            python=identity.process.python,
            env=identity.env,
            port=identity.process.port,
        ).start()


def _payment(client: Client, contact_id: uuid.UUID) -> Any:
    body = {"contact_id": str(contact_id), "amount": {"amount": "10.00", "currency": "EUR"}, "method": "cash"}
    return client.post(
        "/api/v1/payments", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=str(uuid.uuid4())
    )


def test_a_demoted_or_signed_out_manager_cannot_move_money(identity: IdentityService) -> None:
    contact = make_contact()
    manager = bearer(str(identity.login("manager@acme.test")["access_token"]))
    assert _payment(manager, contact.id).status_code == 201
    _set_role(identity, "manager@acme.test", "staff")
    try:
        demoted = _payment(manager, contact.id)
        assert (demoted.status_code, demoted.json()["code"]) == (403, "permission_denied")
    finally:
        _set_role(identity, "manager@acme.test", "manager")
    tokens = identity.login("manager@acme.test")
    signed_out = bearer(str(tokens["access_token"]))
    logout = httpx.post(
        f"{identity.url}/api/v1/auth/logout", headers={"Authorization": f"Bearer {tokens['access_token']}"}
    )
    assert logout.status_code == 204
    revoked = _payment(signed_out, contact.id)
    assert (revoked.status_code, revoked.json()["code"]) == (401, "token_revoked")
    # Still valid by signature and expiry: only the introspected money write notices.
    assert signed_out.get("/api/v1/invoices").status_code == 200
    assert Payment.objects.for_organization(contact.organization).count() == 1
