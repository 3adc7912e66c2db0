"""The OAuth endpoints: client_credentials, introspection and revocation."""

import logging
import uuid
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from apps.accounts.models import Membership, Organization, Role, User
from apps.clients.models import ServiceClient
from apps.clients.schemas import IntrospectionOut, OAuthErrorOut, RevocationOut, ServiceTokenOut
from apps.clients.services import client_ensure
from apps.signing.selectors import jwks
from tests.fixtures import basic

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
SECRET = "worker-secret-0123456789abcdef0123456789"


def form(api: Client, path: str, data: dict[str, str], **headers: Any) -> Any:
    return api.post(path, urlencode(data), content_type=FORM, **headers)


@pytest.fixture
def worker(db: None) -> ServiceClient:
    return client_ensure(
        client_id="worker",
        name="Worker",
        secret=SECRET,
        scopes=["bookings:read", "notifications:write"],
        all_organizations=True,
    )


@pytest.fixture
def plain(db: None) -> ServiceClient:
    return client_ensure(client_id="plain", name="Plain", secret=SECRET, scopes=["events:read"])


def claims_of(token: str) -> dict[str, Any]:
    header = jwt.get_unverified_header(token)
    key = jwt.PyJWK(next(k for k in jwks()["keys"] if k["kid"] == header["kid"]))
    decoded: dict[str, Any] = jwt.decode(token, key, algorithms=["EdDSA"], audience="hub-backend")
    return decoded


def test_client_credentials_with_basic_auth(api: Client, worker: ServiceClient) -> None:
    response = form(api, "/oauth/token", {"grant_type": "client_credentials"}, **basic("worker", SECRET))
    assert response.status_code == 200
    assert response["Cache-Control"] == "no-store"
    body = response.json()
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert body["scope"] == "bookings:read notifications:write"
    claims = claims_of(body["access_token"])
    assert claims["sub"] == claims["client_id"] == "worker"
    assert claims["aud"] == ["hub-backend"]
    assert "org_id" not in claims
    assert "roles" not in claims


def test_client_credentials_with_form_auth_and_a_scope_subset(api: Client, worker: ServiceClient) -> None:
    data = {"grant_type": "client_credentials", "client_id": "worker", "client_secret": SECRET}
    response = form(api, "/oauth/token", {**data, "scope": "bookings:read"})
    assert response.status_code == 200
    assert claims_of(response.json()["access_token"])["scope"] == "bookings:read"


@pytest.mark.parametrize("auth", ["basic", "form"])
def test_bad_client_secret_is_401_invalid_client(api: Client, worker: ServiceClient, auth: str) -> None:
    if auth == "basic":
        response = form(api, "/oauth/token", {"grant_type": "client_credentials"}, **basic("worker", "wrong"))
        assert response["WWW-Authenticate"].startswith("Basic")
    else:
        response = form(
            api,
            "/oauth/token",
            {
                "grant_type": "client_credentials",
                "client_id": "worker",
                "client_secret": "wrong",
            },
        )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "access_token" not in response.json()


