"""Writes of users, organizations and memberships; each one transaction."""

import uuid
import zoneinfo
from functools import cache

import phonenumbers
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from apps.accounts.exceptions import (
    EmailTaken,
    InvalidPassword,
    InvalidPhone,
    InvalidTimezone,
    LastOwner,
    MemberNotFound,
    NotAllowed,
    SlugTaken,
)
from apps.accounts.models import MANAGING_ROLES, Membership, Organization, Role, User
from apps.accounts.selectors import membership_of_actor
from apps.tokens.services import session_revoke_for_membership


def password_validate(*, password: str, email: str = "", name: str = "") -> None:
    """The hub's own rules (length, not the email), then Django's AUTH_PASSWORD_VALIDATORS."""
    if len(password) < settings.PASSWORD_MIN_LENGTH:
        raise InvalidPassword(
            f"The password must have at least {settings.PASSWORD_MIN_LENGTH} characters.",
            errors=[{"field": "password", "message": "Too short"}],
        )
    if email and password.strip().lower() == email.strip().lower():
        raise InvalidPassword(
            "The password must differ from the email.",
            errors=[{"field": "password", "message": "Same as email"}],
        )
    try:
        validate_password(password, user=User(email=email, name=name))
    except DjangoValidationError as exc:
        raise InvalidPassword(
            " ".join(exc.messages), errors=[{"field": "password", "message": m} for m in exc.messages]
        ) from exc


def user_create(
    *,
    email: str,
    name: str,
    password: str | None,
    user_id: uuid.UUID | None = None,
    email_verified: bool = False,
) -> User:
    """A new user; without a password the account cannot log in until one is set.

    Only the person who will use the account chooses its password: an invitation's accept (who
    holds the mailed link), the demo seed, tests. No endpoint creates a user for someone else.
    """
    email = email.strip().lower()
    if password is not None:
        password_validate(password=password, email=email, name=name)
    user = User(
        id=user_id or uuid.uuid4(),
        email=email,
        name=name.strip(),
        email_verified_at=timezone.now() if email_verified else None,
    )
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save(force_insert=True)
    except IntegrityError as exc:
        raise EmailTaken("A user with this email exists.") from exc
    return user


def user_set_password(*, user: User, password: str) -> User:
    password_validate(password=password, email=user.email, name=user.name)
    user.set_password(password)
    user.save(update_fields=["password", "updated_at"])
    return user


def phone_normalize(*, value: str) -> str:
    """A dialable number in E.164 ("+49 30 123456" → "+4930123456"); "" stays "" (no phone)."""
    if not value.strip():
        return ""
    try:
        # No default region: a number without its "+<country code>" has no single meaning here.
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException as exc:
        raise _invalid_phone("Give the number in international form, e.g. +4930123456.") from exc
    if not phonenumbers.is_valid_number(number):
        raise _invalid_phone("This is not a valid phone number.")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _invalid_phone(message: str) -> InvalidPhone:
    return InvalidPhone(message, errors=[{"field": "phone", "message": message}])


def user_profile_update(*, user: User, name: str | None = None, phone: str | None = None) -> User:
    """The user's own name and phone (None: unchanged; phone "" removes it), locked and re-read."""
    normalized = phone_normalize(value=phone) if phone is not None else None
    with transaction.atomic():
        locked = User.objects.select_for_update().get(id=user.id)
        changed = []
        if name is not None and name.strip() != locked.name:
            locked.name = name.strip()
            changed.append("name")
        if normalized is not None and normalized != locked.phone:
            locked.phone = normalized
            changed.append("phone")
        if changed:
            locked.save(update_fields=[*changed, "updated_at"])
    return locked


@cache
def _timezones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def timezone_validate(*, name: str) -> str:
    if name not in _timezones():
        raise InvalidTimezone(
            f"{name!r} is not an IANA time zone.", errors=[{"field": "timezone", "message": "Unknown"}]
        )
    return name


@transaction.atomic
def organization_create(
    *,
    creator: User | None,
    name: str,
    slug: str | None = None,
    timezone: str = "UTC",
    organization_id: uuid.UUID | None = None,
) -> Organization:
    """A new organization; its creator becomes its owner."""
    organization = Organization(
        id=organization_id or uuid.uuid4(),
        name=name.strip(),
        slug=slugify(slug or name)[:64] or uuid.uuid4().hex[:12],
        timezone=timezone_validate(name=timezone),
    )
    try:
        with transaction.atomic():
            organization.save(force_insert=True)
    except IntegrityError as exc:
        raise SlugTaken(f"The slug {organization.slug!r} is taken.") from exc
    if creator is not None:
        Membership.objects.create(user=creator, organization=organization, role=Role.OWNER)
    return organization


def membership_ensure(*, user: User, organization: Organization, role: Role) -> Membership:
    """Idempotent: the user holds exactly this role in the organization afterwards."""
    membership, _ = Membership.objects.update_or_create(
        user=user, organization=organization, defaults={"role": role}
    )
    return membership


def manager_require(*, actor: User, organization_id: uuid.UUID) -> Membership:
    """The actor's membership if they manage members (owner or admin); else 403, 404 for non-members."""
    membership = membership_of_actor(actor=actor, organization_id=organization_id)
    if membership.role not in MANAGING_ROLES:
        raise NotAllowed("Only owners and admins manage members.")
    return membership


def role_touch_require(*, actor_membership: Membership, role: str) -> None:
    """Admins manage everyone but owners; only an owner makes, changes or removes an owner."""
    if role == Role.OWNER and actor_membership.role != Role.OWNER:
        raise NotAllowed("Only an owner can grant, change or remove the owner role.")


def _lock_member(*, organization_id: uuid.UUID, user_id: uuid.UUID) -> Membership:
    # Lock every owner row first, in a fixed order: two concurrent demotions cannot both pass.
    list(
        Membership.objects.select_for_update()
        .filter(organization_id=organization_id, role=Role.OWNER)
        .order_by("id")
    )
    membership = (
        Membership.objects.select_for_update()
        .select_related("user", "organization")
        .filter(organization_id=organization_id, user_id=user_id)
        .first()
    )
    if membership is None:
        raise MemberNotFound("No such member.")
    return membership


def _require_other_owner(*, membership: Membership) -> None:
    if membership.role != Role.OWNER:
        return
    others = Membership.objects.filter(organization_id=membership.organization_id, role=Role.OWNER).exclude(
        id=membership.id
    )
    if not others.exists():
        raise LastOwner("The last owner cannot be removed or demoted.")


@transaction.atomic
def member_update_role(
    *, actor: User, organization_id: uuid.UUID, user_id: uuid.UUID, role: Role
) -> Membership:
    actor_membership = manager_require(actor=actor, organization_id=organization_id)
    membership = _lock_member(organization_id=organization_id, user_id=user_id)
    role_touch_require(actor_membership=actor_membership, role=membership.role)
    role_touch_require(actor_membership=actor_membership, role=role)
    if role != Role.OWNER:
        _require_other_owner(membership=membership)
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


@transaction.atomic
def member_remove(*, actor: User, organization_id: uuid.UUID, user_id: uuid.UUID) -> None:
    """Removes the membership and ends the user's sessions in that organization."""
    actor_membership = manager_require(actor=actor, organization_id=organization_id)
    membership = _lock_member(organization_id=organization_id, user_id=user_id)
    role_touch_require(actor_membership=actor_membership, role=membership.role)
    _require_other_owner(membership=membership)
    session_revoke_for_membership(user_id=user_id, organization_id=organization_id, reason="member_removed")
    membership.delete()
