"""/bookings, /availability and /scheduling/settings."""

from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from apps.identity.principal import Role, organization_of, principal_of
from apps.scheduling.models import Booking, BookingStatus, SchedulingSettings
from apps.scheduling.schemas import (
    AvailabilityFilter,
    AvailabilityOut,
    BookingFilter,
    BookingId,
    BookingIn,
    BookingOut,
    BookingPatch,
    CancelIn,
    SchedulingSettingsOut,
    SchedulingSettingsPatch,
)
from apps.scheduling.selectors import (
    availability_list,
    booking_get,
    booking_list,
    scheduling_settings_of,
)
from apps.scheduling.services.bookings import booking_create, booking_reschedule, booking_transition
from apps.scheduling.services.settings import scheduling_settings_update
from edge.permissions import requires
from hubkit.openapi import problem_responses
from hubkit.pagination import KeysetPagination, paginate

router = Router(tags=["bookings"])
availability_router = Router(tags=["bookings"])
settings_router = Router(tags=["scheduling settings"])

READ = "bookings:read"
WRITE = "bookings:write"


@router.get("", response=list[BookingOut], operation_id="list_bookings")
@requires(Role.VIEWER, scope=READ)
@paginate(KeysetPagination, keys=("start", "id"))
def list_bookings(request: HttpRequest, filters: Query[BookingFilter]) -> QuerySet[Booking]:
    """Bookings earliest first."""
    statuses = filters.status.split(",") if filters.status else None
    return booking_list(
        organization=organization_of(request), statuses=statuses, **filters.model_dump(exclude={"status"})
    )


@router.post("", response={201: BookingOut, **problem_responses(404, 409)}, operation_id="create_booking")
@requires(Role.STAFF, scope=WRITE, idempotency="optional")
def create_booking(request: HttpRequest, payload: BookingIn) -> Status[Booking]:
    """Books the resource; with a service, `end` may be left out.

    404 for an unknown resource, contact or service; 409 `booking_conflict` (with `conflicts`) when
    the period is taken, `session_full` when a group session has no place left; 422
    `outside_availability` (with `reason`) outside working hours, in time off, or against the
    notice or horizon settings.
    """
    booking = booking_create(
        organization=organization_of(request), actor=principal_of(request).user, **payload.model_dump()
    )
    return Status(201, booking)


@router.get("/{booking_id}", response=BookingOut, operation_id="get_booking")
@requires(Role.VIEWER, scope=READ)
def get_booking(request: HttpRequest, booking_id: BookingId) -> Booking:
    return booking_get(organization=organization_of(request), booking_id=booking_id)


@router.patch(
    "/{booking_id}", response={200: BookingOut, **problem_responses(409)}, operation_id="reschedule_booking"
)
@requires(Role.STAFF, scope=WRITE)
def reschedule_booking(request: HttpRequest, booking_id: BookingId, payload: BookingPatch) -> Booking:
    """A move is checked like a new booking (409 / 422 as there); 409 `invalid_transition` once it ended."""
    booking = booking_get(organization=organization_of(request), booking_id=booking_id)
    return booking_reschedule(
        booking=booking, actor=principal_of(request).user, data=payload.model_dump(exclude_unset=True)
    )


def _transition(request: HttpRequest, booking_id: Any, to: str, reason: str = "") -> Booking:
    booking = booking_get(organization=organization_of(request), booking_id=booking_id)
    return booking_transition(booking=booking, actor=principal_of(request).user, to=to, reason=reason)


@router.post(
    "/{booking_id}/confirm",
    response={200: BookingOut, **problem_responses(409)},
    operation_id="confirm_booking",
)
@requires(Role.STAFF, scope=WRITE)
def confirm_booking(request: HttpRequest, booking_id: BookingId) -> Booking:
    """held or pending → confirmed; 409 `hold_expired` for an expired hold, `invalid_transition` otherwise."""
    return _transition(request, booking_id, BookingStatus.CONFIRMED)


@router.post(
    "/{booking_id}/cancel",
    response={200: BookingOut, **problem_responses(409)},
    operation_id="cancel_booking",
)
@requires(Role.STAFF, scope=WRITE)
def cancel_booking(request: HttpRequest, booking_id: BookingId, payload: CancelIn) -> Booking:
    """held, pending or confirmed → cancelled, with the reason; the slot is free again."""
    return _transition(request, booking_id, BookingStatus.CANCELLED, payload.reason)


@router.post(
    "/{booking_id}/complete",
    response={200: BookingOut, **problem_responses(409)},
    operation_id="complete_booking",
)
@requires(Role.STAFF, scope=WRITE)
def complete_booking(request: HttpRequest, booking_id: BookingId) -> Booking:
    """confirmed → completed, once it has started."""
    return _transition(request, booking_id, BookingStatus.COMPLETED)


@router.post(
    "/{booking_id}/no-show",
    response={200: BookingOut, **problem_responses(409)},
    operation_id="mark_booking_no_show",
)
@requires(Role.STAFF, scope=WRITE)
def mark_booking_no_show(request: HttpRequest, booking_id: BookingId) -> Booking:
    """confirmed → no_show, once it has started."""
    return _transition(request, booking_id, BookingStatus.NO_SHOW)


@availability_router.get(
    "", response={200: AvailabilityOut, **problem_responses(404)}, operation_id="list_availability"
)
@requires(Role.VIEWER, scope=READ)
def list_availability(request: HttpRequest, filters: Query[AvailabilityFilter]) -> dict[str, Any]:
    """Free slots of the service on the resource; each `start` is accepted by `POST /bookings`."""
    found = availability_list(
        organization=organization_of(request),
        resource_id=filters.resource_id,
        service_id=filters.service_id,
        start=filters.from_,
        end=filters.to,
    )
    return found.answer()


@settings_router.get("", response=SchedulingSettingsOut, operation_id="get_scheduling_settings")
@requires(Role.VIEWER, scope=READ)
def get_scheduling_settings(request: HttpRequest) -> SchedulingSettings:
    return scheduling_settings_of(organization=organization_of(request))


@settings_router.patch("", response=SchedulingSettingsOut, operation_id="update_scheduling_settings")
@requires(Role.ADMIN, introspect=True)
def update_scheduling_settings(request: HttpRequest, payload: SchedulingSettingsPatch) -> SchedulingSettings:
    return scheduling_settings_update(
        organization=organization_of(request), data=payload.model_dump(exclude_unset=True)
    )
