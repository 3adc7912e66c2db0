"""/resources: staff, rooms and equipment that bookings take, with their time off and hours by date."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from apps.core.models import Resource, TimeOff, WorkingHoursOverride
from apps.core.schemas import (
    OverrideDate,
    ResourceFilter,
    ResourceId,
    ResourceIn,
    ResourceOut,
    ResourcePatch,
    TimeOffFilter,
    TimeOffId,
    TimeOffIn,
    TimeOffOut,
    WorkingHoursOverrideFilter,
    WorkingHoursOverrideIn,
    WorkingHoursOverrideOut,
)
from apps.core.selectors.resources import (
    override_get,
    override_list,
    resource_get,
    resource_list,
    time_off_get,
    time_off_list,
)
from apps.core.services.resources import (
    override_delete,
    override_put,
    resource_create,
    resource_deactivate,
    resource_update,
    time_off_create,
    time_off_delete,
)
from apps.identity.principal import Role, organization_of
from edge.permissions import requires
from hubkit.pagination import KeysetPagination, paginate

router = Router(tags=["resources"])
# Resources are what bookings refer to: readable with the bookings scope.
SCHEDULING_READ = "bookings:read"


@router.get("", response=list[ResourceOut], operation_id="list_resources")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
@paginate(KeysetPagination)
def list_resources(request: HttpRequest, filters: Query[ResourceFilter]) -> QuerySet[Resource]:
    return resource_list(
        organization=organization_of(request), kind=filters.kind, is_active=filters.is_active
    )


@router.post("", response={201: ResourceOut}, operation_id="create_resource")
@requires(Role.MANAGER, idempotency="optional")
def create_resource(request: HttpRequest, payload: ResourceIn) -> Status[Resource]:
    """`timezone` is an IANA name; working hours are local wall-clock intervals, not overlapping."""
    return Status(201, resource_create(organization=organization_of(request), **payload.model_dump()))


@router.get("/{resource_id}", response=ResourceOut, operation_id="get_resource")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def get_resource(request: HttpRequest, resource_id: ResourceId) -> Resource:
    return resource_get(organization=organization_of(request), resource_id=resource_id)


@router.patch("/{resource_id}", response=ResourceOut, operation_id="update_resource")
@requires(Role.MANAGER)
def update_resource(request: HttpRequest, resource_id: ResourceId, payload: ResourcePatch) -> Resource:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return resource_update(resource=resource, data=payload.model_dump(exclude_unset=True))


@router.delete("/{resource_id}", response={204: None}, operation_id="deactivate_resource")
@requires(Role.MANAGER)
def deactivate_resource(request: HttpRequest, resource_id: ResourceId) -> Status[None]:
    """Deactivates (is_active=false): bookings keep pointing at the resource."""
    resource_deactivate(resource=resource_get(organization=organization_of(request), resource_id=resource_id))
    return Status(204, None)


@router.get("/{resource_id}/time-off", response=list[TimeOffOut], operation_id="list_time_off")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
@paginate(KeysetPagination, keys=("start", "id"))
def list_time_off(
    request: HttpRequest, resource_id: ResourceId, filters: Query[TimeOffFilter]
) -> QuerySet[TimeOff]:
    """The resource's time off, earliest first."""
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return time_off_list(
        resource=resource, start_after=filters.start_after, start_before=filters.start_before
    )


@router.post("/{resource_id}/time-off", response={201: TimeOffOut}, operation_id="create_time_off")
@requires(Role.MANAGER, idempotency="optional")
def create_time_off(request: HttpRequest, resource_id: ResourceId, payload: TimeOffIn) -> Status[TimeOff]:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return Status(201, time_off_create(resource=resource, **payload.model_dump()))


@router.delete("/{resource_id}/time-off/{time_off_id}", response={204: None}, operation_id="delete_time_off")
@requires(Role.MANAGER)
def delete_time_off(request: HttpRequest, resource_id: ResourceId, time_off_id: TimeOffId) -> Status[None]:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    time_off_delete(time_off=time_off_get(resource=resource, time_off_id=time_off_id))
    return Status(204, None)


@router.get(
    "/{resource_id}/overrides",
    response=list[WorkingHoursOverrideOut],
    operation_id="list_working_hours_overrides",
)
@requires(Role.VIEWER, scope=SCHEDULING_READ)
@paginate(KeysetPagination, keys=("date", "id"))
def list_working_hours_overrides(
    request: HttpRequest, resource_id: ResourceId, filters: Query[WorkingHoursOverrideFilter]
) -> QuerySet[WorkingHoursOverride]:
    """The resource's hours by date (each replacing its weekly hours that day), earliest date first."""
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return override_list(resource=resource, date_from=filters.from_, date_to=filters.to)


@router.get(
    "/{resource_id}/overrides/{date}",
    response=WorkingHoursOverrideOut,
    operation_id="get_working_hours_override",
)
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def get_working_hours_override(
    request: HttpRequest, resource_id: ResourceId, date: OverrideDate
) -> WorkingHoursOverride:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return override_get(resource=resource, date=date)


@router.put(
    "/{resource_id}/overrides/{date}",
    response=WorkingHoursOverrideOut,
    operation_id="put_working_hours_override",
)
@requires(Role.MANAGER)
def put_working_hours_override(
    request: HttpRequest, resource_id: ResourceId, date: OverrideDate, payload: WorkingHoursOverrideIn
) -> WorkingHoursOverride:
    """Sets the resource's hours on that date (creating or replacing them); `intervals: []` closes the day."""
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return override_put(resource=resource, date=date, **payload.model_dump())


@router.delete(
    "/{resource_id}/overrides/{date}", response={204: None}, operation_id="delete_working_hours_override"
)
@requires(Role.MANAGER)
def delete_working_hours_override(
    request: HttpRequest, resource_id: ResourceId, date: OverrideDate
) -> Status[None]:
    """Removes the date's override: the weekly working hours apply again that day."""
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    override_delete(override=override_get(resource=resource, date=date))
    return Status(204, None)
