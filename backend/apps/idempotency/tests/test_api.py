"""Idempotency-Key on create endpoints (same key and body replays, another body 422, in flight 409)."""

from __future__ import annotations

import functools
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from apps.core.models import Contact
from apps.idempotency.models import IdempotencyRecord
from apps.idempotency.services import idempotency_purge_expired, request_fingerprint
from conftest import LiveBackend
from hubkit.testing import IdentityService, all_at_once
from tests.factories import ACME_ID, GLOBEX_ID, ROLE_EMAILS, acme, client_as, globex
from tests.faults import rows_refused
from tests.test_concurrent_writes import ROUNDS, event_count, one_original

pytestmark = pytest.mark.django_db
ADA = {"first_name": "Ada", "email": "ada@example.com"}


def _post(client: Client, body: dict[str, Any], key: str | None) -> Any:
    headers = {"Idempotency-Key": key} if key is not None else {}
    return client.post("/api/v1/contacts", body, content_type="application/json", headers=headers)


def _contacts() -> int:
    return Contact.objects.for_organization(acme()).count()


def test_the_same_key_and_body_replays_the_first_response(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    first = _post(staff, ADA, "create-ada-1")
    second = _post(staff, ADA, "create-ada-1")
    assert first.status_code == second.status_code == 201
    assert second.json() == first.json()
    assert second["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first
    assert _contacts() == 1


def test_the_same_key_with_another_body_is_422(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    assert _post(staff, ADA, "k-2").status_code == 201
    reused = _post(staff, {"first_name": "Bob"}, "k-2")
    assert reused.status_code == 422
    assert reused.json()["code"] == "idempotency_key_reused"
    assert _contacts() == 1


def test_a_key_still_in_flight_is_409(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    subject = staff.get("/api/v1/me").json()["user"]["subject"]
    now = timezone.now()
    body = b'{"first_name": "Ada"}'
    IdempotencyRecord.objects.create(
        organization_id=ACME_ID,
        caller=subject,
        key="k-3",
        created_at=now,
        expires_at=now + timedelta(days=1),
        fingerprint=request_fingerprint(method="POST", path="/api/v1/contacts", body=body),
    )
    response = staff.post(
        "/api/v1/contacts",
        b'{"first_name": "Ada"}',
        content_type="application/json",
        HTTP_IDEMPOTENCY_KEY="k-3",
    )
    assert response.status_code == 409
    assert response.json()["code"] == "idempotency_key_in_use"
    assert response["Retry-After"] == "1"
    assert _contacts() == 0


def test_keys_are_scoped_per_caller(identity_service: IdentityService) -> None:
    assert _post(client_as(identity_service, ROLE_EMAILS["staff"]), ADA, "shared-key").status_code == 201
    other = _post(
        client_as(identity_service, ROLE_EMAILS["manager"]),
        {**ADA, "email": "ada2@example.com"},
        "shared-key",
    )
    assert other.status_code == 201
    assert "Idempotent-Replayed" not in other
    assert _contacts() == 2


def test_errors_are_replayed_too_but_server_failures_free_the_key(identity_service: IdentityService) -> None:
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    assert _post(staff, ADA, "k-5a").status_code == 201
    clash = _post(staff, ADA, "k-5b")  # same email: 409 contact_email_taken, stored as the outcome
    assert clash.status_code == 409
    assert _post(staff, ADA, "k-5b").json() == clash.json()
    with rows_refused(Contact, where="first_name = 'Cy'"):  # the database fails the insert
        failed = _post(staff, {"first_name": "Cy"}, "k-5c")
    assert (failed.status_code, failed["Content-Type"]) == (500, "application/problem+json")
    assert _contacts() == 1  # Ada alone: the failed write left nothing
    assert _post(staff, {"first_name": "Cy"}, "k-5c").status_code == 201  # the retry is processed


@pytest.mark.parametrize("key", ["", "x" * 256, "bad key\twith tab", "ключ"])
def test_malformed_keys_are_400(identity_service: IdentityService, key: str) -> None:
    response = _post(client_as(identity_service, ROLE_EMAILS["staff"]), ADA, key)
    assert response.status_code == 400
    assert response.json()["code"] == "idempotency_key_invalid"
    assert _contacts() == 0


def test_without_a_key_nothing_is_stored(identity_service: IdentityService) -> None:
    assert _post(client_as(identity_service, ROLE_EMAILS["staff"]), ADA, None).status_code == 201
    assert IdempotencyRecord.objects.count() == 0


@pytest.mark.xdist_group("live")
def test_concurrent_requests_with_one_key_create_once(live_backend: LiveBackend) -> None:
    staff = live_backend.api(ROLE_EMAILS["staff"])
    for _ in range(ROUNDS):  # a fresh key and body each round
        marker = uuid.uuid4().hex
        key = {"Idempotency-Key": f"race-{marker}"}
        body = {"first_name": "Ada", "last_name": marker}
        send = functools.partial(staff.post, "/contacts", json=body, headers=key)
        answers = all_at_once([send] * 10)

        assert len(answers) == 10
        original = one_original(answers)
        contact = original.json()
        # Once the original completed, a second wave at once gets replays only: the same status,
        # `Idempotent-Replayed: true` and the original's bytes, and creates nothing more.
        for again in all_at_once([send] * 5):
            replayed = (again.status_code, again.headers.get("Idempotent-Replayed"), again.content)
            assert replayed == (201, "true", original.content)
        assert live_backend.query("SELECT id FROM core_contact WHERE last_name = %s", marker) == [
            (uuid.UUID(contact["id"]),)
        ]
        assert event_count(live_backend, "contact.created", contact["id"]) == 1


def test_a_stale_claim_is_taken_over_after_its_window(
    identity_service: IdentityService, settings: Any
) -> None:
    """A first attempt that died mid-way (its record still in progress) no longer blocks its key."""
    staff = client_as(identity_service, ROLE_EMAILS["staff"])
    subject = staff.get("/api/v1/me").json()["user"]["subject"]
    body = b'{"first_name": "Ada"}'
    now = timezone.now()
    window = timedelta(seconds=settings.IDEMPOTENCY_IN_PROGRESS_SECONDS)
    records = {}
    for key, age in [("k-fresh", window - timedelta(seconds=5)), ("k-stale", window + timedelta(seconds=1))]:
        records[key] = IdempotencyRecord.objects.create(
            organization_id=ACME_ID,
            caller=subject,
            key=key,
            created_at=now - age,
            expires_at=now + timedelta(days=1),
            fingerprint=request_fingerprint(method="POST", path="/api/v1/contacts", body=body),
        )

    def post(key: str) -> Any:
        return staff.post("/api/v1/contacts", body, content_type="application/json", HTTP_IDEMPOTENCY_KEY=key)

    assert post("k-fresh").json()["code"] == "idempotency_key_in_use"
    taken_over = post("k-stale")
    assert taken_over.status_code == 201, taken_over.content
    assert "Idempotent-Replayed" not in taken_over
    assert _contacts() == 1
    record = IdempotencyRecord.objects.get(pk=records["k-stale"].pk)
    assert (record.state, record.response_status) == (IdempotencyRecord.State.COMPLETED, 201)
    assert record.created_at > now - timedelta(seconds=5)
    replay = post("k-stale")
    assert (replay.status_code, replay["Idempotent-Replayed"]) == (201, "true")
    assert replay.content == taken_over.content
    assert _contacts() == 1


def test_the_same_key_in_two_organizations_creates_two_objects(identity_service: IdentityService) -> None:
    """One caller (a member of both), one key, one body: each organization gets its own contact."""
    answers = [
        _post(client_as(identity_service, "both@hub.test", organization), ADA, "per-org-key")
        for organization in (ACME_ID, GLOBEX_ID)
    ]
    assert [a.status_code for a in answers] == [201, 201]
    assert ["Idempotent-Replayed" in a for a in answers] == [False, False]
    assert answers[0].json()["id"] != answers[1].json()["id"]
    assert _contacts() == 1
    assert Contact.objects.for_organization(globex()).count() == 1
    assert IdempotencyRecord.objects.filter(key="per-org-key").count() == 2


def test_expired_records_are_purged() -> None:
    now = timezone.now()
    for key, expires in [("old", now - timedelta(seconds=1)), ("fresh", now + timedelta(hours=1))]:
        IdempotencyRecord.objects.create(
            organization_id=ACME_ID, caller="c", key=key, fingerprint="f", created_at=now, expires_at=expires
        )
    assert idempotency_purge_expired() == 1
    assert list(IdempotencyRecord.objects.values_list("key", flat=True)) == ["fresh"]
