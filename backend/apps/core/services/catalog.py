"""Service catalog writes (the services an organization sells)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import transaction

from apps.core.models import Service
from apps.core.money import InvalidMoney, Money
from apps.identity.models import Organization
from hubkit.errors import ValidationFailed

_EDITABLE = (
    "name",
    "duration_minutes",
    "price",
    "buffer_before_minutes",
    "buffer_after_minutes",
    "is_active",
)


def _clean(fields: Mapping[str, Any]) -> dict[str, Any]:
    cleaned = {k: v for k, v in fields.items() if k != "price"}
    if "name" in cleaned:
        cleaned["name"] = " ".join(str(cleaned["name"]).split())
        if not cleaned["name"]:
            raise ValidationFailed(
                "Invalid name.", errors=[{"field": "name", "message": "Must not be blank."}]
            )
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
    is_active: bool = True,
) -> Service:
    fields = _clean(
        {"name": name, "duration_minutes": duration_minutes, "price": price, "is_active": is_active,
         "buffer_before_minutes": buffer_before_minutes, "buffer_after_minutes": buffer_after_minutes}
    )  # fmt: skip
    with transaction.atomic():
        service: Service = Service.objects.for_organization(organization).create(**fields)
    return service


def service_update(*, service: Service, data: Mapping[str, Any]) -> Service:
    unknown = set(data) - set(_EDITABLE)
    if unknown:
        raise ValueError(f"not editable: {sorted(unknown)}")
    cleaned = _clean(data)
    changed = [name for name, value in cleaned.items() if getattr(service, name) != value]
    if changed:
        with transaction.atomic():
            for name in changed:
                setattr(service, name, cleaned[name])
            service.save(update_fields=[*changed, "updated_at"])
    return service


def service_deactivate(*, service: Service) -> Service:
    """DELETE keeps the row (bookings and invoices refer to it) and takes it off the catalog."""
    return service_update(service=service, data={"is_active": False})
