"""Who is calling: identity-service access tokens verified locally (hubkit), and what they may read."""

from __future__ import annotations

import uuid

from django.http import HttpRequest

from hubkit.errors import PermissionDenied
from hubkit.identity import TokenClaims, get_verifier
from hubkit.ninja import HubBearer

ADMIN_ROLES = frozenset({"admin", "owner"})
RUNS_READ_SCOPE = "runs:read"


def is_org_admin(caller: TokenClaims) -> bool:
    return not caller.is_service and caller.organization_id is not None and bool(caller.roles & ADMIN_ROLES)


class BearerAuth(HubBearer):
    """Sync on purpose: django-ninja's async `authenticate` returning None has crashed instead of
    answering 401 (vitalik/django-ninja#1386), and the views are sync too."""

    def authenticate(self, request: HttpRequest, token: str) -> TokenClaims:
        return get_verifier().verify(token)


def caller_of(request: HttpRequest) -> TokenClaims:
    caller = getattr(request, "auth", None)
    if not isinstance(caller, TokenClaims):
        raise RuntimeError("endpoint reached without an authenticated caller")
    return caller


def rules_organization(caller: TokenClaims) -> uuid.UUID:
    """The organization whose rules the caller may read and change: admins and owners only."""
    if not is_org_admin(caller) or caller.organization_id is None:
        raise PermissionDenied("Only an organization's admins and owners manage its rules.")
    return caller.organization_id


def runs_organization(caller: TokenClaims) -> uuid.UUID | None:
    """The organization whose runs the caller may read; None means every organization.

    Users: admins and owners, their organization. Services: scope `runs:read`, the token's
    organization when it was issued for one, else every organization.
    """
    if caller.is_service:
        if RUNS_READ_SCOPE not in caller.scopes:
            raise PermissionDenied(f"A service token needs the scope {RUNS_READ_SCOPE}.")
        return caller.organization_id
    return rules_organization(caller)
