"""One large organization's history, straight into a database: `python -m bench.seed` from backend/.

By default a million bookings over four years back and two months ahead on 300 resources (staff,
rooms, equipment in five time zones, Europe/Berlin and America/New_York among them, so DST days
occur), with their weekly hours, vacations, holidays and short days, thousands of contacts and a
catalog of services (group classes among them); a third of the completed sessions are invoiced
(the rest are billed to memberships and insurers elsewhere), and the invoices are paid, partly
paid, left open, voided or refunded, each movement in the ledger as the services book it.

It writes the history as it stands, not through the services: no audit log entries, no outbox
events, no idempotency records. Personal data is stored as the models store it: a last pass seals
every encrypted column's plain value with the current `FIELD_ENCRYPTION_KEYS` key and sets the
contacts' blind indexes (`seal_personal_data`), so the served backend reads and finds it as its own.
Everything else holds as if the services had written it: no two active bookings of a resource
overlap (each resource's day is laid out on its own grid, and the exclusion constraint checks it
anyway), group sessions share their `session`, every ledger
transaction balances (the database's deferred trigger checks each one at commit), invoice
`amount_paid`/`amount_refunded` and statuses agree with their payments and refunds, and invoice
numbers continue the organization's `BillingSettings.next_invoice_number` without a gap.

Bookings are written with COPY, one transaction per few resources; the money with INSERT ...
SELECT over the bookings, one transaction per month. Deterministic for a `--seed` and a day (the
history is laid out around today). The database is `DATABASE_URL`, by default `hub_bench_seed`
(created and migrated when absent); the developer database `hub_backend` is refused.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
import uuid
from bisect import bisect_left
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import accumulate
from typing import Any
from zoneinfo import ZoneInfo

import django
import django.apps
import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.types.json import Jsonb

from bench.harness import BACKEND
from hubkit.testing import manage

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/hub_bench_seed"
DEV_DATABASE = "hub_backend"
DEFAULT_ORGANIZATION = uuid.UUID("0a0e0000-0000-4000-8000-0000000b1650")
MONTHS_AHEAD_DAYS = 61
RESOURCES_PER_COMMIT = 10
# Completed sessions that get an invoice of their own; invoices that end void, paid, partly paid.
INVOICED_SHARE = 0.35
VOID_SHARE = 0.02
PAID_SHARE = 0.90
PARTLY_PAID_SHARE = 0.03
# Invoices this recent are paid less often: their customers are still within the terms.
RECENT_DAYS = 30
RECENT_PAID_SHARE = 0.5
REFUNDED_SHARE = 0.03

ZONES = (
    ("Europe/Berlin", 40),
    ("America/New_York", 25),
    ("Europe/London", 15),
    ("America/Los_Angeles", 10),
    ("Australia/Sydney", 10),
)


def _week(days: Sequence[int], *intervals: tuple[str, str]) -> list[dict[str, Any]]:
    return [{"weekday": d, "start": s, "end": e} for d in days for s, e in intervals]


WEEKDAYS = range(5)
HOURS: dict[str, list[list[dict[str, Any]]]] = {
    "staff": [
        _week(WEEKDAYS, ("08:30", "12:30"), ("13:30", "17:30")),
        _week(range(4), ("09:00", "18:00")) + _week([4], ("09:00", "14:00")),
        _week(range(1, 6), ("10:00", "19:00")),
    ],
    "room": [_week(range(6), ("07:00", "21:00")) + _week([6], ("09:00", "14:00"))],
    "equipment": [_week(WEEKDAYS, ("07:00", "19:00"))],
}


@dataclass(frozen=True)
class ServiceSpec:
    name: str
    minutes: int
    price: Decimal
    tax_rate: Decimal
    kind: str
    before: int = 0
    after: int = 0
    capacity: int = 1
    active: bool = True


SERVICES = (
    ServiceSpec("Consultation", 30, Decimal("60.00"), Decimal(0), "staff", after=10),
    ServiceSpec("Follow-up", 15, Decimal("35.00"), Decimal(0), "staff", after=5),
    ServiceSpec("Treatment", 60, Decimal("95.00"), Decimal(0), "staff", before=5, after=10),
    ServiceSpec("Extended assessment", 90, Decimal("140.00"), Decimal(0), "staff", after=15),
    ServiceSpec("Physiotherapy", 45, Decimal("75.00"), Decimal(19), "staff", after=15),
    ServiceSpec("Massage", 60, Decimal("80.00"), Decimal(19), "staff", after=15),
    ServiceSpec("Nutrition advice", 45, Decimal("55.00"), Decimal(19), "staff", active=False),
    ServiceSpec("Yoga class", 60, Decimal("18.00"), Decimal(19), "room", after=15, capacity=12),
    ServiceSpec("Back school", 90, Decimal("25.00"), Decimal(19), "room", after=15, capacity=8),
    ServiceSpec("Pilates", 45, Decimal("20.00"), Decimal(19), "room", after=15, capacity=10),
    ServiceSpec("Room hire", 120, Decimal("45.00"), Decimal(19), "room", after=30),
    ServiceSpec("MRI scan", 45, Decimal("250.00"), Decimal(7), "equipment", before=10, after=15),
    ServiceSpec("X-ray", 15, Decimal("60.00"), Decimal(7), "equipment", after=5),
)
FIRST_NAMES = """
    Anna Ben Clara David Emma Felix Greta Hugo Ida Jonas Karla Leon Mia Noah Olga Paul Rosa Sam Tara Uwe
    Vera Will Xenia Yusuf Zoe Aisha Bruno Chloe Dmitri Elena Farid Hana Ivan Julia Kenji Lena Marco Nora
