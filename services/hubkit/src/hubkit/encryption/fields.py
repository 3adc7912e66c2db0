"""Encrypted model fields: the model sees plaintext, the database holds only `v1:<kid>:...` envelopes.

Values are sealed with the current key on every save (`get_db_prep_save`: `save()`, `create()`,
`update()` and `bulk_update()` alike) and opened with whichever listed key they name when read.
A value stored before its column was encrypted (no envelope) reads as it is, so the data
migrations and `manage.py rotate_encryption_keys` can encrypt old rows in place.

Encrypted columns cannot be compared in SQL (each value has its own random nonce): only
`isnull` and equality with the empty value are offered, so a lookup that could never match is an
error instead of an empty answer. Exact search goes through a blind index (`keys.blind_index`).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.exceptions import FieldError
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.lookups import Exact, IsNull, Lookup

from hubkit.encryption.keys import PREFIX, is_envelope, keyring


class _EmptyOnlyExact(Exact):  # type: ignore[type-arg]
    def get_prep_lookup(self) -> Any:
        if self.rhs not in ("", b"", None):
            raise FieldError(
                f"{self.lhs.target.name} is encrypted: only its emptiness can be compared;"
                " look values up by their blind index"
            )
        return super().get_prep_lookup()


class EncryptedField:
    """Marks a field whose column holds envelopes (what rotation and a service's audit rules look for)."""

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        return {"exact": _EmptyOnlyExact, "isnull": IsNull}.get(lookup_name)


class EncryptedTextField(EncryptedField, models.TextField):  # type: ignore[type-arg]
    """Text sealed with AES-GCM; '' is stored as '' (emptiness is not a secret)."""

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> str | None:
        if value and is_envelope(value):
            return keyring().decrypt(value).decode()
        return value

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        if hasattr(value, "as_sql"):
            return value  # an expression (bulk_update's CASE): its Values are sealed one by one
        value = self.get_prep_value(value)
        if not value:
            return value
        return keyring().encrypt(value.encode())


class EncryptedJSONField(EncryptedField, models.TextField):  # type: ignore[type-arg]
    """A JSON document sealed as a whole (a text column: nothing inside it can be queried)."""

    # What django-stubs types the attribute as: any JSON value, not the column's text.
    _pyi_private_set_type: Any
    _pyi_private_get_type: Any

    def from_db_value(self, value: str | None, expression: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None:
            return None
        return json.loads(keyring().decrypt(value) if is_envelope(value) else value)

    def to_python(self, value: Any) -> Any:
        return value

    def get_prep_value(self, value: Any) -> Any:
        return value

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        if value is None or hasattr(value, "as_sql"):
            return value
        return keyring().encrypt(json.dumps(value, cls=DjangoJSONEncoder).encode())

    def value_to_string(self, obj: models.Model) -> str:
        return json.dumps(self.value_from_object(obj), cls=DjangoJSONEncoder)


class EncryptedBinaryField(EncryptedField, models.BinaryField):  # type: ignore[type-arg]
    """Bytes sealed with AES-GCM, kept as the envelope's ASCII in a bytea column; b'' stays b''."""

    def from_db_value(self, value: Any, expression: Any, connection: BaseDatabaseWrapper) -> bytes | None:
        if value is None:
            return None
        raw = bytes(value)
        return keyring().decrypt(raw.decode("ascii")) if raw.startswith(PREFIX.encode()) else raw

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        if not value or hasattr(value, "as_sql"):
            return super().get_db_prep_save(value, connection)
        return super().get_db_prep_save(keyring().encrypt(bytes(value)).encode("ascii"), connection)
