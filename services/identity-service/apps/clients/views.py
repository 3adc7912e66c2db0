"""The OAuth endpoints: token (client_credentials), introspection (RFC 7662), revocation (RFC 7009).

Form-encoded in, RFC 6749 JSON out (errors as `{"error", "error_description"}`), as OAuth clients expect.
"""

import base64
import binascii
import functools
import json
from collections.abc import Callable
from typing import Any
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from apps.clients.exceptions import (
    InvalidClient,
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from apps.clients.models import ServiceClient
from apps.clients.services import client_authenticate, client_token_issue
from apps.tokens.exceptions import InvalidAccessToken
from apps.tokens.services import REFRESH_TOKEN_PREFIX, access_token_revoke, refresh_token_revoke
from apps.tokens.verification import access_token_decode, token_introspect

FORM = "application/x-www-form-urlencoded"
FORM_TYPES = (FORM, "multipart/form-data")
BASIC_CHALLENGE = 'Basic realm="hub-identity"'


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def oauth_endpoint(view: Callable[[HttpRequest], HttpResponse]) -> Callable[[HttpRequest], HttpResponse]:
    @csrf_exempt
    @require_POST
    @functools.wraps(view)
    def wrapper(request: HttpRequest) -> HttpResponse:
        try:
            if request.content_type not in FORM_TYPES:
                raise InvalidRequest(f"The body must be {FORM}.")
            return view(request)
        except OAuthError as exc:
            body = {"error": exc.error, "error_description": exc.description}
            return _json(body, status=exc.status, headers=exc.headers)

    return wrapper


def _presented_credentials(request: HttpRequest) -> tuple[str, str, bool] | None:
    """(client_id, secret, via_basic) from HTTP Basic or the form; None when none was presented."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        if "client_secret" in request.POST:
            raise InvalidRequest("Use exactly one client authentication method.")
        try:
            decoded = base64.b64decode(header[6:].strip(), validate=True).decode()
            raw_id, raw_secret = decoded.split(":", 1)
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise InvalidClient(
                "Malformed Basic credentials.", headers={"WWW-Authenticate": BASIC_CHALLENGE}
            ) from exc
        # RFC 6749 2.3.1: both parts are form-urlencoded before being joined.
        return unquote_plus(raw_id), unquote_plus(raw_secret), True
    client_id, secret = request.POST.get("client_id"), request.POST.get("client_secret")
    if client_id and secret:
        return client_id, secret, False
    return None


def _authenticated_client(request: HttpRequest) -> ServiceClient | None:
    presented = _presented_credentials(request)
    if presented is None:
        return None
    client_id, secret, via_basic = presented
    try:
        return client_authenticate(client_id=client_id, secret=secret)
    except InvalidClient as exc:
        if via_basic:
            exc.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        raise


def _required_client(request: HttpRequest) -> ServiceClient:
    client = _authenticated_client(request)
    if client is None:
        raise InvalidClient(
            "Client authentication is required.", headers={"WWW-Authenticate": BASIC_CHALLENGE}
        )
    return client


@oauth_endpoint
def token_view(request: HttpRequest) -> HttpResponse:
    grant_type = request.POST.get("grant_type")
    if not grant_type:
        raise InvalidRequest("grant_type is required.")
    if grant_type != "client_credentials":
        raise UnsupportedGrantType(f"{grant_type!r} is not supported here.")
    client = _required_client(request)
    issued = client_token_issue(
        client=client, scope=request.POST.get("scope"), organization_id=request.POST.get("organization_id")
    )
    return _json(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.claims["scope"],
        }
    )


@oauth_endpoint
def introspect_view(request: HttpRequest) -> HttpResponse:
    client = _required_client(request)
    if "introspect" not in client.scopes:
        raise UnauthorizedClient("This client may not introspect tokens.")
    token = request.POST.get("token")
    if not token:
        raise InvalidRequest("token is required.")
    return _json(token_introspect(token=token))


@oauth_endpoint
def revoke_view(request: HttpRequest) -> HttpResponse:
    """Credentials are optional (holding the token is proof enough to end it) but must be right if sent."""
    _authenticated_client(request)
    token = request.POST.get("token")
    if not token:
        raise InvalidRequest("token is required.")
    if token.startswith(REFRESH_TOKEN_PREFIX):
        refresh_token_revoke(refresh_token=token)
    else:
        try:
            claims = access_token_decode(token=token)
        except InvalidAccessToken:
            claims = None  # RFC 7009: an invalid token is not an error
        if claims is not None:
            access_token_revoke(jti=claims["jti"], expires_at=claims["exp"])
    return _json({})
