"""Discovery documents: the published keys and the server metadata (RFC 8414 / OIDC discovery)."""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_GET

from apps.signing.selectors import jwks
from apps.signing.services import signing_key_active


def _json(body: dict[str, Any], *, max_age: int) -> HttpResponse:
    response = HttpResponse(json.dumps(body), content_type="application/json")
    # Short enough that a new `next` key is seen long before it starts signing.
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


@require_GET
def jwks_view(request: HttpRequest) -> HttpResponse:
    signing_key_active()  # a fresh database publishes its first keys on the first request
    return _json(jwks(), max_age=settings.JWKS_MAX_AGE_SECONDS)


def server_metadata() -> dict[str, Any]:
    issuer = settings.IDENTITY_ISSUER
    auth_methods = ["client_secret_basic", "client_secret_post"]
    return {
        "issuer": issuer,
        "jwks_uri": f"{issuer}/.well-known/jwks.json",
        "token_endpoint": f"{issuer}/oauth/token",
        "introspection_endpoint": f"{issuer}/oauth/introspect",
        "revocation_endpoint": f"{issuer}/oauth/revoke",
        "grant_types_supported": ["client_credentials"],
        "response_types_supported": [],
        "subject_types_supported": ["public"],
        "token_endpoint_auth_methods_supported": auth_methods,
        "introspection_endpoint_auth_methods_supported": auth_methods,
        "revocation_endpoint_auth_methods_supported": [*auth_methods, "none"],
        "access_token_signing_alg_values_supported": ["EdDSA"],
        "id_token_signing_alg_values_supported": ["EdDSA"],
        "claims_supported": [
            "iss", "sub", "aud", "exp", "iat", "nbf", "jti", "client_id", "scope",
            "org_id", "roles", "email", "name", "amr", "sid",
        ],
        "login_endpoint": f"{issuer}/api/v1/auth/login",
        "refresh_endpoint": f"{issuer}/api/v1/auth/refresh",
    }  # fmt: skip


@require_GET
def openid_configuration_view(request: HttpRequest) -> HttpResponse:
    return _json(server_metadata(), max_age=3600)
