"""The organization's billing settings (currency, invoice numbering, terms, default tax rate)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.db import transaction

from apps.core.money import ISO_4217_CODES
from apps.identity.models import Organization
from apps.identity.tenancy import apply_changes, refresh_for_update
from apps.transactions.models import BillingSettings
from hubkit.errors import ValidationFailed

_EDITABLE = ("currency", "invoice_prefix", "payment_terms_days", "default_tax_rate")


def billing_settings_update(*, organization: Organization, data: Mapping[str, Any]) -> BillingSettings:
    """Applies the given fields (a PATCH) to the organization's row, made on first change."""
    currency = data.get("currency")
    if currency is not None and currency not in ISO_4217_CODES:
        raise ValidationFailed(
            "Unknown currency.", errors=[{"field": "currency", "message": "Not an ISO 4217 currency code."}]
        )
    changes = dict(data)
    if "default_tax_rate" in changes:
        changes["default_tax_rate"] = Decimal(changes["default_tax_rate"])
        if changes["default_tax_rate"] > 100:
            raise ValidationFailed(
                "Invalid tax rate.", errors=[{"field": "default_tax_rate", "message": "At most 100."}]
            )
    with transaction.atomic():
        settings: BillingSettings
        settings, _ = BillingSettings.objects.for_organization(organization).get_or_create()
        refresh_for_update(settings)
        apply_changes(settings, changes, editable=_EDITABLE)
    return settings
