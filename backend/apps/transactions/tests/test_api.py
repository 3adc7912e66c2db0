"""The money API through Django's test client: invoices, payments, refunds, the ledger, balances."""

import io
import uuid
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.utils import timezone
from pypdf import PdfReader

from apps.events.models import Event
from apps.scheduling.tests.factories import make_booking
from apps.transactions.models import Invoice, LedgerEntry, LedgerTransaction, Payment, Refund
from apps.transactions.tests.factories import make_invoice, make_payment
from tests.factories import acme, globex, make_contact, make_service, send

PROBLEM = "application/problem+json"


def key() -> dict[str, str]:
    return {"HTTP_IDEMPOTENCY_KEY": str(uuid.uuid4())}


def money(amount: str, currency: str = "EUR") -> dict[str, str]:
    return {"amount": amount, "currency": currency}


def draft(client: Client, contact: Any, lines: list[dict[str, Any]] | None = None, **fields: Any) -> Any:
    body = {
        "contact_id": str(contact.id),
        "lines": lines if lines is not None else [{"description": "Consultation", "unit_price": "100.00"}],
        **fields,
    }
    response = send(client, "POST", "/invoices", body)
    assert response.status_code == 201, response.content
    return response.json()


def issued(client: Client, contact: Any, **fields: Any) -> Any:
    invoice = draft(client, contact, **fields)
    response = send(client, "POST", f"/invoices/{invoice['id']}/issue")
    assert response.status_code == 200, response.content
    return response.json()


def pay(client: Client, contact: Any, amount: str, invoice: Any = None, **fields: Any) -> Any:
    body = {"contact_id": str(contact.id), "amount": money(amount), "method": "card", **fields}
    if invoice is not None:
        body["invoice_id"] = invoice["id"]
    return send(client, "POST", "/payments", body, **key())


