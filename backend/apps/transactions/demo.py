"""Demo money of each demo organization: invoices in every status, payments and refunds.

Made through the services, so every invoice is numbered, every movement is in the ledger and
every event is published as in use. Completed past bookings are invoiced from their service;
some invoices are left open past their due date (overdue). Created once per organization.
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import TextIO

from django.db import transaction
from django.utils import timezone

from apps.core.models import Contact, Service
from apps.core.money import round_to_minor_unit
from apps.identity.demo import demo_identities
from apps.identity.models import Organization
from apps.scheduling.models import Booking, BookingStatus
from apps.transactions.models import Invoice, Payment
from apps.transactions.selectors import organization_today
from apps.transactions.services.invoices import invoice_create, invoice_issue, invoice_void
from apps.transactions.services.payments import payment_create, payment_refund

METHODS = ("card", "card", "cash", "transfer")


def _pay(invoice: Invoice, amount: str, *, days_ago: int, method: str) -> Payment:
    return payment_create(
        organization=invoice.organization,
        actor=None,
        contact_id=invoice.contact_id,
        invoice_id=invoice.id,
        amount={"amount": amount, "currency": invoice.currency},
        method=method,
        received_at=timezone.now() - timedelta(days=days_ago),
    )


def _money(organization: Organization, rng: random.Random) -> dict[str, int]:
    today = organization_today(organization)
    made = {"invoices": 0, "payments": 0, "refunds": 0}
    completed = list(
        Booking.objects.for_organization(organization)
        .filter(status=BookingStatus.COMPLETED, service__isnull=False)
        .select_related("service", "resource")
        .order_by("start")
    )
    services = [
        s for s in Service.objects.for_organization(organization).filter(is_active=True) if s.capacity == 1
    ]
    contacts = list(
        Contact.objects.for_organization(organization).filter(archived_at__isnull=True).order_by("email")
    )
    if not contacts or not services:
        return made
    # Past completed bookings, invoiced on the day: most paid, some in part, some still open.
    for n, booking in enumerate(completed[:24]):
        days_ago = (today - booking.start.date()).days
        invoice = invoice_create(
            organization=organization,
            actor=None,
            contact_id=booking.contact_id,
            booking_id=booking.id,
            due_date=booking.start.date() + timedelta(days=14),
        )
        invoice = invoice_issue(invoice=invoice, actor=None, issue_date=booking.start.date())
        made["invoices"] += 1
        method = METHODS[n % len(METHODS)]
        if n % 6 == 5:
            continue  # open: overdue once its due date passed
        if n % 6 == 4:
            half = round_to_minor_unit(invoice.total / 2, invoice.currency)
            _pay(invoice, str(half), days_ago=max(days_ago - 1, 0), method=method)
            made["payments"] += 1
            continue
        payment = _pay(
            invoice, str(invoice.total), days_ago=max(days_ago - rng.randint(0, 3), 0), method=method
        )
        made["payments"] += 1
        if n == 3:
            payment_refund(
                payment=payment,
                actor=None,
                amount={
                    "amount": str(round_to_minor_unit(payment.amount / 4, payment.currency)),
                    "currency": payment.currency,
                },
                reason="Session shortened by the therapist",
            )
            made["refunds"] += 1
    # A few by hand: two lines with tax, a draft, a void, an old unpaid one, a credit on account.
    first, second = contacts[0], contacts[min(1, len(contacts) - 1)]
    package = invoice_create(
        organization=organization,
        actor=None,
        contact_id=first.id,
        lines=[
            {"service_id": services[0].id, "quantity": "5", "tax_rate": "0"},
            {
                "description": "Exercise band, medium",
                "quantity": "2",
                "unit_price": "12.90",
                "tax_rate": "19",
            },
        ],
        notes="Package of five sessions; the band is yours to keep.",
    )
    invoice_issue(invoice=package, actor=None)
    invoice_create(
        organization=organization,
        actor=None,
        contact_id=second.id,
        lines=[{"service_id": services[-1].id, "quantity": "3"}],
        notes="Draft: check the number of sessions before issuing.",
    )
    mistaken = invoice_create(
        organization=organization, actor=None, contact_id=second.id, lines=[{"service_id": services[0].id}]
    )
    invoice_void(
        invoice=invoice_issue(invoice=mistaken, actor=None), actor=None, reason="Issued to the wrong contact"
    )
    late = invoice_create(
        organization=organization,
        actor=None,
        contact_id=second.id,
        lines=[{"description": "Missed appointment fee", "unit_price": "25.00"}],
        due_date=today - timedelta(days=20),
    )
    invoice_issue(invoice=late, actor=None, issue_date=today - timedelta(days=34))
    made["invoices"] += 4
    credit = payment_create(
        organization=organization,
        actor=None,
        contact_id=first.id,
        amount={"amount": "50.00", "currency": package.currency},
        method="cash",
        reference="Prepaid at the desk",
        received_at=timezone.now() - timedelta(days=2),
    )
    payment_refund(
        payment=credit,
        actor=None,
        amount={"amount": "10.00", "currency": credit.currency},
        reason="Part of the prepayment returned",
    )
    made["payments"] += 1
    made["refunds"] += 1
    return made


def load(stdout: TextIO) -> None:
    for org in demo_identities()["organizations"]:
        organization = Organization.objects.get(id=org["id"])
        if Invoice.objects.for_organization(organization).exists():
            stdout.write(f"transactions: {organization.name}: nothing added")
            continue
        rng = random.Random(f"money-{organization.id}")  # noqa: S311 - demo data, not secrets
        with transaction.atomic():
            made = _money(organization, rng)
        stdout.write(
            f"transactions: {organization.name}: {made['invoices']} invoices, {made['payments']} payments,"
            f" {made['refunds']} refunds added"
        )
