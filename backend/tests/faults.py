"""Real faults for tests: PostgreSQL refusing a write in the middle of the transaction under test.

No function of the hub is replaced: the database itself fails the statement, as a full disk, a
lost connection or a constraint would, and the test sees what the whole write leaves behind.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from django.db import connection
from django.db.models import Model

CONSTRAINT = "test_fault_refused_rows"


@contextmanager
def rows_refused(model: type[Model], *, where: str) -> Iterator[None]:
    """Until exit, inserting a `model` row for which the SQL condition `where` holds fails.

    A CHECK constraint (IntegrityError, SQLSTATE 23514), `NOT VALID` so rows already there are not
    checked. It is DDL in the test's own transaction: even a test that stops half-way leaves no trace.
    """
    table = connection.ops.quote_name(model._meta.db_table)
    _alter(f"ALTER TABLE {table} ADD CONSTRAINT {CONSTRAINT} CHECK (NOT ({where})) NOT VALID")
    try:
        yield
    finally:
        _alter(f"ALTER TABLE {table} DROP CONSTRAINT IF EXISTS {CONSTRAINT}")


def _alter(statement: str) -> None:
    # PostgreSQL refuses ALTER TABLE on a table with deferred checks still pending in the
    # transaction (Django's foreign keys are DEFERRABLE INITIALLY DEFERRED): run them first.
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
        cursor.execute(statement)
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
