"""Shapes at the edge: rules and runs served (the event envelope is hubkit's)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict


class EventReceiptOut(Schema):
    """What became of a delivery: the runs it caused (none for a duplicate)."""

    status: Literal["accepted", "duplicate"] = Field(
        description="`accepted`: processed now; `duplicate`: this webhook-id was processed before."
    )
    runs: list[RunOut]


class RuleCondition(Schema):
    """What a rule's `condition` may say; an empty condition always matches."""

    model_config = ConfigDict(extra="forbid")

    min_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)


class RuleOut(Schema):
    """One of an organization's rules: on `event_type`, if `condition` holds, do `action`."""

    id: uuid.UUID
    organization_id: uuid.UUID
    name: str
    event_type: str
    condition: dict[str, Any]
    action: str
    action_params: dict[str, Any]
    is_active: bool
    created_at: datetime
    updated_at: datetime


class RulePatchIn(Schema):
    """The changeable parts of a rule; omitted fields stay as they are."""

    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = None
    condition: RuleCondition | None = None


class RuleListOut(Schema):
    """Every rule of the caller's organization, oldest first."""

    items: list[RuleOut]


class RunOut(Schema):
    """One rule run on one event: `succeeded`, `failed` or `skipped` (condition false)."""

    id: uuid.UUID
    organization_id: uuid.UUID
    event_id: uuid.UUID
    event_type: str
    rule_id: uuid.UUID | None
    status: str
    detail: str
    attempts: int
    created_at: datetime
    finished_at: datetime | None


class RunFilter(Schema):
    """Narrows the run list; filters combine with AND."""

    event_id: uuid.UUID | None = Field(default=None, description="Only runs on this event.")
    rule_id: uuid.UUID | None = Field(default=None, description="Only runs of this rule.")
    status: Literal["succeeded", "failed", "skipped"] | None = Field(
        default=None, description="Only runs with this outcome."
    )


EventReceiptOut.model_rebuild()
