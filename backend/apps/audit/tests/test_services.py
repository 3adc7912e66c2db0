"""Audit entries written by the hub itself must read like the ones auditlog writes."""

from __future__ import annotations

import pytest
from auditlog.models import LogEntry
from django.db import transaction
from django.utils import timezone

from apps.audit.services import audit_bulk_created
from apps.events.models import Delivery, DeliveryAttempt
from apps.events.services import publish
from apps.events.tests.factories import contact_data
from hubkit.request_id import set_request_id
from tests.factories import acme

pytestmark = pytest.mark.django_db


def _attempt(delivery: Delivery) -> DeliveryAttempt:
    return DeliveryAttempt(
        organization=delivery.organization,
        delivery=delivery,
        number=1,
        started_at=timezone.now(),
        duration_ms=3.5,
        status_code=200,
        error="",
        outcome=DeliveryAttempt.Outcome.DELIVERED,
    )


def test_bulk_entries_match_what_auditlog_writes_for_a_save() -> None:
    with transaction.atomic():
        event = publish(
            organization=acme(),
            type="contact.created",
            subject_type="contact",
            subject_id="c-9",
            data=contact_data(),
            actor=None,
        )
    first, second = Delivery.all_tenants.filter(event=event).order_by("destination")

    set_request_id("corr-audit-0001")
    try:
        saved = _attempt(first)
        saved.save()  # auditlog's receiver writes this entry
    finally:
        set_request_id(None)
    [bulk] = DeliveryAttempt.all_tenants.bulk_create([_attempt(second)])
    [written] = audit_bulk_created([bulk], cids=["corr-audit-0001"])

    theirs = LogEntry.objects.get(object_pk=str(saved.pk))
    ours = LogEntry.objects.get(pk=written.pk)
    assert ours.object_pk == str(bulk.pk)
    for name in ("content_type_id", "action", "cid", "additional_data", "actor_id", "serialized_data"):
        assert getattr(ours, name) == getattr(theirs, name), name
    assert ours.object_repr == str(bulk)
    assert set(ours.changes_dict) == set(theirs.changes_dict)
    different = {"id", "delivery", "started_at"}
    assert {k: v for k, v in ours.changes_dict.items() if k not in different} == {
        k: v for k, v in theirs.changes_dict.items() if k not in different
    }
    assert ours.changes_dict["delivery"] == [None, str(second.pk)]
    assert theirs.changes_dict["delivery"] == [None, str(first.pk)]


def test_bulk_entries_need_one_correlation_id_per_row() -> None:
    with pytest.raises(ValueError, match="zip"):
        audit_bulk_created([], cids=["one-too-many"])
