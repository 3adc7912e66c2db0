"""/organizations/{id}/invitations (owners and admins) and /invitations (whoever holds a link)."""

import uuid

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import P, PathEx, Router, Status

from apps.accounts.models import Role
from apps.accounts.services import manager_require
from apps.authn.schemas import TokenOut
from apps.invitations.models import Invitation
from apps.invitations.schemas import (
    AcceptedOut,
    InvitationAcceptIn,
    InvitationIn,
    InvitationOut,
    InvitationPreviewOut,
    InvitationTokenIn,
    InvitedOrganizationOut,
)
from apps.invitations.selectors import invitation_by_token, invitation_list
from apps.invitations.services import (
    invitation_accept,
    invitation_create,
    invitation_resend,
    invitation_revoke,
)
from apps.tokens.auth import optional_principal, principal_of
from hubkit.openapi import problem_responses
from hubkit.pagination import KeysetPagination, paginate

organization_invitations_router = Router(tags=["invitations"])
invitations_router = Router(tags=["invitations"])

OrganizationId = PathEx[uuid.UUID, P(description="The organization's id.")]
InvitationId = PathEx[uuid.UUID, P(description="The invitation's id.")]


@organization_invitations_router.post(
    "/{organization_id}/invitations",
    response={201: InvitationOut, **problem_responses(409, 429)},
    operation_id="create_invitation",
    summary="Invite someone by email (owners and admins)",
)
def create_invitation(
    request: HttpRequest, organization_id: OrganizationId, payload: InvitationIn
) -> Status[Invitation]:
    """Mails a single-use link; the same answer whether or not the address has an account. 409
    `already_member`, 409 `invitation_pending` (resend that one), 429 `too_many_invitations`."""
    invitation = invitation_create(
        actor=principal_of(request).user,
        organization_id=organization_id,
        email=payload.email,
        role=payload.role,
    )
    return Status(201, invitation)


@organization_invitations_router.get(
    "/{organization_id}/invitations",
    response=list[InvitationOut],
    operation_id="list_invitations",
    summary="Invitations, oldest first (owners and admins)",
)
@paginate(KeysetPagination, keys=("created_at", "id"))
def list_invitations(request: HttpRequest, organization_id: OrganizationId) -> QuerySet[Invitation]:
    membership = manager_require(actor=principal_of(request).user, organization_id=organization_id)
    return invitation_list(organization=membership.organization)


@organization_invitations_router.post(
    "/{organization_id}/invitations/{invitation_id}/resend",
    response={200: InvitationOut, **problem_responses(409, 429)},
    operation_id="resend_invitation",
    summary="Mail a new link; the previous one stops working (owners and admins)",
)
def resend_invitation(
    request: HttpRequest, organization_id: OrganizationId, invitation_id: InvitationId
) -> Invitation:
    return invitation_resend(
        actor=principal_of(request).user, organization_id=organization_id, invitation_id=invitation_id
    )


@organization_invitations_router.delete(
    "/{organization_id}/invitations/{invitation_id}",
    response={204: None, **problem_responses(409)},
    operation_id="revoke_invitation",
    summary="Revoke a pending invitation (owners and admins)",
)
def revoke_invitation(
    request: HttpRequest, organization_id: OrganizationId, invitation_id: InvitationId
) -> Status[None]:
    invitation_revoke(
        actor=principal_of(request).user, organization_id=organization_id, invitation_id=invitation_id
    )
    return Status(204, None)


@invitations_router.post(
    "/preview",
    auth=None,
    response={200: InvitationPreviewOut, **problem_responses(410)},
    operation_id="preview_invitation",
    summary="What an invitation link offers (for the accept page)",
)
def preview_invitation(request: HttpRequest, payload: InvitationTokenIn) -> Invitation:
    """410 `invitation_invalid` for an unknown, expired, revoked or used token alike."""
    return invitation_by_token(token=payload.token)


@invitations_router.post(
    "/accept",
    auth=None,
    response={200: AcceptedOut, **problem_responses(401, 403, 409, 410)},
    operation_id="accept_invitation",
    summary="Accept an invitation",
)
def accept_invitation(request: HttpRequest, payload: InvitationAcceptIn) -> AcceptedOut:
    """Open to anyone holding the link. An address with an account: send that account's bearer
    token (else 409 `sign_in_to_accept`; another account's token is 403
    `invitation_for_another_account`). An address without one: `password` (and `name`) create it,
    signed in (`tokens`). 410 `invitation_invalid` for an unknown, expired, revoked or used token;
    409 `already_member`; 422 `password_required` / `invalid_password`."""
    principal = optional_principal(request)
    accepted = invitation_accept(
        token=payload.token,
        caller=principal.user if principal else None,
        password=payload.password,
        name=payload.name,
    )
    membership = accepted.membership
    return AcceptedOut(
        organization=InvitedOrganizationOut(id=membership.organization.id, name=membership.organization.name),
        role=Role(membership.role),
        tokens=TokenOut.from_pair(accepted.pair) if accepted.pair else None,
    )
