"""Edge schemas of the discovery documents (they describe the answers; the views render them)."""

from typing import Literal

from ninja import Field, Schema
from pydantic import ConfigDict


class JwkOut(Schema):
    """One public signing key (RFC 8037 OKP / Ed25519)."""

    model_config = ConfigDict(extra="forbid")

    kty: Literal["OKP"]
    crv: Literal["Ed25519"]
    x: str = Field(description="The public key, base64url.")
    kid: str = Field(description="Key id, named by every token's header.")
    alg: Literal["EdDSA"]
    use: Literal["sig"]


class JwksOut(Schema):
    """The published keys: the active one, the next, and any retiring one still verifying."""

    model_config = ConfigDict(extra="forbid")

    keys: list[JwkOut]


class ServerMetadataOut(Schema):
    """Authorization server metadata (RFC 8414, OpenID discovery); every URL derives from `issuer`."""

    model_config = ConfigDict(extra="forbid")

    issuer: str
    jwks_uri: str
    token_endpoint: str
    introspection_endpoint: str
    revocation_endpoint: str
    grant_types_supported: list[str]
    response_types_supported: list[str]
    subject_types_supported: list[str]
    token_endpoint_auth_methods_supported: list[str]
    introspection_endpoint_auth_methods_supported: list[str]
    revocation_endpoint_auth_methods_supported: list[str]
    access_token_signing_alg_values_supported: list[str]
    id_token_signing_alg_values_supported: list[str]
    claims_supported: list[str]
    login_endpoint: str = Field(description="The hub's password login (not an OAuth endpoint).")
    refresh_endpoint: str = Field(description="The hub's refresh-token rotation (not an OAuth endpoint).")
