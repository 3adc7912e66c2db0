"""Payments through the served API: payments/s with a fresh Idempotency-Key each, replays/s, the ledger after.

Run from backend/: `.venv/bin/python -m bench.transactions` (needs `wrk`, as `bench.scheduling`).
The stack is `bench.harness.served`: a real identity-service (a manager's token: payments move
money, so every one is introspected), the backend served as `make run` serves it (Granian WSGI,
the Procfile's 2 workers x 1 blocking thread, `config.settings.local` with DEBUG=false) and the
ceiling app on the same Granian command line. The generator gives Acme CONTACTS contacts (straight
into the database); once served, INVOICES of them get an issued invoice far larger than the run
can pay off (through the API, so invoice, number and ledger are the backend's own), and REPLAY_KEYS
payments on account are made once, each with its own key, for the replays. The demo data
(`seed_demo`) brings invoices, payments and refunds of its own; the ledger checks cover them too.

1. Payments: wrk POSTs `/payments` at PAYMENT_CONNECTIONS (16) connections, every request with a
   key of its own (`bench-<run>-<n>`): every other one on account for one of the contacts, the
   others against one of the big invoices (of that invoice's contact), amounts and methods
   varying. Interleaved with the ceiling's hello-world (CONNECTIONS connections) as in
   `bench.api_throughput`. Reported: payments/s, p50/p95/p99 (wrk's own), hello rps and
   `payments_per_hello`. Goal: `payments_per_hello` >= 0.25. Every answer must be 201 and not a
   replay (the script counts them), and the rows in the database must match.
2. Replays: the same REPLAY_KEYS keys and bodies sent again, round robin, in the same rounds.
   Every answer must be a 201 with `Idempotent-Replayed: true`, and none makes a row. Reported
   as replays/s without a goal.
3. The ledger, by SQL on the bench database after the run: every ledger transaction's entries sum
   to zero per currency, one `payment` transaction per payment row, and per currency the payments
   sum to the cash and bank debits (the run makes no refunds, so those come from payments only).

Figures go to bench/results/transactions.json; exits 1 when the goal is missed or a check fails.
"""

from __future__ import annotations

import json
import os
import random
import sys
import tempfile
import time
import uuid
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import psycopg

from bench.harness import (
    ACME,
    BACKEND,
    CONNECTIONS,
    GRANIAN_ARGS,
    ROUNDS,
    SECONDS_PER_ROUND,
    WORKERS,
    WRK_POST_PRELUDE,
    WRK_THREADS,
    Stack,
    Target,
    measure,
    served,
    start_wrk_bench,
)

RESULTS = BACKEND / "bench" / "results" / "transactions.json"
NAME = "transactions"
MANAGER = "manager@acme.test"
CONTACTS = 500
INVOICES = 40
REPLAY_KEYS = 64
PAYMENT_CONNECTIONS = int(os.environ.get("BENCH_PAYMENT_CONNECTIONS", "16"))
# 1000 x 1000.00: more than any run pays into one invoice (a few cents to 25.00 a payment).
INVOICE_LINE = {
    "description": "Annual care plan",
    "quantity": "1000",
    "unit_price": "1000.00",
    "tax_rate": "0",
}
GOALS = {"payments_per_hello": 0.25}


@dataclass(frozen=True)
class Prepared:
    contacts: list[uuid.UUID]
    seconds: float


@dataclass(frozen=True)
class Invoices:
    """The big invoices as (contact id, invoice id) pairs, and the payments kept for the replays."""

    pairs: list[tuple[str, str]]
    replays: list[tuple[str, str]]  # (key, exact body bytes as text)
    seconds: float


