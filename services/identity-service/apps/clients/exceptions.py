"""OAuth errors of the /oauth endpoints, answered in RFC 6749 section 5.2 form."""

from collections.abc import Mapping


class OAuthError(Exception):
    status = 400
    error = "invalid_request"

    def __init__(self, description: str, *, headers: Mapping[str, str] | None = None) -> None:
        self.description = description
        self.headers = dict(headers or {})
        super().__init__(description)


class InvalidRequest(OAuthError):
    error = "invalid_request"


class InvalidClient(OAuthError):
    status = 401
    error = "invalid_client"


class UnauthorizedClient(OAuthError):
    status = 403
    error = "unauthorized_client"


class UnsupportedGrantType(OAuthError):
    error = "unsupported_grant_type"


class InvalidScope(OAuthError):
    error = "invalid_scope"


class UnsupportedTokenType(OAuthError):
    error = "unsupported_token_type"
