"""Erasure: the in-app notifications that quote a contact keep nothing of what they said.

A notification a workflow rule raised about a contact (a no-show, say) names it in its title
("No-show: Jane Doe") or body, and names the contact in `data.contact_id`. When the contact is
erased, those notifications stay (who was notified, when, read or not) without their text.
"""

from __future__ import annotations

from apps.core.gdpr import register_erasure_step
from apps.core.models import Contact
from apps.notifications.models import Notification

ERASED_TITLE = "About an erased contact"


def _erase_notifications(contact: Contact) -> None:
    # Runs inside the erasure's transaction. Saved one by one, so each change is audited (title and
    # body are masked in audit entries, so the entries never held the text).
    quoting = (
        Notification.objects.for_organization(contact.organization)
        .select_for_update()
        .filter(data__contact_id=str(contact.id))
    )
    for notification in quoting:
        notification.title, notification.body = ERASED_TITLE, ""
        notification.save(update_fields=["title", "body"])


register_erasure_step("notifications", _erase_notifications)
