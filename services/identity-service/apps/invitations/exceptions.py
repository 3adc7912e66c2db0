"""Errors of invitations, each with its stable code."""

from hubkit.errors import (
    ApplicationError,
    Conflict,
    NotFound,
    PermissionDenied,
    RateLimited,
    ValidationFailed,
)


class InvitationNotFound(NotFound):
    code = "invitation_not_found"
    title = "Invitation not found"


class InvitationInvalid(ApplicationError):
    """Unknown, expired, revoked or already used: one answer for all, so a token tells nothing."""

    status = 410
    code = "invitation_invalid"
    title = "Invitation not valid"


class InvitationPending(Conflict):
    code = "invitation_pending"
    title = "An invitation to this address is pending"


class InvitationNotPending(Conflict):
    code = "invitation_not_pending"
    title = "The invitation is no longer pending"


class SignInToAccept(Conflict):
    code = "sign_in_to_accept"
    title = "Sign in to accept"


class WrongAccount(PermissionDenied):
    code = "invitation_for_another_account"
    title = "The invitation is for another account"


class PasswordRequired(ValidationFailed):
    code = "password_required"
    title = "A password is required"


class TooManyInvitations(RateLimited):
    code = "too_many_invitations"
    title = "Too many invitations"
