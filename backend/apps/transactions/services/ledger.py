"""Writing the ledger: one balanced transaction per money movement, inside the movement's transaction."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import Q

from apps.core.models import Contact
from apps.identity.models import Organization
from apps.transactions.models import (
    AccountKind,
    Invoice,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payment,
    PaymentMethod,
    Refund,
    TransactionKind,
)


@dataclass(frozen=True)
class Leg:
    """One side of a movement: `amount` > 0 debits the account, < 0 credits it."""

    account: AccountKind
    amount: Decimal
    contact: Contact | None = None  # the receivables account's contact


def cash_account(method: str) -> AccountKind:
    return AccountKind.CASH if method == PaymentMethod.CASH else AccountKind.BANK


def ledger_accounts(
    *, organization: Organization, wanted: Sequence[tuple[AccountKind, Contact | None]]
) -> dict[tuple[str, uuid.UUID | None], LedgerAccount]:
    """The accounts by (kind, contact id), read in one query; missing ones are made."""
    match = Q()
    for kind, contact in wanted:
        match |= Q(kind=kind, contact=contact) if contact is not None else Q(kind=kind, contact__isnull=True)
    found = {
        (account.kind, account.contact_id): account
        for account in LedgerAccount.objects.for_organization(organization).filter(match)
    }
    for kind, contact in wanted:
        key = (str(kind), contact.id if contact is not None else None)
        if key not in found:
            # get_or_create survives a concurrent first use (it re-reads after the unique violation).
            found[key] = LedgerAccount.objects.for_organization(organization).get_or_create(
                kind=kind, contact=contact
            )[0]
    return found


def ledger_record(
    *,
    organization: Organization,
    kind: TransactionKind,
    contact: Contact,
    currency: str,
    occurred_at: datetime,
    description: str,
    legs: Sequence[Leg],
    invoice: Invoice | None = None,
    payment: Payment | None = None,
    refund: Refund | None = None,
) -> LedgerTransaction:
    """Writes the transaction and its entries; the database refuses it at commit unless they sum to zero."""
    entries = [leg for leg in legs if leg.amount != 0]
    if len(entries) < 2 or sum(leg.amount for leg in entries) != 0:
        # The database would refuse it at commit; failing here names the movement.
        raise ValueError(f"unbalanced {kind} transaction: {[(e.account, e.amount) for e in entries]}")
    transaction_: LedgerTransaction = LedgerTransaction.objects.for_organization(organization).create(
        kind=kind,
        occurred_at=occurred_at,
        description=description[:200],
        contact=contact,
        invoice=invoice,
        payment=payment,
        refund=refund,
    )
    accounts = ledger_accounts(
        organization=organization, wanted=[(leg.account, leg.contact) for leg in entries]
    )
    # The ledger is not audited (it is the record itself), so one INSERT for its entries is fine.
    LedgerEntry.objects.for_organization(organization).bulk_create(
        [
            LedgerEntry(
                organization=organization,
                transaction=transaction_,
                account=accounts[(str(leg.account), leg.contact.id if leg.contact is not None else None)],
                currency=currency,
                amount=leg.amount,
            )
            for leg in entries
        ]
    )
    return transaction_
