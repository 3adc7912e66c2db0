"""The hub's event types and the JSON schema of each type's `data`, shipped as data.

`event_types.json` beside this module is generated from the backend's registry
(`apps/events/types.py`, written by the backend's `manage.py events_catalogue`): receivers
validate against the very names the hub publishes, and learn which service publishes each
(`publishing_service`: the backend, or identity-service for its own types). Never edit the JSON
by hand.
"""

from __future__ import annotations

import copy
import json
from importlib.resources import files
from typing import Any


def _load() -> dict[str, dict[str, Any]]:
    raw = json.loads(files("hubkit").joinpath("event_types.json").read_text(encoding="utf-8"))
    types: dict[str, dict[str, Any]] = raw["types"]
    return types


_CATALOGUE = _load()

EVENT_TYPES: frozenset[str] = frozenset(_CATALOGUE)


def data_schema(event_type: str) -> dict[str, Any]:
    """The JSON schema of an event type's `data` (a copy); KeyError for a type the hub has not."""
    try:
        schema: dict[str, Any] = _CATALOGUE[event_type]["data_schema"]
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
    return copy.deepcopy(schema)


def description(event_type: str) -> str:
    """One line on what happened; KeyError for a type the hub has not."""
    try:
        return str(_CATALOGUE[event_type]["description"])
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None


def publishing_service(event_type: str) -> str:
    """The hub service that publishes a type (`backend`, `identity-service`); KeyError if unknown.

    A receiver holding one secret per publisher checks with it that a delivery of this type was
    signed by the service that publishes it.
    """
    try:
        return str(_CATALOGUE[event_type]["service"])
    except KeyError:
        raise KeyError(f"unknown event type {event_type!r}") from None
