"""Edge schemas of the OAuth endpoints: form-encoded requests, RFC 6749/7662/7009 answers.

Every form field is optional text on purpose: a missing or odd value is answered by the
endpoint as an RFC 6749 error (`invalid_request`, ...), never as a generic validation error.
The answer schemas document what the views render; the tests hold the answers to them.
"""

from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from hubkit.fields import Text

FORM_ID_HELP = "The client id, when authenticating with form fields (client_secret_post) instead of Basic."
FORM_CREDENTIAL_HELP = "The client secret, with `client_id` (client_secret_post); never together with Basic."


class TokenForm(Schema):
    """RFC 6749 4.4 client credentials request."""

    grant_type: Text | None = Field(None, description="Must be `client_credentials`.")
    scope: Text | None = Field(
        None, description="Space-separated scopes, a subset of the client's; omitted: all of them."
    )
    organization_id: Text | None = Field(
        None,
        description="Issue the token for this organization (clients allowed all organizations); a "
        "client bound to one organization always gets that one.",
    )
    client_id: Text | None = Field(None, description=FORM_ID_HELP)
    client_secret: Text | None = Field(None, description=FORM_CREDENTIAL_HELP)


class ServiceTokenOut(Schema):
    """A service access token (a JWT, `typ: at+jwt`)."""

    model_config = ConfigDict(extra="forbid")

    access_token: str
    token_type: Literal["Bearer"]
    expires_in: int = Field(description="Seconds until the token expires.")
    scope: str = Field(description="The scopes granted, space-separated.")


class ExistingTokenForm(Schema):
    """A token to introspect (RFC 7662) or revoke (RFC 7009)."""

    token: Text | None = Field(None, description="The access or refresh token (required).")
    token_type_hint: Text | None = Field(
        None, description="`access_token` or `refresh_token`; optional, the token's form decides."
    )
    client_id: Text | None = Field(None, description=FORM_ID_HELP)
    client_secret: Text | None = Field(None, description=FORM_CREDENTIAL_HELP)


class IntrospectionOut(Schema):
    """RFC 7662 answer: `{"active": false}` alone for any token that is not live now."""

    model_config = ConfigDict(extra="forbid")

    active: bool
    token_type: Literal["Bearer", "refresh_token"] | None = None
    principal_type: Literal["user", "service"] | None = Field(
        None, description="Access tokens: whether a user or a service holds it."
    )
    sub: str | None = None
    client_id: str | None = None
    scope: str | None = None
    aud: list[str] | None = None
    iss: str | None = None
    exp: int | None = None
    iat: int | None = None
    nbf: int | None = None
    jti: str | None = None
    org_id: str | None = None
    roles: list[str] | None = Field(None, description="The role held now (a demotion applies at once).")
    email: str | None = None
    name: str | None = None
    username: str | None = None
    amr: list[str] | None = None
    sid: str | None = Field(None, description="The session (refresh-token family) of a user token.")


class RevocationOut(Schema):
    """RFC 7009: an empty object, also for a token that was unknown or already dead."""

    model_config = ConfigDict(extra="forbid")


class OAuthErrorOut(Schema):
    """RFC 6749 5.2 error answer of the /oauth endpoints."""

    model_config = ConfigDict(extra="forbid")

    error: Literal[
        "invalid_request",
        "invalid_client",
        "unauthorized_client",
        "unsupported_grant_type",
        "invalid_scope",
        "unsupported_token_type",
    ]
    error_description: str
