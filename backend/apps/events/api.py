import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from apps.core.pagination import paginate
from apps.events.envelope import event_envelope
from apps.events.schemas import EventFilter, EventOut, EventPage
from apps.events.selectors import event_get, event_list
from apps.identity.permissions import requires
from apps.identity.principal import Role, organization_of

router = Router(tags=["events"])


@router.get("/events", response=EventPage, operation_id="list_events")
@requires(Role.ADMIN, scope="events:read")
def list_events(request: HttpRequest, filters: Query[EventFilter]) -> dict[str, Any]:
    """Outbox events as envelopes, newest first."""
    events = event_list(
        organization=organization_of(request), type=filters.type, subject_id=filters.subject_id
    )
    page = paginate(
        events, keys=("occurred_at", "id"), descending=True, cursor=filters.cursor, limit=filters.limit
    )
    return {"items": [event_envelope(e) for e in page.items], "next_cursor": page.next_cursor}


@router.get("/events/{event_id}", response=EventOut, operation_id="get_event")
@requires(Role.ADMIN, scope="events:read")
def get_event(request: HttpRequest, event_id: uuid.UUID) -> dict[str, Any]:
    return event_envelope(event_get(organization=organization_of(request), event_id=event_id))
