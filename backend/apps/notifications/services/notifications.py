"""Sending notifications (in-app rows plus delivery events) and marking them read."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from apps.audit.services import audit_bulk_created
from apps.events.services import publish_many
from apps.events.types import EventType
from apps.identity.models import Organization, User
from apps.identity.services import users_ensure
from apps.identity.tenancy import refresh_for_update
from apps.notifications.clients.identity_members import Member, organization_members
from apps.notifications.exceptions import UnknownRecipients
from apps.notifications.models import Category, Channel, Notification, NotificationDispatch, Severity
from apps.notifications.selectors import notification_list, preference_matrices
from hubkit.request_id import get_request_id

DEDUPE_CONSTRAINT = "notif_dispatch_dedupe_uniq"
DELIVERY_CHANNELS = (Channel.EMAIL, Channel.SMS)


@dataclass(frozen=True)
class SendResult:
    items: list[Notification]
    # False when every recipient had already been sent this dedupe key: nothing new was written.
    created: bool


def _recipients(
    *, organization: Organization, recipient_ids: Sequence[uuid.UUID] | None, role: str | None
) -> list[Member]:
    """The addressed members, asked of identity-service (it alone knows who belongs to the organization)."""
    if role is not None:
        return organization_members(organization_id=organization.id, role=role)
    wanted = list(dict.fromkeys(recipient_ids or ()))
    members = {m.user_id: m for m in organization_members(organization_id=organization.id)}
    unknown = [str(i) for i in wanted if i not in members]
    if unknown:
        raise UnknownRecipients(
            "Some recipients are not members of this organization.",
            errors=[{"field": "recipient_ids", "message": f"Not a member: {i}"} for i in unknown],
        )
    return [members[i] for i in wanted]


def _mirror_users(members: Sequence[Member]) -> list[User]:
    # Committed on their own, before the notification transaction: mirror rows are cached per
    # process and must never be rolled back under the cache.
    return users_ensure(
        kind=User.Kind.USER, people=[(str(m.user_id), m.email[:254], m.name[:200]) for m in members]
    )


def notification_send(
    *,
    organization: Organization,
    actor: User | None,
    recipient_ids: Sequence[uuid.UUID] | None = None,
    role: str | None = None,
    category: str,
    severity: str,
    title: str,
    body: str = "",
    data: Mapping[str, Any] | None = None,
    action_url: str = "",
    dedupe_key: str = "",
) -> SendResult:
    """Notifies members (by id or by role) on every channel their preferences allow.

    In-app rows, dedupe records and one `notification.requested` event per recipient and
    email/sms channel commit together. A `dedupe_key` already used for a recipient sends that
    recipient nothing again.
    """
    if (recipient_ids is None) == (role is None):
        raise ValueError("address the notification by recipient_ids or by role, not both")
    members = _recipients(organization=organization, recipient_ids=recipient_ids, role=role)
    users = _mirror_users(members)
    # The phone is identity-service's, read fresh with the member list; the mirror does not keep it.
    phones = {user.id: member.phone for user, member in zip(users, members, strict=True)}
    content = {
        "category": Category(category).value,
        "severity": Severity(severity).value,
        "title": title,
        "body": body,
        "data": dict(data or {}),
        "action_url": action_url,
    }
    try:
        return _send(
            organization=organization,
            actor=actor,
            users=users,
            phones=phones,
            content=content,
            dedupe_key=dedupe_key,
        )
    except IntegrityError as exc:
        # A concurrent request with the same dedupe key won: replay, which now finds its rows.
        if getattr(getattr(exc.__cause__, "diag", None), "constraint_name", None) != DEDUPE_CONSTRAINT:
            raise
        return _send(
            organization=organization,
            actor=actor,
            users=users,
            phones=phones,
            content=content,
            dedupe_key=dedupe_key,
        )


def _send(
    *,
    organization: Organization,
    actor: User | None,
    users: list[User],
    phones: Mapping[uuid.UUID, str | None],
    content: dict[str, Any],
    dedupe_key: str,
) -> SendResult:
    with transaction.atomic():
        done: set[uuid.UUID] = set()
        if dedupe_key:
            done = set(
                NotificationDispatch.objects.for_organization(organization)
                .filter(recipient__in=users, dedupe_key=dedupe_key)
                .values_list("recipient_id", flat=True)
            )
        pending = [u for u in users if u.id not in done]
        matrices = preference_matrices(organization=organization, users=pending)
        # One INSERT per table however many recipients (and the audit entries auditlog would
        # write per row, also in one): a send's queries do not grow with its recipients.
        created: list[Notification] = []
        dispatches: list[NotificationDispatch] = []
        deliveries: list[tuple[User, Channel, uuid.UUID]] = []
        for user in pending:
            allowed = {
                cell.channel
                for cell in matrices[user.id]
                if cell.category == content["category"] and cell.enabled
            }
            notification_id = uuid.uuid4()
            if Channel.IN_APP in allowed:
                created.append(
                    Notification(
                        organization=organization,
                        id=notification_id,
                        recipient=user,
                        dedupe_key=dedupe_key,
                        **content,
                    )
                )
            if dedupe_key:
                dispatches.append(
                    NotificationDispatch(
                        organization=organization,
                        recipient=user,
                        dedupe_key=dedupe_key,
                        notification_id=notification_id,
                        channels=sorted(allowed),
                    )
                )
            deliveries.extend((user, c, notification_id) for c in DELIVERY_CHANNELS if c in allowed)
        for rows in (created, dispatches):
            if rows:
                type(rows[0]).objects.for_organization(organization).bulk_create(rows)
                audit_bulk_created(rows, cids=[get_request_id()] * len(rows), actor=actor)
        # One outbox write for every recipient's email/sms request, too (`publish_many`).
        publish_many(
            organization=organization,
            type=EventType.NOTIFICATION_REQUESTED,
            subject_type="notification",
            items=[
                (notification_id, _delivery_data(user, phones[user.id], channel, notification_id, content))
                for user, channel, notification_id in deliveries
            ],
            actor=actor,
        )
        earlier: list[Notification] = []
        if done:
            earlier = list(
                Notification.objects.for_organization(organization)
                .filter(recipient_id__in=done, dedupe_key=dedupe_key)
                .order_by("created_at", "id")
            )
    return SendResult(items=earlier + created, created=bool(pending))


def _delivery_data(
    user: User, phone: str | None, channel: Channel, notification_id: uuid.UUID, content: dict[str, Any]
) -> dict[str, Any]:
    """A `notification.requested` event's data: one recipient on one channel."""
    return {
        "notification_id": notification_id,
        "channel": channel.value,
        "recipient": {"user_id": user.id, "email": user.email, "name": user.name, "phone": phone},
        **content,
    }


def notification_mark_read(*, notification: Notification) -> Notification:
    """Idempotent: the first read time is kept, also when reads race (the row is locked and re-read).

    Read state is not audited (see models).
    """
    with transaction.atomic():
        refresh_for_update(notification)
        if notification.read_at is not None:
            return notification
        now = timezone.now()
        notification.read_at = now
        notification.seen_at = notification.seen_at or now
        notification.save(update_fields=["read_at", "seen_at"])
    return notification


def notification_mark_all_read(*, organization: Organization, user: User) -> int:
    """Marks every unread notification of the user read; returns how many changed.

    One UPDATE, however many rows: read state is excluded from the audit log on purpose
    (high-volume bookkeeping), so this bulk write loses no audit entry.
    """
    now = timezone.now()
    return notification_list(organization=organization, user=user, unread=True).update(
        read_at=now, seen_at=Coalesce("seen_at", Value(now))
    )
