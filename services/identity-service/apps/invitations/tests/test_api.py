"""Invitations over HTTP: who may invite, what the answers reveal, and how a link is accepted once."""

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Membership, Organization, Role, User
from apps.invitations.models import Invitation
from apps.outbox.delivery import envelope
from apps.outbox.models import OutboxEvent
from tests.fixtures import bearer

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"
NEW_PASSWORD = "a long passphrase of my own"


def invitations_url(org: Organization, invitation_id: Any = None, action: str = "") -> str:
    base = f"/api/v1/organizations/{org.id}/invitations"
    if invitation_id is not None:
        base += f"/{invitation_id}"
    return base + (f"/{action}" if action else "")


def post(api: Client, path: str, body: dict[str, Any], **headers: Any) -> Any:
    return api.post(path, json.dumps(body), content_type="application/json", **headers)


def mailed_token(email: str) -> str:
    """The token in the last mail requested for `email`, as the invitee's inbox would show it."""
    event = OutboxEvent.objects.filter(type="invitation.mail_requested", data__email=email).latest("id")
    url = str(envelope(event)["data"]["accept_url"])
    assert url.startswith("http://127.0.0.1:5173/invitations/accept?token=")
    return parse_qs(urlsplit(url).query)["token"][0]


@pytest.fixture
def token_of(login: Callable[..., dict[str, Any]]) -> Callable[[User], dict[str, Any]]:
    def get(user: User) -> dict[str, Any]:
        return bearer(login(user)["access_token"])

    return get


@pytest.fixture
def owner(make_user: Callable[..., User], org: Organization) -> User:
    return make_user((org, Role.OWNER))


@pytest.fixture
def as_owner(owner: User, token_of: Callable[[User], dict[str, Any]]) -> dict[str, Any]:
    return token_of(owner)


def invite(api: Client, org: Organization, auth: dict[str, Any], email: str, role: str = "staff") -> Any:
    return post(api, invitations_url(org), {"email": email, "role": role}, **auth)


def test_an_invitation_answers_the_same_whether_or_not_the_address_has_an_account(
    api: Client, make_user: Callable[..., User], org: Organization, as_owner: dict[str, Any]
) -> None:
    existing = make_user(email="has-account@example.org")
    answers = [invite(api, org, as_owner, email) for email in (existing.email, "no-account@example.org")]
    assert [a.status_code for a in answers] == [201, 201]
    bodies = [a.json() for a in answers]
    assert [set(b) for b in bodies] == [{"id", "email", "role", "status", "created_at", "expires_at"}] * 2
    assert [b["status"] for b in bodies] == ["pending", "pending"]
    text = answers[0].content.decode()
    assert str(existing.id) not in text
    assert existing.name not in text
    assert "mfa" not in text
    # Nothing is attached, nothing is created: an invitation grants nothing until accepted.
    assert not Membership.objects.filter(organization=org, user=existing).exists()
    assert not User.objects.filter(email="no-account@example.org").exists()
    # The two mails are alike too: the same fields, neither says whether an account exists.
    mails = list(OutboxEvent.objects.filter(type="invitation.mail_requested").order_by("id"))
    assert [set(m.data) for m in mails] == [set(mails[1].data)] * 2
    assert str(existing.id) not in json.dumps(mails[0].data)


def test_the_token_is_long_random_and_stored_only_as_its_digest(
    api: Client, org: Organization, as_owner: dict[str, Any]
) -> None:
    assert invite(api, org, as_owner, "Digest@Example.org").status_code == 201
    token = mailed_token("digest@example.org")
    assert len(token) >= 43  # 32 random bytes, urlsafe base64
    invitation = Invitation.objects.get(email="digest@example.org")
    assert token not in json.dumps(
        list(Invitation.objects.values()) + list(OutboxEvent.objects.values("data", "secret_data_encrypted")),
        default=str,
    )
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()


