"""/oauth: token (client_credentials), introspection (RFC 7662), revocation (RFC 7009).

Form-encoded in, RFC 6749 JSON out (errors as `{"error", "error_description"}`), as OAuth clients
expect. Each view checks the request in the order OAuth clients rely on (body type, grant, then
the client), so the client is authenticated inside the view, not by Ninja: `OAuthClientAuth`
only documents the Basic scheme and admits every request. The views render their JSON
themselves (`Cache-Control: no-store`); the response schemas document it.
"""

import base64
import binascii
import json
from typing import Any
from urllib.parse import unquote_plus

from django.http import HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from ninja import Form, Router
from ninja.errors import ValidationError
from ninja.security.http import HttpAuthBase

from apps.clients.exceptions import (
    InvalidClient,
    InvalidRequest,
    OAuthError,
    UnauthorizedClient,
    UnsupportedGrantType,
)
from apps.clients.models import ServiceClient
from apps.clients.schemas import (
    ExistingTokenForm,
    IntrospectionOut,
    OAuthErrorOut,
    RevocationOut,
    ServiceTokenOut,
    TokenForm,
)
from apps.clients.services import client_authenticate, client_token_issue
from apps.tokens.exceptions import InvalidAccessToken
from apps.tokens.services import REFRESH_TOKEN_PREFIX, access_token_revoke, refresh_token_revoke
from apps.tokens.verification import access_token_decode, token_introspect
from hubkit.access import Caller, note_caller
from hubkit.errors import problem_response
from hubkit.identity import INTROSPECT_SCOPE
from hubkit.ninja import field_errors

FORM = "application/x-www-form-urlencoded"
FORM_TYPES = (FORM, "multipart/form-data")
BASIC_CHALLENGE = 'Basic realm="hub-identity"'
OAUTH_ERRORS = dict.fromkeys((400, 401), OAuthErrorOut)


class OAuthClientAuth(HttpAuthBase):
    """HTTP Basic client authentication (client_secret_basic), as the OpenAPI shows it.

    Admits every request: the view authenticates the client after checking the request. The
    client may instead send `client_id` and `client_secret` as form fields (client_secret_post).
    """

    openapi_scheme = "basic"
    openapi_description = (
        "OAuth client authentication: the client id and secret, form-urlencoded, as HTTP Basic "
        "(client_secret_basic); `client_id` + `client_secret` form fields are accepted instead."
    )

    def __call__(self, request: HttpRequest) -> bool:
        return True


router = Router(tags=["oauth"], auth=OAuthClientAuth())


def _json(body: dict[str, Any], status: int = 200, headers: dict[str, str] | None = None) -> HttpResponse:
    response = HttpResponse(json.dumps(body), status=status, content_type="application/json")
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def oauth_error_response(request: HttpRequest, exc: OAuthError) -> HttpResponse:
    """The API's handler of OAuthError: RFC 6749 section 5.2 JSON."""
    return _json(
        {"error": exc.error, "error_description": exc.description}, status=exc.status, headers=exc.headers
    )


def malformed_form_response(request: HttpRequest, exc: MultiPartParserError) -> HttpResponse:
    """The API's handler of a form Django cannot split (multipart without its boundary).

    Only the OAuth endpoints read forms, so the answer is theirs: RFC 6749 `invalid_request`.
    """
    return oauth_error_response(request, InvalidRequest("The body is not a valid form."))


