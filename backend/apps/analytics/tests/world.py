"""Generated data for the analytics tests: bookings, hours, time off and money around both 2026 DST
changes of Europe/Berlin (29 March: 23 hours, 25 October: 25 hours), every status, refunds."""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

from apps.core.models import Contact, Resource, Service
from apps.identity.models import Organization
from apps.scheduling.models import Booking, BookingStatus
from apps.scheduling.tests.factories import make_booking
from apps.transactions.models import Invoice, Refund
from apps.transactions.services.invoices import invoice_void
from apps.transactions.services.payments import payment_refund
from apps.transactions.tests.factories import make_invoice, make_payment
from tests.factories import acme, make_contact, make_override, make_resource, make_service, make_time_off

FIRST, LAST = date(2026, 3, 1), date(2026, 12, 31)
WEEKDAYS_8_TO_20 = [{"weekday": d, "start": "08:00", "end": "20:00"} for d in range(5)]
ALL_DAY = [{"weekday": d, "start": "00:00", "end": "24:00"} for d in range(7)]
WINDOWS = [(datetime(2026, 3, 20, tzinfo=UTC), 21), (datetime(2026, 10, 18, tzinfo=UTC), 21)]


@dataclass
class World:
    organization: Organization
    berlin: Resource  # Europe/Berlin, weekdays 8-20; all day on both DST days (overrides)
    new_york: Resource  # America/New_York, all day every day: its days cross Berlin's midnights
    archived: Resource  # inactive: its bookings count, its hours do not
    service: Service
    bookings: list[Booking]


def _instant(rng: random.Random) -> datetime:
    start, days = rng.choice(WINDOWS)
    return start + timedelta(minutes=rng.randrange(days * 24 * 60))


def build_world(seed: int = 7, bookings: int = 160) -> World:
    rng = random.Random(seed)
    organization = acme()
    organization.timezone = "Europe/Berlin"
    organization.save(update_fields=["timezone"])
    berlin = make_resource(name="=Berlin room", timezone="Europe/Berlin", working_hours=WEEKDAYS_8_TO_20)
    new_york = make_resource(name="New York desk", timezone="America/New_York", working_hours=ALL_DAY)
    archived = make_resource(
        name="Old room", timezone="Europe/Berlin", working_hours=ALL_DAY, is_active=False
    )
    for day in (date(2026, 3, 29), date(2026, 10, 25)):
        make_override(resource=berlin, date=day, intervals=[{"start": "00:00", "end": "24:00"}])
    make_override(resource=berlin, date=date(2026, 3, 24), intervals=[])  # closed that Tuesday
    make_time_off(
        resource=new_york,
        start=datetime(2026, 3, 28, 22, tzinfo=UTC),
        end=datetime(2026, 3, 30, 3, tzinfo=UTC),
    )
    make_time_off(
        resource=berlin,
        start=datetime(2026, 10, 26, 10, tzinfo=UTC),
        end=datetime(2026, 10, 26, 12, tzinfo=UTC),
    )
    service = make_service(name="Consultation", duration_minutes=30)
    contact = make_contact(first_name="Generated")
    sessions = {r.id: uuid.uuid4() for r in (berlin, new_york, archived)}  # one session: overlaps allowed
    made = []
    # Around Berlin's midnights on and after both DST days, then random ones.
    starts = [
        datetime(2026, 3, 28, 22, 30, tzinfo=UTC),  # 23:30 on the 28th (CET)
        datetime(2026, 3, 28, 23, 30, tzinfo=UTC),  # 00:30 on the 29th
        datetime(2026, 3, 29, 21, 59, tzinfo=UTC),  # 23:59 on the 29th (CEST)
        datetime(2026, 3, 29, 22, 0, tzinfo=UTC),  # 00:00 on the 30th
        datetime(2026, 10, 24, 21, 30, tzinfo=UTC),  # 23:30 on the 24th (CEST)
        datetime(2026, 10, 24, 22, 30, tzinfo=UTC),  # 00:30 on the 25th
        datetime(2026, 10, 25, 22, 59, tzinfo=UTC),  # 23:59 on the 25th (CET)
        datetime(2026, 10, 25, 23, 0, tzinfo=UTC),  # 00:00 on the 26th
    ]
    starts += [_instant(rng) for _ in range(bookings)]
    now = datetime.now(UTC)
    for n, start in enumerate(starts):
        resource = rng.choice([berlin, berlin, new_york, new_york, archived])
        status = rng.choice(list(BookingStatus))
        fields: dict[str, object] = {"status": status}
        if status == BookingStatus.HELD:
            fields["hold_expires_at"] = now + timedelta(minutes=rng.choice([-30, 30]))
        made.append(
            make_booking(
                resource=resource,
                contact=contact,
                start=start,
                end=start + timedelta(minutes=rng.choice([15, 30, 45, 90, 150])),
                service=service if n % 3 else None,
                session=sessions[resource.id],
                **fields,
            )
        )
    _money(rng, contact)
    return World(organization, berlin, new_york, archived, service, made)


def _money(rng: random.Random, contact: Contact) -> None:
    payments = [
        make_payment(contact=contact, amount="10.00", received_at=datetime(2026, 3, 28, 23, 30, tzinfo=UTC)),
        make_payment(contact=contact, amount="20.00", received_at=datetime(2026, 10, 25, 22, 59, tzinfo=UTC)),
    ]
    for _ in range(30):
        amount = Decimal(rng.randrange(100, 20000)) / 100
        payments.append(make_payment(contact=contact, amount=str(amount), received_at=_instant(rng)))
    for payment in rng.sample(payments, 10):
        refund = payment_refund(
            payment=payment,
            actor=None,
            amount={"amount": str((payment.amount / 2).quantize(Decimal("0.01"))), "currency": "EUR"},
            reason="x",
        )
        Refund.all_tenants.filter(pk=refund.pk).update(created_at=_instant(rng))
    for n in range(8):
        invoice = make_invoice(
            contact=contact, lines=[{"description": "Work", "unit_price": f"{100 + n}.00"}]
        )
        Invoice.all_tenants.filter(pk=invoice.pk).update(issue_date=_instant(rng).date())
        if n == 0:
            invoice_void(invoice=invoice, actor=None, reason="mistake")
        if n == 1:
            make_payment(contact=contact, amount="50.00", invoice_id=invoice.id)