def test_only_owners_and_admins_invite_and_only_owners_invite_owners(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    as_owner: dict[str, Any],
    token_of: Callable[[User], dict[str, Any]],
) -> None:
    as_admin = token_of(make_user((org, Role.ADMIN)))
    as_manager = token_of(make_user((org, Role.MANAGER)))
    as_outsider = token_of(make_user())
    assert invite(api, org, as_manager, "a@example.org").status_code == 403
    outsider = invite(api, org, as_outsider, "a@example.org")
    assert outsider.status_code == 404
    assert outsider.json()["code"] == "organization_not_found"
    refused = invite(api, org, as_admin, "boss@example.org", role="owner")
    assert refused.status_code == 403
    assert refused.json()["code"] == "permission_denied"
    assert invite(api, org, as_admin, "admin2@example.org", role="admin").status_code == 201
    assert invite(api, org, as_owner, "boss@example.org", role="owner").status_code == 201
    owner_invitation = Invitation.objects.get(email="boss@example.org")
    # An admin can neither revoke nor resend an owner's invitation.
    assert api.delete(invitations_url(org, owner_invitation.id), **as_admin).status_code == 403
    assert post(api, invitations_url(org, owner_invitation.id, "resend"), {}, **as_admin).status_code == 403
    assert api.get(invitations_url(org), **as_manager).status_code == 403
    assert post(api, invitations_url(org), {"email": "x@example.org", "role": "viewer"}).status_code == 401
    assert OutboxEvent.objects.filter(type="invitation.mail_requested").count() == 2


def test_bad_input_is_a_422_never_a_500(api: Client, org: Organization, as_owner: dict[str, Any]) -> None:
    for body in (
        {"email": "not-an-address", "role": "staff"},
        {"email": "a@example.org", "role": "emperor"},
        {"email": "nul\x00@example.org", "role": "staff"},
        {"email": "a@example.org"},
    ):
        response = post(api, invitations_url(org), body, **as_owner)
        assert response.status_code == 422, body
        assert response["Content-Type"] == PROBLEM
    for body in ({"token": ""}, {"token": "x\x00y"}, {}, {"token": "t" * 201}):
        assert post(api, "/api/v1/invitations/preview", body).status_code == 422
        assert post(api, "/api/v1/invitations/accept", body).status_code == 422


def test_members_and_pending_invitations_are_conflicts(
    api: Client, make_user: Callable[..., User], org: Organization, as_owner: dict[str, Any]
) -> None:
    member = make_user((org, Role.STAFF))
    already = invite(api, org, as_owner, member.email.upper())
    assert already.status_code == 409
    assert already.json()["code"] == "already_member"
    assert invite(api, org, as_owner, "twice@example.org").status_code == 201
    again = invite(api, org, as_owner, "Twice@example.org")
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_pending"
    # Once it has expired, a new invitation replaces it.
    Invitation.objects.filter(email="twice@example.org").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    assert invite(api, org, as_owner, "twice@example.org").status_code == 201
    statuses = sorted(Invitation.objects.filter(email="twice@example.org").values_list("status", flat=True))
    assert statuses == ["expired", "pending"]


def test_invitations_are_listed_with_cursor_pages_and_computed_expiry(
    api: Client, org: Organization, make_org: Callable[..., Organization], as_owner: dict[str, Any]
) -> None:
    for n in range(3):
        assert invite(api, org, as_owner, f"list-{n}@example.org").status_code == 201
    Invitation.objects.filter(email="list-0@example.org").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    first = api.get(invitations_url(org) + "?limit=2", **as_owner).json()
    assert [i["email"] for i in first["items"]] == ["list-0@example.org", "list-1@example.org"]
    assert first["items"][0]["status"] == "expired"
    second = api.get(invitations_url(org) + f"?limit=2&cursor={first['next_cursor']}", **as_owner).json()
    assert [i["email"] for i in second["items"]] == ["list-2@example.org"]
    assert second["next_cursor"] is None
    other = make_org()
    assert api.get(invitations_url(other), **as_owner).status_code == 404


def test_preview_shows_what_the_accept_page_needs_and_nothing_about_accounts(
    api: Client, make_user: Callable[..., User], org: Organization, as_owner: dict[str, Any]
) -> None:
    existing = make_user(email="seen@example.org")
    previews = []
    for email in (existing.email, "unseen@example.org"):
        assert invite(api, org, as_owner, email, role="viewer").status_code == 201
        response = post(api, "/api/v1/invitations/preview", {"token": mailed_token(email)})
        assert response.status_code == 200
        previews.append(response.json())
    assert [set(p) for p in previews] == [{"organization", "role", "email", "expires_at"}] * 2
    assert previews[0]["organization"] == {"id": str(org.id), "name": org.name}
    assert previews[0]["role"] == "viewer"
    assert previews[0]["email"] == existing.email
    assert str(existing.id) not in json.dumps(previews)


