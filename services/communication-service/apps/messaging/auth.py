"""Who may read messages: admins/owners of an organization, or services granted `messages:read`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from ninja.security import HttpBearer

from hubkit.errors import PermissionDenied
from hubkit.identity import InvalidToken, get_verifier

READ_SCOPE = "messages:read"
READER_ROLES = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class MessageReader:
    """An authorized caller; `organization_id` None means every organization (unbound service)."""

    subject: str
    organization_id: uuid.UUID | None
    is_service: bool


def reader_from_claims(claims: dict[str, Any]) -> MessageReader:
    """Authorize verified claims, or raise PermissionDenied."""
    org_id = _org(claims.get("org_id"))
    subject = str(claims["sub"])
    if "roles" in claims:  # a user token (service tokens carry no roles)
        roles = claims["roles"] if isinstance(claims["roles"], list) else []
        if org_id is None or not READER_ROLES.intersection(roles):
            raise PermissionDenied("Only an organization's admins and owners read its messages.")
        return MessageReader(subject=subject, organization_id=org_id, is_service=False)
    scopes = str(claims.get("scope", "")).split()
    if READ_SCOPE not in scopes:
        raise PermissionDenied(f"The token lacks the {READ_SCOPE} scope.")
    return MessageReader(subject=subject, organization_id=org_id, is_service=True)


def _org(value: object) -> uuid.UUID | None:
    if value in (None, ""):
        return None
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise InvalidToken("The access token names an invalid organization.") from exc


class MessageReaderAuth(HttpBearer):
    """Verifies an identity-service access token locally (hubkit) and authorizes the reader.

    Sync on purpose (TRAPS: ninja's async auth returning None has crashed instead of 401).
    """

    def authenticate(self, request: HttpRequest, token: str) -> MessageReader:
        return reader_from_claims(get_verifier().verify(token))
