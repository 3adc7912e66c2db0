"""/services: the catalog of services an organization sells."""

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router, Status

from apps.core.models import Service
from apps.core.schemas import ServiceFilter, ServiceId, ServiceIn, ServiceOut, ServicePatch
from apps.core.selectors.resources import service_get, service_list
from apps.core.services.catalog import service_create, service_deactivate, service_update
from apps.identity.principal import Role, organization_of
from edge.permissions import requires
from hubkit.pagination import KeysetPagination, paginate

router = Router(tags=["services"])
# Services are what bookings refer to: readable with the bookings scope.
SCHEDULING_READ = "bookings:read"


@router.get("", response=list[ServiceOut], operation_id="list_services")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
@paginate(KeysetPagination)
def list_services(request: HttpRequest, filters: Query[ServiceFilter]) -> QuerySet[Service]:
    return service_list(organization=organization_of(request), is_active=filters.is_active)


@router.post("", response={201: ServiceOut}, operation_id="create_service")
@requires(Role.MANAGER, idempotency="optional")
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[Service]:
    """`price.amount` is a decimal string with at most the currency's minor-unit digits."""
    return Status(201, service_create(organization=organization_of(request), **payload.model_dump()))


@router.get("/{service_id}", response=ServiceOut, operation_id="get_service")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def get_service(request: HttpRequest, service_id: ServiceId) -> Service:
    return service_get(organization=organization_of(request), service_id=service_id)


@router.patch("/{service_id}", response=ServiceOut, operation_id="update_service")
@requires(Role.MANAGER)
def update_service(request: HttpRequest, service_id: ServiceId, payload: ServicePatch) -> Service:
    service = service_get(organization=organization_of(request), service_id=service_id)
    return service_update(service=service, data=payload.model_dump(exclude_unset=True))


@router.delete("/{service_id}", response={204: None}, operation_id="deactivate_service")
@requires(Role.MANAGER)
def deactivate_service(request: HttpRequest, service_id: ServiceId) -> Status[None]:
    """Deactivates (is_active=false): bookings and invoices keep referring to the service."""
    service_deactivate(service=service_get(organization=organization_of(request), service_id=service_id))
    return Status(204, None)
