"""Bearer authentication of this service's own API with the access tokens it issues."""

import logging

from django.http import HttpRequest

from apps.tokens.exceptions import InvalidAccessToken, InvalidBearer
from apps.tokens.verification import (
    Principal,
    ServicePrincipal,
    access_token_decode,
    service_principal,
    user_principal,
)
from hubkit.access import Caller
from hubkit.ninja import HubBearer

logger = logging.getLogger(__name__)


class AccessTokenAuth(HubBearer):
    """Verified locally with the service's own keys; only live user sessions pass.

    Sync on purpose: django-ninja's async `authenticate` returning None has crashed instead of
    answering 401 (vitalik/django-ninja#1386), and the views are sync too.
    """

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        try:
            return user_principal(claims=access_token_decode(token=token))
        except InvalidAccessToken as exc:
            logger.info("bearer token refused: %s", exc)
            return None

    def caller_of(self, principal: Principal) -> Caller:
        return Caller.user(principal.user.id, principal.organization_id)


class ServiceTokenAuth(HubBearer):
    """Service (client_credentials) tokens carrying `scope`; for the few endpoints other services call."""

    def __init__(self, *, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> ServicePrincipal | None:
        try:
            principal = service_principal(claims=access_token_decode(token=token))
        except InvalidAccessToken as exc:
            logger.info("service token refused: %s", exc)
            return None
        if self.scope not in principal.scopes:
            logger.info("service token refused: scope %s missing", self.scope)
            return None
        return principal

    def caller_of(self, principal: ServicePrincipal) -> Caller:
        return Caller.client(principal.client.client_id, principal.organization_id)


def principal_of(request: HttpRequest) -> Principal:
    """The authenticated principal Ninja put on the request."""
    principal = request.auth  # type: ignore[attr-defined]
    if not isinstance(principal, Principal):
        raise TypeError("endpoint reached without AccessTokenAuth")
    return principal


def optional_principal(request: HttpRequest) -> Principal | None:
    """The signed-in user of an endpoint open to anyone: None without `Authorization`, 401 for a
    header that does not carry a live user token (a bad token is never read as "nobody")."""
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, token = header.partition(" ")
    principal = AccessTokenAuth().authenticate(request, token.strip()) if scheme.lower() == "bearer" else None
    if principal is None:
        raise InvalidBearer("The bearer token is not valid.", headers={"WWW-Authenticate": "Bearer"})
    return principal
