import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from apps.core.pagination import paginate
from apps.events.envelope import event_envelope
from apps.events.schemas import EventDetailOut, EventFilter, EventPage, RedeliverIn, RedeliverOut
from apps.events.selectors import event_deliveries, event_get, event_list
from apps.events.services import event_redeliver
from apps.identity.permissions import requires
from apps.identity.principal import Role, organization_of

router = Router(tags=["events"])


@router.get("/events", response=EventPage, operation_id="list_events")
@requires(Role.ADMIN, scope="events:read")
def list_events(request: HttpRequest, filters: Query[EventFilter]) -> dict[str, Any]:
    """Outbox events as envelopes, newest first."""
    events = event_list(
        organization=organization_of(request),
        type=filters.type,
        subject_id=filters.subject_id,
        status=filters.status,
    )
    page = paginate(
        events, keys=("occurred_at", "id"), descending=True, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": [event_envelope(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get("/events/{event_id}", response=EventDetailOut, operation_id="get_event")
@requires(Role.ADMIN, scope="events:read")
def get_event(request: HttpRequest, event_id: uuid.UUID) -> dict[str, Any]:
    """The envelope and its delivery to each subscriber."""
    event = event_get(organization=organization_of(request), event_id=event_id)
    return {**event_envelope(event), "deliveries": event_deliveries(event=event)}


@router.post("/events/{event_id}/redeliver", response=RedeliverOut, operation_id="redeliver_event")
@requires(Role.ADMIN)
def redeliver_event(request: HttpRequest, event_id: uuid.UUID, options: Query[RedeliverIn]) -> dict[str, Any]:
    """Send the event again to subscribers that failed (or to all, with `include_delivered=true`)."""
    organization = organization_of(request)
    event = event_get(organization=organization, event_id=event_id)
    redelivered = event_redeliver(
        organization=organization, event=event, include_delivered=options.include_delivered
    )
    return {"redelivered": redelivered}
