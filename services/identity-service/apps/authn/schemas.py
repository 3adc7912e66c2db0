"""Edge schemas of login, refresh, organization switch and MFA."""

import uuid
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from apps.accounts.schemas import Email, OrganizationOut, UserOut
from apps.authn.services import MfaRequired, SignedIn
from apps.tokens.services import TokenPair
from hubkit.fields import Text

TOTP_CODE = r"^\s*\d{6}\s*$"
Password = Annotated[Text, StringConstraints(min_length=1, max_length=1024)]
Code = Annotated[Text, StringConstraints(pattern=TOTP_CODE)]
OpaqueToken = Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class LoginIn(Schema):
    """Email and password; `organization_id` picks the membership (default: the oldest).

    `device_token` is the one the last completed login on this device answered: failures from
    other devices and addresses then never delay this login.
    """

    email: Email
    password: Password
    organization_id: uuid.UUID | None = None
    device_token: Annotated[Text, StringConstraints(max_length=500)] | None = None


class TokenOut(Schema):
    """An access token (JWT, at most 15 minutes) and its rotating refresh token."""

    access_token: str
    refresh_token: str
    token_type: Literal["Bearer"] = "Bearer"  # noqa: S105 - the RFC 6750 type name
    expires_in: int
    user: UserOut
    organization: OrganizationOut | None
    roles: list[str]
    device_token: str | None = Field(
        default=None, description="After a login: send it back with the next login from this device."
    )

    @classmethod
    def from_pair(cls, pair: TokenPair, device_token: str | None = None) -> "TokenOut":
        return cls(
            access_token=pair.access.token,
            refresh_token=pair.refresh_token,
            expires_in=pair.access.expires_in,
            user=UserOut.from_orm(pair.user),
            organization=OrganizationOut.from_orm(pair.organization) if pair.organization else None,
            roles=pair.access.claims.get("roles", []),
            device_token=device_token,
        )

    @classmethod
    def from_sign_in(cls, signed_in: SignedIn) -> "TokenOut":
        return cls.from_pair(signed_in.pair, device_token=signed_in.device_token)


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

    mfa_token: OpaqueToken
    code: Code


class MfaSetupOut(Schema):
    """A new TOTP secret, also as an `otpauth://` URI for authenticator apps."""

    secret: str
    otpauth_uri: str


class MfaSetupIn(Schema):
    """The password, unless the login behind the token is at most a few minutes old."""

    password: Password | None = None


class MfaEnableIn(Schema):
    """A TOTP code from the new secret, and the password unless the login is recent."""

    code: Code
    password: Password | None = None


class RefreshIn(Schema):
    """The current refresh token; it is rotated, and reusing a rotated one ends the session."""

    refresh_token: OpaqueToken


class SwitchOrganizationIn(Schema):
    """Another organization the caller is a member of."""

    organization_id: uuid.UUID
