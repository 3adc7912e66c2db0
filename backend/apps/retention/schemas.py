"""Request and response bodies of /retention/settings."""

from typing import Annotated

from pydantic import Field

from apps.retention.models import ACCESS_LOG_DAYS, AUDIT_DAYS, EVENTS_DAYS, NOTIFICATIONS_DAYS
from edge.schemas import Out, Patch


class RetentionSettingsOut(Out):
    """How long the hub keeps the organization's records before purging them, in days.

    Invoices, payments, refunds and the ledger are never purged (commercial and tax law).
    """

    events_days: int = Field(description="Events whose every delivery is final, from when they happened.")
    notifications_days: int = Field(description="In-app notifications and their send records.")
    audit_days: int = Field(description="Change entries of the audit trail.")
    access_log_days: int = Field(description="Access entries: who read a contact's personal data.")


def _bounds(days: tuple[int, int, int]) -> str:
    return f"{days[1]} to {days[2]} days, default {days[0]}."


class RetentionSettingsPatch(Patch):
    """The periods to change; left-out ones keep their value."""

    events_days: Annotated[int, Field(ge=EVENTS_DAYS[1], le=EVENTS_DAYS[2])] | None = Field(
        None, description="Events whose every delivery is final: " + _bounds(EVENTS_DAYS)
    )
    notifications_days: Annotated[int, Field(ge=NOTIFICATIONS_DAYS[1], le=NOTIFICATIONS_DAYS[2])] | None = (
        Field(None, description="Notifications and their send records: " + _bounds(NOTIFICATIONS_DAYS))
    )
    audit_days: Annotated[int, Field(ge=AUDIT_DAYS[1], le=AUDIT_DAYS[2])] | None = Field(
        None, description="Change entries of the audit trail: " + _bounds(AUDIT_DAYS)
    )
    access_log_days: Annotated[int, Field(ge=ACCESS_LOG_DAYS[1], le=ACCESS_LOG_DAYS[2])] | None = Field(
        None, description="Access entries: " + _bounds(ACCESS_LOG_DAYS)
    )
