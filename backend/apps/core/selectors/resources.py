"""Resource, time-off, working-hours override and service-catalog reads, always within one organization."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from django.db.models import QuerySet

from apps.core.exceptions import OverrideNotFound, ResourceNotFound, ServiceNotFound, TimeOffNotFound
from apps.core.models import Resource, Service, TimeOff, WorkingHoursOverride
from apps.identity.models import Organization


def resource_get(*, organization: Organization, resource_id: uuid.UUID) -> Resource:
    try:
        resource: Resource = Resource.objects.for_organization(organization).get(pk=resource_id)
    except Resource.DoesNotExist as exc:
        raise ResourceNotFound("No such resource.") from exc
    return resource


def resource_list(
    *, organization: Organization, kind: str | None = None, is_active: bool | None = None
) -> QuerySet[Resource]:
    resources = Resource.objects.for_organization(organization)
    if kind:
        resources = resources.filter(kind=kind)
    if is_active is not None:
        resources = resources.filter(is_active=is_active)
    return resources


def time_off_list(
    *, resource: Resource, start_after: datetime | None = None, start_before: datetime | None = None
) -> QuerySet[TimeOff]:
    entries = TimeOff.objects.for_organization(resource.organization).filter(resource=resource)
    if start_after:
        entries = entries.filter(end__gt=start_after)
    if start_before:
        entries = entries.filter(start__lt=start_before)
    return entries


def time_off_get(*, resource: Resource, time_off_id: uuid.UUID) -> TimeOff:
    try:
        time_off: TimeOff = (
            TimeOff.objects.for_organization(resource.organization)
            .filter(resource=resource)
            .get(pk=time_off_id)
        )
    except TimeOff.DoesNotExist as exc:
        raise TimeOffNotFound("No such time off.") from exc
    return time_off


def override_list(
    *, resource: Resource, date_from: date | None = None, date_to: date | None = None
) -> QuerySet[WorkingHoursOverride]:
    """The resource's overrides, on dates between `date_from` and `date_to` (both included) if given."""
    overrides = WorkingHoursOverride.objects.for_organization(resource.organization).filter(resource=resource)
    if date_from:
        overrides = overrides.filter(date__gte=date_from)
    if date_to:
        overrides = overrides.filter(date__lte=date_to)
    return overrides


def override_get(*, resource: Resource, date: date) -> WorkingHoursOverride:
    try:
        override: WorkingHoursOverride = (
            WorkingHoursOverride.objects.for_organization(resource.organization)
            .filter(resource=resource)
            .get(date=date)
        )
    except WorkingHoursOverride.DoesNotExist as exc:
        raise OverrideNotFound("No working-hours override on that date.") from exc
    return override


def service_get(*, organization: Organization, service_id: uuid.UUID) -> Service:
    try:
        service: Service = Service.objects.for_organization(organization).get(pk=service_id)
    except Service.DoesNotExist as exc:
        raise ServiceNotFound("No such service.") from exc
    return service


def service_list(*, organization: Organization, is_active: bool | None = None) -> QuerySet[Service]:
    services = Service.objects.for_organization(organization)
    if is_active is not None:
        services = services.filter(is_active=is_active)
    return services
