"""Transactions' periodic work: telling others, once per invoice, that it became overdue."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from django.db import transaction
from django.utils import timezone

from apps.events.types import EventType
from apps.transactions.events import invoice_publish
from apps.transactions.models import OPEN_STATUSES, Invoice


def invoice_flag_overdue(*, now: datetime | None = None, limit: int = 500) -> int:
    """Publishes `invoice.overdue` for each open invoice whose due date passed where its organization is."""
    now = now or timezone.now()
    # Local dates run at most 14 hours ahead of UTC: nothing due after tomorrow (UTC) is late anywhere.
    latest_due = now.astimezone(UTC).date() + timedelta(days=1)
    flagged = 0
    with transaction.atomic():
        candidates = (
            Invoice.all_tenants.select_for_update(skip_locked=True, of=("self",))
            .select_related("organization")
            .filter(status__in=OPEN_STATUSES, overdue_notified_at__isnull=True, due_date__lt=latest_due)
            .order_by("due_date", "id")[:limit]
        )
        for invoice in candidates:
            if invoice.due_date >= now.astimezone(ZoneInfo(invoice.organization.timezone)).date():
                continue
            invoice.overdue_notified_at = now
            invoice.save(update_fields=["overdue_notified_at"])
            invoice_publish(invoice, EventType.INVOICE_OVERDUE, actor=None)
            flagged += 1
    return flagged
