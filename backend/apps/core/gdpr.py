"""GDPR per contact: apps plug in what they hold (export) and how to forget it (erasure).

An app holding data about a contact registers, once at import time (e.g. from its AppConfig.ready):
    register_export_section("bookings", lambda contact: [...])
    register_erasure_step("bookings", lambda contact: ...)   # runs inside the erasure's transaction
Money records are kept on erasure (legal retention); steps anonymise, they do not delete.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from apps.audit.selectors import audit_entries_of_object
from apps.core.models import Contact

ExportSection = Callable[[Contact], Any]
ErasureStep = Callable[[Contact], None]

_export_sections: dict[str, ExportSection] = {}
_erasure_steps: dict[str, ErasureStep] = {}


def register_export_section(name: str, section: ExportSection) -> None:
    if _export_sections.get(name, section) is not section:
        raise ValueError(f"export section {name!r} is already registered")
    _export_sections[name] = section


def register_erasure_step(name: str, step: ErasureStep) -> None:
    if _erasure_steps.get(name, step) is not step:
        raise ValueError(f"erasure step {name!r} is already registered")
    _erasure_steps[name] = step


def export_sections() -> dict[str, ExportSection]:
    return dict(_export_sections)


def erasure_steps() -> dict[str, ErasureStep]:
    return dict(_erasure_steps)


def _contact_section(contact: Contact) -> dict[str, Any]:
    return {
        "id": str(contact.id),
        "first_name": contact.first_name,
        "last_name": contact.last_name,
        "email": contact.email or None,
        "phone": contact.phone or None,
        "notes": contact.notes,
        "tags": list(contact.tags),
        "archived_at": contact.archived_at,
        "erased_at": contact.erased_at,
        "created_at": contact.created_at,
        "updated_at": contact.updated_at,
    }


def _audit_section(contact: Contact) -> list[dict[str, Any]]:
    # Who changed what and when; staff are named by id only (their own details are not the subject's).
    return [
        {
            "timestamp": entry.timestamp,
            "action": entry.get_action_display(),
            "changes": entry.changes or {},
            "actor_id": str(entry.actor_id) if entry.actor_id else None,
        }
        for entry in audit_entries_of_object(
            organization=contact.organization, model_label="core.Contact", object_pk=str(contact.pk)
        )
    ]


register_export_section("contact", _contact_section)
register_export_section("audit", _audit_section)
