"""Core endpoints: contacts (with GDPR export and erasure), resources with time off, services."""

import uuid
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Status

from apps.core.pagination import Page, paginate
from apps.core.schemas import (
    ContactExport,
    ContactFilter,
    ContactIn,
    ContactOut,
    ContactPage,
    ContactPatch,
    ResourceFilter,
    ResourceIn,
    ResourceOut,
    ResourcePage,
    ResourcePatch,
    ServiceFilter,
    ServiceIn,
    ServiceOut,
    ServicePage,
    ServicePatch,
    TimeOffFilter,
    TimeOffIn,
    TimeOffOut,
    TimeOffPage,
)  # fmt: skip
from apps.core.selectors.contacts import contact_export, contact_get, contact_list
from apps.core.selectors.resources import (
    resource_get,
    resource_list,
    service_get,
    service_list,
    time_off_get,
    time_off_list,
)  # fmt: skip
from apps.core.services.catalog import service_create, service_deactivate, service_update
from apps.core.services.contacts import contact_archive, contact_create, contact_erase, contact_update
from apps.core.services.resources import (
    resource_create,
    resource_deactivate,
    resource_update,
    time_off_create,
    time_off_delete,
)  # fmt: skip
from apps.identity.permissions import requires
from apps.identity.principal import Role, organization_of, principal_of

router = Router()
CONTACTS_READ = "contacts:read"
# Resources and services are what bookings refer to: readable with the bookings scope.
SCHEDULING_READ = "bookings:read"


# Contacts


@router.get("/contacts", response=ContactPage, tags=["contacts"], operation_id="list_contacts")
@requires(Role.VIEWER, scope=CONTACTS_READ)
def list_contacts(request: HttpRequest, filters: Query[ContactFilter]) -> Page[Any]:
    """Active contacts, oldest first; `q` searches name, email and phone; `tags` must all match."""
    tags = [t.strip().lower() for t in (filters.tags or "").split(",") if t.strip()]
    contacts = contact_list(
        organization=organization_of(request),
        q=filters.q,
        tags=tags,
        include_archived=filters.include_archived,
    )
    return paginate(contacts, cursor=filters.cursor, limit=filters.limit)


@router.post("/contacts", response={201: ContactOut}, tags=["contacts"], operation_id="create_contact")
@requires(Role.STAFF, idempotency="optional")
def create_contact(request: HttpRequest, payload: ContactIn) -> Status[Any]:
    """Email and phone are normalised (phone to E.164); an email is unique among active contacts."""
    principal = principal_of(request)
    contact = contact_create(
        organization=organization_of(request), actor=principal.user, **payload.model_dump()
    )
    return Status(201, contact)


@router.get("/contacts/{contact_id}", response=ContactOut, tags=["contacts"], operation_id="get_contact")
@requires(Role.VIEWER, scope=CONTACTS_READ)
def get_contact(request: HttpRequest, contact_id: uuid.UUID) -> Any:
    return contact_get(organization=organization_of(request), contact_id=contact_id)


@router.patch("/contacts/{contact_id}", response=ContactOut, tags=["contacts"], operation_id="update_contact")
@requires(Role.STAFF)
def update_contact(request: HttpRequest, contact_id: uuid.UUID, payload: ContactPatch) -> Any:
    contact = contact_get(organization=organization_of(request), contact_id=contact_id)
    data = payload.model_dump(exclude_unset=True)
    return contact_update(contact=contact, actor=principal_of(request).user, data=data)


@router.delete(
    "/contacts/{contact_id}", response={204: None}, tags=["contacts"], operation_id="archive_contact"
)
@requires(Role.STAFF)
def archive_contact(request: HttpRequest, contact_id: uuid.UUID) -> Status[None]:
    """Archives (hides from lists unless `include_archived=true`); nothing is deleted."""
    contact = contact_get(organization=organization_of(request), contact_id=contact_id)
    contact_archive(contact=contact, actor=principal_of(request).user)
    return Status(204, None)


@router.get(
    "/contacts/{contact_id}/export", response=ContactExport, tags=["contacts"], operation_id="export_contact"
)
@requires(Role.STAFF)
def export_contact(request: HttpRequest, contact_id: uuid.UUID) -> dict[str, Any]:
    """GDPR access: everything held on the contact, one section per app (contact, audit, ...)."""
    return contact_export(contact=contact_get(organization=organization_of(request), contact_id=contact_id))


@router.post(
    "/contacts/{contact_id}/erase", response=ContactOut, tags=["contacts"], operation_id="erase_contact"
)
@requires(Role.MANAGER, introspect=True)
def erase_contact(request: HttpRequest, contact_id: uuid.UUID) -> Any:
    """GDPR erasure, irreversible (so manager or higher): personal fields anonymised, money kept."""
    contact = contact_get(organization=organization_of(request), contact_id=contact_id)
    return contact_erase(contact=contact, actor=principal_of(request).user)


# Resources


