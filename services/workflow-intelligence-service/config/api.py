"""The workflow service's one NinjaAPI, mounted at /api/v1; bearer tokens unless an endpoint says not."""

from apps.workflows.api import events_router, rules_router, runs_router
from apps.workflows.auth import BearerAuth
from hubkit.ninja import install_problem_handlers
from hubkit.openapi import HubNinjaAPI

api = HubNinjaAPI(
    title="Hub workflow intelligence API",
    version="1.0.0",
    description="Per-organization rules run on the hub's events; every run recorded.",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=BearerAuth(),
    tag_descriptions={
        "events": "Signed event deliveries from the backend (Standard Webhooks), run through the rules.",
        "rules": "An organization's rules, for its admins and owners.",
        "runs": "Every rule run, for an organization's admins and owners and services granted `runs:read`.",
    },
)
install_problem_handlers(api)
api.add_router("/events", events_router)
api.add_router("/rules", rules_router)
api.add_router("/runs", runs_router)
