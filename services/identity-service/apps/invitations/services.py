"""Invitations: create, resend, revoke (owners and admins), and accept (whoever holds the mailed link).

Creating one does the same work whatever the address: no account is looked up, so the answer
(status, body, time) says nothing about whether one exists. The invitation grants nothing until
accepted. Accepting never sets the password of an existing account: its owner signs in first.
"""

import math
import secrets
import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.utils import timezone

from apps.accounts.exceptions import AlreadyMember
from apps.accounts.models import Membership, Organization, Role, User
from apps.accounts.services import manager_require, role_touch_require, user_create
from apps.invitations.exceptions import (
    InvitationInvalid,
    InvitationNotFound,
    InvitationNotPending,
    InvitationPending,
    PasswordRequired,
    SignInToAccept,
    TooManyInvitations,
    WrongAccount,
)
from apps.invitations.models import Invitation
from apps.invitations.selectors import token_hash
from apps.outbox.services import outbox_add
from apps.tokens.services import TokenPair, session_start

MAIL_REQUESTED = "invitation.mail_requested"
TOKEN_BYTES = 32


@dataclass(frozen=True)
class Accepted:
    membership: Membership
    pair: TokenPair | None  # a new account is signed in at once; an existing one already was


def accept_url(token: str) -> str:
    return f"{settings.FRONTEND_URL}/invitations/accept?token={token}"


def _rate_limit(*, organization_id: uuid.UUID) -> None:
    """INVITATION_RATE_LIMIT mails (creates and resends) per organization per fixed window."""
    window = settings.INVITATION_RATE_WINDOW_SECONDS
    now = time.time()
    key = f"invitations-sent:{organization_id}:{int(now // window)}"
    cache.add(key, 0, timeout=window)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        count = 1
    if count > settings.INVITATION_RATE_LIMIT:
        retry_after = max(1, math.ceil(window - now % window))
        raise TooManyInvitations(
            f"At most {settings.INVITATION_RATE_LIMIT} invitations per organization every {window} seconds.",
            headers={"Retry-After": str(retry_after)},
            extra={"retry_after": retry_after},
        )


def _mail_request(*, invitation: Invitation, token: str, inviter: User) -> None:
    """The mail to the invitee, in the outbox of this transaction; the link only ever encrypted."""
    outbox_add(
        type=MAIL_REQUESTED,
        organization_id=invitation.organization_id,
        subject_type="invitation",
        subject_id=invitation.id,
        data={
            "invitation_id": invitation.id,
            "email": invitation.email,
            "role": invitation.role,
            "organization": {"id": invitation.organization.id, "name": invitation.organization.name},
            "inviter": {"name": inviter.name, "email": inviter.email},
            "expires_at": invitation.expires_at,
        },
        secret_data={"accept_url": accept_url(token)},
        actor=("user", str(inviter.id)),
    )


def _new_token(invitation: Invitation) -> str:
    token = secrets.token_urlsafe(TOKEN_BYTES)
    now = timezone.now()
    invitation.token_hash = token_hash(token)
    invitation.sent_at = now
    invitation.expires_at = now + timedelta(seconds=settings.INVITATION_TTL_SECONDS)
    return token


def invitation_create(*, actor: User, organization_id: uuid.UUID, email: str, role: Role) -> Invitation:
    """A pending invitation and its mail. 409 `already_member` for a member's address (admins see
    members anyway), 409 `invitation_pending` while one is pending (resend it instead)."""
    email = email.strip().lower()
    with transaction.atomic():
        actor_membership = manager_require(actor=actor, organization_id=organization_id)
        role_touch_require(actor_membership=actor_membership, role=role)
        organization: Organization = actor_membership.organization
        if Membership.objects.filter(organization=organization, user__email=email).exists():
            raise AlreadyMember("This address belongs to a member already.")
        # A pending invitation past its expiry no longer blocks a new one.
        Invitation.objects.filter(
            organization=organization,
            email=email,
            status=Invitation.Status.PENDING,
            expires_at__lte=timezone.now(),
        ).update(status=Invitation.Status.EXPIRED)
        _rate_limit(organization_id=organization.id)
        invitation = Invitation(organization=organization, email=email, role=role, invited_by=actor)
        token = _new_token(invitation)
        invitation.created_at = invitation.sent_at
        try:
            with transaction.atomic():
                invitation.save(force_insert=True)
        except IntegrityError as exc:
            raise InvitationPending("An invitation to this address is pending: resend it instead.") from exc
        _mail_request(invitation=invitation, token=token, inviter=actor)
    return invitation


