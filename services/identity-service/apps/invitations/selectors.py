"""Reads of invitations."""

import hashlib
import uuid

from django.db.models import QuerySet
from django.utils import timezone

from apps.accounts.models import Organization
from apps.invitations.exceptions import InvitationInvalid, InvitationNotFound
from apps.invitations.models import Invitation


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def invitation_list(*, organization: Organization) -> QuerySet[Invitation]:
    """Every invitation of the organization; the endpoint pages them in (created_at, id) order."""
    return Invitation.objects.filter(organization=organization)


def invitation_get(*, organization: Organization, invitation_id: uuid.UUID) -> Invitation:
    invitation = Invitation.objects.filter(organization=organization, id=invitation_id).first()
    if invitation is None:
        raise InvitationNotFound("No such invitation.")
    return invitation


def invitation_by_token(*, token: str) -> Invitation:
    """The pending, unexpired invitation of a token; anything else is the one `invitation_invalid`."""
    invitation = (
        Invitation.objects.select_related("organization")
        .filter(token_hash=token_hash(token), status=Invitation.Status.PENDING, expires_at__gt=timezone.now())
        .first()
    )
    if invitation is None:
        raise InvitationInvalid("This invitation link is not valid (unknown, expired, revoked or used).")
    return invitation
