"""The edge types of every hub service: text, times and JSON values PostgreSQL can store.

Python's JSON parser and datetime accept three things PostgreSQL refuses with an error (a 500 if
it gets that far): NUL characters and unpaired surrogates in text and jsonb, and UTC offsets
beyond ±15:59 (Python allows ±23:59, and a year-1 time with a positive offset has no UTC value).
Every string, datetime and free-form JSON object a request carries is declared with one of these
types, so the refusal is a 422 naming the field; `input_fields_outside_edge_types` finds any
that is not.

    name: Annotated[Text, StringConstraints(max_length=200)]
    since: UtcDatetime | None = None
"""

from __future__ import annotations

import types
import typing
from collections.abc import Iterator, Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any, Union

from pydantic import AfterValidator, AwareDatetime, BaseModel, FutureDatetime, NaiveDatetime, PastDatetime

MAX_JSON_DEPTH = 32
"""How deeply a free-form JSON value may nest (deeper input is refused before anything recurses)."""


def storable_text(value: str) -> str:
    """`value` unchanged, or ValueError if PostgreSQL could not store it."""
    if "\x00" in value:
        raise ValueError("must not contain NUL characters")
    try:
        value.encode("utf-8")
    except UnicodeEncodeError as exc:
        raise ValueError("must not contain unpaired surrogates") from exc
    return value


def utc(value: datetime) -> datetime:
    """An aware datetime as UTC, or ValueError if it has none (a year-1 time east of UTC)."""
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("is out of range once converted to UTC") from exc


def check_storable_json(value: Any, path: str = "value", depth: int = 0) -> None:
    """ValueError naming the first text (key or value) in `value` PostgreSQL's jsonb would refuse."""
    if depth > MAX_JSON_DEPTH:
        raise ValueError(f"nests deeper than {MAX_JSON_DEPTH} levels at {path}")
    if isinstance(value, str):
        try:
            storable_text(value)
        except ValueError as exc:
            raise ValueError(f"{path} {exc}") from exc
    elif isinstance(value, Mapping):
        for key, item in value.items():
            check_storable_json(key, f"{path} (a key)", depth + 1)
            check_storable_json(item, f"{path}.{key}", depth + 1)
    elif isinstance(value, Sequence):
        for index, item in enumerate(value):
            check_storable_json(item, f"{path}.{index}", depth + 1)


def _storable_object(value: dict[str, Any]) -> dict[str, Any]:
    check_storable_json(value, "object")
    return value


Text = Annotated[str, AfterValidator(storable_text)]
"""A string PostgreSQL can store; add `StringConstraints` for lengths and patterns."""

UtcDatetime = Annotated[AwareDatetime, AfterValidator(utc)]
"""A datetime with an explicit offset, normalised to UTC (naive times are refused)."""

JsonObject = Annotated[dict[str, Any], AfterValidator(_storable_object)]
"""A free-form JSON object whose keys and texts PostgreSQL can store."""

_EDGE_CHECKS = {storable_text: str, utc: datetime, _storable_object: dict}
_DATETIMES = (datetime, AwareDatetime, NaiveDatetime, PastDatetime, FutureDatetime)


def _outside(annotation: Any, checks: frozenset[Any], where: str, seen: set[type]) -> Iterator[str]:
    origin = typing.get_origin(annotation)
    if origin is Annotated:
        inner, *metadata = typing.get_args(annotation)
        found = {m.func for m in metadata if isinstance(m, AfterValidator)}
        yield from _outside(inner, checks | found, where, seen)
    elif origin in (Union, types.UnionType, list, tuple, set, frozenset, Sequence):
        for arg in typing.get_args(annotation):
            yield from _outside(arg, checks, where, seen)
    elif origin in (dict, Mapping):
        if not any(_EDGE_CHECKS.get(check) is dict for check in checks):
            yield f"{where} (a JSON object: use JsonObject)"
    elif isinstance(annotation, type) and issubclass(annotation, BaseModel):
        yield from model_fields_outside_edge_types(annotation, seen, prefix=f"{where}.")
    elif annotation is str or (isinstance(annotation, type) and issubclass(annotation, _DATETIMES)):
        kind = str if annotation is str else datetime
        if not any(_EDGE_CHECKS.get(check) is kind for check in checks):
            yield f"{where} (use {'Text' if kind is str else 'UtcDatetime'})"


def model_fields_outside_edge_types(
    model: type[BaseModel], seen: set[type] | None = None, prefix: str = ""
) -> Iterator[str]:
    """Dotted names of `model`'s fields (nested models too) declared without an edge type."""
    seen = set() if seen is None else seen
    if model in seen:
        return
    seen.add(model)
    for name, field in model.model_fields.items():
        checks = frozenset(m.func for m in field.metadata if isinstance(m, AfterValidator))
        yield from _outside(field.annotation, checks, f"{prefix}{name}", seen)


def input_fields_outside_edge_types(api: Any) -> list[str]:
    """Every request field (body, query, path, header) of a NinjaAPI's operations not of an edge type.

    Ninja builds one pydantic model per parameter source of each operation; their fields are
    what a client sends. An empty list means every string, datetime and JSON object is checked.
    """
    found: list[str] = []
    for prefix, router in api._routers:
        for path, path_view in router.path_operations.items():
            for operation in path_view.operations:
                name = f"{'/'.join(operation.methods)} {prefix.rstrip('/')}/{path.lstrip('/')}"
                for model in operation.models:
                    found.extend(f"{name}: {field}" for field in model_fields_outside_edge_types(model))
    return sorted(set(found))


__all__ = [
    "MAX_JSON_DEPTH",
    "JsonObject",
    "Text",
    "UtcDatetime",
    "check_storable_json",
    "input_fields_outside_edge_types",
    "model_fields_outside_edge_types",
    "storable_text",
    "utc",
]
