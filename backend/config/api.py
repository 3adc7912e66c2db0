"""The backend's one NinjaAPI, mounted at /api/v1."""

from apps.analytics.api import router as analytics_router
from apps.audit.api import router as audit_router
from apps.core.api.catalog import router as services_router
from apps.core.api.contacts import router as contacts_router
from apps.core.api.resources import router as resources_router
from apps.events.api import router as events_router
from apps.events.openapi import EventWebhooksAPI
from apps.identity.api import router as identity_router
from apps.identity.auth import BearerAuth
from apps.notifications.api import router as notifications_router
from apps.retention.api import router as retention_router
from apps.scheduling.api import availability_router, settings_router
from apps.scheduling.api import router as bookings_router
from apps.transactions.api import balance_router, invoices_router, ledger_router, payments_router
from apps.transactions.api import settings_router as billing_settings_router
from hubkit.ninja import install_problem_handlers

TAGS = {
    "identity": "The caller as the backend sees it (user or service, roles, scopes).",
    "contacts": "The organization's contacts, with GDPR export and erasure.",
    "resources": "Staff, rooms and equipment that bookings take; their time off.",
    "services": "The catalog of services an organization sells.",
    "bookings": "Bookings of resources (never double-booked), their status changes and free slots.",
    "scheduling settings": "The organization's booking rules: notice, horizon, slot grid, holds, reminders.",
    "invoices": "Invoices: drafts, issuing (numbered, gap-free), voiding, PDFs.",
    "payments": "Money received and refunded; `Idempotency-Key` required on every POST.",
    "ledger": "The append-only double-entry ledger and each contact's balance derived from it.",
    "billing settings": "The organization's currency, invoice numbering, payment terms and tax rate.",
    "analytics": (
        "Figures of a range of local dates: bookings, utilization, revenue; JSON or CSV (`format=csv`)."
    ),
    "audit": "Who changed what and when (admin and owner).",
    "events": "The outbox: events sent to the other services, and their deliveries.",
    "notifications": "The caller's notifications and preferences; sending them.",
    "retention": "How long delivered events, notifications and audit entries are kept (admin and owner).",
}

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
    tag_descriptions=TAGS,
)
install_problem_handlers(api)

api.add_router("/", identity_router)
api.add_router("/contacts", contacts_router)
api.add_router("/resources", resources_router)
api.add_router("/services", services_router)
api.add_router("/bookings", bookings_router)
api.add_router("/availability", availability_router)
api.add_router("/scheduling/settings", settings_router)
api.add_router("/contacts", balance_router)
api.add_router("/invoices", invoices_router)
api.add_router("/payments", payments_router)
api.add_router("/transactions", ledger_router)
api.add_router("/billing/settings", billing_settings_router)
api.add_router("/analytics", analytics_router)
api.add_router("/audit", audit_router)
api.add_router("/", events_router)
api.add_router("/notifications", notifications_router)
api.add_router("/retention/settings", retention_router)
