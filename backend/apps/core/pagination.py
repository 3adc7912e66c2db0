"""Keyset (cursor) pagination, the one implementation every list endpoint uses.

The cursor is an opaque token holding the ordering key of the last row served; the next page
starts strictly after it, so rows inserted meanwhile never shift or repeat a page.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from hubkit.errors import ValidationFailed

DEFAULT_LIMIT = 50
MAX_LIMIT = 200

_M = TypeVar("_M", bound=models.Model)


@dataclass(frozen=True)
class Page(Generic[_M]):
    items: list[_M]
    next_cursor: str | None


def _invalid_cursor() -> ValidationFailed:
    return ValidationFailed(
        "The cursor is not valid for this list.",
        errors=[{"field": "cursor", "message": "Invalid cursor."}],
    )


def _encode(values: list[Any]) -> str:
    raw = json.dumps([v.isoformat() if hasattr(v, "isoformat") else str(v) for v in values])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _decode(queryset: models.QuerySet[_M], keys: tuple[str, ...], cursor: str) -> list[Any]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        values = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise _invalid_cursor() from exc
    if not isinstance(values, list) or len(values) != len(keys):
        raise _invalid_cursor()
    decoded = []
    for key, value in zip(keys, values, strict=True):
        field = queryset.model._meta.get_field(key)
        if not isinstance(field, models.Field):
            raise TypeError(f"pagination key {key!r} is not a concrete field")
        try:
            decoded.append(field.to_python(value))
        except ValidationError as exc:
            raise _invalid_cursor() from exc
    return decoded


def _after(keys: tuple[str, ...], values: list[Any], descending: bool) -> Q:
    """Rows strictly after `values` in (k1, k2, ...) order: k1 > v1 OR (k1 = v1 AND k2 > v2) ..."""
    op = "lt" if descending else "gt"
    condition = Q()
    for i, key in enumerate(keys):
        step = Q(**{f"{k}": v for k, v in zip(keys[:i], values[:i], strict=True)}) & Q(
            **{f"{key}__{op}": values[i]}
        )
        condition |= step
    return condition


def paginate(
    queryset: models.QuerySet[_M],
    *,
    keys: tuple[str, ...] = ("created_at", "id"),
    descending: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[_M]:
    """One page of `queryset` ordered by `keys` (the last key must be unique, e.g. the id)."""
    limit = max(1, min(limit, MAX_LIMIT))
    ordering = [f"-{k}" if descending else k for k in keys]
    queryset = queryset.order_by(*ordering)
    if cursor:
        queryset = queryset.filter(_after(keys, _decode(queryset, keys, cursor), descending))
    rows = list(queryset[: limit + 1])
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = _encode([getattr(last, key) for key in keys])
    return Page(items=items, next_cursor=next_cursor)
