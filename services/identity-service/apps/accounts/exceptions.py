"""Errors of the accounts domain, each with its stable code."""

from hubkit.errors import Conflict, NotFound, PermissionDenied, ValidationFailed


class OrganizationNotFound(NotFound):
    code = "organization_not_found"
    title = "Organization not found"


class MemberNotFound(NotFound):
    code = "member_not_found"
    title = "Member not found"


class NotAllowed(PermissionDenied):
    pass


class LastOwner(Conflict):
    code = "last_owner"
    title = "An organization needs an owner"


class AlreadyMember(Conflict):
    code = "already_member"
    title = "Already a member"


class SlugTaken(Conflict):
    code = "slug_taken"
    title = "Slug already in use"


class EmailTaken(Conflict):
    code = "email_taken"
    title = "Email already in use"


class InvalidPassword(ValidationFailed):
    code = "invalid_password"
    title = "Password not acceptable"


class InvalidTimezone(ValidationFailed):
    code = "invalid_timezone"
    title = "Unknown time zone"


class InvalidPhone(ValidationFailed):
    code = "invalid_phone"
    title = "Not a phone number"
