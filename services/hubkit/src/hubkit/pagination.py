"""Keyset (cursor) pagination, the one implementation every list endpoint of every service uses.

The cursor is an opaque token holding the ordering key of the last row served; the next page
starts strictly after it, so rows inserted meanwhile never shift or repeat a page, and no page
costs an OFFSET scan. Every list answers `{"items": [...], "next_cursor": "..." | null}` and takes
`?limit=` (default 50, at most 200) and `?cursor=`.

Two ways in:
- `@paginate(KeysetPagination, keys=(...), descending=...)` under a Ninja route whose response
  is `list[ItemOut]`: the endpoint returns a queryset, `limit`/`cursor` appear in the OpenAPI as
  documented query parameters and the response becomes `{items, next_cursor}`;
- `keyset_page(queryset, keys=..., cursor=..., limit=...)` where a selector or a test wants a
  `Page` directly.

A cursor is only ever accepted in the shape this module wrote it: a JSON list of strings, one per
key, each parsing as its field's type; anything else is 422 `invalid_cursor`, never a 500
(datetimes PostgreSQL would refuse, a wrong JSON type, a list of the wrong length).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.http import HttpRequest
from ninja import Field, Schema
from ninja.pagination import PaginationBase, paginate
from pydantic import BaseModel, ConfigDict

from hubkit.errors import ValidationFailed
from hubkit.fields import Text

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
MAX_CURSOR_LENGTH = 512

_Row = TypeVar("_Row")


class InvalidCursor(ValidationFailed):
    code = "invalid_cursor"
    title = "Invalid cursor"

    def __init__(self) -> None:
        super().__init__(
            "The cursor is not one this list returned.",
            errors=[{"field": "cursor", "message": "Invalid cursor."}],
        )


@dataclass(frozen=True)
class Page(Generic[_Row]):
    items: list[_Row]
    next_cursor: str | None


def _text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.astimezone(UTC).isoformat()
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def encode_cursor(values: list[Any]) -> str:
    raw = json.dumps([_text(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def _key_field(model: type[models.Model], key: str) -> models.Field[Any, Any]:
    field = model._meta.get_field(key)
    if not isinstance(field, models.Field):
        raise TypeError(f"pagination key {key!r} of {model.__name__} is not a concrete field")
    return field


def decode_cursor(model: type[models.Model], keys: tuple[str, ...], cursor: str) -> list[Any]:
    """The key values a cursor of this list holds, each parsed as its field's type."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise InvalidCursor()
    try:
        values = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    except (binascii.Error, ValueError) as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise InvalidCursor() from exc
    if not isinstance(values, list) or len(values) != len(keys):
        raise InvalidCursor()
    decoded = []
    for key, value in zip(keys, values, strict=True):
        if not isinstance(value, str) or "\x00" in value:
            raise InvalidCursor()
        try:
            parsed = _key_field(model, key).to_python(value)
        except (ValidationError, ValueError, TypeError, OverflowError) as exc:
            raise InvalidCursor() from exc
        # Cursors carry times in UTC. Python accepts offsets up to ±23:59 that PostgreSQL refuses
        # (±15:59 at most), so a hand-made one with any other offset is refused here, not there.
        if isinstance(parsed, datetime) and parsed.utcoffset() != timedelta(0):
            raise InvalidCursor()
        decoded.append(parsed)
    return decoded


def _after(keys: tuple[str, ...], values: list[Any], descending: bool) -> Q:
    """Rows strictly after `values` in (k1, k2, ...) order: k1 > v1 OR (k1 = v1 AND k2 > v2) ..."""
    op = "lt" if descending else "gt"
    condition = Q()
    for i, key in enumerate(keys):
        equal = dict(zip(keys[:i], values[:i], strict=True))
        condition |= Q(**equal) & Q(**{f"{key}__{op}": values[i]})
    return condition


def _key_values(row: Any, keys: tuple[str, ...]) -> list[Any]:
    if isinstance(row, dict):  # a .values() queryset
        return [row[key] for key in keys]
    return [getattr(row, key) for key in keys]


def keyset_page(
    queryset: models.QuerySet[Any, _Row],
    *,
    keys: tuple[str, ...] = ("created_at", "id"),
    descending: bool = False,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
) -> Page[_Row]:
    """One page of `queryset` ordered by `keys` (the last key must be unique, e.g. the id)."""
    limit = max(1, min(limit, MAX_LIMIT))
    queryset = queryset.order_by(*(f"-{k}" if descending else k for k in keys))
    if cursor:
        queryset = queryset.filter(_after(keys, decode_cursor(queryset.model, keys, cursor), descending))
    rows = list(queryset[: limit + 1])
    items = rows[:limit]
    next_cursor = encode_cursor(_key_values(items[-1], keys)) if len(rows) > limit else None
    return Page(items=items, next_cursor=next_cursor)


class KeysetPagination(PaginationBase):
    """Ninja pagination class for `@paginate(KeysetPagination, keys=..., descending=..., columns_of=...)`.

    `columns_of=ItemOut` serves each row as a dict of ItemOut's fields read as columns (for an
    item schema whose every field is a model field; a property or relation is a FieldError).
    """

    class Input(Schema):
        """Which page of a list: its size and where it starts."""

        limit: int = Field(
            DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT})."
        )
        cursor: Text | None = Field(
            None,
            max_length=MAX_CURSOR_LENGTH,
            description="The `next_cursor` of the previous page; omit it for the first page.",
        )

    class Output(Schema):
        # Ninja derives each list's `Paged<Item>` from this class; the config (unlike a docstring)
        # is inherited, so every page schema carries this description.
        model_config = ConfigDict(
            json_schema_extra={"description": "One page of the list and the cursor of the next."}
        )

        items: list[Any]
        next_cursor: str | None = Field(description="Pass as `cursor` for the next page; null on the last.")

    def __init__(
        self,
        *,
        keys: tuple[str, ...] = ("created_at", "id"),
        descending: bool = False,
        columns_of: type[BaseModel] | None = None,
        **kwargs: Any,
    ) -> None:
        self.keys = keys
        self.descending = descending
        # Rows as `.values()` of the item schema's fields (and the keys): building a model instance
        # per row is about 40 % of a page's time, wasted when every field served is a column.
        self.columns = None if columns_of is None else (*columns_of.model_fields, *keys)
        super().__init__(**kwargs)

    def paginate_queryset(
        self, queryset: models.QuerySet[Any, Any], pagination: Input, request: HttpRequest, **params: Any
    ) -> dict[str, Any]:
        if self.columns is not None:
            queryset = queryset.values(*dict.fromkeys(self.columns))
        page = keyset_page(
            queryset,
            keys=self.keys,
            descending=self.descending,
            cursor=pagination.cursor,
            limit=pagination.limit,
        )
        return {"items": page.items, "next_cursor": page.next_cursor}


__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "InvalidCursor",
    "KeysetPagination",
    "Page",
    "decode_cursor",
    "encode_cursor",
    "keyset_page",
    "paginate",
]
