"""The workflow service's one NinjaAPI, mounted at /api/v1; bearer tokens unless an endpoint says not."""

from ninja import NinjaAPI

from apps.workflows.api import events_router, rules_router, runs_router
from apps.workflows.auth import BearerAuth
from hubkit.ninja import install_problem_handlers

api = NinjaAPI(
    title="Hub workflow intelligence API",
    version="1.0.0",
    description="Per-organization rules run on the hub's events; every run recorded.",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=BearerAuth(),
)
install_problem_handlers(api)
api.add_router("/events", events_router)
api.add_router("/rules", rules_router)
api.add_router("/runs", runs_router)
