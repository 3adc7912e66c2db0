"""Money writes racing each other over real HTTP: payments, refunds and invoice numbers.

Every count comes from the served backend's own database, with SQL that does not use the code
under test; the ledger is checked the same way (each transaction's entries sum to zero).
"""

from __future__ import annotations

import functools
import uuid
from collections import Counter
from decimal import Decimal
from typing import Any

import httpx
import pytest

from conftest import LiveBackend
from hubkit.testing import all_at_once
from tests.test_concurrent_writes import event_count, one_original

pytestmark = pytest.mark.xdist_group("live")

CLIENTS = 20


def _eur(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def _key() -> dict[str, str]:
    return {"Idempotency-Key": uuid.uuid4().hex}


def _contact(client: httpx.Client) -> str:
    marker = uuid.uuid4().hex[:8]
    created = client.post("/contacts", json={"first_name": "Payer", "last_name": marker})
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _draft(client: httpx.Client, contact_id: str, total: str) -> str:
    """A draft invoice of one line, untaxed, for `total` EUR."""
    body = {
        "contact_id": contact_id,
        "currency": "EUR",
        "lines": [{"description": "Treatment", "quantity": "1", "unit_price": total, "tax_rate": "0"}],
    }
    created = client.post("/invoices", json=body)
    assert created.status_code == 201, created.text
    return str(created.json()["id"])


def _issued(client: httpx.Client, contact_id: str, total: str) -> str:
    invoice_id = _draft(client, contact_id, total)
    issued = client.post(f"/invoices/{invoice_id}/issue")
    assert issued.status_code == 200, issued.text
    assert issued.json()["total"] == _eur(total)
    return invoice_id


def _pay(client: httpx.Client, body: dict[str, Any], headers: dict[str, str]) -> Any:
    return functools.partial(client.post, "/payments", json=body, headers=headers)


def _statuses(answers: list[httpx.Response]) -> Counter[int]:
    return Counter(a.status_code for a in answers)


def _codes(answers: list[httpx.Response], status: int) -> set[str]:
    return {a.json()["code"] for a in answers if a.status_code == status}


def _unbalanced_transactions(live: LiveBackend) -> list[tuple[Any, ...]]:
    """Ledger transactions whose entries do not sum to zero in some currency (none, ever)."""
    return live.query(
        "SELECT transaction_id, currency, sum(amount) FROM transactions_ledgerentry"
        " GROUP BY transaction_id, currency HAVING sum(amount) <> 0"
    )


def _one(live: LiveBackend, sql: str, *params: Any) -> Any:
    [(value,)] = live.query(sql, *params)
    return value


def test_twenty_identical_payments_with_one_key_pay_once(live_backend: LiveBackend) -> None:
    manager = live_backend.api("manager@acme.test")
    contact_id = _contact(manager)
    invoice_id = _issued(manager, contact_id, "100.00")
    body = {"contact_id": contact_id, "invoice_id": invoice_id, "amount": _eur("40.00"), "method": "card"}
    key = _key()
    answers = all_at_once([_pay(manager, body, key) for _ in range(CLIENTS)])

    assert len(answers) == CLIENTS
    original = one_original(answers)
    payment = original.json()
    # Once the first request is done, the key replays that same answer to anyone who retries.
    again = manager.post("/payments", json=body, headers=key)
    assert (again.status_code, again.headers.get("Idempotent-Replayed")) == (201, "true")
    assert again.content == original.content
    assert event_count(live_backend, "payment.succeeded", payment["id"]) == 1

    assert (
        _one(live_backend, "SELECT count(*) FROM transactions_payment WHERE invoice_id = %s", invoice_id) == 1
    )
    assert (
        _one(
            live_backend,
            "SELECT count(*) FROM transactions_ledgertransaction WHERE payment_id = %s AND kind = 'payment'",
            payment["id"],
        )
        == 1
    )
    invoice = manager.get(f"/invoices/{invoice_id}").json()
    assert (invoice["status"], invoice["amount_paid"], invoice["amount_due"]) == (
        "partially_paid",
        _eur("40.00"),
        _eur("60.00"),
    )
    assert _unbalanced_transactions(live_backend) == []


def test_concurrent_refunds_never_exceed_the_payment(live_backend: LiveBackend) -> None:
    manager = live_backend.api("manager@acme.test")
    contact_id = _contact(manager)
    paid = manager.post(
        "/payments",
        json={"contact_id": contact_id, "amount": _eur("100.00"), "method": "transfer"},
        headers=_key(),
    )
    assert paid.status_code == 201, paid.text
    payment_id = paid.json()["id"]
    path = f"/payments/{payment_id}/refunds"
    body = {"amount": _eur("7.00"), "reason": "Goodwill"}
    answers = all_at_once(
        [functools.partial(manager.post, path, json=body, headers=_key()) for _ in range(CLIENTS)]
    )

    # 14 x 7.00 fit into 100.00, a 15th does not: every refund that fits is made, no other.
    assert _statuses(answers) == {201: 14, 409: CLIENTS - 14}, [a.text for a in answers]
    assert _codes(answers, 409) == {"refund_exceeds_payment"}
    refunded = _one(
        live_backend,
        "SELECT coalesce(sum(amount), 0) FROM transactions_refund WHERE payment_id = %s",
        payment_id,
    )
    assert refunded == 14 * Decimal("7.00")
    assert refunded <= Decimal("100.00")
    assert (
        _one(
            live_backend,
            "SELECT count(*) FROM transactions_ledgertransaction t JOIN transactions_refund r"
            " ON t.refund_id = r.id WHERE r.payment_id = %s AND t.kind = 'refund'",
            payment_id,
        )
        == 14
    )
    payment = manager.get(f"/payments/{payment_id}").json()
    assert (payment["amount_refunded"], payment["refundable"]) == (_eur("98.00"), _eur("2.00"))
    assert _unbalanced_transactions(live_backend) == []


def test_concurrent_issues_number_invoices_without_gaps(live_backend: LiveBackend) -> None:
    # Globex: no other test issues its invoices, so its numbering starts here.
    owner = live_backend.api("owner@globex.test")
    settings = owner.get("/billing/settings")
    assert settings.status_code == 200, settings.text
    prefix, first = settings.json()["invoice_prefix"], settings.json()["next_invoice_number"]
    contact_id = _contact(owner)
    drafts = [_draft(owner, contact_id, f"{10 + n}.00") for n in range(CLIENTS)]
    answers = all_at_once([functools.partial(owner.post, f"/invoices/{d}/issue") for d in drafts])

    assert _statuses(answers) == {200: CLIENTS}, [a.text for a in answers]
    numbers = [a.json()["number"] for a in answers]
    expected = {f"{prefix}{n:06d}" for n in range(first, first + CLIENTS)}
    assert sorted(numbers) == sorted(expected)
    assert first == 1
    stored = live_backend.query(
        "SELECT number FROM transactions_invoice WHERE id = ANY(%s::uuid[])", [uuid.UUID(d) for d in drafts]
    )
    assert sorted(n for (n,) in stored) == sorted(expected)
    assert owner.get("/billing/settings").json()["next_invoice_number"] == first + CLIENTS


def test_concurrent_payments_never_overpay_an_invoice(live_backend: LiveBackend) -> None:
    manager = live_backend.api("manager@acme.test")
    contact_id = _contact(manager)
    invoice_id = _issued(manager, contact_id, "100.00")
    body = {"contact_id": contact_id, "invoice_id": invoice_id, "amount": _eur("30.00"), "method": "cash"}
    answers = all_at_once([_pay(manager, body, _key()) for _ in range(CLIENTS)])

    # Three payments of 30.00 fit into 100.00; a fourth would overpay it.
    assert _statuses(answers) == {201: 3, 409: CLIENTS - 3}, [a.text for a in answers]
    assert _codes(answers, 409) == {"overpayment"}
    paid = _one(
        live_backend,
        "SELECT coalesce(sum(amount), 0) FROM transactions_payment WHERE invoice_id = %s",
        invoice_id,
    )
    assert paid == Decimal("90.00")
    invoice = manager.get(f"/invoices/{invoice_id}").json()
    assert (invoice["status"], invoice["amount_paid"], invoice["amount_due"]) == (
        "partially_paid",
        _eur("90.00"),
        _eur("10.00"),
    )
    # The rest of the invoice can still be paid, and then nothing more.
    rest = manager.post("/payments", json={**body, "amount": _eur("10.00")}, headers=_key())
    assert rest.status_code == 201, rest.text
    more = manager.post("/payments", json={**body, "amount": _eur("0.01")}, headers=_key())
    assert more.status_code == 409, more.text
    assert manager.get(f"/invoices/{invoice_id}").json()["status"] == "paid"
    assert _unbalanced_transactions(live_backend) == []
