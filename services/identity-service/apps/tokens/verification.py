"""Verifying this service's own access tokens, and RFC 7662 introspection of any token it issued."""

import logging
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
from django.conf import settings
from django.utils import timezone

from apps.accounts.models import Membership, User
from apps.clients.models import ServiceClient
from apps.signing.selectors import signing_key_published_get
from apps.signing.services import signing_key_public
from apps.tokens.exceptions import InvalidAccessToken
from apps.tokens.models import RevokedAccessToken, Session
from apps.tokens.services import ACCESS_TOKEN_TYPE, REFRESH_TOKEN_PREFIX, refresh_token_lookup
from hubkit.identity import is_service_token

logger = logging.getLogger(__name__)

INACTIVE: dict[str, Any] = {"active": False}
_REQUIRED_CLAIMS = ["iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope"]


def access_token_decode(*, token: str) -> dict[str, Any]:
    """The claims of a token this service signed with a published key; raises InvalidAccessToken."""
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken("malformed") from exc
    kid = header.get("kid")
    if header.get("typ") != ACCESS_TOKEN_TYPE or header.get("alg") != "EdDSA" or not isinstance(kid, str):
        raise InvalidAccessToken("unexpected header")
    key = signing_key_published_get(kid=kid)
    if key is None:
        raise InvalidAccessToken("unknown or retired kid")
    try:
        return jwt.decode(
            token,
            signing_key_public(key=key),
            algorithms=["EdDSA"],  # pinned: never taken from the token
            audience=settings.TOKEN_AUDIENCE,
            issuer=settings.IDENTITY_ISSUER,
            leeway=settings.TOKEN_LEEWAY_SECONDS,
            options={"require": _REQUIRED_CLAIMS},
        )
    except jwt.PyJWTError as exc:
        raise InvalidAccessToken(type(exc).__name__) from exc


@dataclass(frozen=True)
class Principal:
    """The caller behind a user access token, as checked against the database just now."""

    user: User
    session: Session
    membership: Membership | None
    claims: dict[str, Any]

    @property
    def organization_id(self) -> uuid.UUID | None:
        return self.membership.organization_id if self.membership else None


@dataclass(frozen=True)
class ServicePrincipal:
    """The caller behind a service (client_credentials) access token, checked against the database."""

    client: ServiceClient
    organization_id: uuid.UUID | None
    scopes: frozenset[str]
    claims: dict[str, Any]

    def may_read_organization(self, organization_id: uuid.UUID) -> bool:
        """A token issued for an organization reads only that one; without one, all_organizations clients."""
        if self.organization_id is not None:
            return self.organization_id == organization_id
        return self.client.all_organizations


def _is_revoked(jti: str) -> bool:
    return RevokedAccessToken.objects.filter(jti=jti).exists()


def _organization_id(claims: dict[str, Any]) -> uuid.UUID | None:
    """The `org_id` claim as a UUID (absent: None); anything else makes the token invalid."""
    org_id = claims.get("org_id")
    if org_id is None:
        return None
    if not isinstance(org_id, str):
        raise InvalidAccessToken("malformed org_id")
    try:
        return uuid.UUID(org_id)
    except ValueError as exc:
        raise InvalidAccessToken("malformed org_id") from exc


def user_principal(*, claims: dict[str, Any]) -> Principal:
    """Checks a user token is still live: session, jti, user and membership; raises InvalidAccessToken."""
    sid = claims.get("sid")
    if not isinstance(sid, str) or _is_revoked(claims["jti"]):
        raise InvalidAccessToken("not a user token, or revoked")
    try:
        session = Session.objects.select_related("user").get(id=uuid.UUID(sid))
    except (ValueError, Session.DoesNotExist) as exc:
        raise InvalidAccessToken("unknown session") from exc
    if session.is_revoked or not session.user.is_active or str(session.user_id) != claims["sub"]:
        raise InvalidAccessToken("session revoked or user inactive")
    membership = None
    org_id = _organization_id(claims)
    if org_id is not None:
        membership = (
            Membership.objects.select_related("organization")
            .filter(user_id=session.user_id, organization_id=org_id)
            .first()
        )
        if membership is None:
            raise InvalidAccessToken("membership removed")
    return Principal(user=session.user, session=session, membership=membership, claims=claims)


def service_principal(*, claims: dict[str, Any]) -> ServicePrincipal:
    """Checks a service token is still live: not a user token, jti not revoked, client active."""
    if not is_service_token(claims) or _is_revoked(claims["jti"]):
        raise InvalidAccessToken("not a service token, or revoked")
    client = ServiceClient.objects.filter(client_id=claims["client_id"], is_active=True).first()
    if client is None:
        raise InvalidAccessToken("unknown or deactivated client")
    return ServicePrincipal(
        client=client,
        organization_id=_organization_id(claims),
        scopes=frozenset(str(claims["scope"]).split()),
        claims=claims,
    )


def token_introspect(*, token: str) -> dict[str, Any]:
    """RFC 7662: `active` plus the token's current facts, or only `{"active": false}`."""
    if token.startswith(REFRESH_TOKEN_PREFIX):
        return _introspect_refresh(token)
    try:
        claims = access_token_decode(token=token)
    except InvalidAccessToken as exc:
        logger.info("introspection: inactive token (%s)", exc)
        return INACTIVE
    common = {
        "active": True,
        "token_type": "Bearer",
        "sub": claims["sub"],
        "client_id": claims["client_id"],
        "scope": claims["scope"],
        "aud": claims["aud"],
        "iss": claims["iss"],
        "exp": claims["exp"],
        "iat": claims["iat"],
        "nbf": claims["nbf"],
        "jti": claims["jti"],
    }
    if not is_service_token(claims):
        try:
            principal = user_principal(claims=claims)
        except InvalidAccessToken:
            return INACTIVE
        return common | {
            "principal_type": "user",
            "org_id": str(principal.organization_id) if principal.organization_id else None,
            # The role held now, not the one at issue: a demotion takes effect at once.
            "roles": [principal.membership.role] if principal.membership else [],
            "email": principal.user.email,
            "name": principal.user.name,
            "username": principal.user.email,
            "amr": claims.get("amr", []),
            "sid": claims["sid"],
        }
    try:
        service = service_principal(claims=claims)
    except InvalidAccessToken:
        return INACTIVE
    org_id = str(service.organization_id) if service.organization_id else None
    return common | {"principal_type": "service", "org_id": org_id, "roles": []}


def _introspect_refresh(token: str) -> dict[str, Any]:
    stored = refresh_token_lookup(refresh_token=token)
    now = timezone.now()
    if (
        stored is None
        or stored.rotated_at is not None
        or stored.expires_at <= now
        or stored.session.is_revoked
        or not stored.session.user.is_active
    ):
        return INACTIVE
    session = stored.session
    return {
        "active": True,
        "token_type": "refresh_token",
        "sub": str(session.user_id),
        "client_id": session.client_id,
        "org_id": str(session.organization_id) if session.organization_id else None,
        "exp": int(stored.expires_at.timestamp()),
        "iat": int(stored.created_at.timestamp()),
        "sid": str(session.id),
    }
