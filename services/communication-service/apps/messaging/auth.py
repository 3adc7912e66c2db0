"""Who may read messages: admins/owners of an organization, or services granted `messages:read`."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.http import HttpRequest

from hubkit.access import Caller
from hubkit.errors import PermissionDenied
from hubkit.identity import TokenClaims, get_verifier
from hubkit.ninja import HubBearer

READ_SCOPE = "messages:read"
READER_ROLES = frozenset({"owner", "admin"})


@dataclass(frozen=True)
class MessageReader:
    """An authorized caller; `organization_id` None means every organization (unbound service)."""

    subject: str
    organization_id: uuid.UUID | None
    is_service: bool


def reader_from_claims(claims: TokenClaims) -> MessageReader:
    """Authorize verified claims, or raise PermissionDenied."""
    if not claims.is_service:
        if claims.organization_id is None or not READER_ROLES & claims.roles:
            raise PermissionDenied("Only an organization's admins and owners read its messages.")
        return MessageReader(subject=claims.subject, organization_id=claims.organization_id, is_service=False)
    if READ_SCOPE not in claims.scopes:
        raise PermissionDenied(f"The token lacks the {READ_SCOPE} scope.")
    return MessageReader(subject=claims.subject, organization_id=claims.organization_id, is_service=True)


class MessageReaderAuth(HubBearer):
    """Verifies an identity-service access token locally (hubkit) and authorizes the reader.

    Sync on purpose: django-ninja's async `authenticate` returning None has crashed instead of
    answering 401 (vitalik/django-ninja#1386), and the views are sync too.
    """

    def authenticate(self, request: HttpRequest, token: str) -> MessageReader:
        return reader_from_claims(get_verifier().verify(token))

    def caller_of(self, principal: MessageReader) -> Caller:
        if principal.is_service:
            return Caller.client(principal.subject, principal.organization_id)
        return Caller.user(principal.subject, principal.organization_id)
