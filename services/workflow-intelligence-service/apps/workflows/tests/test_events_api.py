"""POST /api/v1/events end to end: signature, envelope, dedupe, rules, calls to the real backend, runs."""

from __future__ import annotations

import functools
import json
import logging
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from prometheus_client import REGISTRY

from apps.workflows.models import ReceivedEvent, Rule, Run
from apps.workflows.services import LARGE_REFUND_RULE, NO_SHOW_RULE, rules_ensure_defaults
from hubkit.identity import get_verifier
from hubkit.testing import all_at_once
from hubkit.webhooks import sign_headers
from tests.fixtures import (
    ACME,
    GLOBEX,
    RealBackend,
    Reply,
    ScriptedBackend,
    deliver,
    envelope,
    no_show,
    refund,
    signed,
)

pytestmark = pytest.mark.django_db


def test_no_show_notifies_the_managers_through_the_backend_once(
    backend: RealBackend, send_event: Any
) -> None:
    event = no_show()
    response = send_event(event)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "accepted"
    assert [r["status"] for r in body["runs"]] == ["succeeded"]
    rule = Rule.objects.get(organization_id=ACME, name=NO_SHOW_RULE)
    [notification] = backend.notifications("manager@acme.test", event["id"])
    assert notification["category"] == "booking"
    assert notification["data"]["booking_id"] == event["data"]["booking"]["id"]
    assert notification["data"]["rule_id"] == str(rule.id)
    assert notification["data"]["contact_id"] == event["data"]["contact"]["id"]  # quoted: see erasure
    assert "Ada Lovelace" in notification["title"]
    assert "Check-up" in notification["body"]
    assert "Dr. Rivera" in notification["body"]
    # Managers only, and the backend's own events name this service and the event's correlation id.
    assert backend.notifications("staff@acme.test", event["id"]) == []
    requested = backend.requested_events(event["id"])
    assert requested
    assert {e["actor"]["type"] for e in requested} == {"service"}
    assert {e["correlation_id"] for e in requested} == {event["correlation_id"]}
    assert {e["data"]["data"]["contact_id"] for e in requested} == {event["data"]["contact"]["id"]}
    run = Run.objects.get()
    assert (run.status, run.rule_id, str(run.event_id), run.attempts) == (
        "succeeded",
        rule.id,
        event["id"],
        1,
    )
    assert run.finished_at is not None
    assert ReceivedEvent.objects.filter(id=event["id"]).exists()


def test_the_call_carries_an_org_scoped_service_token_and_the_event_ids(
    scripted_backend: ScriptedBackend, send_event: Any
) -> None:
    event = no_show()
    assert send_event(event).status_code == 200
    [sent] = scripted_backend.requests
    rule = Rule.objects.get(organization_id=ACME, name=NO_SHOW_RULE)
    assert sent.path == "/api/v1/notifications"
    assert (sent.body["role"], sent.body["dedupe_key"]) == ("manager", f"workflow:{rule.id}:{event['id']}")
    assert "recipient_ids" not in sent.body
    assert sent.headers["idempotency-key"] == sent.body["dedupe_key"]
    assert sent.headers["x-request-id"] == event["correlation_id"]
    # The token is a real one from identity-service, for this event's organization only.
    claims = get_verifier().verify(sent.token)
    assert claims.client_id == "workflow-intelligence-service"
    assert claims.is_service
    assert str(claims.organization_id) == ACME
    assert "notifications:write" in claims.scopes
    assert "roles" not in claims.raw


def test_first_event_creates_the_default_rules_once(backend: RealBackend, send_event: Any) -> None:
    send_event(no_show())
    send_event(refund("5.00"))
    rules = Rule.objects.filter(organization_id=ACME)
    assert sorted(rules.values_list("name", flat=True)) == sorted([NO_SHOW_RULE, LARGE_REFUND_RULE])
    assert rules.get(name=LARGE_REFUND_RULE).condition == {"min_amount": "100.00"}
    assert not Rule.objects.filter(organization_id=GLOBEX).exists()


def _receipts(event_type: str, outcome: str) -> float:
    labels = {"type": event_type, "outcome": outcome}
    return REGISTRY.get_sample_value("hub_events_received_total", labels) or 0.0


def test_redelivery_is_a_duplicate_and_calls_nothing(backend: RealBackend) -> None:
    accepted, duplicate = _receipts("booking.no_show", "accepted"), _receipts("booking.no_show", "duplicate")
    event = no_show()
    body, headers = signed(event)
    assert deliver(body, headers).json()["status"] == "accepted"

    again = deliver(body, headers)

    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "runs": []}
    assert len(backend.notifications("manager@acme.test", event["id"])) == 1
    assert Run.objects.count() == 1
    assert _receipts("booking.no_show", "accepted") - accepted == 1
    assert _receipts("booking.no_show", "duplicate") - duplicate == 1