def test_a_new_address_accepts_with_its_own_password_and_is_signed_in(
    api: Client, org: Organization, as_owner: dict[str, Any], settings: Any
) -> None:
    assert invite(api, org, as_owner, "newcomer@example.org", role="manager").status_code == 201
    token = mailed_token("newcomer@example.org")
    weak = post(api, "/api/v1/invitations/accept", {"token": token, "password": "1234567890123"})
    assert weak.status_code == 422
    assert weak.json()["code"] == "invalid_password"
    missing = post(api, "/api/v1/invitations/accept", {"token": token})
    assert missing.status_code == 422
    assert missing.json()["code"] == "password_required"
    assert not User.objects.filter(email="newcomer@example.org").exists()  # refusals change nothing

    accepted = post(
        api, "/api/v1/invitations/accept", {"token": token, "password": NEW_PASSWORD, "name": "Nia"}
    )
    assert accepted.status_code == 200, accepted.content
    body = accepted.json()
    assert body["organization"] == {"id": str(org.id), "name": org.name}
    assert body["role"] == "manager"
    assert body["tokens"]["organization"]["id"] == str(org.id)
    user = User.objects.get(email="newcomer@example.org")
    assert user.name == "Nia"
    assert user.email_verified_at is not None
    assert user.check_password(NEW_PASSWORD)
    assert Membership.objects.get(user=user, organization=org).role == Role.MANAGER
    me = api.get("/api/v1/users/me", **bearer(body["tokens"]["access_token"]))
    assert me.json()["roles"] == ["manager"]
    login = post(api, "/api/v1/auth/login", {"email": user.email, "password": NEW_PASSWORD})
    assert login.status_code == 200
    # Single use: the same link again, also as preview, is the one invalid answer.
    for path in ("/api/v1/invitations/accept", "/api/v1/invitations/preview"):
        again = post(api, path, {"token": token, "password": "another long passphrase"})
        assert again.status_code == 410
        assert again.json()["code"] == "invitation_invalid"
    assert User.objects.get(id=user.id).check_password(NEW_PASSWORD)


def test_an_existing_account_accepts_only_signed_in_as_itself(
    *,
    api: Client,
    make_user: Callable[..., User],
    make_org: Callable[..., Organization],
    org: Organization,
    as_owner: dict[str, Any],
    token_of: Callable[[User], dict[str, Any]],
) -> None:
    elsewhere = make_org()
    invitee = make_user((elsewhere, Role.OWNER), email="invitee@example.org")
    before = User.objects.get(id=invitee.id).password
    assert invite(api, org, as_owner, invitee.email, role="staff").status_code == 201
    token = mailed_token(invitee.email)

    anonymous = post(api, "/api/v1/invitations/accept", {"token": token, "password": "the attacker's choice"})
    assert anonymous.status_code == 409
    assert anonymous["Content-Type"] == PROBLEM
    assert anonymous.json()["code"] == "sign_in_to_accept"
    assert User.objects.get(id=invitee.id).password == before  # the password is untouched
    assert not Membership.objects.filter(user=invitee, organization=org).exists()

    someone_else = post(api, "/api/v1/invitations/accept", {"token": token}, **token_of(make_user()))
    assert someone_else.status_code == 403
    assert someone_else.json()["code"] == "invitation_for_another_account"
    bad_bearer = post(
        api, "/api/v1/invitations/accept", {"token": token}, HTTP_AUTHORIZATION="Bearer nonsense"
    )
    assert bad_bearer.status_code == 401

    accepted = post(
        api,
        "/api/v1/invitations/accept",
        {"token": token, "password": "ignored when signed in"},
        **token_of(invitee),
    )
    assert accepted.status_code == 200, accepted.content
    assert accepted.json()["tokens"] is None
    assert accepted.json()["role"] == "staff"
    assert User.objects.get(id=invitee.id).password == before
    assert Membership.objects.get(user=invitee, organization=org).role == Role.STAFF
    assert Invitation.objects.get(email=invitee.email).status == Invitation.Status.ACCEPTED


