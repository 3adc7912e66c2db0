import uuid
from typing import Annotated, Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router
from ninja.params.functions import Path

from apps.events.envelope import event_envelope
from apps.events.models import Event
from apps.events.schemas import EventDetailOut, EventFilter, EventOut, RedeliverIn, RedeliverOut
from apps.events.selectors import event_deliveries, event_get, event_list
from apps.events.services import event_redeliver
from apps.identity.principal import Role, organization_of
from edge.permissions import requires
from hubkit.openapi import problem_responses
from hubkit.pagination import KeysetPagination, paginate

router = Router(tags=["events"])
EventId = Annotated[uuid.UUID, Path(description="The event's id (its envelope `id`, the `webhook-id`).")]


@router.get("/events", response=list[EventOut], operation_id="list_events")
@requires(Role.ADMIN, scope="events:read")
@paginate(KeysetPagination, keys=("occurred_at", "id"), descending=True)
def list_events(request: HttpRequest, filters: Query[EventFilter]) -> QuerySet[Event]:
    """Outbox events as envelopes, newest first."""
    return event_list(
        organization=organization_of(request),
        type=filters.type,
        subject_id=filters.subject_id,
        status=filters.status,
    )


@router.get("/events/{event_id}", response=EventDetailOut, operation_id="get_event")
@requires(Role.ADMIN, scope="events:read")
def get_event(request: HttpRequest, event_id: EventId) -> dict[str, Any]:
    """The envelope and its delivery to each subscriber."""
    event = event_get(organization=organization_of(request), event_id=event_id)
    return {**event_envelope(event), "deliveries": event_deliveries(event=event)}


@router.post(
    "/events/{event_id}/redeliver",
    response={200: RedeliverOut, **problem_responses(409)},
    operation_id="redeliver_event",
)
@requires(Role.ADMIN, introspect=True)
def redeliver_event(request: HttpRequest, event_id: EventId, options: Query[RedeliverIn]) -> dict[str, Any]:
    """Send the event again to subscribers that failed (or to all, with `include_delivered=true`).

    409 `delivery_in_progress` while a drain is sending the event.
    """
    organization = organization_of(request)
    event = event_get(organization=organization, event_id=event_id)
    redelivered = event_redeliver(
        organization=organization, event=event, include_delivered=options.include_delivered
    )
    return {"redelivered": redelivered}
