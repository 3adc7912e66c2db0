"""Reads: rules and runs of one organization (or of all, for a service token not bound to one)."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.workflows.exceptions import RuleNotFound, RunNotFound
from apps.workflows.models import Rule, Run


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


def run_list(
    *,
    organization_id: uuid.UUID | None,
    event_id: uuid.UUID | None = None,
    rule_id: uuid.UUID | None = None,
    status: str | None = None,
) -> QuerySet[Run]:
    """The runs matching every filter given; the endpoint pages them newest first (hubkit.pagination)."""
    runs = _runs(organization_id)
    if event_id is not None:
        runs = runs.filter(event_id=event_id)
    if rule_id is not None:
        runs = runs.filter(rule_id=rule_id)
    if status is not None:
        runs = runs.filter(status=status)
    return runs
