"""The backend's NinjaAPI (hubkit's, errors documented) with the event catalogue as OpenAPI 3.1 `webhooks`."""

from __future__ import annotations

from typing import Any

from ninja.openapi.schema import OpenAPISchema

from apps.events.catalogue import add_event_webhooks
from hubkit.openapi import HubNinjaAPI


class EventWebhooksAPI(HubNinjaAPI):
    """Documents what the backend sends as well as what it serves: one webhook per event type."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> OpenAPISchema:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        add_event_webhooks(schema)
        return schema
