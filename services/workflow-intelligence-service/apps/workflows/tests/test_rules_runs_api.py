"""Rules and runs endpoints with real user and service tokens from identity-service."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from apps.workflows.models import Rule, Run
from apps.workflows.services import LARGE_REFUND_RULE, NO_SHOW_RULE
from hubkit.testing import IdentityService
from tests.fixtures import (
    ACME,
    GLOBEX,
    WORKFLOW_CLIENT,
    RealBackend,
    ScriptedBackend,
    bearer,
    no_show,
    refund,
)

pytestmark = pytest.mark.django_db

RUNS_READER = ("runs-reader-test", "dev-insecure-runs-reader-secret")


@pytest.fixture(scope="session")
def runs_reader(identity_service: IdentityService) -> tuple[str, str]:
    """A service client granted runs:read, registered in the real identity-service."""
    identity_service.manage(
        "shell",
        "-c",
        "from apps.clients.services import client_ensure; "
        f"client_ensure(client_id={RUNS_READER[0]!r}, name='Runs reader', secret={RUNS_READER[1]!r}, "
        "scopes=['runs:read'], all_organizations=True)",
    )
    return RUNS_READER


@pytest.fixture
def acme_and_globex_runs(backend: RealBackend, send_event: Any) -> dict[str, list[str]]:
    acme = [send_event(no_show()).json()["runs"][0]["id"] for _ in range(3)]
    acme.append(send_event(refund("1.00")).json()["runs"][0]["id"])
    globex = [send_event(no_show(organization_id=GLOBEX)).json()["runs"][0]["id"]]
    return {"acme": acme, "globex": globex}


def test_admin_lists_only_their_organizations_runs_newest_first(
    identity_service: IdentityService, acme_and_globex_runs: dict[str, list[str]]
) -> None:
    response = bearer(identity_service.token("admin@acme.test")).get("/api/v1/runs")

    assert response.status_code == 200
    items = response.json()["items"]
    assert [i["id"] for i in items] == list(reversed(acme_and_globex_runs["acme"]))
    assert {i["organization_id"] for i in items} == {ACME}
    assert response.json()["next_cursor"] is None


def test_owner_of_another_org_sees_only_theirs_and_gets_404_for_foreign_run(
    identity_service: IdentityService, acme_and_globex_runs: dict[str, list[str]]
) -> None:
    client = bearer(identity_service.token("owner@globex.test"))
    assert [i["id"] for i in client.get("/api/v1/runs").json()["items"]] == acme_and_globex_runs["globex"]
    assert client.get(f"/api/v1/runs/{acme_and_globex_runs['globex'][0]}").status_code == 200
    foreign = client.get(f"/api/v1/runs/{acme_and_globex_runs['acme'][0]}")
    assert foreign.status_code == 404
    assert foreign.json()["code"] == "run_not_found"


def test_cursor_pages_through_every_run_once(
    identity_service: IdentityService, acme_and_globex_runs: dict[str, list[str]]
) -> None:
    client = bearer(identity_service.token("owner@acme.test"))
    seen: list[str] = []
    url = "/api/v1/runs?limit=3"
    while url:
        page = client.get(url).json()
        assert len(page["items"]) <= 3
        seen += [i["id"] for i in page["items"]]
        url = f"/api/v1/runs?limit=3&cursor={page['next_cursor']}" if page["next_cursor"] else ""
    assert seen == list(reversed(acme_and_globex_runs["acme"]))


def test_filters_by_status_rule_and_event(
    identity_service: IdentityService, acme_and_globex_runs: dict[str, list[str]]
) -> None:
    client = bearer(identity_service.token("admin@acme.test"))
    skipped = client.get("/api/v1/runs?status=skipped").json()["items"]
    assert [i["id"] for i in skipped] == [acme_and_globex_runs["acme"][-1]]
    rule = Rule.objects.get(organization_id=ACME, name=NO_SHOW_RULE)
    by_rule = client.get(f"/api/v1/runs?rule_id={rule.id}").json()["items"]
    assert len(by_rule) == 3
    event_id = Run.objects.get(id=acme_and_globex_runs["acme"][0]).event_id
    by_event = client.get(f"/api/v1/runs?event_id={event_id}").json()["items"]
    assert [i["id"] for i in by_event] == [acme_and_globex_runs["acme"][0]]


@pytest.mark.parametrize("query", ["limit=0", "limit=201", "status=done", "cursor=%%%", "cursor=bm9wZQ"])
def test_bad_list_parameters_are_422(identity_service: IdentityService, query: str) -> None:
    response = bearer(identity_service.token("admin@acme.test")).get(f"/api/v1/runs?{query}")
    assert response.status_code == 422
    assert response["Content-Type"] == "application/problem+json"


@pytest.mark.parametrize("email", ["manager@acme.test", "staff@acme.test", "viewer@acme.test"])
def test_roles_below_admin_are_refused(identity_service: IdentityService, email: str) -> None:
    client = bearer(identity_service.token(email))
    assert client.get("/api/v1/runs").status_code == 403
    assert client.get("/api/v1/rules").status_code == 403


def test_missing_or_bad_token_is_401() -> None:
    assert Client().get("/api/v1/runs").status_code == 401
    response = bearer("not-a-token").get("/api/v1/runs")
    assert response.status_code == 401
    assert response.json()["code"] == "invalid_token"


def test_service_token_needs_runs_read(
    identity_service: IdentityService,
    runs_reader: tuple[str, str],
    acme_and_globex_runs: dict[str, list[str]],
) -> None:
    without_scope = identity_service.service_token(*WORKFLOW_CLIENT)
    assert bearer(without_scope).get("/api/v1/runs").status_code == 403

    for_globex = identity_service.service_token(*runs_reader, organization_id=GLOBEX)
    items = bearer(for_globex).get("/api/v1/runs").json()["items"]
    assert [i["id"] for i in items] == acme_and_globex_runs["globex"]

    everywhere = identity_service.service_token(*runs_reader)
    items = bearer(everywhere).get("/api/v1/runs").json()["items"]
    assert len(items) == len(acme_and_globex_runs["acme"]) + len(acme_and_globex_runs["globex"])
    # Service tokens read runs, never rules.
    assert bearer(everywhere).get("/api/v1/rules").status_code == 403


def test_admin_lists_and_patches_rules_of_their_org(
    identity_service: IdentityService, backend: RealBackend, send_event: Any
) -> None:
    send_event(no_show())
    send_event(no_show(organization_id=GLOBEX))
    client = bearer(identity_service.token("admin@acme.test"))

    rules = client.get("/api/v1/rules").json()["items"]
    assert {r["name"] for r in rules} == {NO_SHOW_RULE, LARGE_REFUND_RULE}
    assert {r["organization_id"] for r in rules} == {ACME}
    refund_rule = next(r for r in rules if r["name"] == LARGE_REFUND_RULE)

    patched = client.patch(
        f"/api/v1/rules/{refund_rule['id']}",
        data={"condition": {"min_amount": "20.00"}, "is_active": True},
        content_type="application/json",
    )
    assert patched.status_code == 200, patched.content
    assert patched.json()["condition"] == {"min_amount": "20.00"}

    event = refund("25.00")
    send_event(event)
    assert len(backend.notifications("admin@acme.test", event["id"])) == 1


def test_patching_a_rule_off_stops_it(
    identity_service: IdentityService, scripted_backend: ScriptedBackend, send_event: Any
) -> None:
    send_event(refund("1.00"))
    rule = Rule.objects.get(organization_id=ACME, name=NO_SHOW_RULE)
    response = bearer(identity_service.token("owner@acme.test")).patch(
        f"/api/v1/rules/{rule.id}", data={"is_active": False}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["is_active"] is False
    send_event(no_show())
    assert scripted_backend.requests == []


@pytest.mark.parametrize(
    "payload", [{"condition": {"min_amount": "-1"}}, {"condition": {"colour": "red"}}, {"enabled": True}]
)
def test_invalid_rule_patch_is_422_and_changes_nothing(
    identity_service: IdentityService, backend: RealBackend, send_event: Any, payload: dict[str, Any]
) -> None:
    send_event(refund("1.00"))
    rule = Rule.objects.get(organization_id=ACME, name=LARGE_REFUND_RULE)
    response = bearer(identity_service.token("admin@acme.test")).patch(
        f"/api/v1/rules/{rule.id}", data=payload, content_type="application/json"
    )
    assert response.status_code == 422
    rule.refresh_from_db()
    assert rule.condition == {"min_amount": "100.00"}


def test_rule_of_another_org_is_404(
    identity_service: IdentityService, backend: RealBackend, send_event: Any
) -> None:
    send_event(no_show(organization_id=GLOBEX))
    rule = Rule.objects.get(organization_id=GLOBEX, name=NO_SHOW_RULE)
    response = bearer(identity_service.token("admin@acme.test")).patch(
        f"/api/v1/rules/{rule.id}", data={"is_active": False}, content_type="application/json"
    )
    assert response.status_code == 404
    rule.refresh_from_db()
    assert rule.is_active is True


def test_the_openapi_documents_the_receivers_answers_and_the_run_list() -> None:
    schema = Client().get("/api/v1/openapi.json").json()
    receiver = schema["paths"]["/api/v1/events"]["post"]
    assert {"200", "400", "401", "413", "422", "503"} <= set(receiver["responses"])
    assert "security" not in receiver  # signed, not bearer-authenticated
    listing = schema["paths"]["/api/v1/runs"]["get"]
    assert {p["name"] for p in listing["parameters"]} == {"event_id", "rule_id", "status", "limit", "cursor"}
    page = listing["responses"]["200"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1]
    assert set(schema["components"]["schemas"][page]["properties"]) == {"items", "next_cursor"}
