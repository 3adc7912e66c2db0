from django.http import HttpRequest
from ninja import Router

from apps.identity.principal import principal_of
from apps.identity.schemas import MeOut
from edge.permissions import requires

router = Router(tags=["identity"])


@router.get("/me", response=MeOut, operation_id="get_me")
@requires(organization=False)
def get_me(request: HttpRequest) -> dict[str, object]:
    """The caller as the backend sees it: user or service, organization, roles and scopes."""
    principal = principal_of(request)
    return {
        "user": principal.user,
        "organization": principal.organization,
        "roles": sorted(role.name.lower() for role in principal.roles),
        "scopes": sorted(principal.scopes),
    }
