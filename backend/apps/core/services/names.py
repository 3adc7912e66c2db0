"""How the names of contacts, resources and services are cleaned before they are stored."""

from __future__ import annotations

from hubkit.errors import ValidationFailed


def normalize_name(value: object) -> str:
    """Runs of whitespace collapsed to one space, none at either end."""
    return " ".join(str(value).split())


def clean_name(value: object, *, field: str = "name") -> str:
    """A required name, normalised; a blank one is a validation error on `field`."""
    name = normalize_name(value)
    if not name:
        raise ValidationFailed("Invalid name.", errors=[{"field": field, "message": "Must not be blank."}])
    return name
