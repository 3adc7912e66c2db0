"""Edge schemas of login, refresh, organization switch and MFA."""

import uuid
from typing import Literal

from ninja import Field, Schema

from apps.accounts.schemas import EMAIL_PATTERN, OrganizationOut, UserOut
from apps.authn.services import MfaRequired
from apps.tokens.services import TokenPair

TOTP_CODE = r"^\s*\d{6}\s*$"


class LoginIn(Schema):
    """Email and password; `organization_id` picks the membership (default: the oldest)."""

    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    password: str = Field(min_length=1, max_length=1024)
    organization_id: uuid.UUID | None = None


class TokenOut(Schema):
    """An access token (JWT, at most 15 minutes) and its rotating refresh token."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6750 type name
    expires_in: int
    user: UserOut
    organization: OrganizationOut | None
    roles: list[str]

    @classmethod
    def from_pair(cls, pair: TokenPair) -> "TokenOut":
        return cls(
            access_token=pair.access.token,
            refresh_token=pair.refresh_token,
            expires_in=pair.access.expires_in,
            user=UserOut.from_orm(pair.user),
            organization=OrganizationOut.from_orm(pair.organization) if pair.organization else None,
            roles=pair.access.claims.get("roles", []),
        )


class MfaRequiredOut(Schema):
    """The password was right and MFA is on: complete the login at `/auth/mfa/verify`."""

    mfa_required: Literal[True] = True
    mfa_token: str
    expires_in: int

    @classmethod
    def from_challenge(cls, challenge: MfaRequired) -> "MfaRequiredOut":
        return cls(mfa_token=challenge.mfa_token, expires_in=challenge.expires_in)


class MfaVerifyIn(Schema):
    """The challenge of the login and a TOTP code."""

    mfa_token: str = Field(min_length=1, max_length=200)
    code: str = Field(pattern=TOTP_CODE)


class MfaSetupOut(Schema):
    """A new TOTP secret, also as an `otpauth://` URI for authenticator apps."""

    secret: str
    otpauth_uri: str


class MfaEnableIn(Schema):
    """A TOTP code from the new secret."""

    code: str = Field(pattern=TOTP_CODE)


class RefreshIn(Schema):
    """The current refresh token; it is rotated, and reusing a rotated one ends the session."""

    refresh_token: str = Field(min_length=1, max_length=200)


class SwitchOrganizationIn(Schema):
    """Another organization the caller is a member of."""

    organization_id: uuid.UUID
