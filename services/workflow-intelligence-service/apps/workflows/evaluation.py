"""Deciding whether a rule applies to an event, and wording its notification.

Templates use `string.Template` (`$contact_name`): it substitutes values and nothing else, so a
rule's text can never reach attributes or call anything. Placeholders are the event's data
flattened with underscores (`$booking_resource_name`, `$refund_amount_amount`) plus a few
friendly ones (`$contact_name`, `$amount`, `$service_name`, `$resource_name`).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from string import Template
from typing import Any

# Where the money amount of an event sits in its data, for `min_amount` conditions.
AMOUNT_PATHS: dict[str, tuple[str, ...]] = {
    "refund.created": ("refund", "amount"),
    "payment.succeeded": ("payment", "amount"),
    "invoice.issued": ("invoice", "total"),
}


@dataclass(frozen=True)
class Verdict:
    matches: bool
    reason: str


def _dig(data: Any, path: tuple[str, ...]) -> Any:
    for key in path:
        if not isinstance(data, dict):
            return None
        data = data.get(key)
    return data


def event_amount(*, event_type: str, data: dict[str, Any]) -> tuple[Decimal, str] | None:
    """The event's money amount and currency, if its type has one and it is well formed."""
    path = AMOUNT_PATHS.get(event_type)
    money = _dig(data, path) if path else None
    if not isinstance(money, dict):
        return None
    try:
        amount = Decimal(str(money.get("amount")))
    except InvalidOperation:
        return None
    if not amount.is_finite():
        return None
    return amount, str(money.get("currency", ""))


def condition_verdict(*, condition: dict[str, Any], event_type: str, data: dict[str, Any]) -> Verdict:
    """Whether the condition holds for this event; the reason is stored on a skipped run."""
    if condition.get("min_amount") is None:
        return Verdict(matches=True, reason="no condition")
    threshold = Decimal(str(condition["min_amount"]))
    found = event_amount(event_type=event_type, data=data)
    if found is None:
        return Verdict(matches=False, reason=f"condition min_amount {threshold}: the event carries no amount")
    amount, currency = found
    if amount < threshold:
        reason = f"condition min_amount {threshold}: amount {amount} {currency} is below"
        return Verdict(matches=False, reason=reason)
    return Verdict(matches=True, reason=f"amount {amount} {currency} is at least {threshold}")


def _flatten(data: dict[str, Any], prefix: str = "") -> dict[str, str]:
    flat: dict[str, str] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, prefix=name + "_"))
        elif value is not None and not isinstance(value, list):
            flat[name] = str(value)
    return flat


def _mapping(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key)
    return value if isinstance(value, dict) else {}


def template_context(*, event_type: str, data: dict[str, Any]) -> dict[str, str]:
    context = _flatten(data)
    contact = _mapping(data, "contact")
    name = " ".join(str(contact.get(k) or "") for k in ("first_name", "last_name")).strip()
    context["contact_name"] = name or "A contact"
    booking = _mapping(data, "booking")
    context["service_name"] = str(_mapping(booking, "service").get("name") or "an appointment")
    context["resource_name"] = str(_mapping(booking, "resource").get("name") or "")
    found = event_amount(event_type=event_type, data=data)
    if found is not None:
        context["amount"] = f"{found[0]} {found[1]}".strip()
    context["event_type"] = event_type
    return context


def render(template: str, context: dict[str, str], *, limit: int) -> str:
    """The text with known placeholders filled in (unknown ones stay as written), bounded."""
    return Template(template).safe_substitute(context)[:limit]
