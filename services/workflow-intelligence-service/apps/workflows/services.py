"""Writes: default rules, rule changes, and receiving an event (dedupe, evaluate, act, record)."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import TextField, Value
from django.utils import timezone
from prometheus_client import Counter

from apps.workflows.clients.backend import (
    BackendRejected,
    BackendUnavailable,
    NotificationRequest,
    get_backend_client,
)
from apps.workflows.evaluation import condition_verdict, render, template_context
from apps.workflows.exceptions import ActionUnavailable
from apps.workflows.models import ReceivedEvent, Rule, Run
from apps.workflows.retention import retention_purge_if_due
from hubkit.events import CONTACT_ERASED, EventEnvelope, event_contact_id

logger = logging.getLogger(__name__)

RUNS = Counter("hub_workflow_runs_total", "Rule runs recorded.", ["event_type", "status"])
EVENTS = Counter("hub_workflow_events_total", "Event deliveries by outcome.", ["outcome"])

NO_SHOW_RULE = "Notify managers of no-shows"
LARGE_REFUND_RULE = "Notify admins of large refunds"
# Seconds the sender should wait before redelivering after a transient action failure.
RETRY_AFTER_SECONDS = 30


def default_rules(*, organization_id: uuid.UUID) -> list[Rule]:
    """The rules every organization starts with (unsaved)."""
    return [
        Rule(
            organization_id=organization_id,
            name=NO_SHOW_RULE,
            event_type="booking.no_show",
            condition={},
            action=Rule.Action.NOTIFY_ROLE,
            action_params={
                "role": "manager",
                "category": "booking",
                "severity": "warning",
                "title_template": "No-show: $contact_name",
                "body_template": (
                    "$contact_name did not show up for $service_name with $resource_name at $booking_start."
                ),
            },
        ),
        Rule(
            organization_id=organization_id,
            name=LARGE_REFUND_RULE,
            event_type="refund.created",
            condition={"min_amount": str(settings.REFUND_ALERT_THRESHOLD)},
            action=Rule.Action.NOTIFY_ROLE,
            action_params={
                "role": "admin",
                "category": "payment",
                "severity": "warning",
                "title_template": "Large refund: $amount",
                "body_template": "A refund of $amount was issued to $contact_name. Reason: $refund_reason",
            },
        ),
    ]


def rules_ensure_defaults(*, organization_id: uuid.UUID) -> None:
    """Create the default rules once per organization (idempotent, safe under concurrency)."""
    if Rule.objects.filter(organization_id=organization_id).exists():
        return
    # ON CONFLICT DO NOTHING on (organization_id, name): a concurrent first event cannot fail.
    Rule.objects.bulk_create(default_rules(organization_id=organization_id), ignore_conflicts=True)


def rule_update(
    *, rule: Rule, is_active: bool | None = None, condition: dict[str, Any] | None = None
) -> Rule:
    fields = ["updated_at"]
    if is_active is not None:
        rule.is_active = is_active
        fields.append("is_active")
    if condition is not None:
        rule.condition = condition
        fields.append("condition")
    rule.save(update_fields=fields)
    return rule


@dataclass
class EventReceipt:
    status: str  # "accepted" | "duplicate"
    runs: list[Run] = field(default_factory=list)


def event_receive(*, event: EventEnvelope) -> EventReceipt:
    """Record the event once and run the organization's matching rules, all in one transaction.

    The event row is inserted first: a concurrent delivery of the same id waits on its primary
    key and then sees a duplicate. A transient action failure rolls everything back (the event is
    not recorded) and becomes 503, so the sender's retry is processed afresh; actions are
    idempotent on the backend (dedupe key), so rules that already acted do not act twice.

    The default rules are committed before, on their own: a rollback must not give them new
    ids, since their ids are part of the dedupe keys the backend has already seen.

    `contact.erased` first blanks, in the same transaction, what the organization's earlier events
    and runs about that contact hold of them; then its rules run like any event's.
    """
    rules_ensure_defaults(organization_id=event.organization_id)
    contact_id = event_contact_id(event)
    try:
        with transaction.atomic():
            try:
                with transaction.atomic():
                    ReceivedEvent.objects.create(
                        id=event.id,
                        organization_id=event.organization_id,
                        type=event.type,
                        occurred_at=event.occurred_at,
                        correlation_id=event.correlation_id or "",
                        envelope=event.model_dump(mode="json"),
                        contact_id=contact_id,
                    )
            except IntegrityError:
                EVENTS.labels("duplicate").inc()
                return EventReceipt(status="duplicate")
            if event.type == CONTACT_ERASED and contact_id is not None:
                _contact_records_blank(event=event, contact_id=contact_id)
            rules = Rule.objects.filter(
                organization_id=event.organization_id, event_type=event.type, is_active=True
            ).order_by("created_at", "id")
            runs = [_run_rule(rule=rule, event=event, contact_id=contact_id) for rule in rules]
    except BackendUnavailable as exc:
        EVENTS.labels("retry").inc()
        logger.warning("event %s (%s) rolled back: %s", event.id, event.type, exc)
        raise ActionUnavailable(
            "An action failed temporarily; nothing was recorded. Deliver the event again.",
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        ) from exc
    EVENTS.labels("accepted").inc()
    for run in runs:
        RUNS.labels(run.event_type, run.status).inc()
    retention_purge_if_due()
    return EventReceipt(status="accepted", runs=runs)


def _contact_records_blank(*, event: EventEnvelope, contact_id: uuid.UUID) -> None:
    """One UPDATE per table: envelopes become the plain `{}` the retention purge also writes (not
    a sealed empty document), run details ''. The erasure's own envelope (ids and a time) stays."""
    events = (
        ReceivedEvent.objects.filter(organization_id=event.organization_id, contact_id=contact_id)
        .exclude(id=event.id)
        .update(envelope=Value("{}", output_field=TextField()))
    )
    runs = (
        Run.objects.filter(organization_id=event.organization_id, contact_id=contact_id)
        .exclude(detail="")
        .update(detail="")
    )
    logger.info("contact %s erased: %d event(s) and %d run(s) blanked", contact_id, events, runs)


