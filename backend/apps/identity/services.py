"""Provisioning of mirror principals on first sight, kept cheap on the hot path."""

from __future__ import annotations

import threading
import uuid
from collections import OrderedDict
from collections.abc import Sequence
from typing import Any

from django.db import IntegrityError, transaction

from apps.identity.models import Organization, User
from apps.identity.principal import Principal, Role
from hubkit.identity import InvalidToken, TokenClaims

_SERVICE_NAMESPACE = uuid.UUID("5e7a1c3e-7d0b-4f5c-9a51-2b8c0c3f9e11")
_CACHE_SIZE = 4096


class _LRU:
    """A small per-process cache of mirror rows: provisioning must not query per request."""

    def __init__(self, size: int) -> None:
        self._size = size
        self._data: OrderedDict[Any, Any] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Any) -> Any:
        with self._lock:
            value = self._data.get(key)
            if value is not None:
                self._data.move_to_end(key)
            return value

    def put(self, key: Any, value: Any) -> None:
        with self._lock:
            self._data[key] = value
            self._data.move_to_end(key)
            while len(self._data) > self._size:
                self._data.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._data.clear()


_users = _LRU(_CACHE_SIZE)
_organizations = _LRU(_CACHE_SIZE)


def clear_principal_caches() -> None:
    _users.clear()
    _organizations.clear()


def organization_ensure(*, organization_id: uuid.UUID) -> Organization:
    cached: Organization | None = _organizations.get(organization_id)
    if cached is not None:
        return cached
    organization, _ = Organization.objects.get_or_create(id=organization_id)
    _organizations.put(organization_id, organization)
    return organization


def user_ensure(*, kind: str, subject: str, email: str, name: str) -> User:
    cache_key = (kind, subject, email, name)
    cached: User | None = _users.get(cache_key)
    if cached is not None:
        return cached
    user_id = _user_id(kind, subject)
    defaults = {"kind": kind, "email": email, "name": name}
    try:
        with transaction.atomic():
            user, created = User.objects.get_or_create(subject=subject, defaults={"id": user_id, **defaults})
    except IntegrityError:  # a concurrent first request created it
        user, created = User.objects.get(subject=subject), False
    if not created and (user.email, user.name) != (email, name):
        User.objects.filter(pk=user.pk).update(email=email, name=name)
        user.email, user.name = email, name
    _users.put(cache_key, user)
    return user


def users_ensure(*, kind: str, people: Sequence[tuple[str, str, str]]) -> list[User]:
    """`user_ensure` for many (subject, email, name) at once: those not cached in two or three
    queries however many they are, plus one per changed email or name; in the order given."""
    found: dict[str, User] = {}
    missing: dict[str, tuple[str, str]] = {}
    for subject, email, name in people:
        cached: User | None = _users.get((kind, subject, email, name))
        if cached is not None:
            found[subject] = cached
        else:
            missing[subject] = (email, name)
    if missing:
        existing = {u.subject: u for u in User.objects.filter(subject__in=missing)}
        new = [
            User(id=_user_id(kind, subject), kind=kind, subject=subject, email=email, name=name)
            for subject, (email, name) in missing.items()
            if subject not in existing
        ]
        if new:
            # A concurrent first request may create some of them: theirs is kept, then read.
            User.objects.bulk_create(new, ignore_conflicts=True)
            existing = {u.subject: u for u in User.objects.filter(subject__in=missing)}
        for subject, (email, name) in missing.items():
            user = existing[subject]
            if (user.email, user.name) != (email, name):
                User.objects.filter(pk=user.pk).update(email=email, name=name)
                user.email, user.name = email, name
            _users.put((kind, subject, email, name), user)
            found[subject] = user
    return [found[subject] for subject, _, _ in people]


def principal_from_claims(*, claims: TokenClaims, token: str) -> Principal:
    """The principal a verified token describes, with its mirror rows provisioned."""
    roles = frozenset(role for role in (Role.parse(r) for r in claims.roles) if role is not None)
    organization = None
    if claims.organization_id is not None:
        organization = organization_ensure(organization_id=claims.organization_id)
    user = user_ensure(
        kind=User.Kind.SERVICE if claims.is_service else User.Kind.USER,
        subject=claims.subject,
        email=claims.email[:254],
        name=claims.name[:200],
    )
    if not user.is_active:
        raise InvalidToken("This principal is deactivated in the backend.")
    return Principal(
        user=user,
        organization=organization,
        roles=roles,
        scopes=claims.scopes,
        token=token,
        claims=claims,
    )


def _user_id(kind: str, subject: str) -> uuid.UUID:
    return uuid.uuid5(_SERVICE_NAMESPACE, subject) if kind == User.Kind.SERVICE else _uuid(subject)


def _uuid(subject: str) -> uuid.UUID:
    try:
        return uuid.UUID(subject)
    except ValueError:
        return uuid.uuid5(_SERVICE_NAMESPACE, subject)