@pytest.mark.parametrize("failure", [Reply(status=500), Reply(status=503), Reply(delay=1.5)])
def test_transient_backend_failure_is_503_with_nothing_stored_and_redelivery_succeeds(
    scripted_backend: ScriptedBackend, failure: Reply
) -> None:
    backend = scripted_backend
    backend.script = [failure]
    body, headers = signed(no_show())

    first = deliver(body, headers)

    assert first.status_code == 503
    assert first["Content-Type"] == "application/problem+json"
    assert first.json()["code"] == "action_unavailable"
    assert first["Retry-After"]
    assert ReceivedEvent.objects.count() == 0
    assert Run.objects.count() == 0
    # Rules are configuration, kept: their ids are part of the dedupe key sent to the backend.
    assert Rule.objects.filter(organization_id=ACME).count() == 2

    second = deliver(body, headers)

    assert second.status_code == 200
    assert second.json()["status"] == "accepted"
    assert Run.objects.get().status == "succeeded"
    assert len(backend.requests) == 2
    # Both attempts carried the same dedupe key: the backend creates the notification once.
    assert backend.requests[0].body["dedupe_key"] == backend.requests[1].body["dedupe_key"]


def test_permanent_backend_refusal_records_a_failed_run_and_answers_200(backend: RealBackend) -> None:
    # The backend refuses for good a recipient who is not a member of the organization.
    rules_ensure_defaults(organization_id=uuid.UUID(ACME))
    stranger = str(uuid.uuid4())
    Rule.objects.filter(organization_id=ACME, name=NO_SHOW_RULE).update(
        action=Rule.Action.NOTIFY_USERS, action_params={"recipient_ids": [stranger], "category": "booking"}
    )
    event = no_show()
    body, headers = signed(event)

    response = deliver(body, headers)

    assert response.status_code == 200
    run = Run.objects.get()
    assert run.status == "failed"
    assert "422" in run.detail
    assert "unknown_recipients" in run.detail
    assert deliver(body, headers).json()["status"] == "duplicate"
    assert backend.requested_events(event["id"]) == []


def test_stale_token_is_forgotten_and_the_call_retried_once(
    scripted_backend: ScriptedBackend, send_event: Any
) -> None:
    backend = scripted_backend
    send_event(no_show())  # caches a token for ACME
    backend.script = [Reply(status=401)]

    response = send_event(no_show())

    assert response.status_code == 200
    assert len(backend.requests) == 3
    assert backend.requests[1].token == backend.requests[0].token
    assert backend.requests[2].token != backend.requests[1].token
    latest = Run.objects.order_by("-created_at").first()
    assert latest is not None
    assert (latest.status, latest.attempts) == ("succeeded", 2)


def test_refund_below_threshold_is_skipped_without_calling_the_backend(
    scripted_backend: ScriptedBackend, send_event: Any
) -> None:
    response = send_event(refund("99.99"))

    assert response.status_code == 200
    assert scripted_backend.requests == []
    run = Run.objects.get()
    assert run.status == "skipped"
    assert "below" in run.detail


@pytest.mark.parametrize(("amount", "currency"), [("100.00", "EUR"), ("250.00", "USD")])
def test_refund_at_or_above_threshold_notifies_admins(
    backend: RealBackend, send_event: Any, amount: str, currency: str
) -> None:
    event = refund(amount, currency)
    response = send_event(event)

    assert response.json()["runs"][0]["status"] == "succeeded"
    [notification] = backend.notifications("admin@acme.test", event["id"])
    assert f"{amount} {currency}" in notification["title"]
    assert notification["data"]["refund_id"] == event["subject"]["id"]
    assert backend.notifications("manager@acme.test", event["id"]) == []


def test_inactive_rule_does_not_run(scripted_backend: ScriptedBackend, send_event: Any) -> None:
    send_event(refund("1.00"))  # first event: default rules exist now
    Rule.objects.filter(organization_id=ACME, name=NO_SHOW_RULE).update(is_active=False)

    response = send_event(no_show())

    assert response.status_code == 200
    assert response.json()["runs"] == []
    assert scripted_backend.requests == []
    assert not Run.objects.filter(event_type="booking.no_show").exists()


def test_event_type_without_rules_is_accepted_and_recorded(backend: RealBackend, send_event: Any) -> None:
    event = no_show()
    event["type"] = "contact.created"
    response = send_event(event)
    assert response.json() == {"status": "accepted", "runs": []}
    assert ReceivedEvent.objects.filter(id=event["id"], type="contact.created").exists()


def _assert_rejected(response: Any, status: int, code: str) -> None:
    assert response.status_code == status, response.content
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == code
    assert ReceivedEvent.objects.count() == 0
    assert Run.objects.count() == 0


