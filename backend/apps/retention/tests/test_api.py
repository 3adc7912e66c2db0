"""GET and PATCH /retention/settings: admins only, bounded, audited."""

from collections.abc import Callable

import pytest
from auditlog.models import LogEntry
from django.test import Client

from apps.retention.models import RetentionSettings
from tests.factories import acme, send

pytestmark = pytest.mark.django_db

DEFAULTS = {"events_days": 30, "notifications_days": 180, "audit_days": 1095, "access_log_days": 365}


def test_admins_read_the_defaults_and_others_may_not(as_role: Callable[[str], Client]) -> None:
    assert send(as_role("admin"), "GET", "/retention/settings").json() == DEFAULTS
    assert send(as_role("owner"), "GET", "/retention/settings").json() == DEFAULTS
    for role in ("viewer", "staff", "manager"):
        assert send(as_role(role), "GET", "/retention/settings").status_code == 403
        assert send(as_role(role), "PATCH", "/retention/settings", {"events_days": 60}).status_code == 403
    assert send(Client(), "GET", "/retention/settings").status_code == 401
    assert not RetentionSettings.objects.for_organization(acme()).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"events_days": 6},
        {"events_days": 366},
        {"notifications_days": 29},
        {"audit_days": 364},
        {"audit_days": 3651},
        {"access_log_days": 89},
        {"events_days": None},
        {"keep_forever": True},
    ],
)
def test_bad_periods_are_422_problems(as_role: Callable[[str], Client], body: dict[str, object]) -> None:
    answer = send(as_role("admin"), "PATCH", "/retention/settings", body)
    assert (answer.status_code, answer["Content-Type"]) == (422, "application/problem+json")
    assert not RetentionSettings.objects.for_organization(acme()).exists()


def test_a_change_is_kept_audited_and_leaves_the_rest(as_role: Callable[[str], Client]) -> None:
    answer = send(as_role("admin"), "PATCH", "/retention/settings", {"events_days": 7, "audit_days": 3650})

    assert answer.status_code == 200
    assert answer.json() == {**DEFAULTS, "events_days": 7, "audit_days": 3650}
    assert send(as_role("owner"), "GET", "/retention/settings").json() == answer.json()
    settings = RetentionSettings.objects.for_organization(acme()).get()
    entries = LogEntry.objects.get_for_object(settings)
    assert [e.action for e in entries] == [LogEntry.Action.UPDATE, LogEntry.Action.CREATE]
    assert entries[0].changes["events_days"] == [30, 7]
    assert entries[0].actor is not None
    assert entries[0].additional_data["organization_id"] == str(acme().id)