def ledger_balances() -> list[tuple[Any, ...]]:
    """Ledger transactions whose entries do not sum to zero per currency (SQL, not the code under test)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT transaction_id, currency, sum(amount) FROM transactions_ledgerentry"
            " GROUP BY transaction_id, currency HAVING sum(amount) <> 0"
        )
        rows: list[tuple[Any, ...]] = cursor.fetchall()
        return rows


@pytest.mark.django_db
def test_invoice_totals_round_each_line_half_up_then_sum(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    invoice = draft(
        client,
        contact,
        lines=[
            # 3 x 0.335 = 1.005 -> 1.01; tax 19 % of 1.01 = 0.1919 -> 0.19
            {"description": "Tape", "quantity": "3", "unit_price": "0.335", "tax_rate": "19"},
            # 1.5 x 10.00 = 15.00; tax 7.5 % = 1.125 -> 1.13
            {"description": "Session", "quantity": "1.5", "unit_price": "10.00", "tax_rate": "7.5"},
        ],
    )
    assert invoice["status"] == "draft"
    assert invoice["number"] is None
    assert [line["net"]["amount"] for line in invoice["lines"]] == ["1.01", "15.00"]
    assert [line["tax"]["amount"] for line in invoice["lines"]] == ["0.19", "1.13"]
    assert invoice["net_total"] == money("16.01")
    assert invoice["tax_total"] == money("1.32")
    assert invoice["total"] == money("17.33")
    assert invoice["amount_due"] == money("0.00")  # nothing is due on a draft
    assert invoice["lines"][1]["quantity"] == "1.5"


@pytest.mark.django_db
def test_unit_prices_may_be_finer_than_the_currency_but_not_without_limit(
    as_role: Callable[[str], Client],
) -> None:
    client = as_role("manager")
    contact = make_contact()
    yen = draft(
        client, contact, currency="JPY", lines=[{"description": "x", "quantity": "3", "unit_price": "1.5"}]
    )
    assert yen["lines"][0]["unit_price"] == {"amount": "1.5", "currency": "JPY"}
    assert yen["total"] == money("5", "JPY")  # 4.5 rounded half up
    for price in ("1.00001", "-1.00", "1e3", "1000000000"):
        body = {"contact_id": str(contact.id), "lines": [{"description": "x", "unit_price": price}]}
        response = send(client, "POST", "/invoices", body)
        assert response.status_code == 422, price
        assert response["Content-Type"] == PROBLEM
    assert Invoice.objects.for_organization(acme()).count() == 1


@pytest.mark.django_db
def test_a_service_line_takes_the_catalog_name_and_price(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    service = make_service(name="Massage", price_amount="55.50")
    invoice = draft(client, make_contact(), lines=[{"service_id": str(service.id), "quantity": "2"}])
    line = invoice["lines"][0]
    assert (line["description"], line["unit_price"], line["total"]) == (
        "Massage",
        money("55.50"),
        money("111.00"),
    )
    other = make_service(name="Yen", price_amount="500", price_currency="JPY")
    response = send(
        client,
        "POST",
        "/invoices",
        {"contact_id": str(make_contact().id), "lines": [{"service_id": str(other.id)}]},
    )
    assert response.status_code == 422
    assert response.json()["code"] == "currency_mismatch"


@pytest.mark.django_db
def test_issue_numbers_invoices_per_organization_and_books_the_ledger(
    as_role: Callable[[str], Client],
) -> None:
    client = as_role("manager")
    contact = make_contact()
    first = issued(client, contact, lines=[{"description": "A", "unit_price": "100.00", "tax_rate": "20"}])
    second = issued(client, contact)
    assert (first["number"], second["number"]) == ("INV-000001", "INV-000002")
    assert first["status"] == "issued"
    assert first["amount_due"] == money("120.00")
    again = send(client, "POST", f"/invoices/{first['id']}/issue")
    assert (again.status_code, again.json()["code"]) == (409, "invoice_not_draft")
    entries = {
        (e.account.kind, e.amount)
        for e in LedgerEntry.objects.for_organization(acme()).filter(transaction__invoice_id=first["id"])
    }
    assert entries == {("receivables", 120), ("revenue", -100), ("tax", -20)}
    assert Event.all_tenants.filter(type="invoice.issued", subject_id=first["id"]).count() == 1
    assert ledger_balances() == []


@pytest.mark.django_db
def test_an_issued_invoice_cannot_change(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    invoice = issued(client, make_contact())
    patch = send(client, "PATCH", f"/invoices/{invoice['id']}", {"notes": "changed"})
    assert (patch.status_code, patch.json()["code"]) == (409, "invoice_not_draft")
    delete = send(client, "DELETE", f"/invoices/{invoice['id']}")
    assert delete.status_code == 409
    assert send(client, "GET", f"/invoices/{invoice['id']}").json()["notes"] == ""


@pytest.mark.django_db
def test_a_draft_changes_and_deletes(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    invoice = draft(client, make_contact())
    lines = [{"description": "New", "unit_price": "10.00", "quantity": "3"}]
    patched = send(client, "PATCH", f"/invoices/{invoice['id']}", {"lines": lines, "notes": "Thanks"})
    assert patched.status_code == 200
    assert (patched.json()["total"], patched.json()["notes"]) == (money("30.00"), "Thanks")
    assert send(client, "DELETE", f"/invoices/{invoice['id']}").status_code == 204
    assert send(client, "GET", f"/invoices/{invoice['id']}").status_code == 404


@pytest.mark.django_db
def test_an_empty_invoice_cannot_be_issued(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    invoice = draft(client, make_contact(), lines=[])
    response = send(client, "POST", f"/invoices/{invoice['id']}/issue")
    assert (response.status_code, response.json()["code"]) == (422, "invoice_empty")
    assert LedgerTransaction.objects.for_organization(acme()).count() == 0


@pytest.mark.django_db
def test_payments_settle_the_invoice_and_refuse_overpayment(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    invoice = issued(client, contact)
    part = pay(client, contact, "40.00", invoice)
    assert part.status_code == 201, part.content
    state = send(client, "GET", f"/invoices/{invoice['id']}").json()
    assert (state["status"], state["amount_paid"], state["amount_due"]) == (
        "partially_paid",
        money("40.00"),
        money("60.00"),
    )
    over = pay(client, contact, "60.01", invoice)
    assert (over.status_code, over.json()["code"]) == (409, "overpayment")
    assert over.json()["amount_due"] == money("60.00")
    assert pay(client, contact, "60.00", invoice).status_code == 201
    state = send(client, "GET", f"/invoices/{invoice['id']}").json()
    assert (state["status"], state["amount_due"]) == ("paid", money("0.00"))
    closed = pay(client, contact, "1.00", invoice)
    assert (closed.status_code, closed.json()["code"]) == (409, "invalid_invoice_status")
    void = send(client, "POST", f"/invoices/{invoice['id']}/void", {"reason": "Wrong"})
    assert (void.status_code, void.json()["code"]) == (409, "invoice_has_payments")
    assert Event.all_tenants.filter(type="payment.succeeded").count() == 2
    assert ledger_balances() == []


@pytest.mark.django_db
def test_payments_need_an_idempotency_key_and_replay_with_one(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    body = {"contact_id": str(contact.id), "amount": money("25.00"), "method": "cash"}
    missing = send(client, "POST", "/payments", body)
    assert (missing.status_code, missing.json()["code"]) == (400, "idempotency_key_required")
    headers = key()
    first = send(client, "POST", "/payments", body, **headers)
    replay = send(client, "POST", "/payments", body, **headers)
    assert (first.status_code, replay.status_code) == (201, 201)
    assert replay["Idempotent-Replayed"] == "true"
    assert replay.json() == first.json()
    reused = send(client, "POST", "/payments", {**body, "amount": money("26.00")}, **headers)
    assert (reused.status_code, reused.json()["code"]) == (422, "idempotency_key_reused")
    assert Payment.objects.for_organization(acme()).count() == 1
    assert LedgerTransaction.objects.for_organization(acme()).filter(kind="payment").count() == 1


@pytest.mark.django_db
def test_refunds_never_exceed_the_payment(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    invoice = issued(client, contact)
    payment = pay(client, contact, "100.00", invoice).json()
    path = f"/payments/{payment['id']}/refunds"
    first = send(client, "POST", path, {"amount": money("70.00"), "reason": "Goodwill"}, **key())
    assert first.status_code == 201, first.content
    over = send(client, "POST", path, {"amount": money("30.01"), "reason": "More"}, **key())
    assert (over.status_code, over.json()["code"]) == (409, "refund_exceeds_payment")
    assert over.json()["refundable"] == money("30.00")
    assert (
        send(client, "POST", path, {"amount": money("30.00"), "reason": "Rest"}, **key()).status_code == 201
    )
    state = send(client, "GET", f"/payments/{payment['id']}").json()
    assert (state["amount_refunded"], state["refundable"]) == (money("100.00"), money("0.00"))
    assert [r["amount"]["amount"] for r in state["refunds"]] == ["70.00", "30.00"]
    invoice_state = send(client, "GET", f"/invoices/{invoice['id']}").json()
    assert (invoice_state["status"], invoice_state["amount_refunded"]) == ("paid", money("100.00"))
    entries = {
        (e.account.kind, e.amount)
        for e in LedgerEntry.objects.for_organization(acme()).filter(
            transaction__refund_id=first.json()["id"]
        )
    }
    assert entries == {("refunds", 70), ("bank", -70)}
    assert Refund.objects.for_organization(acme()).count() == 2
    assert ledger_balances() == []


@pytest.mark.django_db
def test_void_reverses_the_invoice_in_the_ledger(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    invoice = issued(client, contact, lines=[{"description": "A", "unit_price": "50.00", "tax_rate": "10"}])
    response = send(client, "POST", f"/invoices/{invoice['id']}/void", {"reason": "Issued twice"})
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["void_reason"]) == ("void", "Issued twice")
    assert response.json()["amount_due"] == money("0.00")
    balance = send(client, "GET", f"/contacts/{contact.id}/balance").json()["items"]
    assert balance == [
        {
            "currency": "EUR",
            "invoiced": money("0.00"),
            "paid": money("0.00"),
            "refunded": money("0.00"),
            "outstanding": money("0.00"),
            "overdue": money("0.00"),
        }
    ]
    kinds = [t["kind"] for t in send(client, "GET", f"/transactions?contact_id={contact.id}").json()["items"]]
    assert sorted(kinds) == ["invoice_issued", "invoice_voided"]


@pytest.mark.django_db
def test_balance_follows_invoices_payments_and_credits(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    invoice = issued(client, contact, due_date=str(timezone.localdate() - timedelta(days=3)))
    assert invoice["overdue"] is True
    pay(client, contact, "30.00", invoice)
    on_account = pay(client, contact, "20.00").json()
    send(
        client,
        "POST",
        f"/payments/{on_account['id']}/refunds",
        {"amount": money("5.00"), "reason": "x"},
        **key(),
    )
    [balance] = send(client, "GET", f"/contacts/{contact.id}/balance").json()["items"]
    assert balance["invoiced"] == money("100.00")
    assert balance["paid"] == money("50.00")
    assert balance["refunded"] == money("5.00")
    # 100 invoiced - 50 paid + 5 of the credit given back.
    assert balance["outstanding"] == money("55.00")
    assert balance["overdue"] == money("70.00")
    listed = send(client, "GET", "/invoices?overdue=true").json()["items"]
    assert [i["id"] for i in listed] == [invoice["id"]]


@pytest.mark.django_db
def test_bad_money_input_is_refused_and_writes_nothing(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    invoice = issued(client, contact)
    before = (
        Payment.objects.for_organization(acme()).count(),
        LedgerEntry.objects.for_organization(acme()).count(),
    )
    cases: list[dict[str, Any]] = [
        {"amount": {"amount": 12.5, "currency": "EUR"}},  # a JSON number
        {"amount": money("0.00")},
        {"amount": money("-5.00")},
        {"amount": money("1.001")},
        {"amount": money("10.00", "XXX")},
        {"amount": money("10.00", "eur")},
        {"amount": money("10.00", "USD"), "invoice_id": invoice["id"]},
        {"amount": money("10.00"), "method": "cheque"},
        {"amount": money("10.00"), "reference": "a\u0000b"},
        {"amount": money("10.00"), "received_at": "2999-01-01T00:00:00Z"},
        {"amount": money("10.00"), "received_at": "0001-01-01T00:00:00+01:00"},
        {"amount": money("10.00"), "received_at": "2020-13-01T00:00:00Z"},
    ]
    for case in cases:
        body = {"contact_id": str(contact.id), "method": "card", **case}
        response = send(client, "POST", "/payments", body, **key())
        assert 400 <= response.status_code < 500, (case, response.content)
        assert response["Content-Type"] == PROBLEM
    other = make_contact(organization=globex())
    foreign = send(
        client,
        "POST",
        "/payments",
        {"contact_id": str(other.id), "amount": money("1.00"), "method": "cash"},
        **key(),
    )
    assert foreign.status_code == 404
    after = (
        Payment.objects.for_organization(acme()).count(),
        LedgerEntry.objects.for_organization(acme()).count(),
    )
    assert after == before


@pytest.mark.django_db
def test_money_writes_need_a_manager(as_role: Callable[[str], Client]) -> None:
    contact = make_contact()
    staff = as_role("staff")
    body = {"contact_id": str(contact.id), "lines": [{"description": "A", "unit_price": "1.00"}]}
    assert send(staff, "POST", "/invoices", body).status_code == 403
    payment = {"contact_id": str(contact.id), "amount": money("1.00"), "method": "cash"}
    assert send(staff, "POST", "/payments", payment, **key()).status_code == 403
    assert send(as_role("viewer"), "GET", "/invoices").status_code == 200


@pytest.mark.django_db
def test_invoice_pdf_is_for_issued_invoices(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact(first_name="Zoë", last_name="Ångström")
    draft_invoice = draft(client, contact)
    refused = send(client, "GET", f"/invoices/{draft_invoice['id']}/pdf")
    assert (refused.status_code, refused.json()["code"]) == (409, "invoice_not_issued")
    invoice = issued(client, contact)
    response = send(client, "GET", f"/invoices/{invoice['id']}/pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice["number"] in text
    assert "100.00" in text
    assert "Zoë" in text


def refused_field(response: Any, status: int = 422, code: str = "validation_error") -> str:
    """The field a refused write names, after checking the problem's status and code."""
    assert (response.status_code, response["Content-Type"]) == (status, PROBLEM), response.content
    assert response.json()["code"] == code
    field: str = response.json()["errors"][0]["field"]
    return field


