"""Events and runs at rest: a dump of this service's database holds none of a contact's data in clear,
the model and the API answer it decrypted, and the key rotation command re-seals it."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import override_settings

from apps.workflows.models import ReceivedEvent, Run
from hubkit.encryption.keys import key_id_of
from hubkit.testing import IdentityService, database_dump
from tests.fixtures import Reply, ScriptedBackend, bearer, no_show

pytestmark = pytest.mark.django_db(transaction=True)

EMAIL = "dumpy.person@example.org"
PHONE = "+4930901820"
FIRST, LAST = "Dumpinella", "Leakproof"
# The backend's refusal quotes the title rendered from the event: the run's detail keeps it.
REFUSAL = {"code": "validation_error", "detail": f"title '{FIRST} {LAST} did not show up' is refused"}
NEW_KEY = "rotated-1:" + "cm90YXRlZC13b3JrZmxvdy1maWVsZC1rZXktMTIzNDU="


def _process_a_no_show_of_the_contact(scripted_backend: ScriptedBackend, send_event: Any) -> dict[str, Any]:
    scripted_backend.script = [Reply(status=422, body=REFUSAL)]
    event = no_show()
    event["data"]["contact"] |= {"first_name": FIRST, "last_name": LAST, "email": EMAIL, "phone": PHONE}
    response = send_event(event)
    assert response.status_code == 200, response.content
    assert [r["status"] for r in response.json()["runs"]] == ["failed"]
    return event


def _raw_values() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT envelope FROM workflows_receivedevent UNION ALL SELECT detail FROM workflows_run"
        )
        return [row[0] for row in cursor.fetchall()]


def test_a_dump_holds_none_of_the_contacts_data_and_the_api_answers_it(
    scripted_backend: ScriptedBackend, send_event: Any, identity_service: IdentityService
) -> None:
    event = _process_a_no_show_of_the_contact(scripted_backend, send_event)

    dump = database_dump(connection.settings_dict)
    assert "booking.no_show" in dump  # the dump holds the rows: a clear value would be found
    assert [value for value in (EMAIL, PHONE, FIRST, LAST) if value in dump] == []
    assert [key_id_of(value) for value in _raw_values()] == ["dev-insecure-workflow-2"] * 2

    assert ReceivedEvent.objects.get(id=event["id"]).envelope["data"]["contact"]["email"] == EMAIL
    runs = bearer(identity_service.token("admin@acme.test")).get("/api/v1/runs")
    assert runs.status_code == 200, runs.content
    [run] = runs.json()["items"]
    assert run["detail"] == f"backend answered 422: validation_error: {REFUSAL['detail']}"


def test_the_rotation_command_reseals_events_and_runs_with_the_new_key(
    scripted_backend: ScriptedBackend, send_event: Any
) -> None:
    event = _process_a_no_show_of_the_contact(scripted_backend, send_event)
    with override_settings(FIELD_ENCRYPTION_KEYS=f"{NEW_KEY},{settings.FIELD_ENCRYPTION_KEYS}"):
        out = StringIO()
        call_command("rotate_encryption_keys", "--no-progress", stdout=out)
        assert "workflows.ReceivedEvent: 1 rows, 1 re-encrypted with rotated-1" in out.getvalue()
        assert "workflows.Run: 1 rows, 1 re-encrypted with rotated-1, 0 left" in out.getvalue()
        assert {key_id_of(value) for value in _raw_values()} == {"rotated-1"}
    with override_settings(FIELD_ENCRYPTION_KEYS=NEW_KEY):  # the old keys can go
        assert ReceivedEvent.objects.get(id=event["id"]).envelope["data"]["contact"]["phone"] == PHONE
        assert FIRST in Run.objects.get().detail