def test_wrong_secret_is_401(backend: RealBackend) -> None:
    _assert_rejected(deliver(*signed(no_show(), secret="someone-elses-secret")), 401, "invalid_signature")


def test_tampered_body_is_401(backend: RealBackend) -> None:
    event = no_show()
    body, headers = signed(event)
    tampered = body.replace(ACME.encode(), GLOBEX.encode())
    _assert_rejected(deliver(tampered, headers), 401, "invalid_signature")


def test_missing_signature_headers_is_401(backend: RealBackend) -> None:
    body, _ = signed(no_show())
    _assert_rejected(deliver(body, {}), 401, "invalid_signature")


def test_stale_timestamp_is_401(backend: RealBackend) -> None:
    old = datetime.now(tz=UTC) - timedelta(minutes=10)
    _assert_rejected(deliver(*signed(no_show(), timestamp=old)), 401, "invalid_signature")


def test_rotation_accepts_any_current_secret(backend: RealBackend, settings: Any) -> None:
    settings.WEBHOOK_SECRETS = ["new-rotated-secret-value", "dev-insecure-workflow-webhook-secret"]
    response = deliver(*signed(no_show(), secret="new-rotated-secret-value"))
    assert response.status_code == 200


def test_signed_but_malformed_json_is_400(backend: RealBackend) -> None:
    body = b'{"id": "not closed'
    headers = sign_headers(msg_id="msg_1", body=body, secrets=["dev-insecure-workflow-webhook-secret"])
    _assert_rejected(deliver(body, headers), 400, "malformed_json")


@pytest.mark.parametrize(
    "breakage",
    [
        {"version": 2},
        {"organization_id": "acme"},
        {"type": ""},
        {"subject": None},
        {"occurred_at": "yesterday"},
        {"data": []},
    ],
)
def test_signed_but_invalid_envelope_is_422(backend: RealBackend, breakage: dict[str, Any]) -> None:
    response = deliver(*signed({**no_show(), **breakage}))
    _assert_rejected(response, 422, "invalid_envelope")
    assert response.json()["errors"]


def test_webhook_id_must_be_the_envelope_id(backend: RealBackend) -> None:
    event = no_show()
    body = json.dumps(event).encode()
    headers = sign_headers(msg_id="another-id", body=body, secrets=["dev-insecure-workflow-webhook-secret"])
    _assert_rejected(deliver(body, headers), 422, "invalid_envelope")


def test_an_unknown_event_type_is_422(backend: RealBackend) -> None:
    response = deliver(*signed(envelope("booking.exploded")))
    _assert_rejected(response, 422, "invalid_envelope")
    assert [error["field"] for error in response.json()["errors"]] == ["type"]
    assert not ReceivedEvent.objects.exists()


def test_an_upper_case_webhook_id_is_the_same_event(backend: RealBackend, settings: Any) -> None:
    event = no_show()
    body, headers = signed(event)
    shouted = sign_headers(msg_id=event["id"].upper(), body=body, secrets=settings.WEBHOOK_SECRETS)
    assert deliver(body, shouted).json()["status"] == "accepted"
    assert deliver(body, headers).json() == {"status": "duplicate", "runs": []}
    assert ReceivedEvent.objects.get().id == uuid.UUID(event["id"])
    assert len(backend.notifications("manager@acme.test", event["id"])) == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_duplicates_run_the_rule_once(scripted_backend: ScriptedBackend) -> None:
    backend = scripted_backend
    for round_ in range(1, 4):  # three rounds, a new event each
        backend.requests.clear()
        # The first delivery holds its transaction open while the backend is slow.
        backend.script = [Reply(delay=0.5), Reply(delay=0.5)]
        body, headers = signed(no_show())
        send = functools.partial(deliver, body, headers)
        answers = all_at_once([send] * 2, finally_each=connections.close_all)  # a Client each
        assert sorted(answer.json()["status"] for answer in answers) == ["accepted", "duplicate"]
        assert len(backend.requests) == 1
        assert Run.objects.count() == round_
        assert ReceivedEvent.objects.count() == round_


def test_the_access_line_names_the_backend_as_the_verified_sender(
    backend: RealBackend, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="hubkit.access")
    event = no_show()
    body, headers = signed(event)
    assert deliver(body, headers).status_code == 200
    wrong = deliver(*signed(no_show(), secret="someone-elses-secret"))
    assert wrong.status_code == 401

    verified, refused = [r for r in caplog.records if r.name == "hubkit.access"]
    assert (vars(verified)["caller"], vars(verified)["organization_id"]) == ("sender:backend", ACME)
    assert vars(refused)["caller"] == "-"  # an unverified delivery names nobody
    logged = " ".join(f"{r.getMessage()} {vars(r)}" for r in caplog.records)
    assert headers["webhook-signature"] not in logged
    assert not any(secret in logged for secret in settings.WEBHOOK_SECRETS)