""".split()  # noqa: SIM905 - the names read better as text
LAST_NAMES = """
    Müller Schmidt Schneider Fischer Weber Meyer Wagner Becker Schulz Hoffmann Smith Johnson Williams
    Brown Jones Garcia Miller Davis Martinez Lopez Nguyen Kim Rossi Dubois Novak Kowalski Silva Jensen
""".split()  # noqa: SIM905
CANCEL_REASONS = ("Asked to move", "Ill", "No longer needed", "Travelling", "Clash with work")
NOTES = ("Prefers mornings", "First visit", "Bring previous reports", "Wheelchair access")


def _uuid(rng: random.Random) -> uuid.UUID:
    return uuid.UUID(int=rng.getrandbits(128), version=4)


class Progress:
    """A one-line progress bar on stderr (redrawn at most five times a second)."""

    def __init__(self, label: str, total: int, *, enabled: bool) -> None:
        self.label, self.total, self.enabled = label, max(total, 1), enabled
        self.done = 0
        self.began = self.drawn = time.monotonic()

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if self.enabled and (now - self.drawn > 0.2 or self.done >= self.total):
            self.drawn = now
            share = min(self.done / self.total, 1.0)
            bar = "#" * int(share * 30)
            sys.stderr.write(
                f"\r{self.label:<10} [{bar:<30}] {share:6.1%} {self.done:>10,}/{self.total:,}"
                f" {now - self.began:6.1f}s"
            )
            sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self.update(0)
            sys.stderr.write("\n")


@dataclass(frozen=True)
class Options:
    organization_id: uuid.UUID = DEFAULT_ORGANIZATION
    bookings: int = 1_000_000
    resources: int = 300
    years: int = 4
    contacts: int | None = None
    seed: int = 1
    progress: bool = True


@dataclass
class Resource:
    id: uuid.UUID
    name: str
    kind: str
    zone: str
    hours: list[dict[str, Any]]
    services: list[int]
    weight: float
    closed: dict[date, list[tuple[str, str]]] = field(default_factory=dict)
    off: list[tuple[date, date]] = field(default_factory=list)
    days: list[tuple[datetime, datetime, list[tuple[datetime, datetime]]]] = field(default_factory=list)


@dataclass(frozen=True)
class Result:
    counts: dict[str, int]
    seconds: float


def _years_back(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _at(day: date, clock: str, zone: ZoneInfo) -> datetime:
    hour, minute = (int(x) for x in clock.split(":"))
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=zone).astimezone(UTC)


def _resources(rng: random.Random, options: Options, first: date, last: date) -> list[Resource]:
    """The resources with their hours, time off and date overrides, and the days they work."""
    zones = [zone for zone, _ in ZONES]
    weights = [weight for _, weight in ZONES]
    # Six in ten staff, three rooms, one piece of equipment; mixed so that a few resources have each.
    kinds = ["staff", "room", "staff", "equipment", "staff", "room", "staff", "staff", "room", "staff"]
    resources = []
    for i in range(options.resources):
        kind = kinds[i % len(kinds)]
        services = [n for n, s in enumerate(SERVICES) if s.kind == kind]
        resource = Resource(
            id=_uuid(rng),
            name=f"{kind.capitalize()} {i + 1:03d}",
            kind=kind,
            zone=rng.choices(zones, weights)[0],
            hours=rng.choice(HOURS[kind]),
            services=services,
            weight=rng.uniform(0.6, 1.4),
        )
        for year in range(first.year, last.year + 1):
            for month, day in ((1, 1), (12, 25), (12, 26)):
                resource.closed[date(year, month, day)] = []
            for month, day in ((12, 24), (12, 31)):
                resource.closed[date(year, month, day)] = [("09:00", "13:00")]
            for _ in range(2):
                training = date(year, 1, 1) + timedelta(days=rng.randrange(365))
                resource.closed.setdefault(training, [("13:00", "17:00")])
            for _ in range(2):
                begins = date(year, 1, 1) + timedelta(days=rng.randrange(365))
                resource.off.append((begins, begins + timedelta(days=rng.randint(5, 14))))
        resources.append(resource)
    return resources


def _working_days(resource: Resource, first: date, last: date) -> None:
    """The resource's working periods (UTC) per local date, overrides and time off applied."""
    zone = ZoneInfo(resource.zone)
    weekly: dict[int, list[tuple[str, str]]] = {}
    for interval in resource.hours:
        weekly.setdefault(interval["weekday"], []).append((interval["start"], interval["end"]))
    day = first
    while day < last:
        clocks = resource.closed.get(day, weekly.get(day.weekday(), []))
        if clocks and not any(begins <= day < ends for begins, ends in resource.off):
            periods = [(_at(day, s, zone), _at(day, e, zone)) for s, e in clocks]
            resource.days.append((periods[0][0], periods[-1][1], periods))
        day += timedelta(days=1)


