"""The global bearer authentication of the backend's API."""

from __future__ import annotations

from django.http import HttpRequest

from apps.identity.principal import Principal
from apps.identity.services import principal_from_claims
from hubkit.identity import get_verifier
from hubkit.ninja import HubBearer


class BearerAuth(HubBearer):
    """Verifies an identity-service access token locally; never a network call in steady state.

    Sync on purpose: django-ninja's async `authenticate` returning None has crashed instead of
    answering 401 (vitalik/django-ninja#1386), and the views are sync too.
    Failures raise InvalidToken / IdentityUnavailable, rendered as problem+json.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        return principal_from_claims(claims=get_verifier().verify(token), token=token)
