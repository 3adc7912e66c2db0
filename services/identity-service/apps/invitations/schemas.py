"""Edge schemas of invitations."""

import uuid
from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import StringConstraints

from apps.accounts.models import Role
from apps.accounts.schemas import Email
from apps.authn.schemas import TokenOut
from apps.invitations.models import Invitation
from hubkit.fields import Text

# The mailed token: 32 random bytes, urlsafe base64 (43 characters); a little room, no more.
InvitationToken = Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class InvitationIn(Schema):
    """Who to invite, and the role they get once they accept."""

    email: Email
    role: Role


class InvitationOut(Schema):
    """An invitation as its organization's owners and admins see it."""

    id: uuid.UUID
    email: str
    role: Role
    status: Literal["pending", "accepted", "revoked", "expired"] = Field(
        description="`expired`: pending past `expires_at` (resend it for a new link)."
    )
    created_at: datetime
    expires_at: datetime

    @staticmethod
    def resolve_status(invitation: Invitation) -> str:
        return invitation.status_at()


class InvitationTokenIn(Schema):
    """The token from the mailed link (in the body, so it stays out of URLs and access logs)."""

    token: InvitationToken


class InvitedOrganizationOut(Schema):
    """The organization inviting."""

    id: uuid.UUID
    name: str


class InvitationPreviewOut(Schema):
    """What the accept page shows; nothing here says whether the address has an account."""

    organization: InvitedOrganizationOut
    role: Role
    email: str = Field(description="The invited address.")
    expires_at: datetime


class InvitationAcceptIn(Schema):
    """The token, and for an address without an account the new account's password and name.

    An address with an account is accepted by its owner, signed in (bearer token); `password` and
    `name` are then ignored.
    """

    token: InvitationToken
    password: Annotated[Text, StringConstraints(min_length=1, max_length=1024)] | None = None
    name: Annotated[Text, StringConstraints(min_length=1, max_length=200)] | None = None


class AcceptedOut(Schema):
    """The new membership; for a newly created account also its first tokens (it is signed in)."""

    organization: InvitedOrganizationOut
    role: Role
    tokens: TokenOut | None = Field(
        description="Set when the accept created the account: it is signed in to the organization."
    )
