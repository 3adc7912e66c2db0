from hubkit.errors import ApplicationError, NotAuthenticated, ServiceUnavailable


class InvalidToken(NotAuthenticated):
    code = "invalid_token"
    title = "Invalid access token"

    def __init__(self, message: str = "The access token is invalid.") -> None:
        # RFC 6750: tell the client why, without saying more than the error class.
        super().__init__(message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})


class TokenRevoked(InvalidToken):
    code = "token_revoked"
    title = "Access token revoked"


class IdentityUnavailable(ServiceUnavailable):
    code = "identity_unavailable"
    title = "Identity service unavailable"


class IdentityProtocolError(ApplicationError):
    """The identity service answered something that does not follow its contract."""

    status = 503
    code = "identity_unavailable"
    title = "Identity service unavailable"
