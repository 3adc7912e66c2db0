"""/users/me, /organizations and member management over HTTP."""

from collections.abc import Callable
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.test import Client

from apps.accounts.models import Organization, Role, User
from apps.clients.models import ServiceClient
from apps.clients.services import client_ensure, client_token_issue
from tests.fixtures import bearer

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def members_url(org: Organization, user: User | None = None) -> str:
    base = f"/api/v1/organizations/{org.id}/members"
    return f"{base}/{user.id}" if user else base


@pytest.fixture
def token_of(login: Callable[..., dict[str, Any]]) -> Callable[[User], dict[str, Any]]:
    def get(user: User) -> dict[str, Any]:
        return bearer(login(user)["access_token"])

    return get


def test_me_describes_the_caller(
    api: Client, make_user: Callable[..., User], org: Organization, token_of: Callable[[User], dict[str, Any]]
) -> None:
    user = make_user((org, Role.VIEWER))
    response = api.get("/api/v1/users/me", **token_of(user))
    assert response.status_code == 200
    body = response.json()
    assert body["id"] == str(user.id)
    assert body["organization_id"] == str(org.id)
    assert body["roles"] == ["viewer"]
    assert body["memberships"] == [
        {
            "organization": {"id": str(org.id), "name": org.name, "slug": org.slug, "timezone": "UTC"},
            "role": "viewer",
        }
    ]


@pytest.mark.parametrize("header", [None, "Bearer nonsense", "Bearer a.b.c", "Basic Zm9vOmJhcg=="])
def test_me_refuses_missing_or_bad_tokens(api: Client, header: str | None) -> None:
    extra: dict[str, Any] = {"HTTP_AUTHORIZATION": header} if header else {}
    response = api.get("/api/v1/users/me", **extra)
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert "Bearer" in response["WWW-Authenticate"]


def test_service_tokens_are_not_user_sessions(api: Client, db: None) -> None:
    client = client_ensure(client_id="svc", name="svc", secret="s" * 40, scopes=["x"])
    token = client_token_issue(client=client, scope=None, organization_id=None).token
    assert api.get("/api/v1/users/me", **bearer(token)).status_code == 401


def test_create_organization_makes_the_caller_owner(
    api: Client, make_user: Callable[..., User], token_of: Callable[[User], dict[str, Any]]
) -> None:
    auth = token_of(make_user())
    response = api.post(
        "/api/v1/organizations",
        {"name": "Zed Studio", "timezone": "America/New_York"},
        content_type="application/json",
        **auth,
    )
    assert response.status_code == 201
    organization = response.json()
    assert organization["slug"] == "zed-studio"
    listed = api.get("/api/v1/organizations", **auth).json()
    assert [(m["organization"]["id"], m["role"]) for m in listed] == [(organization["id"], "owner")]

    duplicate = api.post(
        "/api/v1/organizations", {"name": "Zed Studio"}, content_type="application/json", **auth
    )
    assert duplicate.status_code == 409
    assert duplicate.json()["code"] == "slug_taken"
    bad_zone = api.post(
        "/api/v1/organizations",
        {"name": "Q", "timezone": "Mars/Base"},
        content_type="application/json",
        **auth,
    )
    assert bad_zone.status_code == 422
    assert bad_zone["Content-Type"] == PROBLEM


def test_members_are_listed_to_members_only_with_cursor_pages(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    token_of: Callable[[User], dict[str, Any]],
) -> None:
    viewer = make_user((org, Role.VIEWER))
    make_user((org, Role.OWNER))
    make_user((org, Role.STAFF))
    auth = token_of(viewer)
    first = api.get(members_url(org) + "?limit=2", **auth).json()
    assert len(first["items"]) == 2
    assert first["next_cursor"]
    second = api.get(members_url(org) + f"?limit=2&cursor={first['next_cursor']}", **auth).json()
    assert len(second["items"]) == 1
    assert second["next_cursor"] is None
    ids = {m["user"]["id"] for m in first["items"] + second["items"]}
    assert len(ids) == 3
    assert api.get(members_url(org) + "?limit=500", **auth).status_code == 422
    assert api.get(members_url(org) + "?cursor=%%%", **auth).status_code == 422

    outsider = token_of(make_user())
    response = api.get(members_url(org), **outsider)
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM


