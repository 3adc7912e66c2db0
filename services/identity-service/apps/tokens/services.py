"""Issuing access tokens (RFC 9068 JWTs), sessions with rotating refresh tokens, and revocation."""

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from apps.accounts.models import Membership, Organization, User
from apps.signing.services import signing_key_active, signing_key_private
from apps.tokens.exceptions import InvalidRefreshToken, RefreshTokenReused
from apps.tokens.models import RefreshToken, RevokedAccessToken, Session

REFRESH_TOKEN_PREFIX = "hubrt_"  # noqa: S105 - a recognisable prefix, not a secret
ACCESS_TOKEN_TYPE = "at+jwt"  # noqa: S105


@dataclass(frozen=True)
class IssuedAccessToken:
    token: str
    jti: str
    expires_in: int
    claims: dict[str, Any]


@dataclass(frozen=True)
class TokenPair:
    access: IssuedAccessToken
    refresh_token: str
    session: Session
    user: User
    organization: Organization | None


def access_token_issue(
    *,
    subject: str,
    client_id: str,
    scope: str,
    organization_id: uuid.UUID | None = None,
    roles: list[str] | None = None,
    email: str | None = None,
    name: str | None = None,
    amr: list[str] | None = None,
    session_id: uuid.UUID | None = None,
) -> IssuedAccessToken:
    """A signed JWT access token; user tokens carry org, roles and session, service tokens do not.

    The session (`sid`) is what marks a user token: a service token has none and its `sub` is
    its `client_id` (hubkit.identity.is_service_token, which every service decides by).
    """
    key = signing_key_active()
    now = int(timezone.now().timestamp())
    ttl = min(settings.ACCESS_TOKEN_TTL_SECONDS, 900)
    claims: dict[str, Any] = {
        "iss": settings.IDENTITY_ISSUER,
        "sub": subject,
        "aud": list(settings.TOKEN_AUDIENCE),
        "exp": now + ttl,
        "iat": now,
        "nbf": now,
        "jti": uuid.uuid4().hex,
        "client_id": client_id,
        "scope": scope,
    }
    if organization_id is not None:
        claims["org_id"] = str(organization_id)
    optional = {"roles": roles, "email": email, "name": name, "amr": amr, "sid": session_id}
    claims |= {
        name: str(v) if isinstance(v, uuid.UUID) else v for name, v in optional.items() if v is not None
    }
    token = jwt.encode(
        claims,
        signing_key_private(key=key),
        algorithm="EdDSA",
        headers={"kid": key.kid, "typ": ACCESS_TOKEN_TYPE},
    )
    return IssuedAccessToken(token=token, jti=claims["jti"], expires_in=ttl, claims=claims)


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _refresh_token_create(*, session: Session, now: datetime) -> str:
    token = REFRESH_TOKEN_PREFIX + secrets.token_urlsafe(32)
    RefreshToken.objects.create(
        session=session,
        token_hash=_hash(token),
        created_at=now,
        expires_at=now + timedelta(seconds=settings.REFRESH_TOKEN_TTL_SECONDS),
    )
    return token


def _user_access_token(*, session: Session, membership: Membership | None) -> IssuedAccessToken:
    user = session.user
    return access_token_issue(
        subject=str(user.id),
        client_id=session.client_id,
        scope=settings.USER_TOKEN_SCOPE,
        organization_id=membership.organization_id if membership else None,
        roles=[membership.role] if membership else [],
        email=user.email,
        name=user.name,
        amr=list(session.amr),
        session_id=session.id,
    )


@transaction.atomic
def session_start(*, user: User, membership: Membership | None, amr: list[str]) -> TokenPair:
    """A new session for the user in the membership's organization (none: a user without one)."""
    now = timezone.now()
    session = Session.objects.create(
        user=user,
        organization=membership.organization if membership else None,
        client_id=settings.USER_TOKEN_CLIENT_ID,
        amr=amr,
        created_at=now,
    )
    refresh = _refresh_token_create(session=session, now=now)
    access = _user_access_token(session=session, membership=membership)
    return TokenPair(
        access=access,
        refresh_token=refresh,
        session=session,
        user=user,
        organization=membership.organization if membership else None,
    )


