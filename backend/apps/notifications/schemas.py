"""Edge schemas of the notifications API: one per direction, unknown request fields rejected."""

from __future__ import annotations

import json
import unicodedata
import uuid
from datetime import datetime
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from ninja import Schema
from ninja.params.functions import Path
from pydantic import AfterValidator, Field, StringConstraints, WithJsonSchema, model_validator

from apps.notifications.models import Category, Channel, Severity
from edge.schemas import In
from hubkit.fields import JsonObject, Text

NotificationId = Annotated[uuid.UUID, Path(description="The notification's id.")]

RoleName = Literal["owner", "admin", "manager", "staff", "viewer"]

MAX_DATA_BYTES = 32 * 1024
"""The largest `data` a notification may carry, as compact UTF-8 JSON.

Each notification becomes one `notification.requested` event per recipient and channel, and the
receivers refuse envelopes above `hubkit.events.MAX_EVENT_BYTES`: this keeps `data` well inside it
next to the title, body and recipient.
"""


def _app_path_or_https(value: str) -> str:
    """An app path (`/bookings/1`) or an absolute `https://` URL: nothing a browser reads as another host.

    Refused: protocol-relative `//host`, backslashes (`/\\host` is `//host` to browsers), control
    and whitespace characters, other schemes (`javascript:`, `http:`).
    """
    if any(unicodedata.category(ch)[0] in "CZ" for ch in value) or "\\" in value:
        raise ValueError("must not contain backslashes, whitespace or control characters")
    if value.startswith("/"):
        if value.startswith("//"):
            raise ValueError("must be an app path (one leading /) or an https:// URL")
        return value
    parts = urlsplit(value)
    if parts.scheme != "https" or not parts.hostname or not value.startswith("https://"):
        raise ValueError("must be an app path (one leading /) or an https:// URL")
    return value


ActionUrl = Annotated[
    Text,
    StringConstraints(min_length=1, max_length=2000),
    AfterValidator(_app_path_or_https),
    WithJsonSchema(
        {
            "type": "string",
            "maxLength": 2000,
            "pattern": r"^(/([^/\\\s\x00-\x1f\x7f][^\\\s\x00-\x1f\x7f]*)?|https://[^/\\\s\x00-\x1f\x7f][^\\\s\x00-\x1f\x7f]*)$",
            "description": "An app path (one leading `/`) or an absolute `https://` URL.",
        }
    ),
]


def _small_data(value: dict[str, Any]) -> dict[str, Any]:
    size = len(json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode())
    if size > MAX_DATA_BYTES:
        raise ValueError(f"must be at most {MAX_DATA_BYTES} bytes as JSON (is {size})")
    return value


NotificationData = Annotated[
    JsonObject,
    AfterValidator(_small_data),
    Field(description=f"Free-form details for the receiver; at most {MAX_DATA_BYTES} bytes as JSON."),
]


class NotificationIn(In):
    """Addressed either to `recipient_ids` (members of the organization) or to everyone holding `role`."""

    recipient_ids: Annotated[list[uuid.UUID], Field(min_length=1, max_length=500)] | None = None
    role: RoleName | None = Field(None, description="Exactly this role (manager means managers only).")
    category: Category
    severity: Severity = Severity.INFO
    title: Annotated[Text, StringConstraints(strip_whitespace=True, min_length=1, max_length=200)]
    body: Annotated[Text, StringConstraints(max_length=5000)] = ""
    data: NotificationData = Field(default_factory=dict)
    action_url: ActionUrl | None = None
    dedupe_key: Annotated[Text, StringConstraints(min_length=1, max_length=200)] | None = Field(
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
