"""Errors of authentication, each with its stable code."""

from hubkit.errors import Conflict, NotAuthenticated, PermissionDenied, RateLimited


class InvalidCredentials(NotAuthenticated):
    code = "invalid_credentials"
    title = "Invalid credentials"


class TooManyAttempts(RateLimited):
    code = "too_many_attempts"
    title = "Too many failed attempts"


class InvalidMfaToken(NotAuthenticated):
    code = "invalid_mfa_token"
    title = "Invalid or expired MFA token"


class InvalidMfaCode(NotAuthenticated):
    code = "invalid_mfa_code"
    title = "Invalid MFA code"


class MfaAlreadyEnabled(Conflict):
    code = "mfa_already_enabled"
    title = "MFA is already enabled"


class MfaNotSetUp(Conflict):
    code = "mfa_not_set_up"
    title = "MFA has not been set up"


class ReauthenticationRequired(PermissionDenied):
    """403, not 401: the access token is fine, the action wants fresh proof (password or recent login)."""

    code = "reauthentication_required"
    title = "Re-authentication required"
