"""Invoice arithmetic, pure: the rounding rule every total follows.

Per line: net = quantity x unit price, rounded half up (away from zero) to the currency's minor
unit; tax = net x rate / 100, rounded the same way; the line's total = net + tax. An invoice's net,
tax and total are the sums of its lines' (no rounding after the sum), so the lines printed on the
invoice always add up to its totals.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from apps.core.money import round_to_minor_unit

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class Amounts:
    net: Decimal
    tax: Decimal
    total: Decimal


def line_amounts(*, quantity: Decimal, unit_price: Decimal, tax_rate: Decimal, currency: str) -> Amounts:
    net = round_to_minor_unit(quantity * unit_price, currency)
    tax = round_to_minor_unit(net * tax_rate / HUNDRED, currency)
    return Amounts(net=net, tax=tax, total=net + tax)


def invoice_amounts(lines: Iterable[Amounts], currency: str) -> Amounts:
    net = tax = round_to_minor_unit(Decimal(0), currency)
    for line in lines:
        net += line.net
        tax += line.tax
    return Amounts(net=net, tax=tax, total=net + tax)
