"""/.well-known: the published keys and the server metadata (RFC 8414 / OIDC discovery).

The views render their JSON themselves (with the cache lifetime each document allows); the
response schemas document it and the tests hold the answers to them.
"""

import json
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from ninja import Router

from apps.signing.schemas import JwksOut, ServerMetadataOut
from apps.signing.selectors import jwks, server_metadata
from apps.signing.services import signing_key_active

router = Router(tags=["discovery"], auth=None)


def _json(body: dict[str, Any], *, max_age: int) -> HttpResponse:
    response = HttpResponse(json.dumps(body), content_type="application/json")
    # Short enough that a new `next` key is seen long before it starts signing.
    response["Cache-Control"] = f"public, max-age={max_age}"
    return response


@router.get("/jwks.json", response=JwksOut, operation_id="get_jwks", summary="The published signing keys")
def get_jwks(request: HttpRequest) -> HttpResponse:
    signing_key_active()  # a fresh database publishes its first keys on the first request
    return _json(jwks(), max_age=settings.JWKS_MAX_AGE_SECONDS)


@router.get(
    "/openid-configuration",
    response=ServerMetadataOut,
    operation_id="get_openid_configuration",
    summary="Server metadata (OpenID discovery)",
)
def get_openid_configuration(request: HttpRequest) -> HttpResponse:
    return _json(server_metadata(), max_age=3600)


@router.get(
    "/oauth-authorization-server",
    response=ServerMetadataOut,
    operation_id="get_oauth_authorization_server",
    summary="Server metadata (RFC 8414); the same document",
)
def get_oauth_authorization_server(request: HttpRequest) -> HttpResponse:
    return _json(server_metadata(), max_age=3600)
