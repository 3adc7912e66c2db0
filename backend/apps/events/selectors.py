from __future__ import annotations

import uuid

from django.db.models import QuerySet

from apps.events.models import Event
from apps.identity.models import Organization
from hubkit.errors import NotFound


def event_list(
    *,
    organization: Organization,
    type: str | None = None,  # noqa: A002 - the filter's name in the API
    subject_id: str | None = None,
) -> QuerySet[Event]:
    events = Event.objects.for_organization(organization)
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
