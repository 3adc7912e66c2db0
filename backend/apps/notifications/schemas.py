"""Edge schemas of the notifications API: one per direction, unknown request fields rejected."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from ninja.params.functions import Path
from pydantic import Field, StringConstraints, model_validator

from apps.notifications.models import Category, Channel, Severity
from edge.schemas import In

NotificationId = Annotated[uuid.UUID, Path(description="The notification's id.")]

RoleName = Literal["owner", "admin", "manager", "staff", "viewer"]
ActionUrl = Annotated[str, StringConstraints(max_length=2000, pattern=r"^(/|https?://)")]


class NotificationIn(In):
    """Addressed either to `recipient_ids` (members of the organization) or to everyone holding `role`."""

    recipient_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=500)] | None = None
    role: RoleName | None = Field(None, description="Exactly this role (manager means managers only).")
    category: Category
    severity: Severity = Severity.INFO
    title: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[str, StringConstraints(max_length=5000)] = ""
    data: dict[str, Any] = Field(default_factory=dict)
    action_url: ActionUrl | None = None
    dedupe_key: Annotated[str, StringConstraints(min_length=1, max_length=200)] | None = Field(
        None, description="Sent once per recipient: a repeat answers 200 with the existing items."
    )

    @model_validator(mode="after")
    def _one_address(self) -> NotificationIn:
        if (self.recipient_ids is None) == (self.role is None):
            raise ValueError("give exactly one of recipient_ids or role")
        return self


class NotificationOut(Schema):
    """One notification of the caller."""

    id: uuid.UUID
    recipient_id: uuid.UUID
    category: Category
    severity: Severity
    title: str
    body: str
    data: dict[str, Any]
    action_url: str | None
    dedupe_key: str | None
    seen_at: datetime | None
    read_at: datetime | None
    archived_at: datetime | None
    created_at: datetime

    @staticmethod
    def resolve_action_url(obj: Any) -> str | None:
        return obj.action_url or None

    @staticmethod
    def resolve_dedupe_key(obj: Any) -> str | None:
        return obj.dedupe_key or None


class NotificationItems(Schema):
    """The notifications created (or found again by `dedupe_key`)."""

    items: list[NotificationOut]


class NotificationFilter(Schema):
    """Inbox filters."""

    unread: bool | None = Field(None, description="true: unread only; false: read only.")
    category: Category | None = Field(None, description="Only notifications of this category.")


class UnreadCountOut(Schema):
    """How many of the caller's notifications are unread."""

    count: int


class ReadAllOut(Schema):
    """How many notifications were marked read."""

    updated: int


class PreferenceCellOut(Schema):
    """One category x channel preference and where its value comes from."""

    category: Category
    channel: Channel
    enabled: bool
    mandatory: bool
    organization_default: bool
    source: Literal["mandatory", "user", "organization", "default"]


class PreferencesOut(Schema):
    """Notification preferences, category x channel."""

    categories: list[Category]
    channels: list[Channel]
    mandatory_categories: list[Category] = Field(description="Always delivered in-app.")
    items: list[PreferenceCellOut]


class PreferenceChangeIn(In):
    """One category x channel preference to set or forget."""

    category: Category
    channel: Channel
    enabled: bool | None = Field(description="null forgets the choice: the default applies again.")


class PreferencesIn(In):
    """The preference cells to change; others stay as they are."""

    items: Annotated[list[PreferenceChangeIn], Field(min_length=1, max_length=len(Category) * len(Channel))]
