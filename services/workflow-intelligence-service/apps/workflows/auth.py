"""Who is calling: identity-service access tokens verified locally (hubkit), and what they may read."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from hubkit.errors import PermissionDenied
from hubkit.identity import InvalidToken, get_verifier

ADMIN_ROLES = frozenset({"admin", "owner"})
RUNS_READ_SCOPE = "runs:read"


@dataclass(frozen=True)
class Caller:
    subject: str
    is_service: bool
    organization_id: uuid.UUID | None
    roles: frozenset[str]
    scopes: frozenset[str]

    @classmethod
    def from_claims(cls, claims: dict[str, Any]) -> Caller:
        org = claims.get("org_id")
        try:
            organization_id = uuid.UUID(str(org)) if org else None
        except ValueError as exc:
            raise InvalidToken("The access token names an invalid organization.") from exc
        roles = claims.get("roles")
        return cls(
            subject=str(claims["sub"]),
            # Identity-service gives user tokens `roles`; service tokens never carry it.
            is_service=roles is None,
            organization_id=organization_id,
            roles=frozenset(str(r) for r in roles or []),
            scopes=frozenset(str(claims.get("scope", "")).split()),
        )

    @property
    def is_org_admin(self) -> bool:
        return not self.is_service and self.organization_id is not None and bool(self.roles & ADMIN_ROLES)


class BearerAuth(HttpBearer):
    """Sync on purpose (TRAPS: ninja's async auth returning None has crashed instead of 401)."""

    def authenticate(self, request: HttpRequest, token: str) -> Caller:
        return Caller.from_claims(get_verifier().verify(token))


def caller_of(request: HttpRequest) -> Caller:
    caller = getattr(request, "auth", None)
    if not isinstance(caller, Caller):
        raise RuntimeError("endpoint reached without an authenticated caller")
    return caller


def rules_organization(caller: Caller) -> uuid.UUID:
    """The organization whose rules the caller may read and change: admins and owners only."""
    if not caller.is_org_admin or caller.organization_id is None:
        raise PermissionDenied("Only an organization's admins and owners manage its rules.")
    return caller.organization_id


def runs_organization(caller: Caller) -> uuid.UUID | None:
    """The organization whose runs the caller may read; None means every organization.

    Users: admins and owners, their organization. Services: scope `runs:read`, the token's
    organization when it was issued for one, else every organization.
    """
    if caller.is_service:
        if RUNS_READ_SCOPE not in caller.scopes:
            raise PermissionDenied(f"A service token needs the scope {RUNS_READ_SCOPE}.")
        return caller.organization_id
    return rules_organization(caller)