@pytest.mark.django_db
def test_bad_invoice_input_names_its_field_and_writes_nothing(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    far = str(timezone.localdate() + timedelta(days=11 * 366))
    cases: list[tuple[dict[str, Any], str]] = [
        ({"currency": "XXX"}, "currency"),
        ({"due_date": far}, "due_date"),
        ({"lines": [{"unit_price": "1.00"}]}, "lines[0].description"),
        ({"lines": [{"description": "  ", "unit_price": "1.00"}]}, "lines[0].description"),
        ({"lines": [{"description": "x"}]}, "lines[0].unit_price"),
        ({"lines": [{"description": "x", "unit_price": "1.00", "quantity": "0"}]}, "lines[0].quantity"),
        ({"lines": [{"description": "x", "unit_price": "1.00", "tax_rate": "100.01"}]}, "lines[0].tax_rate"),
        # Quantity and unit price within their limits, the line's total with 20 % tax (1.2 billion) not.
        (
            {
                "lines": [
                    {"description": "ok", "unit_price": "1.00"},
                    {"description": "x", "unit_price": "999.9999", "quantity": "1000000", "tax_rate": "20"},
                ]
            },
            "lines[1].quantity",
        ),
    ]
    for fields, field in cases:
        response = send(client, "POST", "/invoices", {"contact_id": str(contact.id), **fields})
        assert refused_field(response) == field, fields
    many = [{"description": f"Line {n}", "unit_price": "1.00"} for n in range(101)]
    assert (
        send(client, "POST", "/invoices", {"contact_id": str(contact.id), "lines": many}).status_code == 422
    )
    assert Invoice.objects.for_organization(acme()).count() == 0


@pytest.mark.django_db
def test_an_archived_contact_is_not_invoiced(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact(archived_at=timezone.now())
    response = send(client, "POST", "/invoices", {"contact_id": str(contact.id), "lines": []})
    assert refused_field(response) == "contact_id"
    assert Invoice.objects.for_organization(acme()).count() == 0


@pytest.mark.django_db
def test_a_booking_is_invoiced_only_to_its_contact_and_only_with_a_service(
    as_role: Callable[[str], Client],
) -> None:
    client = as_role("manager")
    service = make_service(name="Massage", price_amount="55.50")
    booking = make_booking(service=service)
    stranger = make_contact()
    foreign = send(
        client, "POST", "/invoices", {"contact_id": str(stranger.id), "booking_id": str(booking.id)}
    )
    assert refused_field(foreign) == "booking_id"
    serviceless = make_booking()
    body = {"contact_id": str(serviceless.contact_id), "booking_id": str(serviceless.id)}
    assert refused_field(send(client, "POST", "/invoices", body)) == "booking_id"
    # With lines of its own a booking without a service is invoiced.
    with_lines = draft(client, serviceless.contact, booking_id=str(serviceless.id))
    assert with_lines["lines"][0]["description"] == "Consultation"
    invoice = draft(client, booking.contact, lines=[], booking_id=str(booking.id))
    [line] = invoice["lines"]
    assert line["description"] == f"Massage, {booking.start:%Y-%m-%d} 10:00"  # its resource's zone is UTC
    assert line["total"] == money("55.50")
    # The draft may not move to another contact than its booking's.
    moved = send(client, "PATCH", f"/invoices/{invoice['id']}", {"contact_id": str(stranger.id)})
    assert refused_field(moved) == "contact_id"
    assert send(client, "GET", f"/invoices/{invoice['id']}").json()["contact_id"] == str(booking.contact_id)


@pytest.mark.django_db
def test_a_draft_moves_to_another_contact_and_due_date(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    invoice = draft(client, make_contact())
    other = make_contact()
    due = str(timezone.localdate() + timedelta(days=30))
    patched = send(
        client, "PATCH", f"/invoices/{invoice['id']}", {"contact_id": str(other.id), "due_date": due}
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["contact_id"], patched.json()["due_date"]) == (str(other.id), due)
    far = str(timezone.localdate() - timedelta(days=11 * 366))
    refused = send(client, "PATCH", f"/invoices/{invoice['id']}", {"due_date": far})
    assert refused_field(refused) == "due_date"
    archived = make_contact(archived_at=timezone.now())
    refused = send(client, "PATCH", f"/invoices/{invoice['id']}", {"contact_id": str(archived.id)})
    assert refused_field(refused) == "contact_id"
    assert send(client, "GET", f"/invoices/{invoice['id']}").json()["due_date"] == due


@pytest.mark.django_db
def test_invoices_are_listed_by_status_and_contact(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    ada, bob = make_contact(), make_contact()
    ada_draft = draft(client, ada)
    ada_issued = issued(client, ada)
    bob_issued = issued(client, bob)

    def listed(query: str) -> set[str]:
        response = send(client, "GET", f"/invoices?{query}")
        assert response.status_code == 200, response.content
        return {invoice["id"] for invoice in response.json()["items"]}

    assert listed("status=issued") == {ada_issued["id"], bob_issued["id"]}
    assert listed("status=draft,paid") == {ada_draft["id"]}
    assert listed(f"contact_id={ada.id}") == {ada_draft["id"], ada_issued["id"]}
    assert listed(f"contact_id={bob.id}&status=draft") == set()
    assert listed("overdue=false") == {ada_draft["id"], ada_issued["id"], bob_issued["id"]}


@pytest.mark.django_db
def test_payments_are_listed_latest_first_by_contact_and_invoice(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    ada, bob = make_contact(), make_contact()
    invoice = issued(client, ada)
    now = timezone.now()
    on_invoice = pay(client, ada, "10.00", invoice, received_at=(now - timedelta(days=2)).isoformat()).json()
    on_account = pay(client, ada, "5.00", received_at=(now - timedelta(days=1)).isoformat()).json()
    bobs = pay(client, bob, "7.00").json()
    refund = {"amount": money("2.00"), "reason": "Short session"}
    send(client, "POST", f"/payments/{on_invoice['id']}/refunds", refund, **key())

    def listed(query: str = "") -> list[str]:
        response = send(as_role("viewer"), "GET", f"/payments{query}")
        assert response.status_code == 200, response.content
        return [payment["id"] for payment in response.json()["items"]]

    assert listed() == [bobs["id"], on_account["id"], on_invoice["id"]]
    assert listed(f"?contact_id={ada.id}") == [on_account["id"], on_invoice["id"]]
    assert listed(f"?invoice_id={invoice['id']}") == [on_invoice["id"]]
    [item] = send(client, "GET", f"/payments?invoice_id={invoice['id']}").json()["items"]
    assert [r["amount"] for r in item["refunds"]] == [money("2.00")]
    missing = send(client, "GET", f"/payments/{uuid.uuid4()}")
    assert (missing.status_code, missing.json()["code"]) == (404, "not_found")
    theirs = make_payment(contact=make_contact(organization=globex()))
    assert send(client, "GET", f"/payments/{theirs.id}").status_code == 404
    assert str(theirs.id) not in listed()


@pytest.mark.django_db
def test_a_payment_names_an_invoice_of_its_contact_in_this_organization(
    as_role: Callable[[str], Client],
) -> None:
    client = as_role("manager")
    ada = make_contact()
    invoice = issued(client, ada)
    others = pay(client, make_contact(), "10.00", invoice)
    assert refused_field(others) == "invoice_id"
    unknown = pay(client, ada, "10.00", {"id": str(uuid.uuid4())})
    assert (unknown.status_code, unknown.json()["code"]) == (404, "not_found")
    theirs = make_invoice(contact=make_contact(organization=globex()))
    foreign = pay(client, ada, "10.00", {"id": str(theirs.id)})
    assert foreign.status_code == 404
    assert Payment.objects.for_organization(acme()).count() == 0
    assert send(client, "GET", f"/invoices/{invoice['id']}").json()["amount_paid"] == money("0.00")


@pytest.mark.django_db
def test_a_refund_is_in_the_payments_currency(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    payment = pay(client, make_contact(), "10.00").json()
    path = f"/payments/{payment['id']}/refunds"
    response = send(client, "POST", path, {"amount": money("1.00", "USD"), "reason": "x"}, **key())
    assert refused_field(response, code="currency_mismatch") == "amount.currency"
    assert Refund.objects.for_organization(acme()).count() == 0
    unknown = send(
        client, "POST", f"/payments/{uuid.uuid4()}/refunds", {"amount": money("1.00"), "reason": "x"}, **key()
    )
    assert unknown.status_code == 404


@pytest.mark.django_db
def test_the_ledger_is_listed_by_kind(as_role: Callable[[str], Client]) -> None:
    client = as_role("manager")
    contact = make_contact()
    invoice = issued(client, contact)
    pay(client, contact, "30.00", invoice)
    pay(client, contact, "5.00")

    def kinds(query: str) -> list[str]:
        response = send(client, "GET", f"/transactions?{query}")
        assert response.status_code == 200, response.content
        return [t["kind"] for t in response.json()["items"]]

    assert kinds("kind=payment") == ["payment", "payment"]
    assert kinds(f"kind=invoice_issued&contact_id={contact.id}") == ["invoice_issued"]
    assert kinds("kind=refund") == []
    assert send(client, "GET", "/transactions?kind=transfer").status_code == 422


@pytest.mark.django_db
def test_billing_settings_have_defaults_and_change_what_later_invoices_take(
    as_role: Callable[[str], Client],
) -> None:
    admin = as_role("admin")
    assert send(as_role("viewer"), "GET", "/billing/settings").json() == {
        "currency": "EUR",
        "invoice_prefix": "INV-",
        "next_invoice_number": 1,
        "payment_terms_days": 14,
        "default_tax_rate": "0.00",
    }
    changes = {
        "currency": "CHF",
        "invoice_prefix": "CH-",
        "payment_terms_days": 30,
        "default_tax_rate": "8.1",
    }
    patched = send(admin, "PATCH", "/billing/settings", changes)
    assert patched.status_code == 200, patched.content
    assert patched.json() == {**changes, "default_tax_rate": "8.10", "next_invoice_number": 1}
    invoice = issued(
        as_role("manager"), make_contact(), lines=[{"description": "Session", "unit_price": "100.00"}]
    )
    assert (invoice["number"], invoice["currency"], invoice["tax_total"]) == (
        "CH-000001",
        "CHF",
        money("8.10", "CHF"),
    )
    assert invoice["due_date"] == str(timezone.localdate() + timedelta(days=30))
    again = send(admin, "GET", "/billing/settings").json()
    assert (again["next_invoice_number"], again["currency"]) == (2, "CHF")


@pytest.mark.django_db
def test_bad_billing_settings_are_refused_and_change_nothing(as_role: Callable[[str], Client]) -> None:
    admin = as_role("admin")
    assert refused_field(send(admin, "PATCH", "/billing/settings", {"currency": "XXX"})) == "currency"
    refused = send(admin, "PATCH", "/billing/settings", {"default_tax_rate": "100.5"})
    assert refused_field(refused) == "default_tax_rate"
    for body in ({"payment_terms_days": 366}, {"currency": "eur"}, {"currency": None}):
        assert send(admin, "PATCH", "/billing/settings", body).status_code == 422, body
    assert (
        send(as_role("manager"), "PATCH", "/billing/settings", {"payment_terms_days": 7}).status_code == 403
    )
    current = send(admin, "GET", "/billing/settings").json()
    assert (current["currency"], current["default_tax_rate"], current["payment_terms_days"]) == (
        "EUR",
        "0.00",
        14,
    )
