"""The reports as CSV tables: a header and rows (numbers as numbers, names as text), lazily."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

Table = tuple[list[str], Iterator[list[Any]]]
_MONEY = ("revenue_gross", "refunds", "revenue_net", "invoiced")


def _amount(money: dict[str, str]) -> Decimal:
    return Decimal(money["amount"])


def summary_table(summary: dict[str, Any]) -> Table:
    """One row per figure: metric, value, currency (for amounts)."""

    def rows() -> Iterator[list[Any]]:
        yield ["bookings_total", summary["bookings"]["total"], ""]
        for status, count in summary["bookings"]["by_status"].items():
            yield [f"bookings_{status}", count, ""]
        for name in (
            "booked_minutes",
            "available_minutes",
            "utilization",
            "no_show_rate",
            "cancellation_rate",
        ):
            value = summary[name]
            yield [name, Decimal(value) if isinstance(value, str) else value, ""]
        for name in (*_MONEY, "outstanding"):
            yield [name, _amount(summary[name]), summary[name]["currency"]]

    return ["metric", "value", "currency"], rows()


def revenue_table(items: Sequence[dict[str, Any]]) -> Table:
    def rows() -> Iterator[list[Any]]:
        for item in items:
            yield [
                item["bucket"].isoformat(),
                *(_amount(item[name]) for name in _MONEY),
                item["invoiced"]["currency"],
            ]

    return ["bucket", *_MONEY, "currency"], rows()


def utilization_table(items: Sequence[dict[str, Any]]) -> Table:
    def rows() -> Iterator[list[Any]]:
        for item in items:
            ratio = item["utilization"]
            yield [
                item["bucket"].isoformat(),
                item["resource_id"],
                item["resource_name"],
                item["booked_minutes"],
                item["available_minutes"],
                Decimal(ratio) if ratio is not None else None,
            ]

    return [
        "bucket",
        "resource_id",
        "resource_name",
        "booked_minutes",
        "available_minutes",
        "utilization",
    ], rows()


def bookings_table(items: Sequence[dict[str, Any]]) -> Table:
    def rows() -> Iterator[list[Any]]:
        for item in items:
            yield [item["bucket"].isoformat(), item["key"], item["label"], item["count"]]

    return ["bucket", "key", "label", "count"], rows()
