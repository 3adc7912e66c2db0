import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from auditlog.models import LogEntry
from ninja import Schema
from pydantic import AfterValidator, Field, StringConstraints

from hubkit.fields import Text, UtcDatetime, storable_text

ObjectType = Annotated[str, StringConstraints(pattern=r"^[a-z_]{1,64}$"), AfterValidator(storable_text)]
_ACTIONS = {0: "create", 1: "update", 2: "delete", 3: "access"}


class AuditFilter(Schema):
    """Audit list filters."""

    object_type: ObjectType | None = Field(
        None, description="Model name, e.g. `contact`, `resource`, `service`, `time_off`."
    )
    object_id: Annotated[Text, StringConstraints(max_length=64)] | None = Field(
        None, description="Primary key of the object, as text."
    )
    actor_id: uuid.UUID | None = Field(None, description="Only changes made by this user (mirror id).")
    from_: UtcDatetime | None = Field(None, alias="from", description="Entries at or after this instant.")
    to: UtcDatetime | None = Field(None, description="Entries before this instant.")
    kind: Literal["change", "access"] | None = Field(
        None,
        description="`change`: creates, updates, deletes; `access`: reads of personal data (a contact's"
        " detail or export). Both when left out.",
    )


class AuditActorOut(Schema):
    """The user who made the change."""

    id: uuid.UUID
    email: str
    name: str


class AuditEntryOut(Schema):
    """One change to an object, or one read of its personal data (`action: access`): who, when, what.

    Masked and erased values stay hidden."""

    id: int
    timestamp: datetime
    action: str
    object_type: str
    object_id: str
    object_repr: str
    actor: AuditActorOut | None
    changes: dict[str, Any]
    request_id: str | None
    remote_addr: str | None

    @staticmethod
    def resolve_action(obj: LogEntry) -> str:
        return _ACTIONS.get(obj.action, str(obj.action))

    @staticmethod
    def resolve_object_type(obj: LogEntry) -> str:
        return str(obj.content_type.model)

    @staticmethod
    def resolve_object_id(obj: LogEntry) -> str:
        return str(obj.object_pk)

    @staticmethod
    def resolve_changes(obj: LogEntry) -> dict[str, Any]:
        return dict(obj.changes or {})

    @staticmethod
    def resolve_request_id(obj: LogEntry) -> str | None:
        return obj.cid or None
