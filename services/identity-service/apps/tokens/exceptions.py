"""Errors of token handling."""

from hubkit.errors import NotAuthenticated


class InvalidRefreshToken(NotAuthenticated):
    code = "invalid_refresh_token"
    title = "Invalid refresh token"


class RefreshTokenReused(NotAuthenticated):
    code = "refresh_token_reused"
    title = "Refresh token reused"


class InvalidBearer(NotAuthenticated):
    """An `Authorization` header on an endpoint open to anyone that carries no live user token."""

    code = "invalid_token"
    title = "Invalid access token"


class InvalidAccessToken(Exception):
    """An access token that does not verify; the reason is for logs, never for the caller."""
