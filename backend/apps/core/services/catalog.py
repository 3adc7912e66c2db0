"""Service catalog writes (the services an organization sells)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from apps.core.models import Service
from apps.core.money import InvalidMoney, Money
from apps.core.services.names import clean_name
from apps.identity.models import Organization
from apps.identity.tenancy import apply_changes, refresh_for_update
from hubkit.errors import ValidationFailed

# Model fields a PATCH may change (`price` arrives as a money object and becomes the two price fields).
_EDITABLE = (
    "name",
    "duration_minutes",
    "price_amount",
    "price_currency",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "capacity",
    "is_active",
)


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in fields.items() if k != "price"}
    if "name" in cleaned:
        cleaned["name"] = clean_name(cleaned["name"])
    if "price" in fields:
        price = fields["price"]
        try:
            money = Money.parse(price["amount"], price["currency"])
        except InvalidMoney as exc:
            raise ValidationFailed(
                "Invalid price.", errors=[{"field": f"price.{exc.field}", "message": str(exc)}]
            ) from exc
        cleaned["price_amount"], cleaned["price_currency"] = money.amount, money.currency
    return cleaned


def service_create(
    *,
    organization: Organization,
    name: str,
    duration_minutes: int,
    price: Mapping[str, str],
    buffer_before_minutes: int = 0,
    buffer_after_minutes: int = 0,
    capacity: int = 1,
    is_active: bool = True,
) -> Service:
    fields = _clean(
        {
            "name": name,
            "duration_minutes": duration_minutes,
            "price": price,
            "is_active": is_active,
            "buffer_before_minutes": buffer_before_minutes,
            "buffer_after_minutes": buffer_after_minutes,
            "capacity": capacity,
        }
    )
    with transaction.atomic():
        service: Service = Service.objects.for_organization(organization).create(**fields)
    return service


def service_update(*, service: Service, data: Mapping[str, Any]) -> Service:
    """Applies the given fields (a PATCH) to the locked row; no change means no write."""
    cleaned = _clean(data)
    with transaction.atomic():
        refresh_for_update(service)
        apply_changes(service, cleaned, editable=_EDITABLE)
    return service


def service_deactivate(*, service: Service) -> Service:
    """DELETE keeps the row (bookings and invoices refer to it) and takes it off the catalog."""
    return service_update(service=service, data={"is_active": False})
