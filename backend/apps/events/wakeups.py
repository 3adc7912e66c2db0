"""The no-lost-wake-up protocol between publishers and the drainer of a (destination, shard).

Two PostgreSQL advisory locks per (destination, shard):

- PUBLISHING: every transaction that adds deliveries holds it *shared* until it commits
  (`delivery_wake`). It defers a drain job unless one is already waiting, and relies on that
  waiting job otherwise.
- DRAINING: the one drainer of the shard holds it (a session lock, `drainer_lock`) while it
  works; a second drainer leaves at once, since the holder will see everything it would have.

A drainer leaves only after taking PUBLISHING *exclusively* and finding nothing ready
(`drainer_try_finish`): a publisher that relied on the waiting job has committed by then, so its
deliveries are visible, or it has not started, and then it finds no waiting job and defers one.
Either way no delivery is left without a drain that will see it.

The drainer releases DRAINING before that transaction commits, so a job deferred by the next
publisher finds the shard free. Drain jobs are deferred by task name through procrastinate's
app, so this module imports no task (the tasks import it).
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Sequence
from datetime import datetime

from django.db import connection, transaction
from procrastinate.contrib.django import app
from procrastinate.exceptions import AlreadyEnqueued

from apps.events.exceptions import OutboxOutsideTransaction

DRAIN_TASK = "events.drain"

# Advisory lock namespaces (first int4 of the key).
PUBLISHING = 0x0E0E0001  # shared by publishers until commit; a drainer takes it to finish
DRAINING = 0x0E0E0002  # held by the one drainer of a (destination, shard)


def drain_queueing_lock(destination: str, shard: int) -> str:
    """At most one drain job of a (destination, shard) waits to run (procrastinate queueing lock)."""
    return f"events:{destination}:{shard}"


def advisory_key(purpose: int, destination: str, shard: int) -> tuple[int, int]:
    """A PostgreSQL advisory lock key (two int4) for one (destination, shard)."""
    objid = zlib.crc32(f"{destination}:{shard}".encode())
    return purpose, objid - 2**32 if objid >= 2**31 else objid


def delivery_wake(*, destination: str, shard: int) -> None:
    """Makes sure a drain job will see the deliveries this transaction adds to (destination, shard).

    Runs in the publishing transaction: holds PUBLISHING shared until commit and defers a drain
    job unless one is already waiting. Under load, one waiting job serves many transactions.
    """
    delivery_wake_many([(destination, shard)])


def delivery_wake_many(pairs: Sequence[tuple[str, int]]) -> None:
    """`delivery_wake` for several (destination, shard) at once: one query for all of them, plus a
    deferred job for each that has none waiting."""
    if not connection.in_atomic_block:
        raise OutboxOutsideTransaction("a drain must be woken inside transaction.atomic()")
    wanted = list(dict.fromkeys(pairs))
    if not wanted:
        return
    keys = [advisory_key(PUBLISHING, destination, shard) for destination, shard in wanted]
    locks = [drain_queueing_lock(destination, shard) for destination, shard in wanted]
    with connection.cursor() as cursor:
        # Per row, the shared lock is taken before the waiting job is looked for (target list
        # order), as the protocol above needs.
        cursor.execute(
            "SELECT u.lock, pg_advisory_xact_lock_shared(u.a, u.b) IS NULL, EXISTS (SELECT 1 FROM"
            " procrastinate_jobs j WHERE j.queueing_lock = u.lock AND j.status = 'todo')"
            " FROM unnest(%s::int[], %s::int[], %s::text[]) AS u(a, b, lock)",
            [[a for a, _ in keys], [b for _, b in keys], locks],
        )
        waiting = {lock for lock, _, found in cursor.fetchall() if found}
    for (destination, shard), queueing_lock in zip(wanted, locks, strict=True):
        if queueing_lock in waiting:
            continue
        try:
            with transaction.atomic():  # a savepoint: a concurrent publisher may have queued it first
                app.configure_task(name=DRAIN_TASK, allow_unknown=False, queueing_lock=queueing_lock).defer(
                    destination=destination, shard=shard
                )
        except AlreadyEnqueued:
            pass  # that job is waiting, and will drain ours too


def delivery_wake_at(*, destination: str, shard: int, at: datetime) -> None:
    """A drain job of (destination, shard) due at `at` (a retry), unless one is due by then already.

    Without the queueing lock: publishers would take a wake-up due later for a waiting job and
    their events would wait for another line's retry.
    """
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT 1 FROM procrastinate_jobs WHERE task_name = %s AND status = 'todo'"
            " AND args->>'destination' = %s AND (args->>'shard')::int = %s"
            " AND coalesce(scheduled_at, now()) <= %s)",
            [DRAIN_TASK, destination, shard, at],
        )
        row = cursor.fetchone()
    if not (row and row[0]):
        app.configure_task(name=DRAIN_TASK, allow_unknown=False, schedule_at=at).defer(
            destination=destination, shard=shard
        )


def drainer_lock(destination: str, shard: int) -> bool:
    """Takes DRAINING for this session; False when another drainer holds it."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s, %s)", advisory_key(DRAINING, destination, shard))
        row = cursor.fetchone()
    return bool(row and row[0])


def drainer_unlock(destination: str, shard: int) -> None:
    if connection.connection is None or connection.needs_rollback:
        return  # the session (and its lock) is gone, or Django will discard it
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_unlock(%s, %s)", advisory_key(DRAINING, destination, shard))


def drainer_try_finish(
    *,
    destination: str,
    shard: int,
    ready_exists: Callable[[], bool],
    next_retry_at: Callable[[], datetime | None],
) -> tuple[bool, datetime | None]:
    """Finish if no publisher is in flight and nothing is ready; schedule the next retry's wake-up.

    On success the drainer lock is released too, and the time of the next retry (if any) returned.
    """
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT pg_try_advisory_xact_lock(%s, %s)", advisory_key(PUBLISHING, destination, shard)
            )
            row = cursor.fetchone()
        if not (row and row[0]) or ready_exists():
            return False, None
        next_at = next_retry_at()
        if next_at is not None:
            delivery_wake_at(destination=destination, shard=shard, at=next_at)
        # Released before the commit that lets publishers in again: a job they defer from now on
        # finds the shard free.
        drainer_unlock(destination, shard)
    return True, next_at
