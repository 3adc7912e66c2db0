"""The identity service's one NinjaAPI, mounted at the root: its own API under /api/v1, the OAuth
endpoints under /oauth and the discovery documents under /.well-known, so one OpenAPI document
describes them all. Every endpoint needs a bearer token unless it says otherwise."""

from django.http.multipartparser import MultiPartParserError
from ninja.errors import ValidationError

from apps.accounts.api import organizations_router, users_router
from apps.authn.api import router as auth_router
from apps.clients.api import malformed_form_response, oauth_error_response, oauth_validation_response
from apps.clients.api import router as oauth_router
from apps.clients.exceptions import OAuthError
from apps.invitations.api import invitations_router, organization_invitations_router
from apps.signing.api import router as discovery_router
from apps.tokens.auth import AccessTokenAuth
from hubkit.ninja import install_problem_handlers
from hubkit.openapi import HubNinjaAPI

api = HubNinjaAPI(
    title="Hub identity API",
    version="1.0.0",
    description="Users, organizations, memberships, login with MFA, sessions and tokens of the hub.",
    urls_namespace="api-v1",
    openapi_url="/api/v1/openapi.json",
    docs_url="/api/v1/docs",
    auth=AccessTokenAuth(),
    index_path="/api/v1/",
    tag_descriptions={
        "auth": "Login (with TOTP MFA), refresh-token rotation, organization switch, logout.",
        "users": "The signed-in user.",
        "organizations": "Organizations and their members; changes by owners and admins only.",
        "invitations": "Joining an organization: owners and admins invite by email; whoever holds the "
        "mailed single-use link accepts it (a new address creates its account, an existing one signs in).",
        "oauth": "OAuth 2 for services: client_credentials tokens, introspection, revocation. Form-encoded "
        'requests; errors are RFC 6749 `{"error", "error_description"}` bodies, not problem details.',
        "discovery": "The published signing keys and the server metadata every URL derives from.",
    },
)
install_problem_handlers(api)
# Ninja types a handler as also taking the exception class; it is only ever given the instance.
api.add_exception_handler(OAuthError, oauth_error_response)  # type: ignore[arg-type]
api.add_exception_handler(MultiPartParserError, malformed_form_response)  # type: ignore[arg-type]
api.add_exception_handler(ValidationError, oauth_validation_response)  # type: ignore[arg-type]
api.add_router("/api/v1/auth", auth_router)
api.add_router("/api/v1/users", users_router)
api.add_router("/api/v1/organizations", organizations_router)
api.add_router("/api/v1/organizations", organization_invitations_router)
api.add_router("/api/v1/invitations", invitations_router)
api.add_router("/oauth", oauth_router)
api.add_router("/.well-known", discovery_router)