def _lock_managed(*, actor: User, organization_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation:
    actor_membership = manager_require(actor=actor, organization_id=organization_id)
    invitation = (
        Invitation.objects.select_for_update()
        .select_related("organization")
        .filter(organization_id=organization_id, id=invitation_id)
        .first()
    )
    if invitation is None:
        raise InvitationNotFound("No such invitation.")
    role_touch_require(actor_membership=actor_membership, role=invitation.role)
    if invitation.status != Invitation.Status.PENDING:
        raise InvitationNotPending(f"The invitation is {invitation.status}.")
    return invitation


def invitation_resend(*, actor: User, organization_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation:
    """A new link (the old one stops working at once) with a new expiry, mailed again."""
    with transaction.atomic():
        invitation = _lock_managed(actor=actor, organization_id=organization_id, invitation_id=invitation_id)
        _rate_limit(organization_id=organization_id)
        token = _new_token(invitation)
        invitation.save(update_fields=["token_hash", "sent_at", "expires_at"])
        _mail_request(invitation=invitation, token=token, inviter=actor)
    return invitation


def invitation_revoke(*, actor: User, organization_id: uuid.UUID, invitation_id: uuid.UUID) -> Invitation:
    with transaction.atomic():
        invitation = _lock_managed(actor=actor, organization_id=organization_id, invitation_id=invitation_id)
        invitation.status = Invitation.Status.REVOKED
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["status", "revoked_at"])
    return invitation


def invitation_accept(
    *, token: str, caller: User | None, password: str | None = None, name: str | None = None
) -> Accepted:
    """Makes the membership, once: the invitation row is locked, so of two concurrent accepts one
    wins and the other finds it used (`invitation_invalid`).

    - `caller` signed in: must be the invited address's account (else 403); the membership joins it.
    - nobody signed in, the address has an account: 409 `sign_in_to_accept`, nothing changes.
    - nobody signed in, no account: it is created with `password` (required) and `name`, its email
      verified, and signed in.
    """
    with transaction.atomic():
        invitation = (
            Invitation.objects.select_for_update(of=("self",))
            .select_related("organization")
            .filter(
                token_hash=token_hash(token), status=Invitation.Status.PENDING, expires_at__gt=timezone.now()
            )
            .first()
        )
        if invitation is None:
            raise InvitationInvalid("This invitation link is not valid (unknown, expired, revoked or used).")
        if caller is not None:
            if caller.email != invitation.email:
                raise WrongAccount("This invitation is for another address: sign in with that one.")
            user = caller
            created = False
        else:
            if User.objects.filter(email=invitation.email).exists():
                raise SignInToAccept("An account exists for this address: sign in with it, then accept.")
            if not password:
                raise PasswordRequired(
                    "Choose a password for the new account.",
                    errors=[{"field": "password", "message": "Required"}],
                )
            user = user_create(
                email=invitation.email,
                name=name or invitation.email.split("@", maxsplit=1)[0],
                password=password,
                email_verified=True,
            )
            created = True
        if user.email_verified_at is None:  # the link was mailed to this address: proof enough
            user.email_verified_at = timezone.now()
            user.save(update_fields=["email_verified_at", "updated_at"])
        try:
            with transaction.atomic():
                membership = Membership.objects.create(
                    user=user, organization=invitation.organization, role=invitation.role
                )
        except IntegrityError as exc:
            raise AlreadyMember("You are a member of this organization already.") from exc
        invitation.status = Invitation.Status.ACCEPTED
        invitation.accepted_at = timezone.now()
        invitation.accepted_by = user
        invitation.save(update_fields=["status", "accepted_at", "accepted_by"])
        pair = session_start(user=user, membership=membership, amr=["pwd"]) if created else None
    return Accepted(membership=membership, pair=pair)