def test_unknown_scope_is_refused(api: Client, worker: ServiceClient) -> None:
    response = form(
        api,
        "/oauth/token",
        {"grant_type": "client_credentials", "scope": "bookings:read admin"},
        **basic("worker", SECRET),
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_organization_id_only_for_all_organizations_clients(
    api: Client, worker: ServiceClient, plain: ServiceClient, org: Organization
) -> None:
    granted = form(
        api,
        "/oauth/token",
        {"grant_type": "client_credentials", "organization_id": str(org.id)},
        **basic("worker", SECRET),
    )
    assert granted.status_code == 200
    assert claims_of(granted.json()["access_token"])["org_id"] == str(org.id)
    refused = form(
        api,
        "/oauth/token",
        {"grant_type": "client_credentials", "organization_id": str(org.id)},
        **basic("plain", SECRET),
    )
    assert refused.status_code == 400
    assert refused.json()["error"] == "invalid_request"
    data = {"grant_type": "client_credentials", "organization_id": str(uuid.uuid4())}
    unknown = form(api, "/oauth/token", data, **basic("worker", SECRET))
    assert unknown.status_code == 400
    garbage = form(
        api,
        "/oauth/token",
        {"grant_type": "client_credentials", "organization_id": "x"},
        **basic("worker", SECRET),
    )
    assert garbage.status_code == 400


@pytest.mark.parametrize(
    ("data", "content_type", "error"),
    [
        ({"grant_type": "password"}, FORM, "unsupported_grant_type"),
        ({}, FORM, "invalid_request"),
        ({"grant_type": "client_credentials"}, "application/json", "invalid_request"),
        # multipart/form-data without its boundary: Django cannot split it (was a 500).
        ({"grant_type": "client_credentials"}, "multipart/form-data", "invalid_request"),
    ],
)
def test_malformed_token_requests_are_400(
    api: Client, worker: ServiceClient, data: dict[str, str], content_type: str, error: str
) -> None:
    body = '{"grant_type": "client_credentials"}' if content_type == "application/json" else urlencode(data)
    response = api.post("/oauth/token", body, content_type=content_type, **basic("worker", SECRET))
    assert response.status_code == 400
    assert response.json()["error"] == error


def test_token_endpoint_needs_client_authentication(api: Client, worker: ServiceClient) -> None:
    response = form(api, "/oauth/token", {"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_introspection_needs_an_authenticated_client_with_the_introspect_scope(
    api: Client, worker: ServiceClient
) -> None:
    assert form(api, "/oauth/introspect", {"token": "x"}).status_code == 401
    response = form(api, "/oauth/introspect", {"token": "x"}, **basic("worker", SECRET))
    assert response.status_code == 403
    assert response.json()["error"] == "unauthorized_client"


def test_introspection_of_live_tokens(
    *,
    api: Client,
    worker: ServiceClient,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    user = make_user((org, Role.ADMIN))
    body = login(user)
    facts = introspect(body["access_token"])
    assert facts["active"] is True
    assert facts["sub"] == str(user.id)
    assert facts["org_id"] == str(org.id)
    assert facts["roles"] == ["admin"]
    assert facts["client_id"] == "hub-frontend"
    assert facts["email"] == user.email
    assert facts["token_type"] == "Bearer"
    assert facts["sid"]
    assert facts["jti"]
    assert facts["exp"] > facts["iat"]
    refresh = introspect(body["refresh_token"])
    assert refresh["active"] is True
    assert refresh["token_type"] == "refresh_token"

    service = form(api, "/oauth/token", {"grant_type": "client_credentials"}, **basic("worker", SECRET))
    service_facts = introspect(service.json()["access_token"])
    assert service_facts["active"] is True
    assert service_facts["client_id"] == "worker"
    assert service_facts["org_id"] is None
    assert service_facts["roles"] == []
    worker.is_active = False
    worker.save()
    assert introspect(service.json()["access_token"]) == {"active": False}


def test_introspection_answers_inactive_for_every_dead_token(
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
    settings: Any,
) -> None:
    user = make_user((org, Role.STAFF))
    token = login(user)["access_token"]
    head, payload, signature = token.split(".")
    tampered = f"{head}.{payload}.{signature[:-4]}{'AAAA' if signature[-4:] != 'AAAA' else 'BBBB'}"
    assert introspect(tampered) == {"active": False}
    forged = jwt.encode(
        jwt.decode(token, options={"verify_signature": False}),
        Ed25519PrivateKey.generate(),
        algorithm="EdDSA",
        headers={"kid": "not-a-key", "typ": "at+jwt"},
    )
    assert introspect(forged) == {"active": False}
    assert introspect("garbage") == {"active": False}
    hs256 = jwt.encode({"sub": str(user.id)}, "k" * 32, algorithm="HS256", headers={"typ": "at+jwt"})
    assert introspect(hs256) == {"active": False}

    settings.ACCESS_TOKEN_TTL_SECONDS = -120
    expired = login(user)["access_token"]
    assert introspect(expired) == {"active": False}
    settings.ACCESS_TOKEN_TTL_SECONDS = 900

    live = login(user)["access_token"]
    assert introspect(live)["active"] is True
    user.is_active = False
    user.save()
    assert introspect(live) == {"active": False}
    user.is_active = True
    user.save()
    assert introspect(live)["active"] is True
    Membership.objects.filter(user=user).delete()
    assert introspect(live) == {"active": False}


def test_revoking_an_access_token_makes_it_inactive(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    body = login(make_user((org, Role.STAFF)))
    other = login(make_user((org, Role.STAFF)))
    response = form(api, "/oauth/revoke", {"token": body["access_token"], "token_type_hint": "access_token"})
    assert response.status_code == 200
    assert introspect(body["access_token"]) == {"active": False}
    assert introspect(other["access_token"])["active"] is True
    # The refresh token of that session still works: only the access token was revoked.
    refreshed = api.post(
        "/api/v1/auth/refresh", {"refresh_token": body["refresh_token"]}, content_type="application/json"
    )
    assert refreshed.status_code == 200


def test_revoking_a_refresh_token_ends_the_session(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    body = login(make_user((org, Role.STAFF)))
    assert form(api, "/oauth/revoke", {"token": body["refresh_token"]}).status_code == 200
    assert introspect(body["access_token"]) == {"active": False}
    assert introspect(body["refresh_token"]) == {"active": False}


def test_revocation_is_200_for_unknown_tokens_but_checks_presented_credentials(
    api: Client, worker: ServiceClient
) -> None:
    assert form(api, "/oauth/revoke", {"token": "whatever"}).status_code == 200
    assert (
        form(api, "/oauth/revoke", {"token": "hubrt_whatever"}, **basic("worker", SECRET)).status_code == 200
    )
    assert form(api, "/oauth/revoke", {"token": "x"}, **basic("worker", "wrong")).status_code == 401
    assert form(api, "/oauth/revoke", {}).status_code == 400
    assert api.get("/oauth/revoke").status_code == 405


def test_every_answer_is_the_schema_the_openapi_documents(
    *,
    api: Client,
    worker: ServiceClient,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    """The views render their JSON themselves; the documented schemas (extra fields forbidden) hold it."""
    issued = form(api, "/oauth/token", {"grant_type": "client_credentials"}, **basic("worker", SECRET))
    ServiceTokenOut.model_validate(issued.json())
    body = login(make_user((org, Role.ADMIN)))
    for token in (body["access_token"], body["refresh_token"], issued.json()["access_token"], "garbage"):
        IntrospectionOut.model_validate(introspect(token))
    revoked = form(api, "/oauth/revoke", {"token": body["access_token"]})
    RevocationOut.model_validate(revoked.json())
    refused = form(api, "/oauth/token", {"grant_type": "client_credentials"}, **basic("worker", "wrong"))
    assert refused["Content-Type"] == "application/json"
    assert refused["Cache-Control"] == "no-store"
    OAuthErrorOut.model_validate(refused.json())


def test_the_oauth_endpoints_are_in_the_openapi_as_forms_with_basic_client_auth(api: Client) -> None:
    schema = api.get("/api/v1/openapi.json").json()
    assert schema["components"]["securitySchemes"]["OAuthClientAuth"]["scheme"] == "basic"
    for path in ("/oauth/token", "/oauth/introspect", "/oauth/revoke"):
        operation = schema["paths"][path]["post"]
        assert set(operation["requestBody"]["content"]) == {FORM}
        assert {"OAuthClientAuth": []} in operation["security"]
        error = operation["responses"]["401"]["content"]["application/json"]["schema"]["$ref"]
        assert error.endswith("/OAuthErrorOut")
    assert {} in schema["paths"]["/oauth/revoke"]["post"]["security"]  # credentials optional


@pytest.mark.parametrize("path", ["/oauth/token", "/oauth/introspect", "/oauth/revoke"])
def test_form_values_postgresql_cannot_store_are_an_oauth_invalid_request(api: Client, path: str) -> None:
    response = api.post(
        path, "token=a%00b&grant_type=client%00credentials", content_type="application/x-www-form-urlencoded"
    )
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"
    assert (
        "grant_type" in response.json()["error_description"]
        or "token" in response.json()["error_description"]
    )


def test_the_token_endpoint_names_the_client_in_the_access_line_and_no_secret(
    api: Client, worker: ServiceClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hubkit.access")
    issued = form(api, "/oauth/token", {"grant_type": "client_credentials"}, **basic("worker", SECRET))
    assert issued.status_code == 200
    refused = form(
        api, "/oauth/token", {"grant_type": "client_credentials"}, **basic("worker", "wrong-secret")
    )
    assert refused.status_code == 401

    ok, failed = [r for r in caplog.records if r.name == "hubkit.access"]
    assert vars(ok)["caller"] == "client:worker"
    assert vars(failed)["caller"] == "-"  # an unauthenticated client is named by nobody
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert SECRET not in logged
    assert issued.json()["access_token"] not in logged
