from datetime import date

import pytest
from django.utils import timezone

from apps.core.models import Contact
from apps.core.selectors.contacts import contact_list
from apps.core.selectors.resources import override_list
from hubkit.errors import ValidationFailed
from hubkit.pagination import keyset_page
from tests.factories import acme, globex, make_contact, make_override, make_resource

pytestmark = pytest.mark.django_db


def names(contacts: object) -> set[str]:
    return {c.first_name for c in contacts}  # type: ignore[attr-defined]


def test_search_matches_part_of_a_name_or_a_whole_email_or_phone() -> None:
    make_contact(first_name="Ada", last_name="Lovelace", email="ada@analytical.org", phone="+4915123456789")
    make_contact(first_name="Grace", last_name="Hopper", email="grace@navy.mil")
    make_contact(organization=globex(), first_name="Adam", email="adam@globex.test")
    org = acme()
    assert names(contact_list(organization=org, q="LOVE")) == {"Ada"}
    # Email and phone are encrypted: found whole (normalised, by blind index), never by a part.
    assert names(contact_list(organization=org, q="Grace@NAVY.mil")) == {"Grace"}
    assert names(contact_list(organization=org, q="navy.mil")) == set()
    assert names(contact_list(organization=org, q="0151 23456789")) == {"Ada"}
    assert names(contact_list(organization=org, q="151234")) == set()
    assert names(contact_list(organization=org, q="adam@globex.test")) == set()
    assert names(contact_list(organization=org, q="ada lovelace")) == {"Ada"}
    assert names(contact_list(organization=org, q="  ")) == {"Ada", "Grace"}
    assert names(contact_list(organization=org, q="adam")) == set()


def test_tags_must_all_match_and_archived_are_hidden_unless_asked() -> None:
    make_contact(first_name="Both", tags=["vip", "new"])
    make_contact(first_name="Vip", tags=["vip"])
    make_contact(first_name="Gone", tags=["vip"], archived_at=timezone.now())
    org = acme()
    assert names(contact_list(organization=org, tags=["vip"])) == {"Both", "Vip"}
    assert names(contact_list(organization=org, tags=["vip", "new"])) == {"Both"}
    assert names(contact_list(organization=org, tags=["vip"], include_archived=True)) == {
        "Both",
        "Vip",
        "Gone",
    }


def test_cursor_pages_cover_every_row_once_in_a_stable_order() -> None:
    created = [make_contact().id for _ in range(7)]
    same_instant = timezone.now()
    Contact.all_tenants.filter(pk__in=created[2:5]).update(created_at=same_instant)  # ties break on id
    seen, cursor = [], None
    while True:
        page = keyset_page(contact_list(organization=acme()), cursor=cursor, limit=3)
        seen += [c.id for c in page.items]
        make_contact()  # rows added meanwhile land after the end, never shift a page
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert len(seen) == len(set(seen))
    assert set(created) <= set(seen)


def test_descending_pages() -> None:
    ids = [make_contact().id for _ in range(4)]
    first = keyset_page(contact_list(organization=acme()), descending=True, limit=3)
    assert [c.id for c in first.items] == ids[::-1][:3]
    second = keyset_page(
        contact_list(organization=acme()), descending=True, limit=3, cursor=first.next_cursor
    )
    assert [c.id for c in second.items] == [ids[0]]
    assert second.next_cursor is None


@pytest.mark.parametrize("cursor", ["garbage!", "bm90LWpzb24", "WyJ4IiwgInkiXQ", "WzFd"])
def test_a_bad_cursor_is_a_validation_error(cursor: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        keyset_page(contact_list(organization=acme()), cursor=cursor)
    assert caught.value.errors == [{"field": "cursor", "message": "Invalid cursor."}]


def test_overrides_are_listed_between_both_dates_included_and_per_resource() -> None:
    resource = make_resource()
    for day in (date(2031, 1, 3), date(2031, 1, 4), date(2031, 1, 5)):
        make_override(resource=resource, date=day)
    make_override(date=date(2031, 1, 4))  # another resource's
    listed = override_list(resource=resource, date_from=date(2031, 1, 4), date_to=date(2031, 1, 5))
    assert sorted(o.date.day for o in listed) == [4, 5]
    assert override_list(resource=resource).count() == 3
