"""Re-encrypting stored values with the current key, in batches, while the hub serves traffic.

A rotation is: deploy with the new key first in `FIELD_ENCRYPTION_KEYS` and the old ones after it
(every process then writes the new key and still reads the old), run `manage.py
rotate_encryption_keys`, and drop the old key once it reports nothing left on it.

Each model is walked by primary key. A batch's raw values (the envelopes, not decrypted) say
which rows are on another key; those rows are locked with `SKIP LOCKED`, read again under the
lock and written back sealed with the current key in the same transaction, so a concurrent write
is never overwritten with an older value. A row a writer holds is left to that writer (which
seals with the current key) and checked again, waiting for its lock, after the walk. Rows already
on the current key are skipped, so an interrupted run simply starts again.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db import models, transaction
from django.db.models.functions import Cast

from hubkit.encryption.fields import EncryptedBinaryField, EncryptedField
from hubkit.encryption.keys import key_id_of, keyring

DEFAULT_BATCH = 500


@dataclass
class RotationResult:
    model: str
    rows: int = 0
    rewritten: int = 0


def encrypted_models() -> Iterator[tuple[type[models.Model], list[models.Field[Any, Any]]]]:
    """Every installed model with encrypted columns, and those columns."""
    for model in apps.get_models():
        fields: list[models.Field[Any, Any]] = [
            f for f in model._meta.concrete_fields if isinstance(f, EncryptedField)
        ]
        if fields:
            yield model, fields


def _raw(field: models.Field[Any, Any]) -> Cast:
    # Cast to the plain column type: the value as stored, not decrypted by the field.
    return Cast(
        field.attname, models.BinaryField() if isinstance(field, EncryptedBinaryField) else models.TextField()
    )


def _is_stale(raw: Any, current: str) -> bool:
    if raw is None:
        return False
    text = bytes(raw).decode("ascii", errors="replace") if isinstance(raw, bytes | memoryview) else raw
    return bool(text) and key_id_of(text) != current


def _rewrite(
    model: type[models.Model], fields: list[models.Field[Any, Any]], pks: list[Any], *, wait: bool
) -> list[Any]:
    """Re-seals those of the rows still stale, under their row locks; returns the pks it could not lock."""
    manager = model._base_manager
    current = keyring().current
    names = [f.attname for f in fields]
    with transaction.atomic():
        locked = manager.filter(pk__in=pks).select_for_update(skip_locked=not wait, of=("self",))
        raw_of = {
            row[0]: row[1:]
            for row in locked.annotate(
                **{f"_raw_{n}": _raw(f) for n, f in zip(names, fields, strict=True)}
            ).values_list("pk", *(f"_raw_{n}" for n in names))
        }
        stale = [pk for pk, raws in raw_of.items() if any(_is_stale(r, current) for r in raws)]
        if stale:
            rows = list(manager.filter(pk__in=stale).only("pk", *names))
            # Not audited: the values do not change, only the key that seals them.
            manager.bulk_update(rows, names)
    return [pk for pk in pks if pk not in raw_of]


def rotate_model(
    model: type[models.Model],
    fields: list[models.Field[Any, Any]],
    *,
    batch_size: int = DEFAULT_BATCH,
    on_batch: Callable[[int], None] = lambda n: None,
) -> RotationResult:
    result = RotationResult(model=model._meta.label)
    current = keyring().current
    manager = model._base_manager
    names = [f.attname for f in fields]
    busy: list[Any] = []
    last: Any = None
    while True:
        page = manager.order_by("pk")
        if last is not None:
            page = page.filter(pk__gt=last)
        batch = list(
            page.annotate(**{f"_raw_{n}": _raw(f) for n, f in zip(names, fields, strict=True)}).values_list(
                "pk", *(f"_raw_{n}" for n in names)
            )[:batch_size]
        )
        if not batch:
            break
        last = batch[-1][0]
        stale = [row[0] for row in batch if any(_is_stale(raw, current) for raw in row[1:])]
        if stale:
            busy += _rewrite(model, fields, stale, wait=False)
            result.rewritten += len(stale)
        result.rows += len(batch)
        on_batch(len(batch))
    if busy:
        _rewrite(model, fields, busy, wait=True)
    return result


def rows_on_other_keys(model: type[models.Model], fields: list[models.Field[Any, Any]]) -> int:
    """How many rows still hold a value that is not sealed with the current key."""
    current = keyring().current
    names = [f.attname for f in fields]
    rows = model._base_manager.annotate(
        **{f"_raw_{n}": _raw(f) for n, f in zip(names, fields, strict=True)}
    ).values_list(*(f"_raw_{n}" for n in names))
    return sum(1 for raws in rows.iterator() if any(_is_stale(raw, current) for raw in raws))
