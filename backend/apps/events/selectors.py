from __future__ import annotations

import uuid

from django.db.models import Count, Min, QuerySet
from django.utils import timezone

from apps.events.models import Delivery, Event
from apps.events.subscriptions import subscriptions
from apps.identity.models import Organization
from hubkit.errors import NotFound


def event_list(
    *,
    organization: Organization,
    type: str | None = None,  # noqa: A002 - the filter's name in the API
    subject_id: str | None = None,
    status: str | None = None,
) -> QuerySet[Event]:
    events = Event.objects.for_organization(organization)
    if status == Delivery.Status.DELIVERED:
        # Delivered means every subscriber has it.
        events = events.filter(deliveries__isnull=False).exclude(
            deliveries__status__in=[s for s in Delivery.Status if s != Delivery.Status.DELIVERED]
        )
    elif status:
        events = events.filter(deliveries__status=status)
    events = events.distinct()
    if type:
        events = events.filter(type=type)
    if subject_id:
        events = events.filter(subject_id=subject_id)
    return events


def event_get(*, organization: Organization, event_id: uuid.UUID) -> Event:
    try:
        event: Event = Event.objects.for_organization(organization).get(pk=event_id)
    except Event.DoesNotExist as exc:
        raise NotFound("No such event.") from exc
    return event


def event_deliveries(*, event: Event) -> list[Delivery]:
    return list(
        Delivery.objects.for_organization(event.organization).filter(event=event).order_by("destination")
    )


def outbox_backlog() -> dict[str, tuple[int, float]]:
    """Per destination (every subscription, and any other with deliveries waiting): how many
    deliveries are not delivered yet and the age in seconds of the oldest of them (0 when none).

    One grouped query over the pending deliveries only (a partial index holds them), across
    organizations: operators' figures, never an API answer.
    """
    now = timezone.now()
    rows = (
        Delivery.all_tenants.filter(status=Delivery.Status.PENDING)
        .values("destination")
        .annotate(pending=Count("id"), oldest=Min("created_at"))
        .values_list("destination", "pending", "oldest")
    )
    backlog = {subscription.name: (0, 0.0) for subscription in subscriptions()}
    for destination, pending, oldest in rows:
        backlog[destination] = (pending, max((now - oldest).total_seconds(), 0.0))
    return backlog


def outbox_dead() -> dict[str, int]:
    """Per destination (every subscription, and any other holding some): deliveries dead now
    (retries exhausted, not redelivered since), across organizations; operators' figures."""
    rows = (
        Delivery.all_tenants.filter(status=Delivery.Status.DEAD)
        .values("destination")
        .annotate(dead=Count("id"))
        .values_list("destination", "dead")
    )
    return {subscription.name: 0 for subscription in subscriptions()} | dict(rows)