def _quotas(resources: Sequence[Resource], total: int) -> list[int]:
    """Bookings per resource: proportional to its weight x working days, summing to `total`."""
    shares = [r.weight * len(r.days) for r in resources]
    whole = sum(shares) or 1.0
    exact = [total * s / whole for s in shares]
    quotas = [int(x) for x in exact]
    by_remainder = sorted(range(len(exact)), key=lambda i: exact[i] - quotas[i], reverse=True)
    for i in by_remainder[: total - sum(quotas)]:
        quotas[i] += 1
    return quotas


class Generator:
    """Writes the organization's catalog, contacts, resources and bookings."""

    def __init__(self, conn: psycopg.Connection[Any], options: Options) -> None:
        self.conn, self.options = conn, options
        self.rng = random.Random(options.seed)
        self.now = datetime.now(UTC).replace(second=0, microsecond=0)
        self.today = self.now.date()
        self.first = _years_back(self.today, options.years)
        self.last = self.today + timedelta(days=MONTHS_AHEAD_DAYS)
        self.org = options.organization_id
        self.service_ids: list[uuid.UUID] = []
        self.currency = "EUR"
        self.contact_ids: list[uuid.UUID] = []
        self.contact_weights: list[float] = []
        self.shortfall = 0

    def organization(self) -> None:
        with self.conn.transaction():
            self.conn.execute(
                "INSERT INTO identity_organization (id, name, timezone, created_at)"
                " VALUES (%s, 'Bench Health Group', 'Europe/Berlin', %s) ON CONFLICT (id) DO NOTHING",
                (self.org, datetime.combine(self.first, datetime.min.time(), UTC)),
            )
            self.conn.execute(
                "INSERT INTO transactions_billingsettings (id, currency, invoice_prefix,"
                " next_invoice_number, payment_terms_days, default_tax_rate, updated_at, organization_id)"
                " VALUES (%s, 'EUR', 'INV-', 1, 14, 19, %s, %s) ON CONFLICT DO NOTHING",
                (_uuid(self.rng), self.now, self.org),
            )
            row = self.conn.execute(
                "SELECT currency FROM transactions_billingsettings WHERE organization_id = %s", (self.org,)
            ).fetchone()
            self.currency = row[0] if row else "EUR"

    def catalog(self) -> None:
        self.service_ids = [_uuid(self.rng) for _ in SERVICES]
        created = datetime.combine(self.first, datetime.min.time(), UTC)
        with self.conn.transaction(), self.conn.cursor() as cur:
            columns = (
                "id, name, duration_minutes, price_amount, price_currency, buffer_before_minutes,"
                " buffer_after_minutes, capacity, is_active, created_at, updated_at, organization_id"
            )
            with cur.copy(f"COPY core_service ({columns}) FROM STDIN") as copy:
                for service_id, s in zip(self.service_ids, SERVICES, strict=True):
                    copy.write_row(
                        (
                            *(service_id, s.name, s.minutes, s.price, self.currency, s.before, s.after),
                            *(s.capacity, s.active, created, created, self.org),
                        )
                    )

    def contacts(self) -> None:
        count = self.options.contacts or max(200, self.options.bookings // 125)
        rng = self.rng
        span = (self.now - datetime.combine(self.first, datetime.min.time(), UTC)).total_seconds()
        progress = Progress("contacts", count, enabled=self.options.progress)
        columns = "id, first_name, last_name, email, phone, notes, tags, archived_at, created_at, updated_at"
        copying = f"COPY core_contact ({columns}, organization_id) FROM STDIN"
        with self.conn.transaction(), self.conn.cursor() as cur, cur.copy(copying) as copy:
            for i in range(count):
                contact_id = _uuid(rng)
                first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
                created = self.now - timedelta(seconds=span * rng.random())
                tags = rng.choice(([], [], ["regular"], ["insured"], ["regular", "insured"]))
                archived = created + timedelta(days=30) if rng.random() < 0.02 else None
                copy.write_row(
                    (
                        *(contact_id, first, last, f"{first}.{last}.{i}@example.com".lower()),
                        *(f"+4930{1000000 + i}", rng.choice(NOTES) if rng.random() < 0.05 else ""),
                        *(tags, min(archived, self.now) if archived else None, created, created, self.org),
                    )
                )
                self.contact_ids.append(contact_id)
                # A few regulars come often, most now and then.
                self.contact_weights.append(1.0 / (1 + rng.random() * 20))
                progress.update()
        progress.close()

    def resources_first(self) -> list[Resource]:
        resources = _resources(self.rng, self.options, self.first, self.last)
        for resource in resources:
            _working_days(resource, self.first, self.last)
        return resources

    def write_resources(self, resources: Sequence[Resource]) -> None:
        created = datetime.combine(self.first, datetime.min.time(), UTC) - timedelta(days=30)
        with self.conn.transaction(), self.conn.cursor() as cur:
            columns = "id, name, kind, timezone, is_active, working_hours, created_at, updated_at"
            with cur.copy(f"COPY core_resource ({columns}, organization_id) FROM STDIN") as copy:
                for r in resources:
                    copy.write_row(
                        (r.id, r.name, r.kind, r.zone, True, Jsonb(r.hours), created, created, self.org)
                    )
            columns = "id, resource_id, date, intervals, reason, created_at, updated_at, organization_id"
            with cur.copy(f"COPY core_workinghoursoverride ({columns}) FROM STDIN") as copy:
                for r in resources:
                    for day, clocks in sorted(r.closed.items()):
                        if self.first <= day < self.last:
                            intervals = Jsonb([{"start": s, "end": e} for s, e in clocks])
                            reason = "Closed" if not clocks else "Short day"
                            copy.write_row(
                                (_uuid(self.rng), r.id, day, intervals, reason, created, created, self.org)
                            )
            columns = 'id, resource_id, start, "end", reason, created_at, organization_id'
            with cur.copy(f"COPY core_timeoff ({columns}) FROM STDIN") as copy:
                zone_rows = ((r, ZoneInfo(r.zone)) for r in resources)
                for r, zone in zone_rows:
                    for begins, ends in r.off:
                        if begins < self.last and ends > self.first:
                            start, end = _at(begins, "00:00", zone), _at(ends, "00:00", zone)
                            copy.write_row((_uuid(self.rng), r.id, start, end, "Vacation", created, self.org))

    def bookings(self, resources: Sequence[Resource]) -> None:
        quotas = _quotas(resources, self.options.bookings)
        progress = Progress("bookings", self.options.bookings, enabled=self.options.progress)
        columns = (
            'id, start, "end", blocked_start, blocked_end, session, status, notes, cancel_reason,'
            " hold_expires_at, reminded_start, created_at, updated_at, contact_id, organization_id,"
            " resource_id, service_id"
        )
        for batch in range(0, len(resources), RESOURCES_PER_COMMIT):
            copying = f"COPY scheduling_booking ({columns}) FROM STDIN"
            with self.conn.transaction(), self.conn.cursor() as cur, cur.copy(copying) as copy:
                for i in range(batch, min(batch + RESOURCES_PER_COMMIT, len(resources))):
                    # What a full resource could not take goes to the next one.
                    for row in self._resource_bookings(resources[i], quotas[i] + self.shortfall):
                        copy.write_row(row)
                        progress.update()
        if self.shortfall:
            raise RuntimeError(
                f"{self.shortfall} bookings did not fit: give fewer bookings, or more resources or years"
            )
        progress.close()
        self.conn.execute("ANALYZE scheduling_booking")

    def _resource_bookings(self, resource: Resource, quota: int) -> Iterator[tuple[Any, ...]]:
        """The resource's bookings, day by day on its own grid: never two blocking rows at once."""
        rng = self.rng
        cumulative = list(accumulate(self.contact_weights))
        remaining = quota
        days = resource.days
        # The mean minutes a booking blocks here: what spreads the day's bookings over its hours.
        specs = [SERVICES[i] for i in resource.services]
        block = sum(s.before + s.minutes + s.after for s in specs) / len(specs)
        for n, (_, _, periods) in enumerate(days):
            mean = remaining / (len(days) - n)
            wanted = int(mean) + (rng.random() < mean - int(mean))
            if n == len(days) - 1:
                wanted = remaining
            placed = 0
            free = sum((e - s).total_seconds() for s, e in periods) / 60
            spare = max(0.0, free - wanted * block) * 0.8
            for start_of, end_of in periods:
                cursor = start_of
                while placed < wanted:
                    spec_index = rng.choice(resource.services)
                    spec = SERVICES[spec_index]
                    gap = round(rng.uniform(0, 2 * spare / (wanted + 1)) / 15) * 15 if spare else 0
                    blocked_start = cursor + timedelta(minutes=gap)
                    start = blocked_start + timedelta(minutes=spec.before)
                    end = start + timedelta(minutes=spec.minutes)
                    blocked_end = end + timedelta(minutes=spec.after)
                    if blocked_end > end_of:
                        break
                    cursor = blocked_end
                    session = _uuid(rng)
                    attendees = 1 if spec.capacity == 1 else rng.randint(2, spec.capacity)
                    attendees = min(attendees, wanted - placed)
                    contacts: set[uuid.UUID] = set()
                    while len(contacts) < attendees:
                        pick = bisect_left(cumulative, rng.random() * cumulative[-1])
                        contacts.add(self.contact_ids[min(pick, len(cumulative) - 1)])
                    for k, contact in enumerate(sorted(contacts)):
                        booking_id = session if k == 0 else _uuid(rng)
                        yield self._row(
                            booking_id,
                            session,
                            contact,
                            resource,
                            spec_index,
                            (start, end, blocked_start, blocked_end),
                        )
                    placed += attendees
            remaining -= placed
        self.shortfall = remaining

    def _row(  # noqa: PLR0917 - one private call site
        self,
        booking_id: uuid.UUID,
        session: uuid.UUID,
        contact: uuid.UUID,
        resource: Resource,
        spec_index: int,
        period: tuple[datetime, datetime, datetime, datetime],
    ) -> tuple[Any, ...]:
        """One booking row; its status, reminder and hold follow from where it lies against now."""
        start, end, blocked_start, blocked_end = period
        rng, now = self.rng, self.now
        created = start - timedelta(minutes=rng.randint(60, 45 * 24 * 60))
        updated = created
        cancel_reason = ""
        hold_expires = reminded = None
        if end <= now:
            status = rng.choices(("completed", "no_show", "cancelled"), (82, 5, 13))[0]
            if status != "cancelled":
                updated, reminded = end, start
        elif start <= now:
            status = "confirmed"
        else:
            status = rng.choices(("confirmed", "pending", "cancelled", "held"), (62, 28, 8, 2))[0]
            if status == "held" and start > now + timedelta(days=14):
                status = "pending"
            if status == "held":
                created = updated = now - timedelta(minutes=rng.randint(1, 9))
                hold_expires = created + timedelta(minutes=10)
            elif status != "cancelled" and start < now + timedelta(days=1):
                reminded = start
        if created > now:
            # Booked some time ago, never all at this instant (a data version would see them all as new).
            created = updated = now - timedelta(minutes=rng.randint(60, 30 * 24 * 60))
        if status == "cancelled":
            cancel_reason = rng.choice(CANCEL_REASONS)
            updated = created + (min(start, now) - created) * rng.random()
        notes = rng.choice(NOTES) if rng.random() < 0.05 else ""
        return (
            booking_id,
            start,
            end,
            blocked_start,
            blocked_end,
            session,
            status,
            notes,
            cancel_reason,
            hold_expires,
            reminded,
            created,
            updated,
            contact,
            self.org,
            resource.id,
            self.service_ids[spec_index],
        )


# Deterministic per-row randomness for the set-based money statements: a uniform [0, 1) and an id,
# both from the md5 of a seeded key (the booking ids they start from are themselves seeded).
_SQL_FUNCTIONS = """
CREATE OR REPLACE FUNCTION pg_temp.u(key text) RETURNS double precision LANGUAGE sql IMMUTABLE AS
$$ SELECT ('x' || substr(md5(key), 1, 8))::bit(32)::bigint / 4294967296.0 $$;
CREATE OR REPLACE FUNCTION pg_temp.id(key text) RETURNS uuid LANGUAGE sql IMMUTABLE AS
$$ SELECT md5(key)::uuid $$;
"""

# One month of completed sessions (by their end) and what became of their invoices.
_PLAN = """
CREATE TEMP TABLE plan ON COMMIT DROP AS
WITH invoiced AS (
    SELECT b.id AS booking_id, b.contact_id, b.service_id, s.name AS service_name,
           s.price_amount AS net, t.rate AS tax_rate,
           to_char(b.start AT TIME ZONE r.timezone, 'YYYY-MM-DD HH24:MI') AS local_start,
           b."end" + interval '30 minutes' AS issued_at,
           pg_temp.id(%(s)s::text || 'invoice:' || b.id) AS invoice_id,
           pg_temp.u(%(s)s::text || 'fate:' || b.id) AS fate,
           pg_temp.u(%(s)s::text || 'delay:' || b.id) AS delay,
           pg_temp.u(%(s)s::text || 'method:' || b.id) AS m,
           pg_temp.u(%(s)s::text || 'refund:' || b.id) AS rf
    FROM scheduling_booking b
    JOIN core_service s ON s.id = b.service_id
    JOIN core_resource r ON r.id = b.resource_id
    JOIN tax_rates t ON t.service_id = b.service_id
    WHERE b.organization_id = %(org)s AND b.resource_id = ANY(%(resources)s)
      AND b.status = 'completed' AND b."end" >= %(lo)s AND b."end" < %(hi)s
      AND b."end" + interval '30 minutes' <= %(now)s AND s.price_amount > 0
      AND pg_temp.u(%(s)s::text || 'invoiced:' || b.id) < %(invoiced)s
), numbered AS (
    SELECT i.*,
           %(offset)s + row_number() OVER (ORDER BY issued_at, invoice_id) AS sequence,
           round(net * tax_rate / 100, 2) AS tax,
           (issued_at AT TIME ZONE 'Europe/Berlin')::date AS issue_date,
           issued_at + delay * interval '21 days' AS received_at,
           issued_at + delay * interval '5 days' AS voided_at,
           -- What would happen after now has not happened yet: the invoice is still open.
           CASE
               WHEN fate < %(void)s AND issued_at + delay * interval '5 days' <= %(now)s THEN 'void'
               WHEN issued_at + delay * interval '21 days' > %(now)s OR fate < %(void)s THEN 'issued'
               WHEN fate < %(void)s + CASE WHEN issued_at < %(recent)s THEN %(paid)s ELSE %(recent_paid)s END
                   THEN 'paid'
               WHEN fate < %(void)s + %(paid)s + %(partly)s AND issued_at < %(recent)s THEN 'partially_paid'
               ELSE 'issued'
           END AS status,
           CASE WHEN m < 0.55 THEN 'card' WHEN m < 0.75 THEN 'cash' WHEN m < 0.95 THEN 'transfer'
                ELSE 'other' END AS method
    FROM invoiced i
), settled AS (
    SELECT n.*, net + tax AS total,
           CASE status WHEN 'paid' THEN net + tax WHEN 'partially_paid' THEN round((net + tax) / 2, 2)
                ELSE 0 END AS paid
    FROM numbered n
)
SELECT s.*,
       %(prefix)s || lpad(sequence::text, greatest(6, length(sequence::text)), '0') AS number,
       CASE WHEN status = 'paid' AND rf < %(refunded)s AND received_at + rf * interval '400 days' <= %(now)s
            THEN CASE WHEN rf < %(refunded)s / 2 THEN round(total / 2, 2) ELSE total END
            ELSE 0 END AS refunded,
       received_at + rf * interval '400 days' AS refunded_at,
       pg_temp.id(%(s)s::text || 'payment:' || invoice_id) AS payment_id,
       pg_temp.id(%(s)s::text || 'refund:' || invoice_id) AS refund_id
FROM settled s
"""

_INVOICES = """
INSERT INTO transactions_invoice (id, status, number, sequence, currency, issue_date, due_date, notes,
    net_total, tax_total, total, amount_paid, amount_refunded, void_reason, issued_at, voided_at,
    overdue_notified_at, created_at, updated_at, booking_id, contact_id, organization_id)
SELECT invoice_id, status, number, sequence, %(currency)s, issue_date, issue_date + %(terms)s::int, '',
    net, tax, total, paid, refunded, CASE WHEN status = 'void' THEN 'Issued in error' ELSE '' END,
    issued_at, CASE WHEN status = 'void' THEN voided_at END,
    CASE WHEN status IN ('issued', 'partially_paid') AND issue_date + %(terms)s::int < %(today)s
         THEN (issue_date + %(terms)s::int + 1) + time '08:00' END,
    issued_at - interval '5 minutes',
    greatest(issued_at, CASE WHEN paid > 0 THEN received_at END, CASE WHEN refunded > 0 THEN refunded_at END,
             CASE WHEN status = 'void' THEN voided_at END),
    booking_id, contact_id, %(org)s
FROM plan;
INSERT INTO transactions_invoiceline (id, position, description, quantity, unit_price, tax_rate,
    net, tax, total, invoice_id, organization_id, service_id)
SELECT pg_temp.id(%(s)s::text || 'line:' || invoice_id), 0, service_name || ', ' || local_start, 1,
    net, tax_rate, net, tax, total, invoice_id, %(org)s, service_id
FROM plan;
INSERT INTO transactions_payment (id, amount, currency, method, reference, received_at, amount_refunded,
    created_at, contact_id, created_by_id, invoice_id, organization_id)
SELECT payment_id, paid, %(currency)s, method, CASE WHEN method = 'transfer' THEN number ELSE '' END,
    received_at, refunded, received_at, contact_id, NULL, invoice_id, %(org)s
FROM plan WHERE paid > 0;
INSERT INTO transactions_refund (id, amount, currency, reason, created_at, created_by_id, organization_id,
    payment_id)
SELECT refund_id, refunded, %(currency)s, 'Goodwill', refunded_at, NULL, %(org)s, payment_id
FROM plan WHERE refunded > 0;
INSERT INTO transactions_ledgeraccount (id, kind, contact_id, organization_id)
SELECT DISTINCT pg_temp.id(%(s)s::text || 'receivables:' || contact_id), 'receivables', contact_id,
    %(org)s
FROM plan
ON CONFLICT DO NOTHING;
"""

# The ledger transactions of the month, with their entries (the legs the services post).
_LEDGER = """
CREATE TEMP TABLE moves ON COMMIT DROP AS
SELECT pg_temp.id(%(s)s::text || 'tx-issued:' || invoice_id) AS id, 'invoice_issued' AS kind, issued_at AS at,
       'Invoice ' || number || ' issued' AS description, p.*, NULL::uuid AS pay, NULL::uuid AS ref
FROM plan p
UNION ALL
SELECT pg_temp.id(%(s)s::text || 'tx-voided:' || invoice_id), 'invoice_voided', voided_at,
       'Invoice ' || number || ' voided', p.*, NULL, NULL
FROM plan p WHERE status = 'void'
UNION ALL
SELECT pg_temp.id(%(s)s::text || 'tx-payment:' || invoice_id), 'payment', received_at,
       'Payment by ' || method || ', invoice ' || number, p.*, payment_id, NULL
FROM plan p WHERE paid > 0
UNION ALL
SELECT pg_temp.id(%(s)s::text || 'tx-refund:' || invoice_id), 'refund', refunded_at,
       'Refund of a ' || method || ' payment, invoice ' || number, p.*, payment_id, refund_id
FROM plan p WHERE refunded > 0;
INSERT INTO transactions_ledgertransaction (id, kind, occurred_at, description, created_at, contact_id,
    invoice_id, organization_id, payment_id, refund_id)
SELECT id, kind, at, description, at, contact_id, invoice_id, %(org)s, pay, ref FROM moves;
INSERT INTO transactions_ledgerentry (id, currency, amount, account_id, organization_id, transaction_id)
SELECT pg_temp.id(m.id || ':' || leg.n), %(currency)s, leg.amount, coalesce(leg.account, a.id), %(org)s, m.id
FROM moves m
JOIN transactions_ledgeraccount a
  ON a.organization_id = %(org)s AND a.kind = 'receivables' AND a.contact_id = m.contact_id
CROSS JOIN LATERAL (VALUES
    -- invoice issued: receivables against revenue and tax; voided: the reverse
    (1, CASE m.kind WHEN 'invoice_issued' THEN m.total WHEN 'invoice_voided' THEN -m.total
                    WHEN 'payment' THEN -m.paid END, NULL::uuid),
    (2, CASE m.kind WHEN 'invoice_issued' THEN -m.net WHEN 'invoice_voided' THEN m.net END, %(revenue)s),
    (3, CASE m.kind WHEN 'invoice_issued' THEN -m.tax WHEN 'invoice_voided' THEN m.tax END, %(tax)s),
    -- payment: cash or bank against receivables; refund: refunds against cash or bank
    (4, CASE m.kind WHEN 'payment' THEN m.paid WHEN 'refund' THEN -m.refunded END,
        CASE WHEN m.method = 'cash' THEN %(cash)s::uuid ELSE %(bank)s::uuid END),
    (5, CASE m.kind WHEN 'refund' THEN m.refunded END, %(refunds)s)
) AS leg (n, amount, account)
WHERE leg.amount IS NOT NULL AND leg.amount <> 0;
"""


class Ledger:
    """Invoices, payments and refunds of the generated bookings, and their ledger transactions."""

    def __init__(self, generator: Generator, resources: Sequence[Resource]) -> None:
        self.g = generator
        self.resources = [r.id for r in resources]

    def _accounts(self) -> dict[str, uuid.UUID]:
        conn, org = self.g.conn, self.g.org
        with conn.transaction():
            for kind in ("cash", "bank", "revenue", "tax", "refunds"):
                conn.execute(
                    "INSERT INTO transactions_ledgeraccount (id, kind, contact_id, organization_id)"
                    " VALUES (%s, %s, NULL, %s) ON CONFLICT DO NOTHING",
                    (_uuid(self.g.rng), kind, org),
                )
            rows = conn.execute(
                "SELECT kind, id FROM transactions_ledgeraccount"
                " WHERE organization_id = %s AND contact_id IS NULL",
                (org,),
            ).fetchall()
        return {kind: account for kind, account in rows}  # noqa: C416 - typed

    def write(self) -> None:
        g, conn = self.g, self.g.conn
        conn.execute(_SQL_FUNCTIONS)
        conn.execute("CREATE TEMP TABLE tax_rates (service_id uuid PRIMARY KEY, rate numeric)")
        with conn.cursor() as cur, cur.copy("COPY tax_rates FROM STDIN") as copy:
            for service_id, spec in zip(g.service_ids, SERVICES, strict=True):
                copy.write_row((service_id, spec.tax_rate))
        accounts = self._accounts()
        months = []
        month = g.first.replace(day=1)
        while month <= g.today:
            following = (month + timedelta(days=32)).replace(day=1)
            months.append((month, following))
            month = following
        progress = Progress("money", len(months), enabled=g.options.progress)
        for lo, hi in months:
            with conn.transaction():
                # The organization's number sequence, under its row lock as the issuing service takes it.
                row = conn.execute(
                    "SELECT next_invoice_number, invoice_prefix, payment_terms_days FROM"
                    " transactions_billingsettings WHERE organization_id = %s FOR UPDATE",
                    (g.org,),
                ).fetchone()
                assert row is not None  # made by Generator.organization()
                params = {
                    "s": f"{g.options.seed}:{g.org}:",
                    "org": g.org,
                    "resources": self.resources,
                    "lo": datetime.combine(lo, datetime.min.time(), UTC),
                    "hi": datetime.combine(hi, datetime.min.time(), UTC),
                    "now": g.now,
                    "today": g.today,
                    "recent": g.now - timedelta(days=RECENT_DAYS),
                    "offset": row[0] - 1,
                    "prefix": row[1],
                    "terms": row[2],
                    "currency": g.currency,
                    "invoiced": INVOICED_SHARE,
                    "void": VOID_SHARE,
                    "paid": PAID_SHARE,
                    "recent_paid": RECENT_PAID_SHARE,
                    "partly": PARTLY_PAID_SHARE,
                    "refunded": REFUNDED_SHARE,
                    **accounts,
                }
                for statement in (_PLAN + ";" + _INVOICES + _LEDGER).split(";\n"):
                    if statement.strip():
                        conn.execute(statement, params)
                conn.execute(
                    "UPDATE transactions_billingsettings SET next_invoice_number = next_invoice_number"
                    " + (SELECT count(*) FROM plan), updated_at = %s WHERE organization_id = %s",
                    (g.now, g.org),
                )
            progress.update()
        progress.close()
        for table in ("transactions_invoice", "transactions_payment", "transactions_ledgerentry"):
            conn.execute(sql.SQL("ANALYZE {}").format(sql.Identifier(table)))


COUNTED = {
    "contacts": "core_contact",
    "resources": "core_resource",
    "services": "core_service",
    "time_off": "core_timeoff",
    "hours_overrides": "core_workinghoursoverride",
    "bookings": "scheduling_booking",
    "invoices": "transactions_invoice",
    "invoice_lines": "transactions_invoiceline",
    "payments": "transactions_payment",
    "refunds": "transactions_refund",
    "ledger_transactions": "transactions_ledgertransaction",
    "ledger_entries": "transactions_ledgerentry",
}


def seeded(conn: psycopg.Connection[Any], options: Options) -> bool:
    """Whether this seed's first resource is in the database already (a second run would collide)."""
    first_resource = _uuid(random.Random(options.seed))
    return conn.execute("SELECT 1 FROM core_resource WHERE id = %s", (first_resource,)).fetchone() is not None


def seed(database_url: str, options: Options) -> Result:
    """Writes the organization's history into the (migrated) database; its counts and the time taken."""
    began = time.monotonic()
    with psycopg.connect(database_url, autocommit=True) as conn:
        generator = Generator(conn, options)
        # The first draw is the first resource's id (see `seeded`): resources come first.
        resources = generator.resources_first()
        generator.organization()
        generator.catalog()
        generator.contacts()
        generator.write_resources(resources)
        generator.bookings(resources)
        Ledger(generator, resources).write()
        seal_personal_data(conn, options.organization_id, progress=options.progress)
        counts = {}
        for name, table in COUNTED.items():
            row = conn.execute(
                sql.SQL("SELECT count(*) FROM {} WHERE organization_id = %s").format(sql.Identifier(table)),
                (options.organization_id,),
            ).fetchone()
            counts[name] = row[0] if row else 0
    return Result(counts=counts, seconds=round(time.monotonic() - began, 1))


def seal_personal_data(conn: psycopg.Connection[Any], organization: uuid.UUID, *, progress: bool) -> int:
    """Seals the organization's plain values in every encrypted text column; returns how many.

    The generator writes plain text (COPY and set-based SQL cannot call the cipher); this pass
    encrypts what it wrote with the backend's own field code, one column at a time and a batch per
    UPDATE, and gives the contacts the blind indexes `Contact.save` would have set.
    """
    if not django.apps.apps.ready:
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.test")
        django.setup()
    from apps.core.phones import email_lookup_form  # noqa: PLC0415 - Django is set up just above
    from hubkit.encryption.fields import EncryptedTextField  # noqa: PLC0415
    from hubkit.encryption.keys import PREFIX, blind_index, keyring  # noqa: PLC0415
    from hubkit.encryption.rotation import encrypted_models  # noqa: PLC0415

    ring = keyring()
    sealed = 0
    with conn.cursor() as cur:
        # Blind indexes first, from the plain values (the index hashes the value, not its envelope).
        rows = cur.execute(
            "SELECT id, email, phone FROM core_contact WHERE organization_id = %s AND email NOT LIKE %s",
            (organization, f"{PREFIX}%"),
        ).fetchall()
        with conn.transaction():
            cur.execute(
                "CREATE TEMP TABLE seal_index (id uuid, email_index text, phone_index text) ON COMMIT DROP"
            )
            with cur.copy("COPY seal_index FROM STDIN") as copy:
                for contact_id, email, phone in rows:
                    copy.write_row((contact_id, blind_index(email_lookup_form(email)), blind_index(phone)))
            cur.execute(
                "UPDATE core_contact c SET email_index = s.email_index, phone_index = s.phone_index"
                " FROM seal_index s WHERE c.id = s.id"
            )
        for model, fields in encrypted_models():
            table = model._meta.db_table
            if "organization_id" not in {f.column for f in model._meta.concrete_fields}:
                continue
            for f in fields:
                if not isinstance(f, EncryptedTextField):
                    continue
                column = sql.Identifier(f.column)
                plain = cur.execute(
                    sql.SQL(
                        "SELECT id, {c} FROM {t} WHERE organization_id = %s AND {c} <> '' AND {c} NOT LIKE %s"
                    ).format(c=column, t=sql.Identifier(table)),
                    (organization, f"{PREFIX}%"),
                ).fetchall()
                if not plain:
                    continue
                bar = Progress(f"sealing {table}.{f.column}", len(plain), enabled=progress)
                with conn.transaction():
                    cur.execute("CREATE TEMP TABLE seal_value (id uuid, value text) ON COMMIT DROP")
                    with cur.copy("COPY seal_value FROM STDIN") as copy:
                        for row_id, value in plain:
                            copy.write_row((row_id, ring.encrypt(value.encode())))
                            bar.update()
                    cur.execute(
                        sql.SQL("UPDATE {t} x SET {c} = s.value FROM seal_value s WHERE x.id = s.id").format(
                            t=sql.Identifier(table), c=column
                        )
                    )
                bar.close()
                sealed += len(plain)
    return sealed


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)
    if conninfo_to_dict(url).get("dbname") == DEV_DATABASE:
        sys.exit(f"refusing to seed the development database {DEV_DATABASE}: set DATABASE_URL to another one")
    return url


