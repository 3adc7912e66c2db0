"""A contact's erasure leaves the notifications that quoted it without their text."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry

from apps.core.services.contacts import contact_erase
from apps.notifications.gdpr import ERASED_TITLE
from apps.notifications.models import Notification
from apps.notifications.tests.factories import make_notification
from tests.factories import acme, make_contact

pytestmark = pytest.mark.django_db


def test_erasure_blanks_the_notifications_that_quote_the_contact() -> None:
    org = acme()
    contact = make_contact(first_name="Zelda", last_name="Quux")
    other = make_contact(first_name="Otto")
    quoting = make_notification(
        title="No-show: Zelda Quux", body="Zelda Quux did not come.", data={"contact_id": str(contact.id)}
    )
    unrelated = make_notification(
        title="No-show: Otto", body="Otto did not come.", data={"contact_id": str(other.id)}
    )
    general = make_notification(title="Large refund: 900.00 EUR", data={})

    contact_erase(contact=contact, actor=None)

    rows = {n.id: n for n in Notification.objects.for_organization(org)}
    assert (rows[quoting.id].title, rows[quoting.id].body) == (ERASED_TITLE, "")
    assert rows[quoting.id].data == {"contact_id": str(contact.id)}  # who was notified about what stays
    assert (rows[unrelated.id].title, rows[unrelated.id].body) == ("No-show: Otto", "Otto did not come.")
    assert rows[general.id].title == "Large refund: 900.00 EUR"
    # The change is audited, its values masked: no entry about the notification holds the name.
    entries = LogEntry.objects.filter(object_pk=str(quoting.id))
    assert entries.count() == 2
    assert "zelda" not in repr([(e.changes, e.changes_text, e.object_repr) for e in entries]).lower()
