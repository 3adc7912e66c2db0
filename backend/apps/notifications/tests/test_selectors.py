"""Effective notification preferences: the whole category x channel matrix, as documented."""

from __future__ import annotations

import pytest

from apps.notifications.selectors import organization_preference_defaults, preference_matrix
from apps.notifications.tests.factories import MANAGER_ID, mirror_user
from tests.factories import acme

pytestmark = pytest.mark.django_db

# The documented built-in defaults (backend AGENTS.md, "Notifications"), written out rather than
# derived from the code: in-app on for all, email for booking, payment and security, sms off;
# security in-app is mandatory.
DOCUMENTED = {
    "booking": {"in_app": True, "email": True, "sms": False},
    "payment": {"in_app": True, "email": True, "sms": False},
    "system": {"in_app": True, "email": False, "sms": False},
    "security": {"in_app": True, "email": True, "sms": False},
    "workflow": {"in_app": True, "email": False, "sms": False},
}
MANDATORY = {("security", "in_app")}


def test_a_user_who_chose_nothing_gets_the_documented_matrix() -> None:
    cells = preference_matrix(organization=acme(), user=mirror_user(MANAGER_ID))
    matrix = {(c.category.value, c.channel.value): c for c in cells}
    expected = {(cat, ch): on for cat, row in DOCUMENTED.items() for ch, on in row.items()}
    assert len(cells) == len(expected) == 15
    assert {key: cell.enabled for key, cell in matrix.items()} == expected
    assert {key: cell.organization_default for key, cell in matrix.items()} == expected
    assert {key for key, cell in matrix.items() if cell.mandatory} == MANDATORY
    assert {key: cell.source for key, cell in matrix.items()} == {
        key: "mandatory" if key in MANDATORY else "default" for key in expected
    }


def test_an_organization_without_choices_defaults_to_the_documented_matrix() -> None:
    cells = organization_preference_defaults(organization=acme())
    assert {(c.category.value, c.channel.value): c.enabled for c in cells} == {
        (cat, ch): on for cat, row in DOCUMENTED.items() for ch, on in row.items()
    }
