from auditlog.models import LogEntry
from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Query, Router

from apps.audit.schemas import AuditEntryOut, AuditFilter
from apps.audit.selectors import audit_entry_list
from apps.identity.principal import Role, organization_of
from edge.permissions import requires
from hubkit.pagination import KeysetPagination, paginate

router = Router(tags=["audit"])


@router.get("", response=list[AuditEntryOut], operation_id="list_audit_entries")
@requires(Role.ADMIN, introspect=True)
@paginate(KeysetPagination, keys=("timestamp", "id"), descending=True)
def list_audit_entries(request: HttpRequest, filters: Query[AuditFilter]) -> QuerySet[LogEntry]:
    """Audit entries about the organization's objects, newest first; `request_id` is the X-Request-ID.

    `kind=access` lists who read which contact's detail or export, and when."""
    return audit_entry_list(
        organization=organization_of(request),
        object_type=filters.object_type,
        object_id=filters.object_id,
        actor_id=filters.actor_id,
        from_=filters.from_,
        to=filters.to,
        kind=filters.kind,
    )
