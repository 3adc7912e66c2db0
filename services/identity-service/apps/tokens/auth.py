"""Bearer authentication of this service's own API with the access tokens it issues."""

import logging

from django.http import HttpRequest
from ninja.security import HttpBearer

from apps.tokens.exceptions import InvalidAccessToken
from apps.tokens.verification import Principal, access_token_decode, user_principal

logger = logging.getLogger(__name__)


class AccessTokenAuth(HttpBearer):
    """Verified locally with the service's own keys; only live user sessions pass (sync, see TRAPS)."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal | None:
        try:
            return user_principal(claims=access_token_decode(token=token))
        except InvalidAccessToken as exc:
            logger.info("bearer token refused: %s", exc)
            return None


def principal_of(request: HttpRequest) -> Principal:
    """The authenticated principal Ninja put on the request."""
    principal = request.auth  # type: ignore[attr-defined]
    if not isinstance(principal, Principal):
        raise TypeError("endpoint reached without AccessTokenAuth")
    return principal
