"""Endpoints: the event receiver (signed, no bearer token), rules and runs (bearer)."""

import uuid

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import P, PathEx, Query, Router

from apps.workflows.auth import caller_of, rules_organization, runs_organization
from apps.workflows.exceptions import InvalidEnvelope
from apps.workflows.models import Rule, Run
from apps.workflows.schemas import (
    EventReceiptOut,
    RuleListOut,
    RuleOut,
    RulePatchIn,
    RunFilter,
    RunOut,
)
from apps.workflows.selectors import rule_get, rule_list, run_get, run_list
from apps.workflows.services import EventReceipt, event_receive, rule_update
from hubkit import events
from hubkit.openapi import problem_responses, webhook_receiver
from hubkit.pagination import KeysetPagination, paginate

events_router = Router(tags=["events"])
rules_router = Router(tags=["rules"])
runs_router = Router(tags=["runs"])

EVENT_BODY = (
    "The backend's event envelope `{id, type, version: 1, occurred_at, organization_id, actor, subject, "
    "data, correlation_id}`; every type is accepted and run through the organization's rules."
)
RuleId = PathEx[uuid.UUID, P(description="The rule's id.")]
RunId = PathEx[uuid.UUID, P(description="The run's id.")]


@events_router.post(
    "",
    auth=None,
    response={200: EventReceiptOut, **problem_responses(400, 401, 503)},
    operation_id="receive_event",
    summary="Receive a signed event",
    openapi_extra=webhook_receiver(body_description=EVENT_BODY),
)
def receive_event(request: HttpRequest) -> EventReceipt:
    """A Standard Webhooks delivery; the signature is checked before anything else.

    401 `invalid_signature`, 400 `malformed_json`, 413 `payload_too_large`, 422 `invalid_envelope`,
    503 `action_unavailable` (with `Retry-After`) when an action failed transiently and nothing was
    recorded.
    """
    event = events.receive_event(request, secrets=settings.WEBHOOK_SECRETS, invalid_code=InvalidEnvelope.code)
    events.note_sender(request, "backend", event)  # WEBHOOK_SECRETS are the backend's
    receipt = event_receive(event=event)
    events.record_receipt(event.type, "duplicate" if receipt.status == "duplicate" else "accepted")
    return receipt


@rules_router.get(
    "", response=RuleListOut, operation_id="list_rules", summary="Rules of the caller's organization"
)
def list_rules(request: HttpRequest) -> dict[str, list[Rule]]:
    return {"items": list(rule_list(organization_id=rules_organization(caller_of(request))))}


@rules_router.patch(
    "/{rule_id}",
    response=RuleOut,
    operation_id="update_rule",
    summary="Turn a rule on or off, or change its condition",
)
def update_rule(request: HttpRequest, rule_id: RuleId, payload: RulePatchIn) -> Rule:
    rule = rule_get(organization_id=rules_organization(caller_of(request)), rule_id=rule_id)
    condition = payload.condition.model_dump(mode="json", exclude_none=True) if payload.condition else None
    return rule_update(rule=rule, is_active=payload.is_active, condition=condition)


@runs_router.get("", response=list[RunOut], operation_id="list_runs", summary="Rule runs, newest first")
@paginate(KeysetPagination, keys=("created_at", "id"), descending=True)
def list_runs(request: HttpRequest, filters: Query[RunFilter]) -> QuerySet[Run]:
    return run_list(organization_id=runs_organization(caller_of(request)), **filters.model_dump())


@runs_router.get("/{run_id}", response=RunOut, operation_id="get_run", summary="One rule run")
def get_run(request: HttpRequest, run_id: RunId) -> Run:
    return run_get(organization_id=runs_organization(caller_of(request)), run_id=run_id)
