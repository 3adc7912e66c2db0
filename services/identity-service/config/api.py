"""The identity service's one NinjaAPI, mounted at /api/v1; every endpoint needs a bearer token
unless it says otherwise."""

from ninja import NinjaAPI

from apps.accounts.api import organizations_router, users_router
from apps.authn.api import router as auth_router
from apps.tokens.auth import AccessTokenAuth
from hubkit.ninja import install_problem_handlers

api = NinjaAPI(
    title="Hub identity API",
    version="1.0.0",
    description="Users, organizations, memberships, login with MFA, sessions and tokens of the hub.",
    urls_namespace="api-v1",
    openapi_url="/openapi.json",
    docs_url="/docs",
    auth=AccessTokenAuth(),
)
install_problem_handlers(api)
api.add_router("/auth", auth_router)
api.add_router("/users", users_router)
api.add_router("/organizations", organizations_router)
