"""The backend client against a real HTTP server speaking the notifications contract."""

from __future__ import annotations

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
from tests.fixtures import ACME, FakeBackend, Reply

REQUEST = NotificationRequest(
    organization_id=ACME,
    role="manager",
    category="booking",
    severity="warning",
    title="t",
    body="b",
    dedupe_key="workflow:r:e",
    data={"event_id": "e"},
)


def test_created_returns_the_notification_ids(backend: FakeBackend) -> None:
    backend.script = [Reply(status=201, body={"items": [{"id": "n1"}, {"id": "n2"}]})]
    result = get_backend_client().notify(REQUEST, request_id="req-12345678")
    assert (result.created, result.notification_ids, result.attempts) == (True, ["n1", "n2"], 1)
    sent = backend.requests[0]
    assert sent.body == {
        "role": "manager",
        "category": "booking",
        "severity": "warning",
        "title": "t",
        "body": "b",
        "data": {"event_id": "e"},
        "action_url": None,
        "dedupe_key": "workflow:r:e",
    }
    assert sent.headers["x-request-id"] == "req-12345678"


def test_recipient_ids_replace_the_role(backend: FakeBackend) -> None:
    request = NotificationRequest(**{**REQUEST.__dict__, "role": None, "recipient_ids": ["u1"]})
    get_backend_client().notify(request)
    assert backend.requests[0].body["recipient_ids"] == ["u1"]
    assert "role" not in backend.requests[0].body


def test_dedupe_hit_is_success_without_creation(backend: FakeBackend) -> None:
    backend.script = [Reply(status=200, body={"items": []})]
    result = get_backend_client().notify(REQUEST)
    assert (result.created, result.notification_ids) == (False, [])


@pytest.mark.parametrize("status", [500, 502, 503, 429, 409])
def test_server_errors_and_contention_are_transient(backend: FakeBackend, status: int) -> None:
    backend.script = [Reply(status=status)]
    with pytest.raises(BackendUnavailable) as caught:
        get_backend_client().notify(REQUEST)
    assert caught.value.status == status


@pytest.mark.parametrize("status", [400, 403, 404, 422])
def test_client_errors_are_permanent(backend: FakeBackend, status: int) -> None:
    backend.script = [Reply(status=status, body={"code": "nope", "detail": "because"})]
    with pytest.raises(BackendRejected, match="nope: because"):
        get_backend_client().notify(REQUEST)


@pytest.mark.parametrize("body", [b"not json", {"items": "x"}, {"items": [{"no_id": 1}]}, ["a"]])
def test_success_outside_the_contract_is_rejected(backend: FakeBackend, body: object) -> None:
    backend.script = [Reply(status=201, body=body)]
    with pytest.raises(BackendRejected):
        get_backend_client().notify(REQUEST)


def test_timeout_is_transient(backend: FakeBackend) -> None:
    backend.script = [Reply(delay=1.5)]
    with pytest.raises(BackendUnavailable, match="timed out"):
        get_backend_client().notify(REQUEST)


def test_unreachable_backend_is_transient(backend: FakeBackend, settings: Any) -> None:
    settings.BACKEND_URL = f"http://127.0.0.1:{free_port()}"
    reset_backend_client()
    with pytest.raises(BackendUnavailable, match="unreachable"):
        get_backend_client().notify(REQUEST)


def test_401_twice_gives_up_after_one_retry_as_transient(backend: FakeBackend) -> None:
    backend.script = [Reply(status=401), Reply(status=401)]
    with pytest.raises(BackendUnavailable) as caught:
        get_backend_client().notify(REQUEST)
    assert caught.value.attempts == 2
    assert len(backend.requests) == 2


def test_identity_down_is_transient(backend: FakeBackend, settings: Any) -> None:
    settings.IDENTITY = {**settings.IDENTITY, "TOKEN_URL": f"http://127.0.0.1:{free_port()}/oauth/token"}
    reset_backend_client()
    with pytest.raises(BackendUnavailable, match="no service token"):
        get_backend_client().notify(REQUEST)
    assert backend.requests == []
