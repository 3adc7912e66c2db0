"""Tenant scoping: the one mechanism every app uses to keep organizations apart.

Every business model subclasses `TenantModel`. Its `objects` manager refuses to build a
query until it is told the organization (`Model.objects.for_organization(org)`), so an
unscoped query is an error at the first call rather than a silent data leak. Django's own
machinery (related lookups, deletion, unique checks) keeps using the plain base manager.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, Generic, TypeVar

from django.db import models
from django.db.models.query import ModelIterable

from apps.identity.models import Organization

_M = TypeVar("_M", bound=models.Model)


class TenantScopeRequired(RuntimeError):
    """A tenant model was queried without naming the organization."""


class TenantQuerySet(models.QuerySet[_M], Generic[_M]):
    """A queryset bound to one organization (kept in `_hints`, which Django carries across clones)."""

    @property
    def organization(self) -> Organization | None:
        organization = getattr(self, "_hints", {}).get("organization")
        return organization if isinstance(organization, Organization) else None

    def _fetch_all(self) -> None:
        # Rows of a scoped query belong to its organization: give them that instance, so reading
        # `row.organization` (publishing an event, scoping the next query) costs no query.
        super()._fetch_all()
        organization = self.organization
        if organization is not None and self._iterable_class is ModelIterable and self._result_cache:
            for row in self._result_cache:
                row._state.fields_cache.setdefault("organization", organization)

    def create(self, **kwargs: Any) -> _M:
        """Creates within the scoped organization; naming another one is refused."""
        organization = self.organization
        if organization is None:
            raise TenantScopeRequired(f"{self.model.__name__}: create through for_organization()")
        given = kwargs.setdefault("organization", organization)
        if given != organization:
            raise TenantScopeRequired(f"{self.model.__name__}: organization differs from the scope")
        return super().create(**kwargs)


class TenantManager(models.Manager[_M], Generic[_M]):
    def get_queryset(self) -> TenantQuerySet[_M]:
        raise TenantScopeRequired(
            f"{self.model.__name__}.objects needs an organization: use .for_organization(org)"
        )

    def for_organization(self, organization: Organization) -> TenantQuerySet[_M]:
        if not isinstance(organization, Organization):
            raise TenantScopeRequired(f"{self.model.__name__}: scope needs an Organization instance")
        queryset: TenantQuerySet[_M] = TenantQuerySet(
            self.model, using=self._db, hints={"organization": organization}
        )
        return queryset.filter(organization=organization)


class TenantModel(models.Model):
    """Base for every business model: carries its organization and the scoped manager."""

    organization = models.ForeignKey(Organization, on_delete=models.PROTECT, related_name="+")

    # Declared first, so Django's internals use it as the default manager.
    all_tenants: models.Manager[Any] = models.Manager()
    objects: TenantManager[Any] = TenantManager()

    class Meta:
        abstract = True
        base_manager_name = "all_tenants"
        default_manager_name = "all_tenants"

    def get_additional_data(self) -> dict[str, str]:
        """Stored by django-auditlog on every entry: lets GET /audit filter by tenant."""
        return {"organization_id": str(self.organization_id)}


_T = TypeVar("_T", bound=TenantModel)


def refresh_for_update(instance: TenantModel) -> None:
    """Locks the instance's row (SELECT ... FOR UPDATE) and reloads its fields from it.

    Call it first inside the write's transaction: checks and changes then work on the row as it is
    now, and a concurrent writer (e.g. a GDPR erasure) waits, instead of being saved over by a copy
    loaded before the transaction. Outside a transaction Django refuses the lock.
    """
    scoped = type(instance).objects.for_organization(instance.organization)
    instance.refresh_from_db(from_queryset=scoped.select_for_update())


def apply_changes(instance: _T, data: Mapping[str, Any], *, editable: Iterable[str]) -> list[str]:
    """Sets the fields of `data` whose value differs and saves only those (and `updated_at`).

    The PATCH loop of every service: returns the changed field names, and writes nothing (no
    query, no audit entry) when there are none. `data` holds cleaned model field values; a name
    outside `editable` is a programming error. Use it on a row locked by `refresh_for_update`.
    """
    unknown = set(data) - set(editable)
    if unknown:
        raise ValueError(f"not editable on {type(instance).__name__}: {sorted(unknown)}")
    changed = [name for name, value in data.items() if getattr(instance, name) != value]
    if changed:
        for name in changed:
            setattr(instance, name, data[name])
        stamped = ["updated_at"] if hasattr(instance, "updated_at") else []
        instance.save(update_fields=[*changed, *stamped])
    return changed
