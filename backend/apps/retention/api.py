"""/retention/settings: how long the organization's records are kept."""

from django.http import HttpRequest
from ninja import Router

from apps.identity.principal import Role, organization_of
from apps.retention.models import RetentionSettings
from apps.retention.schemas import RetentionSettingsOut, RetentionSettingsPatch
from apps.retention.selectors import retention_settings_of
from apps.retention.services import retention_settings_update
from edge.permissions import requires

router = Router(tags=["retention"])


@router.get("", response=RetentionSettingsOut, operation_id="get_retention_settings")
@requires(Role.ADMIN)
def get_retention_settings(request: HttpRequest) -> RetentionSettings:
    return retention_settings_of(organization=organization_of(request))


@router.patch("", response=RetentionSettingsOut, operation_id="update_retention_settings")
@requires(Role.ADMIN, introspect=True)
def update_retention_settings(request: HttpRequest, payload: RetentionSettingsPatch) -> RetentionSettings:
    return retention_settings_update(
        organization=organization_of(request), data=payload.model_dump(exclude_unset=True)
    )
