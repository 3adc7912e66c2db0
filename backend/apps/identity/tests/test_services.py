import functools
import uuid
from typing import Any

import pytest
from django.db import connections

from apps.identity.models import Organization, User
from apps.identity.principal import Role
from apps.identity.services import clear_principal_caches, principal_from_claims, users_ensure
from hubkit.identity import InvalidToken, TokenClaims
from hubkit.testing import all_at_once

ORG = "0a0e0000-0000-4000-8000-00000000abcd"


def _claims(**extra: object) -> dict[str, object]:
    return {
        "sub": str(uuid.uuid4()),
        "client_id": "hub-frontend",
        "scope": "openid",
        "org_id": ORG,
        "roles": ["manager", "nonsense"],
        "email": "a@b.test",
        "name": "A B",
        **extra,
    }


@pytest.mark.django_db
def test_first_sight_provisions_mirrors_and_later_sight_updates_them() -> None:
    claims = _claims()
    principal = principal_from_claims(claims=TokenClaims.from_payload(claims), token="t")
    assert principal.roles == frozenset({Role.MANAGER})
    assert principal.organization is not None
    assert str(principal.organization.id) == ORG
    user = User.objects.get(subject=claims["sub"])
    assert (user.kind, user.email, str(user.id)) == ("user", "a@b.test", claims["sub"])

    clear_principal_caches()
    principal_from_claims(claims=TokenClaims.from_payload({**claims, "email": "new@b.test"}), token="t")
    assert User.objects.get(subject=claims["sub"]).email == "new@b.test"
    assert User.objects.filter(subject=claims["sub"]).count() == 1


@pytest.mark.django_db
def test_cached_principals_cost_no_queries(django_assert_num_queries) -> None:  # type: ignore[no-untyped-def]
    claims = _claims()
    principal_from_claims(claims=TokenClaims.from_payload(claims), token="t")
    with django_assert_num_queries(0):
        principal_from_claims(claims=TokenClaims.from_payload(claims), token="t2")


@pytest.mark.django_db
def test_service_tokens_become_service_principals_without_roles() -> None:
    claims = {"sub": "workflow", "client_id": "workflow", "scope": "notifications:write", "roles": ["owner"]}
    principal = principal_from_claims(claims=TokenClaims.from_payload(claims), token="t")
    assert principal.is_service
    assert principal.roles == frozenset()
    assert principal.organization is None
    assert principal.scopes == frozenset({"notifications:write"})


@pytest.mark.django_db
@pytest.mark.parametrize("claims", [{"org_id": "not-a-uuid"}, {"roles": "owner"}])
def test_malformed_claims_are_invalid_tokens(claims: dict[str, object]) -> None:
    with pytest.raises(InvalidToken):
        principal_from_claims(claims=TokenClaims.from_payload(_claims(**claims)), token="t")


@pytest.mark.django_db
def test_deactivated_mirror_user_is_refused() -> None:
    claims = _claims()
    principal_from_claims(claims=TokenClaims.from_payload(claims), token="t")
    User.objects.filter(subject=claims["sub"]).update(is_active=False)
    clear_principal_caches()
    with pytest.raises(InvalidToken):
        principal_from_claims(claims=TokenClaims.from_payload(claims), token="t")


@pytest.mark.django_db(transaction=True)
def test_concurrent_first_sight_creates_one_mirror_each() -> None:
    for _ in range(5):  # a new user in a new organization each round
        claims = _claims(sub=str(uuid.uuid4()), org_id=str(uuid.uuid4()))
        clear_principal_caches()
        first_request = functools.partial(
            principal_from_claims, claims=TokenClaims.from_payload(claims), token="t"
        )
        principals = all_at_once([first_request] * 6, finally_each=connections.close_all)
        assert len({principal.user.pk for principal in principals}) == 1
        assert User.objects.filter(subject=str(claims["sub"])).count() == 1
        assert Organization.objects.filter(id=str(claims["org_id"])).count() == 1


@pytest.mark.django_db
def test_users_ensure_makes_the_new_updates_the_changed_and_keeps_the_order(
    django_assert_num_queries: Any,
) -> None:
    known = User.objects.create(id=uuid.uuid4(), subject=str(uuid.uuid4()), email="old@x.test", name="Old")
    fresh = [str(uuid.uuid4()) for _ in range(3)]
    people = [
        (fresh[0], "a@x.test", "A"),
        (known.subject, "new@x.test", "New"),
        *[(s, "", "") for s in fresh[1:]],
    ]
    # One look-up, one insert of the three new rows, one read back, one update of the changed row.
    with django_assert_num_queries(4):
        users = users_ensure(kind=User.Kind.USER, people=people)
    assert [u.subject for u in users] == [p[0] for p in people]
    assert users[0].id == uuid.UUID(fresh[0])
    assert User.objects.get(pk=known.pk).email == "new@x.test"
    with django_assert_num_queries(0):  # cached now
        assert users_ensure(kind=User.Kind.USER, people=people) == users