def refresh_rotate(*, refresh_token: str) -> TokenPair:
    """Exchanges a refresh token for a new pair; a second use of one revokes its whole session."""
    outcome = _refresh_rotate(token_hash=_hash(refresh_token))
    if isinstance(outcome, TokenPair):
        return outcome
    # Raised outside the transaction so the revocation above is committed.
    raise outcome


@transaction.atomic
def _refresh_rotate(*, token_hash: str) -> TokenPair | InvalidRefreshToken | RefreshTokenReused:
    now = timezone.now()
    stored = (
        RefreshToken.objects.select_for_update(of=("self", "session"))
        .select_related("session", "session__user", "session__organization")
        .filter(token_hash=token_hash)
        .first()
    )
    if stored is None or stored.session.is_revoked or stored.expires_at <= now:
        return InvalidRefreshToken("The refresh token is not valid.")
    session = stored.session
    if stored.rotated_at is not None:
        _session_revoke(session=session, reason="refresh_reused", now=now)
        return RefreshTokenReused("The refresh token was already used; the session is revoked.")
    membership = None
    if session.organization_id is not None:
        membership = Membership.objects.filter(
            user_id=session.user_id, organization_id=session.organization_id
        ).first()
    if not session.user.is_active or (session.organization_id is not None and membership is None):
        _session_revoke(session=session, reason="access_lost", now=now)
        return InvalidRefreshToken("The refresh token is not valid.")
    stored.rotated_at = now
    stored.save(update_fields=["rotated_at"])
    session.last_refreshed_at = now
    session.save(update_fields=["last_refreshed_at"])
    refresh = _refresh_token_create(session=session, now=now)
    access = _user_access_token(session=session, membership=membership)
    return TokenPair(
        access=access,
        refresh_token=refresh,
        session=session,
        user=session.user,
        organization=session.organization,
    )


def _session_revoke(*, session: Session, reason: str, now: datetime) -> None:
    if session.revoked_at is None:
        session.revoked_at = now
        session.revoke_reason = reason
        session.save(update_fields=["revoked_at", "revoke_reason"])


def session_revoke(*, session_id: uuid.UUID, reason: str) -> None:
    """Ends a session: its refresh tokens stop working and its access tokens stop introspecting."""
    Session.objects.filter(id=session_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason
    )


def session_revoke_for_membership(*, user_id: uuid.UUID, organization_id: uuid.UUID, reason: str) -> int:
    return Session.objects.filter(
        user_id=user_id, organization_id=organization_id, revoked_at__isnull=True
    ).update(revoked_at=timezone.now(), revoke_reason=reason)


def session_revoke_all_for_user(*, user_id: uuid.UUID, reason: str) -> int:
    return Session.objects.filter(user_id=user_id, revoked_at__isnull=True).update(
        revoked_at=timezone.now(), revoke_reason=reason
    )


def access_token_revoke(*, jti: str, expires_at: int) -> None:
    """Remembers the jti until the token would have expired; introspection then answers inactive."""
    RevokedAccessToken.objects.get_or_create(
        jti=jti, defaults={"expires_at": datetime.fromtimestamp(expires_at, tz=UTC)}
    )


def refresh_token_revoke(*, refresh_token: str) -> bool:
    """Revoking a refresh token ends its session (RFC 7009: and the access tokens issued from it)."""
    stored = RefreshToken.objects.filter(token_hash=_hash(refresh_token)).only("session_id").first()
    if stored is None:
        return False
    session_revoke(session_id=stored.session_id, reason="revoked")
    return True


def refresh_token_lookup(*, refresh_token: str) -> RefreshToken | None:
    return (
        RefreshToken.objects.select_related("session", "session__user")
        .filter(token_hash=_hash(refresh_token))
        .first()
    )


def revoked_tokens_purge() -> int:
    """Drops revoked-token records whose tokens have expired anyway."""
    cutoff = timezone.now() - timedelta(seconds=settings.TOKEN_LEEWAY_SECONDS)
    deleted, _ = RevokedAccessToken.objects.filter(expires_at__lt=cutoff).delete()
    return deleted
