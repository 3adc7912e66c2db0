"""`contact.erased`: the organization's kept events and runs about that contact lose their data."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import pytest
from django.db import connection

from apps.workflows.models import ReceivedEvent, Run
from tests.fixtures import ACME, GLOBEX, Reply, ScriptedBackend, envelope, no_show

pytestmark = pytest.mark.django_db

NAME = "Ada Lovelace"
# The backend's refusal quotes the title rendered from the event: the run's detail keeps the name.
REFUSAL = {"code": "validation_error", "detail": f"title 'No-show: {NAME}' is refused"}


def _no_show_of(contact_id: uuid.UUID, send_event: Any, *, organization_id: str = ACME) -> dict[str, Any]:
    event = no_show(organization_id=organization_id)
    event["data"]["contact"]["id"] = str(contact_id)
    response = send_event(event)
    assert response.status_code == 200, response.content
    assert len(response.json()["runs"]) == 1
    return event


def _erasure_of(contact_id: uuid.UUID) -> dict[str, Any]:
    event = envelope("contact.erased", contact_id=str(contact_id), erased_at=datetime.now(tz=UTC).isoformat())
    event["subject"]["id"] = str(contact_id)
    return event


def _raw_envelope(event_id: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute("SELECT envelope FROM workflows_receivedevent WHERE id = %s", [event_id])
        return str(cursor.fetchone()[0])


def test_events_and_runs_record_the_contact_they_are_about(
    scripted_backend: ScriptedBackend, send_event: Any
) -> None:
    contact = uuid.uuid4()
    event = _no_show_of(contact, send_event)
    assert ReceivedEvent.objects.get(id=event["id"]).contact_id == contact
    assert Run.objects.get(event_id=event["id"]).contact_id == contact
    other = envelope("invoice.voided", invoice={"id": str(uuid.uuid4())})  # names no contact
    assert send_event(other).status_code == 200
    assert ReceivedEvent.objects.get(id=other["id"]).contact_id is None


def test_an_erasure_blanks_that_contacts_events_and_runs_in_its_organization_only(
    scripted_backend: ScriptedBackend, send_event: Any
) -> None:
    erased, other = uuid.uuid4(), uuid.uuid4()
    scripted_backend.script = [Reply(status=422, body=REFUSAL)]
    theirs = _no_show_of(erased, send_event)
    kept = [
        _no_show_of(other, send_event),
        _no_show_of(erased, send_event, organization_id=GLOBEX),  # the same id elsewhere is not theirs
    ]
    assert Run.objects.get(event_id=theirs["id"]).detail.count(NAME) == 1
    erasure = _erasure_of(erased)
    calls = len(scripted_backend.requests)

    response = send_event(erasure)

    assert response.status_code == 200, response.content
    assert response.json() == {"status": "accepted", "runs": []}
    assert len(scripted_backend.requests) == calls  # no action of its own
    assert ReceivedEvent.objects.get(id=theirs["id"]).envelope == {}
    assert _raw_envelope(theirs["id"]) == "{}"  # the plain blank of the retention purge, not sealed
    run = Run.objects.get(event_id=theirs["id"])
    assert (run.status, run.detail, run.attempts) == ("failed", "", 1)
    for event in kept:
        assert ReceivedEvent.objects.get(id=event["id"]).envelope["data"] == event["data"]
        assert Run.objects.get(event_id=event["id"]).detail.endswith("notification(s) created")
    # The erasure's own record holds ids and a time, nothing of the person: it stays as delivered.
    stored = ReceivedEvent.objects.get(id=erasure["id"])
    assert stored.envelope["data"] == erasure["data"]
    assert set(stored.envelope["data"]) == {"contact_id", "erased_at"}
    assert stored.contact_id == erased


def test_a_redelivered_erasure_is_a_duplicate(scripted_backend: ScriptedBackend, send_event: Any) -> None:
    contact = uuid.uuid4()
    erasure = _erasure_of(contact)
    assert send_event(erasure).json() == {"status": "accepted", "runs": []}
    later = _no_show_of(contact, send_event)

    again = send_event(erasure)

    assert again.status_code == 200
    assert again.json() == {"status": "duplicate", "runs": []}
    assert ReceivedEvent.objects.filter(type="contact.erased").count() == 1
    # The duplicate blanked nothing again: an event received after the erasure keeps its envelope.
    assert ReceivedEvent.objects.get(id=later["id"]).envelope["data"] == later["data"]
