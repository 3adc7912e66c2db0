"""The backend client against the real backend, and a scripted server for the faults it cannot make."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest

from apps.workflows.clients.backend import (
    BackendRejected,
    BackendUnavailable,
    NotificationRequest,
    get_backend_client,
    reset_backend_client,
)
from hubkit.testing import free_port
from tests.fixtures import ACME, RealBackend, Reply, ScriptedBackend

STAFF_ID = "0b0e0000-0000-4000-8000-000000000004"


def request(**changes: Any) -> NotificationRequest:
    """A request for Acme's managers with a dedupe key and event id of its own."""
    event_id = str(uuid.uuid4())
    base = NotificationRequest(
        organization_id=ACME,
        role="manager",
        category="booking",
        severity="warning",
        title="t",
        body="b",
        dedupe_key=f"workflow:{uuid.uuid4()}:{event_id}",
        data={"event_id": event_id},
    )
    return replace(base, **changes)


def test_created_returns_the_notification_ids(backend: RealBackend) -> None:
    sent = request()
    result = get_backend_client().notify(sent, request_id="req-12345678")
    [notification] = backend.notifications("manager@acme.test", sent.data["event_id"])
    assert (result.created, result.notification_ids, result.attempts) == (True, [notification["id"]], 1)
    assert (notification["title"], notification["body"], notification["severity"]) == ("t", "b", "warning")
    # The request id travelled: the backend's events of this send carry it.
    assert {e["correlation_id"] for e in backend.requested_events(sent.data["event_id"])} == {"req-12345678"}


def test_the_request_carries_the_contract_body_and_headers(scripted_backend: ScriptedBackend) -> None:
    sent = request()
    get_backend_client().notify(sent, request_id="req-12345678")
    [received] = scripted_backend.requests
    assert received.body == {
        "role": "manager",
        "category": "booking",
        "severity": "warning",
        "title": "t",
        "body": "b",
        "data": sent.data,
        "action_url": None,
        "dedupe_key": sent.dedupe_key,
    }
    assert received.headers["x-request-id"] == "req-12345678"
    assert received.headers["idempotency-key"] == sent.dedupe_key


def test_recipient_ids_replace_the_role(backend: RealBackend) -> None:
    sent = request(role=None, recipient_ids=[STAFF_ID])
    result = get_backend_client().notify(sent)
    assert [n["id"] for n in backend.notifications("staff@acme.test", sent.data["event_id"])] == (
        result.notification_ids
    )
    assert backend.notifications("manager@acme.test", sent.data["event_id"]) == []


def test_dedupe_hit_is_success_without_creation(backend: RealBackend) -> None:
    sent = request()
    first = get_backend_client().notify(sent)
    again = get_backend_client().notify(sent)
    assert (first.created, again.created) == (True, False)
    assert again.notification_ids == first.notification_ids
    assert len(backend.notifications("manager@acme.test", sent.data["event_id"])) == 1


def test_a_recipient_outside_the_organization_is_refused_for_good(backend: RealBackend) -> None:
    sent = request(role=None, recipient_ids=[str(uuid.uuid4())])
    with pytest.raises(BackendRejected, match="unknown_recipients"):
        get_backend_client().notify(sent)


@pytest.mark.parametrize("status", [500, 502, 503, 429, 409])
def test_server_errors_and_contention_are_transient(scripted_backend: ScriptedBackend, status: int) -> None:
    scripted_backend.script = [Reply(status=status)]
    with pytest.raises(BackendUnavailable) as caught:
        get_backend_client().notify(request())
    assert caught.value.status == status


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_client_errors_are_permanent(scripted_backend: ScriptedBackend, status: int) -> None:
    scripted_backend.script = [Reply(status=status, body={"code": "nope", "detail": "because"})]
    with pytest.raises(BackendRejected, match="nope: because"):
        get_backend_client().notify(request())


@pytest.mark.parametrize("body", [b"not json", {"items": "x"}, {"items": [{"no_id": 1}]}, ["a"]])
def test_success_outside_the_contract_is_rejected(scripted_backend: ScriptedBackend, body: object) -> None:
    scripted_backend.script = [Reply(status=201, body=body)]
    with pytest.raises(BackendRejected):
        get_backend_client().notify(request())


def test_timeout_is_transient(scripted_backend: ScriptedBackend) -> None:
    scripted_backend.script = [Reply(delay=1.5)]
    with pytest.raises(BackendUnavailable, match="timed out"):
        get_backend_client().notify(request())


def test_unreachable_backend_is_transient(scripted_backend: ScriptedBackend, settings: Any) -> None:
    settings.BACKEND_URL = f"http://127.0.0.1:{free_port()}"
    reset_backend_client()
    with pytest.raises(BackendUnavailable, match="unreachable"):
        get_backend_client().notify(request())


def test_401_twice_gives_up_after_one_retry_as_transient(scripted_backend: ScriptedBackend) -> None:
    scripted_backend.script = [Reply(status=401), Reply(status=401)]
    with pytest.raises(BackendUnavailable) as caught:
        get_backend_client().notify(request())
    assert caught.value.attempts == 2
    assert len(scripted_backend.requests) == 2


def test_identity_down_is_transient(scripted_backend: ScriptedBackend, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "TOKEN_URL": f"http://127.0.0.1:{free_port()}/oauth/token"}
    reset_backend_client()
    with pytest.raises(BackendUnavailable, match="no service token"):
        get_backend_client().notify(request())
    assert scripted_backend.requests == []
