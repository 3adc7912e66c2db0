"""The backend's one NinjaAPI, mounted at /api/v1."""

from apps.audit.api import router as audit_router
from apps.core.api import router as core_router
from apps.events.api import router as events_router
from apps.events.openapi import EventWebhooksAPI
from apps.identity.api import router as identity_router
from apps.identity.auth import BearerAuth
from apps.notifications.api import router as notifications_router
from hubkit.ninja import install_problem_handlers

api = EventWebhooksAPI(
    title="Hub backend API",
    version="1.0.0",
    description=(
        "Business logic of the hub: core entities, scheduling, transactions, analytics, notifications."
    ),
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=BearerAuth(),
)
install_problem_handlers(api)

api.add_router("/", identity_router)
api.add_router("/", core_router)
api.add_router("/", audit_router)
api.add_router("/", events_router)
api.add_router("/", notifications_router)
