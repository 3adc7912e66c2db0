"""The caller of a request as the backend sees it: a user in one organization, or a service."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from django.http import HttpRequest

from apps.identity.models import Organization, User
from hubkit.identity import TokenClaims


class Role(enum.IntEnum):
    """Organization roles, ordered: each role may do everything the ones below it may."""

    VIEWER = 10
    STAFF = 20
    MANAGER = 30
    ADMIN = 40
    OWNER = 50

    @classmethod
    def parse(cls, value: str) -> Role | None:
        try:
            return cls[value.upper()]
        except KeyError:
            return None


@dataclass(frozen=True)
class Principal:
    user: User
    organization: Organization | None
    roles: frozenset[Role]
    scopes: frozenset[str]
    token: str = field(repr=False)
    claims: TokenClaims = field(repr=False)

    @property
    def is_service(self) -> bool:
        return self.user.kind == User.Kind.SERVICE

    @property
    def top_role(self) -> Role | None:
        return max(self.roles) if self.roles else None

    def has_role(self, minimum: Role) -> bool:
        return any(role >= minimum for role in self.roles)


def principal_of(request: HttpRequest) -> Principal:
    """The authenticated principal (set by the bearer auth before any endpoint runs)."""
    principal = getattr(request, "auth", None)
    if not isinstance(principal, Principal):
        raise RuntimeError("endpoint reached without an authenticated principal")
    return principal


def organization_of(request: HttpRequest) -> Organization:
    """The caller's organization, for endpoints whose `@requires` demands one (the default)."""
    organization = principal_of(request).organization
    if organization is None:
        raise RuntimeError("endpoint needs an organization but its requirement does not demand one")
    return organization
