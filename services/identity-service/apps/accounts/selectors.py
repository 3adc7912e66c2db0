"""Reads of users, organizations and memberships."""

import uuid

from django.db.models import QuerySet

from apps.accounts.exceptions import OrganizationNotFound
from apps.accounts.models import Membership, Organization, Role, User
from apps.tokens.verification import ServicePrincipal


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


def member_list(*, organization: Organization, role: Role | None = None) -> QuerySet[Membership]:
    """The organization's members (only those holding exactly `role`, if given); the endpoint pages
    them in join order, (created_at, id), with hubkit.pagination."""
    members = Membership.objects.filter(organization=organization).select_related("user")
    if role is not None:
        members = members.filter(role=role)
    return members