def oauth_validation_response(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    """Invalid fields: RFC 6749 `invalid_request` under /oauth (e.g. a NUL in a form value), the
    hub's problem+json 422 everywhere else."""
    errors = field_errors(exc.errors)
    if request.path.startswith("/oauth/"):
        fields = ", ".join(sorted({e["field"] for e in errors}))
        return oauth_error_response(request, InvalidRequest(f"Invalid value of {fields}."))
    return problem_response(
        status=422,
        code="validation_error",
        title="Validation failed",
        detail="The request has invalid fields.",
        errors=errors,
    )


def _require_form(request: HttpRequest) -> None:
    if request.content_type not in FORM_TYPES:
        raise InvalidRequest(f"The body must be {FORM}.")


def _presented_credentials(
    request: HttpRequest, form: TokenForm | ExistingTokenForm
) -> tuple[str, str, bool] | None:
    """(client_id, secret, via_basic) from HTTP Basic or the form; None when none was presented."""
    header = request.headers.get("Authorization", "")
    if header[:6].lower() == "basic ":
        if form.client_secret is not None:
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
    if form.client_id and form.client_secret:
        return form.client_id, form.client_secret, False
    return None


def _authenticated_client(request: HttpRequest, form: TokenForm | ExistingTokenForm) -> ServiceClient | None:
    presented = _presented_credentials(request, form)
    if presented is None:
        return None
    client_id, secret, via_basic = presented
    try:
        return client_authenticate(client_id=client_id, secret=secret)
    except InvalidClient as exc:
        if via_basic:
            exc.headers["WWW-Authenticate"] = BASIC_CHALLENGE
        raise


def _required_client(request: HttpRequest, form: TokenForm | ExistingTokenForm) -> ServiceClient:
    client = _authenticated_client(request, form)
    if client is None:
        raise InvalidClient(
            "Client authentication is required.", headers={"WWW-Authenticate": BASIC_CHALLENGE}
        )
    # The access line names the authenticated client (never its secret or the token it asks about).
    note_caller(request, Caller.client(client.client_id, client.organization_id))
    return client


@router.post(
    "/token",
    response={200: ServiceTokenOut, **OAUTH_ERRORS},
    operation_id="issue_token",
    summary="Issue a service access token (client_credentials)",
)
def issue_token(request: HttpRequest, form: Form[TokenForm]) -> HttpResponse:
    """400 `invalid_request`, `unsupported_grant_type` or `invalid_scope`; 401 `invalid_client`."""
    _require_form(request)
    if not form.grant_type:
        raise InvalidRequest("grant_type is required.")
    if form.grant_type != "client_credentials":
        raise UnsupportedGrantType(f"{form.grant_type!r} is not supported here.")
    client = _required_client(request, form)
    issued = client_token_issue(client=client, scope=form.scope, organization_id=form.organization_id)
    return _json(
        {
            "access_token": issued.token,
            "token_type": "Bearer",
            "expires_in": issued.expires_in,
            "scope": issued.claims["scope"],
        }
    )


@router.post(
    "/introspect",
    response={200: IntrospectionOut, **OAUTH_ERRORS, 403: OAuthErrorOut},
    operation_id="introspect_token",
    summary="Introspect a token (RFC 7662)",
)
def introspect_token(request: HttpRequest, form: Form[ExistingTokenForm]) -> HttpResponse:
    """For clients with the `introspect` scope (else 403 `unauthorized_client`)."""
    _require_form(request)
    client = _required_client(request, form)
    if INTROSPECT_SCOPE not in client.scopes:
        raise UnauthorizedClient("This client may not introspect tokens.")
    if not form.token:
        raise InvalidRequest("token is required.")
    return _json(token_introspect(token=form.token))


@router.post(
    "/revoke",
    response={200: RevocationOut, **OAUTH_ERRORS},
    operation_id="revoke_token",
    summary="Revoke a token (RFC 7009)",
    # Ninja appends this to the route's requirement: Basic, or no credentials at all.
    openapi_extra={"security": [{}]},
)
def revoke_token(request: HttpRequest, form: Form[ExistingTokenForm]) -> HttpResponse:
    """Credentials are optional (holding the token is proof enough to end it) but must be right if sent."""
    _require_form(request)
    _authenticated_client(request, form)
    if not form.token:
        raise InvalidRequest("token is required.")
    if form.token.startswith(REFRESH_TOKEN_PREFIX):
        refresh_token_revoke(refresh_token=form.token)
    else:
        try:
            claims = access_token_decode(token=form.token)
        except InvalidAccessToken:
            claims = None  # RFC 7009: an invalid token is not an error
        if claims is not None:
            access_token_revoke(jti=claims["jti"], expires_at=claims["exp"])
    return _json({})
