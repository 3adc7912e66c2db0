"""GET /api/v1/messages: tokens from the real identity-service; each organization sees its own."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from django.test import Client

from apps.messaging.auth import reader_from_claims
from apps.messaging.models import Message
from hubkit.errors import PermissionDenied
from hubkit.identity import TokenClaims
from hubkit.testing import IdentityService
from tests.fixtures import ACME, GLOBEX, bearer

pytestmark = pytest.mark.django_db
URL = "/api/v1/messages"
MakeMessage = Callable[..., Message]


def ids(response: Any) -> set[str]:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("email", ["admin@acme.test", "owner@acme.test"])
def test_an_admin_or_owner_sees_only_their_organization(
    identity_service: IdentityService, make_message: MakeMessage, email: str
) -> None:
    ours = make_message(ACME)
    theirs = make_message(GLOBEX)
    client = bearer(identity_service.token(email))
    assert ids(client.get(URL)) == {str(ours.id)}
    # Asking for another organization does not widen the view.
    assert ids(client.get(URL, {"organization_id": str(GLOBEX)})) == set()
    detail = client.get(f"{URL}/{ours.id}")
    assert detail.status_code == 200
    assert detail.json()["recipient"] == "jane@example.org"
    assert client.get(f"{URL}/{theirs.id}").status_code == 404
    assert client.get(f"{URL}/{uuid.uuid4()}").status_code == 404


def test_the_other_organization_sees_the_other_side(
    identity_service: IdentityService, make_message: MakeMessage
) -> None:
    make_message(ACME)
    theirs = make_message(GLOBEX)
    assert ids(bearer(identity_service.token("owner@globex.test")).get(URL)) == {str(theirs.id)}


@pytest.mark.parametrize("email", ["viewer@acme.test", "staff@acme.test", "manager@acme.test"])
def test_other_roles_are_refused(
    identity_service: IdentityService, make_message: MakeMessage, email: str
) -> None:
    message = make_message(ACME)
    client = bearer(identity_service.token(email))
    response = client.get(URL)
    assert response.status_code == 403
    assert response.json()["code"] == "permission_denied"
    assert client.get(f"{URL}/{message.id}").status_code == 403


def test_a_service_token_without_the_scope_is_refused(identity_service: IdentityService) -> None:
    # The workflow service's demo client: a real service token, without `messages:read`.
    token = identity_service.service_token(
        "workflow-intelligence-service", "dev-insecure-workflow-client-secret"
    )
    response = bearer(token).get(URL)
    assert response.status_code == 403
    assert "messages:read" in response.json()["detail"]


def test_no_token_is_401() -> None:
    response = Client().get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_a_forged_token_is_401(identity_service: IdentityService, make_message: MakeMessage) -> None:
    make_message(ACME)
    real = jwt.decode(identity_service.token("admin@acme.test"), options={"verify_signature": False})
    header = jwt.get_unverified_header(identity_service.token("admin@acme.test"))
    forged = jwt.encode(real, Ed25519PrivateKey.generate(), algorithm="EdDSA", headers=header)
    for token in (forged, "not-a-jwt"):
        response = bearer(token).get(URL)
        assert response.status_code == 401
        assert response.json()["code"] == "invalid_token"


def test_pages_follow_the_cursor_newest_first(
    identity_service: IdentityService, make_message: MakeMessage
) -> None:
    made = [make_message(ACME) for _ in range(3)]
    client = bearer(identity_service.token("admin@acme.test"))
    first = client.get(URL, {"limit": 2}).json()
    assert [item["id"] for item in first["items"]] == [str(made[2].id), str(made[1].id)]
    second = client.get(URL, {"limit": 2, "cursor": first["next_cursor"]}).json()
    assert [item["id"] for item in second["items"]] == [str(made[0].id)]
    assert second["next_cursor"] is None
    assert client.get(URL, {"cursor": "garbage"}).status_code == 422
    assert client.get(URL, {"limit": 201}).status_code == 422


def test_filters_by_event_channel_and_status(
    identity_service: IdentityService, make_message: MakeMessage
) -> None:
    email = make_message(ACME)
    sms = make_message(ACME, channel="sms", recipient="+4915112345678", status="failed")
    client = bearer(identity_service.token("admin@acme.test"))
    assert ids(client.get(URL, {"channel": "sms"})) == {str(sms.id)}
    assert ids(client.get(URL, {"status": "sent"})) == {str(email.id)}
    assert ids(client.get(URL, {"event_id": str(email.event_id)})) == {str(email.id)}
    assert client.get(URL, {"channel": "pigeon"}).status_code == 422


def _claims(**payload: Any) -> TokenClaims:
    return TokenClaims.from_payload(payload)


def test_service_claims_need_the_scope_and_may_be_bound_to_one_organization() -> None:
    service = {"sub": "reporting", "client_id": "reporting"}
    unbound = reader_from_claims(_claims(**service, scope="messages:read"))
    assert (unbound.organization_id, unbound.is_service) == (None, True)
    bound = reader_from_claims(_claims(**service, scope="messages:read", org_id=str(ACME)))
    assert bound.organization_id == ACME
    with pytest.raises(PermissionDenied):
        reader_from_claims(_claims(**service, scope="events:read"))
    with pytest.raises(PermissionDenied):  # a user without an organization
        reader_from_claims(_claims(sub="u", client_id="hub-frontend", sid="s", roles=[], scope="hub"))


def test_the_openapi_documents_the_receivers_answers_and_the_list_parameters() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    receiver = schema["paths"]["/api/v1/events"]["post"]
    assert {"200", "400", "401", "413", "422", "503"} <= set(receiver["responses"])
    assert "security" not in receiver  # signed, not bearer-authenticated
    listing = schema["paths"]["/api/v1/messages"]["get"]
    assert {p["name"] for p in listing["parameters"]} >= {"limit", "cursor", "channel", "status"}
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"items", "next_cursor"}