@router.get("/resources", response=ResourcePage, tags=["resources"], operation_id="list_resources")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def list_resources(request: HttpRequest, filters: Query[ResourceFilter]) -> Page[Any]:
    resources = resource_list(
        organization=organization_of(request), kind=filters.kind, is_active=filters.is_active
    )
    return paginate(resources, cursor=filters.cursor, limit=filters.limit)


@router.post("/resources", response={201: ResourceOut}, tags=["resources"], operation_id="create_resource")
@requires(Role.MANAGER, idempotency="optional")
def create_resource(request: HttpRequest, payload: ResourceIn) -> Status[Any]:
    """`timezone` is an IANA name; working hours are local wall-clock intervals, not overlapping."""
    return Status(201, resource_create(organization=organization_of(request), **payload.model_dump()))


@router.get("/resources/{resource_id}", response=ResourceOut, tags=["resources"], operation_id="get_resource")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def get_resource(request: HttpRequest, resource_id: uuid.UUID) -> Any:
    return resource_get(organization=organization_of(request), resource_id=resource_id)


@router.patch(
    "/resources/{resource_id}", response=ResourceOut, tags=["resources"], operation_id="update_resource"
)
@requires(Role.MANAGER)
def update_resource(request: HttpRequest, resource_id: uuid.UUID, payload: ResourcePatch) -> Any:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return resource_update(resource=resource, data=payload.model_dump(exclude_unset=True))


@router.delete(
    "/resources/{resource_id}", response={204: None}, tags=["resources"], operation_id="deactivate_resource"
)
@requires(Role.MANAGER)
def deactivate_resource(request: HttpRequest, resource_id: uuid.UUID) -> Status[None]:
    """Deactivates (is_active=false): bookings keep pointing at the resource."""
    resource_deactivate(resource=resource_get(organization=organization_of(request), resource_id=resource_id))
    return Status(204, None)


@router.get(
    "/resources/{resource_id}/time-off",
    response=TimeOffPage,
    tags=["resources"],
    operation_id="list_time_off",
)
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def list_time_off(request: HttpRequest, resource_id: uuid.UUID, filters: Query[TimeOffFilter]) -> Page[Any]:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    entries = time_off_list(
        resource=resource, start_after=filters.start_after, start_before=filters.start_before
    )
    return paginate(entries, keys=("start", "id"), cursor=filters.cursor, limit=filters.limit)


@router.post(
    "/resources/{resource_id}/time-off",
    response={201: TimeOffOut},
    tags=["resources"],
    operation_id="create_time_off",
)
@requires(Role.MANAGER, idempotency="optional")
def create_time_off(request: HttpRequest, resource_id: uuid.UUID, payload: TimeOffIn) -> Status[Any]:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    return Status(201, time_off_create(resource=resource, **payload.model_dump()))


@router.delete(
    "/resources/{resource_id}/time-off/{time_off_id}",
    response={204: None},
    tags=["resources"],
    operation_id="delete_time_off",
)
@requires(Role.MANAGER)
def delete_time_off(request: HttpRequest, resource_id: uuid.UUID, time_off_id: uuid.UUID) -> Status[None]:
    resource = resource_get(organization=organization_of(request), resource_id=resource_id)
    time_off_delete(time_off=time_off_get(resource=resource, time_off_id=time_off_id))
    return Status(204, None)


# Services catalog


@router.get("/services", response=ServicePage, tags=["services"], operation_id="list_services")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def list_services(request: HttpRequest, filters: Query[ServiceFilter]) -> Page[Any]:
    services = service_list(organization=organization_of(request), is_active=filters.is_active)
    return paginate(services, cursor=filters.cursor, limit=filters.limit)


@router.post("/services", response={201: ServiceOut}, tags=["services"], operation_id="create_service")
@requires(Role.MANAGER, idempotency="optional")
def create_service(request: HttpRequest, payload: ServiceIn) -> Status[Any]:
    """`price.amount` is a decimal string with at most the currency's minor-unit digits."""
    return Status(201, service_create(organization=organization_of(request), **payload.model_dump()))


@router.get("/services/{service_id}", response=ServiceOut, tags=["services"], operation_id="get_service")
@requires(Role.VIEWER, scope=SCHEDULING_READ)
def get_service(request: HttpRequest, service_id: uuid.UUID) -> Any:
    return service_get(organization=organization_of(request), service_id=service_id)


@router.patch("/services/{service_id}", response=ServiceOut, tags=["services"], operation_id="update_service")
@requires(Role.MANAGER)
def update_service(request: HttpRequest, service_id: uuid.UUID, payload: ServicePatch) -> Any:
    service = service_get(organization=organization_of(request), service_id=service_id)
    return service_update(service=service, data=payload.model_dump(exclude_unset=True))


@router.delete(
    "/services/{service_id}", response={204: None}, tags=["services"], operation_id="deactivate_service"
)
@requires(Role.MANAGER)
def deactivate_service(request: HttpRequest, service_id: uuid.UUID) -> Status[None]:
    """Deactivates (is_active=false): bookings and invoices keep referring to the service."""
    service_deactivate(service=service_get(organization=organization_of(request), service_id=service_id))
    return Status(204, None)
