from typing import Any

from django.http import HttpRequest
from ninja import Query, Router

from apps.audit.schemas import AuditFilter, AuditPage
from apps.audit.selectors import audit_entry_list
from apps.core.pagination import Page, paginate
from apps.identity.permissions import requires
from apps.identity.principal import Role, organization_of

router = Router(tags=["audit"])


@router.get("/audit", response=AuditPage, operation_id="list_audit_entries")
@requires(Role.ADMIN)
def list_audit_entries(request: HttpRequest, filters: Query[AuditFilter]) -> Page[Any]:
    """Audit entries about the organization's objects, newest first; `request_id` is the X-Request-ID."""
    entries = audit_entry_list(
        organization=organization_of(request),
        object_type=filters.object_type,
        object_id=filters.object_id,
        actor_id=filters.actor_id,
        from_=filters.from_,
        to=filters.to,
    )
    return paginate(
        entries, keys=("timestamp", "id"), descending=True, cursor=filters.cursor, limit=filters.limit
    )