def ensure_database(url: str) -> None:
    """Creates the database when absent and migrates it (a no-op when it is up to date)."""
    params = conninfo_to_dict(url)
    name = str(params["dbname"])
    with psycopg.connect(make_conninfo(url, dbname="postgres"), autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    env = {"DATABASE_URL": url, "DJANGO_SETTINGS_MODULE": "config.settings.test"}
    manage(BACKEND, env, "migrate", "--no-input", "-v", "0", timeout=600)


def run(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.seed", description=__doc__.splitlines()[0])
    parser.add_argument("--bookings", type=int, default=Options.bookings)
    parser.add_argument("--resources", type=int, default=Options.resources)
    parser.add_argument("--years", type=int, default=Options.years)
    parser.add_argument("--contacts", type=int, default=None, help="default: one per 125 bookings")
    parser.add_argument("--organization-id", type=uuid.UUID, default=DEFAULT_ORGANIZATION)
    parser.add_argument("--seed", type=int, default=Options.seed)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    options = Options(
        organization_id=args.organization_id,
        bookings=args.bookings,
        resources=args.resources,
        years=args.years,
        contacts=args.contacts,
        seed=args.seed,
        progress=not args.no_progress,
    )
    url = _database_url()
    ensure_database(url)
    with psycopg.connect(url) as conn:
        if seeded(conn, options):
            sys.exit(
                f"seed {options.seed} is in {conninfo_to_dict(url)['dbname']} already:"
                " drop the database or pick another --seed"
            )
    result = seed(url, options)
    for name, count in result.counts.items():
        print(f"{name:>20}: {count:>10,}")
    print(f"{'seconds':>20}: {result.seconds:>10}")


if __name__ == "__main__":
    run()
