"""The communication service's one NinjaAPI, mounted at /api/v1; every endpoint needs a bearer
token unless it says otherwise (the event receiver authenticates by webhook signature)."""

from apps.messaging.api import events_router, messages_router
from apps.messaging.auth import MessageReaderAuth
from hubkit.ninja import install_problem_handlers
from hubkit.openapi import HubNinjaAPI

api = HubNinjaAPI(
    title="Hub communication API",
    version="1.0.0",
    description="Receives the hub's events, sends the emails and SMS they call for, lists what was sent.",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=MessageReaderAuth(),
    tag_descriptions={
        "events": "Signed event deliveries from the backend (Standard Webhooks), turned into messages.",
        "messages": "Every email and SMS sent, failed or skipped, for an organization's admins and "
        "services granted `messages:read`.",
    },
)
install_problem_handlers(api)
api.add_router("/events", events_router)
api.add_router("/messages", messages_router)
