"""The tenant scoping mechanism: forgetting the organization is an error, not a leak."""

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext

from apps.core.models import Contact
from apps.identity.models import Organization
from apps.identity.tenancy import (
    TenantManager,
    TenantModel,
    TenantScopeRequired,
    apply_changes,
    refresh_for_update,
)
from tests.factories import acme, globex, make_contact

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "unscoped",
    [
        Contact.objects.all,
        lambda: Contact.objects.filter(first_name="Ada"),
        lambda: Contact.objects.get(first_name="Ada"),
        Contact.objects.count,
        lambda: Contact.objects.create(organization=acme(), first_name="Ada"),
    ],
)
def test_an_unscoped_query_is_refused(unscoped: Callable[[], Any]) -> None:
    with pytest.raises(TenantScopeRequired):
        unscoped()


def test_a_scoped_queryset_sees_only_its_organization_and_keeps_the_scope() -> None:
    mine = Contact.objects.for_organization(acme()).create(first_name="Ada")
    Contact.objects.for_organization(globex()).create(first_name="Ada")
    scoped = Contact.objects.for_organization(acme()).filter(first_name="Ada").order_by("id")
    assert list(scoped) == [mine]
    # The organization survives chaining, so a create through it lands in the same tenant.
    created = scoped.exclude(pk=mine.pk).create(first_name="Bea")
    assert created.organization_id == acme().id


def test_creating_into_another_organization_through_a_scope_is_refused() -> None:
    with pytest.raises(TenantScopeRequired):
        Contact.objects.for_organization(acme()).create(organization=globex(), first_name="Eve")
    assert Contact.all_tenants.count() == 0


def test_the_scope_needs_a_real_organization() -> None:
    with pytest.raises(TenantScopeRequired):
        Contact.objects.for_organization(str(acme().id))  # type: ignore[arg-type]


def test_every_tenant_model_has_the_scoped_manager() -> None:
    tenant_models = [m for m in apps.get_models() if issubclass(m, TenantModel)]
    assert len(tenant_models) >= 5  # contacts, resources, services, events, notifications, ...
    for model in tenant_models:
        assert isinstance(model.objects, TenantManager), model
        assert model._meta.get_field("organization").related_model is Organization


def test_apply_changes_saves_only_the_fields_that_differ() -> None:
    contact = make_contact(first_name="Ada", last_name="Byron", email="ada@example.com")
    before = Contact.all_tenants.get(pk=contact.pk).updated_at
    with CaptureQueriesContext(connection) as nothing:
        assert apply_changes(contact, {"first_name": "Ada"}, editable=("first_name", "last_name")) == []
    assert nothing.captured_queries == []
    with CaptureQueriesContext(connection) as saved:
        changed = apply_changes(
            contact, {"first_name": "Ada", "last_name": "Lovelace"}, editable=("first_name", "last_name")
        )
    assert changed == ["last_name"]
    [update] = [q["sql"] for q in saved.captured_queries if q["sql"].startswith("UPDATE")]
    assert '"last_name"' in update
    assert '"first_name"' not in update
    assert '"email"' not in update
    stored = Contact.all_tenants.get(pk=contact.pk)
    assert (stored.first_name, stored.last_name) == ("Ada", "Lovelace")
    assert stored.updated_at > before


def test_apply_changes_refuses_a_field_that_is_not_editable() -> None:
    contact = make_contact(first_name="Ada")
    with pytest.raises(ValueError, match="erased_at"):
        apply_changes(contact, {"first_name": "Bea", "erased_at": None}, editable=("first_name",))
    assert Contact.all_tenants.get(pk=contact.pk).first_name == "Ada"


def test_refresh_for_update_rereads_the_row_locked() -> None:
    stale = make_contact(first_name="Ada")
    Contact.all_tenants.filter(pk=stale.pk).update(first_name="Changed meanwhile")
    with transaction.atomic(), CaptureQueriesContext(connection) as queries:
        refresh_for_update(stale)
    assert stale.first_name == "Changed meanwhile"
    assert "FOR UPDATE" in queries.captured_queries[-1]["sql"]
    assert stale.organization_id == acme().id


def test_rows_of_a_scoped_query_know_their_organization_without_a_query() -> None:
    organization = acme()
    make_contact(organization=organization)
    make_contact(organization=organization)
    with CaptureQueriesContext(connection) as queries:
        one = Contact.objects.for_organization(organization).first()
        rows = list(Contact.objects.for_organization(organization))
        assert one is not None
        assert one.organization is organization
        assert all(row.organization is organization for row in rows)
    assert len(queries) == 2
    # A values() query stays plain dicts.
    assert isinstance(Contact.objects.for_organization(organization).values("id").first(), dict)