def test_expired_revoked_and_resent_links_are_invalid_alike(
    api: Client, org: Organization, as_owner: dict[str, Any]
) -> None:
    for email in ("expired@example.org", "revoked@example.org", "resent@example.org"):
        assert invite(api, org, as_owner, email).status_code == 201
    expired, revoked, resent = (
        mailed_token(e) for e in ("expired@example.org", "revoked@example.org", "resent@example.org")
    )
    Invitation.objects.filter(email="expired@example.org").update(
        expires_at=timezone.now() - timedelta(seconds=1)
    )
    revoked_row = Invitation.objects.get(email="revoked@example.org")
    assert api.delete(invitations_url(org, revoked_row.id), **as_owner).status_code == 204
    again = api.delete(invitations_url(org, revoked_row.id), **as_owner)
    assert again.status_code == 409
    assert again.json()["code"] == "invitation_not_pending"
    resent_row = Invitation.objects.get(email="resent@example.org")
    resend = post(api, invitations_url(org, resent_row.id, "resend"), {}, **as_owner)
    assert resend.status_code == 200
    assert resend.json()["status"] == "pending"
    fresh = mailed_token("resent@example.org")
    assert fresh != resent

    answers = [
        post(api, "/api/v1/invitations/accept", {"token": t, "password": NEW_PASSWORD})
        for t in (expired, revoked, resent, "never-issued-" + "x" * 30)
    ]
    assert {a.status_code for a in answers} == {410}
    assert {json.dumps({k: v for k, v in a.json().items() if k != "request_id"}) for a in answers} == {
        json.dumps({k: v for k, v in answers[0].json().items() if k != "request_id"})
    }
    assert not User.objects.filter(
        email__in=["expired@example.org", "revoked@example.org", "resent@example.org"]
    ).exists()
    assert (
        post(api, "/api/v1/invitations/accept", {"token": fresh, "password": NEW_PASSWORD}).status_code == 200
    )
    assert (
        api.delete(invitations_url(org, "00000000-0000-4000-8000-000000000000"), **as_owner).status_code
        == 404
    )


def test_invitations_per_organization_are_rate_limited(
    api: Client, org: Organization, as_owner: dict[str, Any], settings: Any
) -> None:
    settings.INVITATION_RATE_LIMIT = 3
    for n in range(3):
        assert invite(api, org, as_owner, f"rate-{n}@example.org").status_code == 201
    limited = invite(api, org, as_owner, "rate-3@example.org")
    assert limited.status_code == 429
    assert limited["Content-Type"] == PROBLEM
    assert limited.json()["code"] == "too_many_invitations"
    assert int(limited["Retry-After"]) >= 1
    row = Invitation.objects.get(email="rate-0@example.org")
    assert post(api, invitations_url(org, row.id, "resend"), {}, **as_owner).status_code == 429
    assert not Invitation.objects.filter(email="rate-3@example.org").exists()


def test_the_takeover_by_pre_registration_fails(
    api: Client,
    make_user: Callable[..., User],
    make_org: Callable[..., Organization],
    login: Callable[..., dict[str, Any]],
) -> None:
    """An attacker's organization invites the victim's address first; the victim's real employer
    invites it later; the attacker must never get in there."""
    attacker = make_user()
    as_attacker = bearer(login(attacker)["access_token"])
    created = post(api, "/api/v1/organizations", {"name": "Trap Inc"}, **as_attacker)
    trap = Organization.objects.get(id=created.json()["id"])
    chosen = "the attacker's chosen password"
    # Neither the old endpoint nor the invitation lets him choose the victim's password.
    direct = post(
        api,
        f"/api/v1/organizations/{trap.id}/members",
        {"email": "victim@x.example", "role": "staff", "password": chosen},
        **as_attacker,
    )
    assert direct.status_code == 405
    invited = post(
        api,
        invitations_url(trap),
        {"email": "victim@x.example", "role": "staff", "password": chosen},
        **as_attacker,
    )
    assert invited.status_code == 201
    assert not User.objects.filter(email="victim@x.example").exists()
    # Without the mailed token he cannot accept for the victim: guessing is the invalid answer.
    assert (
        post(api, "/api/v1/invitations/accept", {"token": "guess" * 9, "password": chosen}).status_code == 410
    )

    real = make_org("Real Employer")
    employer = make_user((real, Role.OWNER))
    assert invite(api, real, bearer(login(employer)["access_token"]), "victim@x.example").status_code == 201
    accepted = post(
        api,
        "/api/v1/invitations/accept",
        {"token": mailed_token("victim@x.example"), "password": NEW_PASSWORD},
    )
    assert accepted.status_code == 200
    victim = User.objects.get(email="victim@x.example")
    assert list(victim.memberships.values_list("organization_id", flat=True)) == [real.id]
    wrong = post(
        api,
        "/api/v1/auth/login",
        {"email": "victim@x.example", "password": chosen, "organization_id": str(real.id)},
    )
    assert wrong.status_code == 401
    right = post(
        api,
        "/api/v1/auth/login",
        {"email": "victim@x.example", "password": NEW_PASSWORD, "organization_id": str(real.id)},
    )
    assert right.status_code == 200
    assert right.json()["organization"]["id"] == str(real.id)
    # The trap's own invitation stays pending: it was never the victim's to accept unknowingly.
    assert Invitation.objects.get(organization=trap).status == Invitation.Status.PENDING
