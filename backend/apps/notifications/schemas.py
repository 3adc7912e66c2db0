"""Edge schemas of the notifications API: one per direction, unknown request fields rejected."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from ninja import Schema
from pydantic import Field, StringConstraints, model_validator

from apps.core.schemas import Cursor, In, Limit
from apps.notifications.models import Category, Channel, Severity

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
    items: list[NotificationOut]


class NotificationPage(Schema):
    items: list[NotificationOut]
    next_cursor: str | None


class NotificationFilter(Schema):
    unread: bool | None = Field(None, description="true: unread only; false: read only.")
    category: Category | None = None
    limit: Limit = 50
    cursor: Cursor | None = None


class UnreadCountOut(Schema):
    count: int


class ReadAllOut(Schema):
    updated: int


class PreferenceCellOut(Schema):
    category: Category
    channel: Channel
    enabled: bool
    mandatory: bool
    organization_default: bool
    source: Literal["mandatory", "user", "organization", "default"]


class PreferencesOut(Schema):
    categories: list[Category]
    channels: list[Channel]
    mandatory_categories: list[Category] = Field(description="Always delivered in-app.")
    items: list[PreferenceCellOut]


class PreferenceChangeIn(In):
    category: Category
    channel: Channel
    enabled: bool | None = Field(description="null forgets the choice: the default applies again.")


class PreferencesIn(In):
    items: Annotated[list[PreferenceChangeIn], Field(min_length=1, max_length=len(Category) * len(Channel))]
