"""The discovery documents."""

from typing import Any

import pytest
from django.test import Client

from apps.signing.schemas import JwksOut, ServerMetadataOut

pytestmark = pytest.mark.django_db


def test_jwks_publishes_okp_keys_with_caching(api: Client) -> None:
    response = api.get("/.well-known/jwks.json")
    assert response.status_code == 200
    assert "max-age=" in response["Cache-Control"]
    keys = response.json()["keys"]
    assert len(keys) == 2  # active + next
    for key in keys:
        assert key["kty"] == "OKP"
        assert key["crv"] == "Ed25519"
        assert key["alg"] == "EdDSA"
        assert key["use"] == "sig"
        assert key["kid"]
        assert "d" not in key  # never the private part


def test_discovery_derives_every_url_from_the_issuer(api: Client, settings: Any) -> None:
    settings.IDENTITY_ISSUER = "http://127.0.0.1:45678"
    body = api.get("/.well-known/openid-configuration").json()
    assert body["issuer"] == "http://127.0.0.1:45678"
    assert body["jwks_uri"] == "http://127.0.0.1:45678/.well-known/jwks.json"
    assert body["token_endpoint"] == "http://127.0.0.1:45678/oauth/token"
    assert body["introspection_endpoint"] == "http://127.0.0.1:45678/oauth/introspect"
    assert body["revocation_endpoint"] == "http://127.0.0.1:45678/oauth/revoke"
    assert "client_credentials" in body["grant_types_supported"]
    assert body["access_token_signing_alg_values_supported"] == ["EdDSA"]


def test_the_documents_are_the_schemas_the_openapi_documents(api: Client) -> None:
    JwksOut.model_validate(api.get("/.well-known/jwks.json").json())
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        response = api.get(path)
        assert response["Content-Type"] == "application/json"
        ServerMetadataOut.model_validate(response.json())
    paths = api.get("/api/v1/openapi.json").json()["paths"]
    assert paths["/.well-known/jwks.json"]["get"]["operationId"] == "get_jwks"
    assert paths["/.well-known/openid-configuration"]["get"]["operationId"] == "get_openid_configuration"
