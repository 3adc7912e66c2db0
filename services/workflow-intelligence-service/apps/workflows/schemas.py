"""Shapes at the edge: rules and runs served (the event envelope is hubkit's)."""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict


class EventReceiptOut(Schema):
    status: Literal["accepted", "duplicate"]
    runs: list[RunOut]


class RuleCondition(Schema):
    """What a rule's `condition` may say; an empty condition always matches."""

    model_config = ConfigDict(extra="forbid")

    min_amount: Decimal | None = Field(default=None, ge=0, max_digits=14, decimal_places=2)


class RuleOut(Schema):
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
    model_config = ConfigDict(extra="forbid")

    is_active: bool | None = None
    condition: RuleCondition | None = None


class RuleListOut(Schema):
    items: list[RuleOut]


class RunOut(Schema):
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
    event_id: uuid.UUID | None = None
    rule_id: uuid.UUID | None = None
    status: Literal["succeeded", "failed", "skipped"] | None = None
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class RunListOut(Schema):
    items: list[RunOut]
    next_cursor: str | None


EventReceiptOut.model_rebuild()