def _run_rule(*, rule: Rule, event: EventEnvelope, contact_id: uuid.UUID | None) -> Run:
    run = Run(
        organization_id=event.organization_id,
        contact_id=contact_id,
        event_id=event.id,
        event_type=event.type,
        rule=rule,
        created_at=timezone.now(),
    )
    verdict = condition_verdict(condition=rule.condition, event_type=event.type, data=event.data)
    if not verdict.matches:
        run.status, run.detail = Run.Status.SKIPPED, verdict.reason
    else:
        try:
            result = get_backend_client().notify(
                notification_request(rule=rule, event=event), request_id=event.correlation_id
            )
        except BackendRejected as exc:
            run.status, run.detail, run.attempts = Run.Status.FAILED, str(exc), exc.attempts
        else:
            run.status, run.attempts = Run.Status.SUCCEEDED, result.attempts
            run.detail = (
                f"{len(result.notification_ids)} notification(s) created"
                if result.created
                else "already notified (dedupe key used before)"
            )
    run.finished_at = timezone.now()
    run.save(force_insert=True)
    return run


def notification_request(*, rule: Rule, event: EventEnvelope) -> NotificationRequest:
    params = rule.action_params
    context = template_context(event_type=event.type, data=event.data)
    data: dict[str, Any] = {"event_id": str(event.id), "event_type": event.type, "rule_id": str(rule.id)}
    data[f"{event.subject.type}_id"] = event.subject.id
    contact_id = event_contact_id(event)
    if contact_id is not None:
        # The notification's messages quote the contact: communication-service keeps them under
        # this id, so the contact's erasure blanks them too.
        data.setdefault("contact_id", str(contact_id))
    recipients = None
    if rule.action == Rule.Action.NOTIFY_USERS:
        recipients = [str(r) for r in params.get("recipient_ids", [])]
    return NotificationRequest(
        organization_id=str(event.organization_id),
        role=None if recipients is not None else str(params.get("role", "manager")),
        recipient_ids=recipients,
        category=str(params.get("category", "workflow")),
        severity=str(params.get("severity", "info")),
        title=render(str(params.get("title_template", event.type)), context, limit=200),
        body=render(str(params.get("body_template", "")), context, limit=2000),
        data=data,
        dedupe_key=f"workflow:{rule.id}:{event.id}",
    )