def test_member_management_permissions_and_last_owner(
    *,
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    token_of: Callable[[User], dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
    login: Callable[..., dict[str, Any]],
) -> None:
    owner = make_user((org, Role.OWNER))
    admin = make_user((org, Role.ADMIN))
    staff = make_user((org, Role.STAFF))
    as_owner, as_admin, as_staff = token_of(owner), token_of(admin), token_of(staff)

    # Nobody adds a member directly any more: people join by accepting an invitation.
    gone = api.post(
        members_url(org),
        {"email": "n@example.org", "role": "viewer", "password": "chosen by someone else"},
        content_type="application/json",
        **as_owner,
    )
    assert gone.status_code == 405
    assert not User.objects.filter(email="n@example.org").exists()
    assert api.get(members_url(org), **as_staff).status_code == 200

    bad_role = api.patch(
        members_url(org, staff), {"role": "emperor"}, content_type="application/json", **as_admin
    )
    assert bad_role.status_code == 422
    promoted = api.patch(
        members_url(org, staff), {"role": "manager"}, content_type="application/json", **as_admin
    )
    assert promoted.status_code == 200
    assert promoted.json()["role"] == "manager"
    assert (
        api.patch(
            members_url(org, owner), {"role": "viewer"}, content_type="application/json", **as_admin
        ).status_code
        == 403
    )

    last = api.patch(members_url(org, owner), {"role": "admin"}, content_type="application/json", **as_owner)
    assert last.status_code == 409
    assert last.json()["code"] == "last_owner"
    assert api.delete(members_url(org, owner), **as_owner).status_code == 409

    staff_token = login(staff)["access_token"]
    assert introspect(staff_token)["roles"] == ["manager"]
    assert api.delete(members_url(org, staff), **as_admin).status_code == 204
    assert introspect(staff_token) == {"active": False}
    assert api.delete(members_url(org, staff), **as_admin).status_code == 404


def _service_token(
    client_id: str, scopes: list[str], organization_id: str | None = None, **client: Any
) -> dict[str, Any]:
    service = client_ensure(client_id=client_id, name=client_id, secret="s" * 40, scopes=scopes, **client)
    return bearer(client_token_issue(client=service, scope=None, organization_id=organization_id).token)


def test_members_are_filtered_by_exact_role(
    api: Client, make_user: Callable[..., User], org: Organization, token_of: Callable[[User], dict[str, Any]]
) -> None:
    manager = make_user((org, Role.MANAGER))
    make_user((org, Role.ADMIN))
    make_user((org, Role.STAFF))
    response = api.get(members_url(org) + "?role=manager", **token_of(manager))
    assert response.status_code == 200
    assert [(m["user"]["id"], m["role"]) for m in response.json()["items"]] == [(str(manager.id), "manager")]
    assert api.get(members_url(org) + "?role=boss", **token_of(manager)).status_code == 422


def test_service_tokens_with_members_read_list_their_organization(
    api: Client, make_user: Callable[..., User], make_org: Callable[..., Organization], org: Organization
) -> None:
    manager = make_user((org, Role.MANAGER))
    make_user((org, Role.VIEWER))
    other = make_org()
    make_user((other, Role.MANAGER))
    auth = _service_token("svc-all", ["members:read"], organization_id=str(org.id), all_organizations=True)
    response = api.get(members_url(org) + "?role=manager", **auth)
    assert response.status_code == 200, response.content
    items = response.json()["items"]
    assert [(m["user"]["id"], m["user"]["email"], m["user"]["name"]) for m in items] == [
        (str(manager.id), manager.email, manager.name)
    ]
    # A token issued for one organization reads no other, even from an all-organizations client.
    assert api.get(members_url(other), **auth).status_code == 404


def test_service_tokens_without_an_organization_need_an_all_organizations_client(
    api: Client, make_user: Callable[..., User], org: Organization
) -> None:
    make_user((org, Role.MANAGER))
    unbound = _service_token("svc-all", ["members:read"], all_organizations=True)
    assert len(api.get(members_url(org), **unbound).json()["items"]) == 1
    narrow = _service_token("svc-narrow", ["members:read"])
    response = api.get(members_url(org), **narrow)
    assert response.status_code == 404
    assert response["Content-Type"] == PROBLEM
    bound = _service_token("svc-bound", ["members:read"], organization=org)
    assert api.get(members_url(org), **bound).status_code == 200


def test_service_tokens_need_the_members_read_scope_and_a_live_client(
    api: Client, make_user: Callable[..., User], org: Organization
) -> None:
    make_user((org, Role.MANAGER))
    no_scope = _service_token("svc-other", ["introspect"], all_organizations=True)
    assert api.get(members_url(org), **no_scope).status_code == 401
    auth = _service_token("svc-gone", ["members:read"], all_organizations=True)
    assert api.get(members_url(org), **auth).status_code == 200
    ServiceClient.objects.filter(client_id="svc-gone").update(is_active=False)
    assert api.get(members_url(org), **auth).status_code == 401
    # Member management stays for users only.
    other = _service_token("svc-write", ["members:read"], all_organizations=True)
    response = api.post(
        f"/api/v1/organizations/{org.id}/invitations",
        {"email": "x@example.org", "role": "viewer"},
        content_type="application/json",
        **other,
    )
    assert response.status_code == 401


def test_users_set_their_own_phone_in_e164_and_members_see_it(
    api: Client, make_user: Callable[..., User], org: Organization, token_of: Callable[[User], dict[str, Any]]
) -> None:
    user = make_user((org, Role.STAFF))
    auth = token_of(user)
    assert api.get("/api/v1/users/me", **auth).json()["phone"] is None

    response = api.patch(
        "/api/v1/users/me", {"phone": "+49 30 1234567"}, content_type="application/json", **auth
    )

    assert response.status_code == 200, response.content
    assert response.json()["phone"] == "+49301234567"
    user.refresh_from_db()
    assert (user.phone, user.name) == ("+49301234567", user.name)
    listed = api.get(members_url(org), **token_of(make_user((org, Role.VIEWER)))).json()["items"]
    assert {m["user"]["id"]: m["user"]["phone"] for m in listed}[str(user.id)] == "+49301234567"

    renamed = api.patch("/api/v1/users/me", {"name": "Sam Staff"}, content_type="application/json", **auth)
    assert (renamed.json()["name"], renamed.json()["phone"]) == ("Sam Staff", "+49301234567")
    cleared = api.patch("/api/v1/users/me", {"phone": None}, content_type="application/json", **auth)
    assert cleared.json()["phone"] is None
    user.refresh_from_db()
    assert user.phone == ""


@pytest.mark.parametrize("phone", ["030 1234567", "+49 12", "call me", "+999123456789"])
def test_a_phone_that_is_no_international_number_is_422_and_nothing_changes(
    api: Client, make_user: Callable[..., User], token_of: Callable[[User], dict[str, Any]], phone: str
) -> None:
    user = make_user()
    auth = token_of(user)
    response = api.patch("/api/v1/users/me", {"phone": phone}, content_type="application/json", **auth)
    assert response.status_code == 422
    assert response["Content-Type"] == PROBLEM
    assert response.json()["code"] == "invalid_phone"
    assert [e["field"] for e in response.json()["errors"]] == ["phone"]
    user.refresh_from_db()
    assert user.phone == ""


def test_the_database_refuses_a_phone_outside_e164(make_user: Callable[..., User]) -> None:
    user = make_user()
    user.phone = "0301234567"
    with pytest.raises(IntegrityError), transaction.atomic():
        user.save(update_fields=["phone"])
