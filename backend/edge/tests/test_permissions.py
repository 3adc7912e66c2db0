import uuid

import pytest

from apps.identity.models import Organization, User
from apps.identity.principal import Principal, Role
from edge.permissions import Requirement
from hubkit.identity import TokenClaims


def _principal(
    *,
    roles: frozenset[Role] | set[Role] = frozenset(),
    scopes: frozenset[str] | set[str] = frozenset(),
    service: bool = False,
    organization: bool = True,
) -> Principal:
    return Principal(
        user=User(kind=User.Kind.SERVICE if service else User.Kind.USER, subject="s"),
        organization=Organization(id=uuid.uuid4()) if organization else None,
        roles=frozenset(roles),
        scopes=frozenset(scopes),
        token="t",
        claims=TokenClaims.from_payload({"sub": "s"}),
    )


@pytest.mark.parametrize(
    ("role", "minimum", "allowed"),
    [
        (Role.VIEWER, Role.VIEWER, True),
        (Role.VIEWER, Role.STAFF, False),
        (Role.STAFF, Role.STAFF, True),
        (Role.STAFF, Role.MANAGER, False),
        (Role.MANAGER, Role.STAFF, True),
        (Role.ADMIN, Role.MANAGER, True),
        (Role.ADMIN, Role.OWNER, False),
        (Role.OWNER, Role.ADMIN, True),
    ],
)
def test_roles_are_hierarchical(role: Role, minimum: Role, allowed: bool) -> None:
    requirement = Requirement(role=minimum, scope=None, introspect=False, organization=True)
    assert requirement.allows(_principal(roles={role})) is allowed


def test_services_need_the_scope_not_a_role() -> None:
    requirement = Requirement(role=Role.VIEWER, scope="contacts:read", introspect=False, organization=True)
    assert requirement.allows(_principal(service=True, scopes={"contacts:read"}))
    assert not requirement.allows(_principal(service=True, scopes={"bookings:read"}))
    # A service token's scope never grants more than the endpoint names.
    no_scope = Requirement(role=Role.VIEWER, scope=None, introspect=False, organization=True)
    assert not no_scope.allows(_principal(service=True, scopes={"contacts:read"}))


def test_organization_is_required_unless_waived() -> None:
    scoped = Requirement(role=None, scope=None, introspect=False, organization=True)
    assert not scoped.allows(_principal(roles={Role.OWNER}, organization=False))
    waived = Requirement(role=None, scope=None, introspect=False, organization=False)
    assert waived.allows(_principal(service=True, organization=False))


def test_unknown_role_names_are_ignored() -> None:
    assert Role.parse("Manager") is Role.MANAGER
    assert Role.parse("superuser") is None
