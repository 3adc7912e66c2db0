"""/users/me, /organizations and their members (people join through invitations: apps/invitations)."""

import uuid
from dataclasses import replace

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import P, PathEx, Query, Router, Status

from apps.accounts.models import Membership, Organization, Role
from apps.accounts.schemas import (
    MemberFilter,
    MemberOut,
    MemberPatch,
    MembershipOut,
    MeOut,
    OrganizationIn,
    OrganizationOut,
    ProfilePatch,
)
from apps.accounts.selectors import (
    member_list,
    membership_list_for_user,
    membership_of_actor,
    organization_for_service,
)
from apps.accounts.services import member_remove, member_update_role, organization_create, user_profile_update
from apps.tokens.auth import AccessTokenAuth, ServiceTokenAuth, principal_of
from apps.tokens.verification import Principal, ServicePrincipal
from hubkit.openapi import problem_responses
from hubkit.pagination import KeysetPagination, paginate

# Other hub services (the backend addressing notifications to a role) read member lists too.
MEMBERS_READ_SCOPE = "members:read"

users_router = Router(tags=["users"])
organizations_router = Router(tags=["organizations"])

OrganizationId = PathEx[uuid.UUID, P(description="The organization's id.")]
UserId = PathEx[uuid.UUID, P(description="The member's user id.")]


def _me(principal: Principal) -> MeOut:
    memberships = [MembershipOut.from_orm(m) for m in membership_list_for_user(user=principal.user)]
    return MeOut(
        id=principal.user.id,
        email=principal.user.email,
        name=principal.user.name,
        phone=principal.user.phone,
        mfa_enabled=principal.user.mfa_enabled,
        organization_id=principal.organization_id,
        roles=[Role(principal.membership.role)] if principal.membership else [],
        amr=principal.claims.get("amr", []),
        memberships=memberships,
    )


@users_router.get("/me", response=MeOut, operation_id="get_me", summary="The signed-in user")
def get_me(request: HttpRequest) -> MeOut:
    return _me(principal_of(request))


@users_router.patch(
    "/me", response=MeOut, operation_id="update_me", summary="Change the signed-in user's name or phone"
)
def update_me(request: HttpRequest, payload: ProfilePatch) -> MeOut:
    """Only fields sent change; `phone` null or "" removes the number. An invalid number is 422
    `invalid_phone`."""
    principal = principal_of(request)
    user = user_profile_update(
        user=principal.user,
        name=payload.name,
        phone=(payload.phone or "") if "phone" in payload.model_fields_set else None,
    )
    return _me(replace(principal, user=user))


@organizations_router.get(
    "", response=list[MembershipOut], operation_id="list_my_organizations", summary="The caller's memberships"
)
def list_my_organizations(request: HttpRequest) -> list[Membership]:
    return list(membership_list_for_user(user=principal_of(request).user))


@organizations_router.post(
    "",
    response={201: OrganizationOut, **problem_responses(409)},
    operation_id="create_organization",
    summary="Create an organization (the caller becomes its owner)",
)
def create_organization(request: HttpRequest, payload: OrganizationIn) -> Status[Organization]:
    organization = organization_create(
        creator=principal_of(request).user, name=payload.name, slug=payload.slug, timezone=payload.timezone
    )
    return Status(201, organization)


@organizations_router.get(
    "/{organization_id}/members",
    response=list[MemberOut],
    auth=[AccessTokenAuth(), ServiceTokenAuth(scope=MEMBERS_READ_SCOPE)],
    operation_id="list_members",
    summary="Members, in join order",
)
@paginate(KeysetPagination, keys=("created_at", "id"))
def list_members(
    request: HttpRequest, organization_id: OrganizationId, filters: Query[MemberFilter]
) -> QuerySet[Membership]:
    """For members of the organization, and for service tokens with scope `members:read` issued for
    it (or, without an organization, of a client allowed all organizations)."""
    caller = request.auth  # type: ignore[attr-defined]
    if isinstance(caller, ServicePrincipal):
        organization = organization_for_service(principal=caller, organization_id=organization_id)
    else:
        organization = membership_of_actor(
            actor=principal_of(request).user, organization_id=organization_id
        ).organization
    return member_list(organization=organization, role=filters.role)


@organizations_router.patch(
    "/{organization_id}/members/{user_id}",
    response={200: MemberOut, **problem_responses(409)},
    operation_id="update_member",
    summary="Change a member's role (owners and admins)",
)
def update_member(
    request: HttpRequest, organization_id: OrganizationId, user_id: UserId, payload: MemberPatch
) -> Membership:
    return member_update_role(
        actor=principal_of(request).user, organization_id=organization_id, user_id=user_id, role=payload.role
    )


@organizations_router.delete(
    "/{organization_id}/members/{user_id}",
    response={204: None, **problem_responses(409)},
    operation_id="remove_member",
    summary="Remove a member (owners and admins)",
)
def remove_member(request: HttpRequest, organization_id: OrganizationId, user_id: UserId) -> Status[None]:
    member_remove(actor=principal_of(request).user, organization_id=organization_id, user_id=user_id)
    return Status(204, None)