def _prepare(database_url: str) -> Prepared:
    """CONTACTS contacts of Acme, as a practice's client list."""
    from django.db import connection  # noqa: PLC0415 - Django is set up by main()

    from apps.core.models import Contact  # noqa: PLC0415
    from apps.identity.models import Organization  # noqa: PLC0415

    began = time.monotonic()
    if connection.settings_dict["NAME"] != database_url.rsplit("/", 1)[1]:
        raise RuntimeError(f"Django is not set up on {database_url}")
    rng = random.Random(20261201)
    first = ["Anna", "Ben", "Clara", "David", "Emma", "Felix", "Greta", "Jonas", "Lena", "Paul"]
    last = ["Müller", "Schmidt", "Fischer", "Weber", "Wagner", "Becker", "Koch", "Wolf"]
    org = Organization.objects.get(id=ACME)
    contacts = Contact.all_tenants.bulk_create(
        Contact(
            organization=org,
            first_name=rng.choice(first),
            last_name=rng.choice(last),
            email=f"client{i}@bench.test",
        )
        for i in range(CONTACTS)
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE core_contact")
    return Prepared(contacts=[c.id for c in contacts], seconds=round(time.monotonic() - began, 1))


def _money(amount: str) -> dict[str, str]:
    return {"amount": amount, "currency": "EUR"}


def _invoices(stack: Stack, prepared: Prepared) -> Invoices:
    """INVOICES issued invoices through the API, and REPLAY_KEYS payments on account to replay."""
    began = time.monotonic()
    pairs: list[tuple[str, str]] = []
    replays: list[tuple[str, str]] = []
    with httpx.Client(base_url=stack.api, headers=stack.auth(MANAGER), timeout=30) as client:
        for contact in prepared.contacts[:INVOICES]:
            invoice = {"contact_id": str(contact), "currency": "EUR", "lines": [INVOICE_LINE]}
            draft = client.post("/invoices", json=invoice)
            if draft.status_code != 201:
                raise RuntimeError(f"POST /invoices answered {draft.status_code}: {draft.text[:300]}")
            issued = client.post(f"/invoices/{draft.json()['id']}/issue")
            if issued.status_code != 200:
                raise RuntimeError(
                    f"POST /invoices/{{id}}/issue answered {issued.status_code}: {issued.text[:300]}"
                )
            pairs.append((str(contact), str(draft.json()["id"])))
        for n in range(REPLAY_KEYS):
            key = f"bench-replay-{n}"
            contact = prepared.contacts[-1 - n]
            body = json.dumps(
                {"contact_id": str(contact), "amount": _money(f"{10 + n}.50"), "method": "card"},
                separators=(",", ":"),
            )
            headers = {"Idempotency-Key": key, "Content-Type": "application/json"}
            paid = client.post("/payments", content=body.encode(), headers=headers)
            if paid.status_code != 201:
                raise RuntimeError(f"POST /payments answered {paid.status_code}: {paid.text[:300]}")
            replays.append((key, body))
    return Invoices(pairs=pairs, replays=replays, seconds=round(time.monotonic() - began, 1))


_COMMON = (
    WRK_POST_PRELUDE
    + """
function response(status, headers, body)
  local replayed = headers["Idempotent-Replayed"] or headers["idempotent-replayed"]
  local code = tostring(status)
  if replayed == "true" then code = code .. "-replayed" end
  statuses[code] = (statuses[code] or 0) + 1
  if code ~= expected and failure == nil then
    failure = code .. " " .. string.sub(body, 1, 300)
  end
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(started) do
    for code, n in pairs(thread:get("statuses")) do
      total[code] = (total[code] or 0) + n
    end
    local first = thread:get("failure")
    if first then print("failure " .. first) end
  end
  for code, n in pairs(total) do print("status " .. code .. " " .. n) end
  for _, cut in ipairs({50, 95, 99}) do print("latency p" .. cut .. " " .. latency:percentile(cut)) end
end
"""
)

_PAYMENT_SCRIPT = """
-- POST /payments, each with a key no other request of any run has: bench-<run>-<n>.
local contacts = {%(contacts)s}
local invoice_contacts = {%(invoice_contacts)s}
local invoices = {%(invoices)s}
local methods = {"cash", "card", "transfer", "other"}
local wrk_threads = %(threads)d
expected = "201"

function request()
  local g = sent * wrk_threads + number
  local on_account = sent %% 2 == 0
  sent = sent + 1
  wrk.headers["Idempotency-Key"] = string.format("bench-%%d-%%d", run, g)
  local amount = string.format("%%d.%%02d", g %% 25, g %% 100)
  if amount == "0.00" then amount = "0.50" end
  local method = methods[g %% #methods + 1]
  local body
  if on_account then
    body = string.format(
      '{"contact_id":"%%s","amount":{"amount":"%%s","currency":"EUR"},"method":"%%s"}',
      contacts[math.floor(g / 2) %% #contacts + 1], amount, method)
  else
    local i = math.floor(g / 2) %% #invoices + 1
    body = string.format(
      '{"contact_id":"%%s","invoice_id":"%%s","amount":{"amount":"%%s","currency":"EUR"},"method":"%%s"}',
      invoice_contacts[i], invoices[i], amount, method)
  end
  return wrk.format(nil, nil, nil, body)
end
"""

_REPLAY_SCRIPT = """
-- The same keys and bodies again, round robin: every answer is the stored one.
local keys = {%(keys)s}
local bodies = {%(bodies)s}
local wrk_threads = %(threads)d
expected = "201-replayed"

function request()
  local k = (sent * wrk_threads + number) %% #keys + 1
  sent = sent + 1
  wrk.headers["Idempotency-Key"] = keys[k]
  return wrk.format(nil, nil, nil, bodies[k])
end
"""


def _lua(text: str) -> str:
    return json.dumps(text)  # for ASCII text (ids, amounts) a JSON string is a Lua string literal


def _scripts(prepared: Prepared, invoices: Invoices, directory: Path) -> tuple[Path, Path]:
    payments = directory / "payments.lua"
    payments.write_text(
        _COMMON
        + _PAYMENT_SCRIPT
        % {
            "contacts": ", ".join(_lua(str(c)) for c in prepared.contacts[INVOICES:]),
            "invoice_contacts": ", ".join(_lua(c) for c, _ in invoices.pairs),
            "invoices": ", ".join(_lua(i) for _, i in invoices.pairs),
            "threads": WRK_THREADS,
        }
    )
    replays = directory / "replays.lua"
    replays.write_text(
        _COMMON
        + _REPLAY_SCRIPT
        % {
            "keys": ", ".join(_lua(k) for k, _ in invoices.replays),
            "bodies": ", ".join(_lua(b) for _, b in invoices.replays),
            "threads": WRK_THREADS,
        }
    )
    return payments, replays


def _scalar(conn: psycopg.Connection[Any], sql: str) -> Any:
    row = conn.execute(sql).fetchone()
    return row[0] if row else None


def _by_currency(conn: psycopg.Connection[Any], sql: str) -> dict[str, str]:
    return {currency: str(total) for currency, total in conn.execute(sql).fetchall()}


def _ledger(stack: Stack) -> dict[str, Any]:
    """The ledger invariants, by SQL that does not use the code under test."""
    with psycopg.connect(stack.database_url) as conn:
        unbalanced = _scalar(
            conn,
            "SELECT count(*) FROM (SELECT transaction_id, currency FROM transactions_ledgerentry"
            " GROUP BY transaction_id, currency HAVING sum(amount) <> 0) AS unbalanced",
        )
        transactions = _scalar(conn, "SELECT count(*) FROM transactions_ledgertransaction")
        entries = _scalar(conn, "SELECT count(*) FROM transactions_ledgerentry")
        payment_transactions = _scalar(
            conn, "SELECT count(*) FROM transactions_ledgertransaction WHERE kind = 'payment'"
        )
        payment_rows = _scalar(conn, "SELECT count(*) FROM transactions_payment")
        payments = _by_currency(
            conn, "SELECT currency, sum(amount) FROM transactions_payment GROUP BY currency ORDER BY currency"
        )
        debits = _by_currency(
            conn,
            "SELECT e.currency, sum(e.amount) FROM transactions_ledgerentry e"
            " JOIN transactions_ledgeraccount a ON a.id = e.account_id"
            " WHERE a.kind IN ('cash', 'bank') AND e.amount > 0 GROUP BY e.currency ORDER BY e.currency",
        )
    return {
        "transactions": transactions,
        "entries": entries,
        "unbalanced_transactions": unbalanced,
        "payment_transactions": payment_transactions,
        "payment_rows": payment_rows,
        "payments_sum": payments,
        "cash_and_bank_debits": debits,
        "checks": {
            "every_transaction_balances": unbalanced == 0 and transactions > 0,
            "one_transaction_per_payment": payment_transactions == payment_rows,
            "payments_equal_cash_and_bank_debits": {c: Decimal(v) for c, v in payments.items()}
            == {c: Decimal(v) for c, v in debits.items()},
        },
    }


def _payments(stack: Stack, prepared: Prepared, invoices: Invoices) -> dict[str, Any]:
    with psycopg.connect(stack.database_url) as conn:
        # The demo data's payments and the ones kept for the replays.
        before = _scalar(conn, "SELECT count(*) FROM transactions_payment")
    with tempfile.TemporaryDirectory(prefix="bench-transactions-") as directory:
        payment_script, replay_script = _scripts(prepared, invoices, Path(directory))
        auth = stack.auth(MANAGER)
        figures = measure(
            {
                "hello": Target(stack.ceiling.url + "/hello"),
                "payment": Target(
                    stack.api + "/payments",
                    auth,
                    script=payment_script,
                    all_2xx=False,
                    connections=PAYMENT_CONNECTIONS,
                ),
                "replay": Target(
                    stack.api + "/payments",
                    auth,
                    script=replay_script,
                    all_2xx=False,
                    connections=PAYMENT_CONNECTIONS,
                ),
            }
        )
    payment, replay = figures["payment"], figures["replay"]
    created = payment["statuses"].get("201", 0) + payment["warmup"]["statuses"].get("201", 0)
    answered = payment["requests"] + payment["warmup"]["requests"]
    replayed = replay["statuses"].get("201-replayed", 0) + replay["warmup"]["statuses"].get("201-replayed", 0)
    replays = replay["requests"] + replay["warmup"]["requests"]
    with psycopg.connect(stack.database_url) as conn:
        rows = _scalar(conn, "SELECT count(*) FROM transactions_payment") - before
    # wrk stops with requests in flight: the server may still commit them (at most one per
    # connection and run), so the rows may pass the 201s counted by at most that many.
    in_flight = PAYMENT_CONNECTIONS * (ROUNDS + 1)
    checks = {
        "every_payment_201": created == answered and payment["non_2xx"] == 0,
        "every_replay_201_replayed": replayed == replays and replay["non_2xx"] == 0,
        "rows_match_201s": created <= rows <= created + in_flight,
    }
    latency = payment.get("latency_ms", {})
    return {
        "payments_per_second": payment["rps"],
        "p50_ms": latency.get("p50_ms"),
        "p95_ms": latency.get("p95_ms"),
        "p99_ms": latency.get("p99_ms"),
        "hello_rps": figures["hello"]["rps"],
        "payments_per_hello": round(payment["rps"] / figures["hello"]["rps"], 4),
        "replays_per_second": replay["rps"],
        "replay_p99_ms": replay.get("latency_ms", {}).get("p99_ms"),
        "answers_201": created,
        "answers_not_201": answered - created,
        "replays_answered": replays,
        "replays_not_replayed": replays - replayed,
        "rows_in_database": rows,
        "checks": checks,
        "figures": figures,
    }


def main() -> None:
    start_wrk_bench(NAME)
    prepared_box: list[Prepared] = []
    with served(NAME, prepare=lambda url: prepared_box.append(_prepare(url))) as stack:
        prepared = prepared_box[0]
        invoices = _invoices(stack, prepared)
        started = time.monotonic()
        payments = _payments(stack, prepared, invoices)
        measuring = round(time.monotonic() - started, 1)
        ledger = _ledger(stack)
    measured = {"payments_per_hello": payments["payments_per_hello"]}
    missed = [name for name, goal in GOALS.items() if measured[name] < goal]
    failed = [f"payments.{n}" for n, ok in payments["checks"].items() if not ok]
    failed += [f"ledger.{n}" for n, ok in ledger["checks"].items() if not ok]
    result: dict[str, Any] = {
        "benchmark": "transactions",
        "server": f"granian wsgi, {WORKERS} worker(s), {' '.join(GRANIAN_ARGS)}, DEBUG=false",
        "load": f"wrk -t{WRK_THREADS}, hello -c{CONNECTIONS}, payments and replays -c{PAYMENT_CONNECTIONS},"
        f" {ROUNDS} rounds x {SECONDS_PER_ROUND}s",
        "cpus": os.cpu_count(),
        "load_average_at_end": [round(x, 2) for x in os.getloadavg()],
        "generated": {
            "contacts": len(prepared.contacts),
            "invoices": len(invoices.pairs),
            "replay_keys": len(invoices.replays),
            "seconds": round(prepared.seconds + invoices.seconds, 1),
        },
        "measuring_seconds": measuring,
        "payments": payments,
        "ledger": ledger,
        "goals": {name: f">= {goal}" for name, goal in GOALS.items()},
        "goals_met": [name for name in GOALS if name not in missed],
        "goals_missed": missed,
        "checks_failed": failed,
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2, default=str) + "\n")
    print(json.dumps(result, indent=2, default=str))
    p = payments
    print(
        f"    payments: {p['payments_per_second']}/s  p50 {p['p50_ms']} ms  p95 {p['p95_ms']} ms"
        f"  p99 {p['p99_ms']} ms  non-201 {p['answers_not_201']}"
    )
    print(
        f"       hello: {p['hello_rps']} rps  payments_per_hello {p['payments_per_hello']}"
        f"  (goal >= {GOALS['payments_per_hello']}: {'missed' if missed else 'met'})"
    )
    print(f"     replays: {p['replays_per_second']}/s  not replayed {p['replays_not_replayed']}")
    print(f"      ledger: {ledger['checks']}")
    for name in missed:
        print(f"GOAL MISSED: {name} = {measured[name]} (goal >= {GOALS[name]})")
    for name in failed:
        print(f"CHECK FAILED: {name}")
    if missed or failed:
        sys.exit(1)


if __name__ == "__main__":
    main()
