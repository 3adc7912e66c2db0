"""Endpoints: the event receiver (signed, no bearer token), rules and runs (bearer)."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.http import HttpRequest
from ninja import Query, Router

from apps.workflows.auth import caller_of, rules_organization, runs_organization
from apps.workflows.exceptions import InvalidEnvelope
from apps.workflows.models import Rule, Run
from apps.workflows.schemas import (
    EventReceiptOut,
    RuleListOut,
    RuleOut,
    RulePatchIn,
    RunFilter,
    RunListOut,
    RunOut,
)
from apps.workflows.selectors import rule_get, rule_list, run_get, run_list
from apps.workflows.services import EventReceipt, event_receive, rule_update
from hubkit import events

events_router = Router(tags=["events"])
rules_router = Router(tags=["rules"])
runs_router = Router(tags=["runs"])


@events_router.post("", auth=None, response=EventReceiptOut, summary="Receive a signed event")
def receive_event(request: HttpRequest) -> EventReceipt:
    event = events.receive_event(request, secrets=settings.WEBHOOK_SECRETS, invalid_code=InvalidEnvelope.code)
    return event_receive(event=event)


@rules_router.get("", response=RuleListOut, summary="Rules of the caller's organization")
def list_rules(request: HttpRequest) -> dict[str, list[Rule]]:
    return {"items": list(rule_list(organization_id=rules_organization(caller_of(request))))}


@rules_router.patch("/{rule_id}", response=RuleOut, summary="Turn a rule on or off, or change its condition")
def update_rule(request: HttpRequest, rule_id: uuid.UUID, payload: RulePatchIn) -> Rule:
    rule = rule_get(organization_id=rules_organization(caller_of(request)), rule_id=rule_id)
    condition = payload.condition.model_dump(mode="json", exclude_none=True) if payload.condition else None
    return rule_update(rule=rule, is_active=payload.is_active, condition=condition)


@runs_router.get("", response=RunListOut, summary="Rule runs, newest first")
def list_runs(request: HttpRequest, filters: Query[RunFilter]) -> dict[str, object]:
    items, next_cursor = run_list(
        organization_id=runs_organization(caller_of(request)), **filters.model_dump()
    )
    return {"items": items, "next_cursor": next_cursor}


@runs_router.get("/{run_id}", response=RunOut, summary="One rule run")
def get_run(request: HttpRequest, run_id: uuid.UUID) -> Run:
    return run_get(organization_id=runs_organization(caller_of(request)), run_id=run_id)
