"""Reads: rules and runs of one organization (or of all, for a service token not bound to one)."""

from __future__ import annotations

import base64
import binascii
import uuid
from datetime import datetime

from django.db.models import Q, QuerySet

from apps.workflows.exceptions import RuleNotFound, RunNotFound
from apps.workflows.models import Rule, Run
from hubkit.errors import ValidationFailed


def rule_list(*, organization_id: uuid.UUID) -> QuerySet[Rule]:
    return Rule.objects.filter(organization_id=organization_id).order_by("created_at", "name")


def rule_get(*, organization_id: uuid.UUID, rule_id: uuid.UUID) -> Rule:
    rule = Rule.objects.filter(organization_id=organization_id, id=rule_id).first()
    if rule is None:
        raise RuleNotFound("No such rule.")
    return rule


def _runs(organization_id: uuid.UUID | None) -> QuerySet[Run]:
    runs = Run.objects.all()
    return runs if organization_id is None else runs.filter(organization_id=organization_id)


def run_get(*, organization_id: uuid.UUID | None, run_id: uuid.UUID) -> Run:
    run = _runs(organization_id).filter(id=run_id).first()
    if run is None:
        raise RunNotFound("No such run.")
    return run


def encode_cursor(run: Run) -> str:
    raw = f"{run.created_at.isoformat()}|{run.id}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        created_at, run_id = raw.split("|", 1)
        moment = datetime.fromisoformat(created_at)
        if moment.tzinfo is None:
            raise ValueError("naive timestamp")
        return moment, uuid.UUID(run_id)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise ValidationFailed(
            "The cursor is not one this API returned.",
            code="invalid_cursor",
            errors=[{"field": "cursor", "message": "Invalid cursor."}],
        ) from exc


def run_list(
    *,
    organization_id: uuid.UUID | None,
    event_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
    status: str | None = None,
    limit: int = 50,
    cursor: str | None = None,
) -> tuple[list[Run], str | None]:
    """Newest first, keyset-paginated on (created_at, id); returns the page and the next cursor."""
    runs = _runs(organization_id)
    if event_id is not None:
        runs = runs.filter(event_id=event_id)
    if rule_id is not None:
        runs = runs.filter(rule_id=rule_id)
    if status is not None:
        runs = runs.filter(status=status)
    if cursor:
        created_at, run_id = decode_cursor(cursor)
        runs = runs.filter(Q(created_at__lt=created_at) | Q(created_at=created_at, id__lt=run_id))
    page = list(runs.order_by("-created_at", "-id")[: limit + 1])
    if len(page) > limit:
        return page[:limit], encode_cursor(page[limit - 1])
    return page, None
