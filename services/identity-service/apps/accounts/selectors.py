"""Reads of users, organizations and memberships."""

import base64
import binascii
import uuid
from datetime import datetime

from django.db.models import Q, QuerySet

from apps.accounts.exceptions import OrganizationNotFound
from apps.accounts.models import Membership, Organization, Role, User
from apps.tokens.verification import ServicePrincipal
from hubkit.errors import ValidationFailed


def user_get_by_email(*, email: str) -> User | None:
    return User.objects.filter(email=email.strip().lower()).first()


def membership_list_for_user(*, user: User) -> QuerySet[Membership]:
    """The user's memberships, oldest first: the first one is the default organization at login."""
    return Membership.objects.filter(user=user).select_related("organization").order_by("created_at", "id")


def membership_get(*, user_id: uuid.UUID, organization_id: uuid.UUID) -> Membership | None:
    return (
        Membership.objects.filter(user_id=user_id, organization_id=organization_id)
        .select_related("organization", "user")
        .first()
    )


def membership_of_actor(*, actor: User, organization_id: uuid.UUID) -> Membership:
    """The actor's membership in the organization; not a member is indistinguishable from unknown."""
    membership = membership_get(user_id=actor.id, organization_id=organization_id)
    if membership is None:
        raise OrganizationNotFound("No such organization.")
    return membership


def organization_for_service(*, principal: ServicePrincipal, organization_id: uuid.UUID) -> Organization:
    """The organization a service token may read; any other is indistinguishable from unknown."""
    organization = Organization.objects.filter(id=organization_id).first()
    if organization is None or not principal.may_read_organization(organization_id):
        raise OrganizationNotFound("No such organization.")
    return organization


def member_list(
    *, organization: Organization, limit: int, cursor: str | None, role: Role | None = None
) -> tuple[list[Membership], str | None]:
    """One page of members in join order (only those holding exactly `role`, if given), next cursor."""
    members = Membership.objects.filter(organization=organization).select_related("user")
    if role is not None:
        members = members.filter(role=role)
    if cursor:
        created_at, last_id = _decode_cursor(cursor)
        members = members.filter(Q(created_at__gt=created_at) | Q(created_at=created_at, id__gt=last_id))
    page = list(members.order_by("created_at", "id")[: limit + 1])
    if len(page) <= limit:
        return page, None
    last = page[limit - 1]
    return page[:limit], _encode_cursor(last)


def _encode_cursor(membership: Membership) -> str:
    raw = f"{membership.created_at.isoformat()}|{membership.id}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, last_id = raw.split("|")
        return datetime.fromisoformat(created_at), uuid.UUID(last_id)
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise ValidationFailed(
            "The cursor is not valid.", errors=[{"field": "cursor", "message": "Invalid cursor"}]
        ) from exc
