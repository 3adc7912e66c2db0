"""Users, organizations and membership rules, at the service layer."""

from collections.abc import Callable

import pytest

from apps.accounts.exceptions import EmailTaken, InvalidPassword, LastOwner, NotAllowed, OrganizationNotFound
from apps.accounts.models import Membership, Organization, Role, User
from apps.accounts.services import (
    member_remove,
    member_update_role,
    organization_create,
    user_create,
)
from apps.invitations.services import invitation_create
from apps.tokens.models import Session
from apps.tokens.services import session_start
from tests.fixtures import PASSWORD

pytestmark = pytest.mark.django_db


def test_passwords_are_stored_with_argon2id() -> None:
    user = user_create(email="argon@example.org", name="Argon", password=PASSWORD)
    user.refresh_from_db()
    assert user.password.startswith("argon2$argon2id$")
    assert PASSWORD not in user.password
    assert user.check_password(PASSWORD)
    assert not user.check_password(PASSWORD + "!")


def test_email_is_unique_case_insensitively() -> None:
    user_create(email="Case@Example.org", name="A", password=PASSWORD)
    with pytest.raises(EmailTaken):
        user_create(email="case@EXAMPLE.ORG", name="B", password=PASSWORD)
    assert User.objects.get().email == "case@example.org"


def test_short_passwords_are_refused() -> None:
    with pytest.raises(InvalidPassword):
        user_create(email="short@example.org", name="S", password="short")


def test_creator_becomes_owner(make_user: Callable[..., User]) -> None:
    creator = make_user()
    organization = organization_create(creator=creator, name="New Place", timezone="Europe/Berlin")
    assert organization.slug == "new-place"
    assert Membership.objects.get(organization=organization).role == Role.OWNER


def test_last_owner_cannot_be_demoted_or_removed(make_user: Callable[..., User], org: Organization) -> None:
    owner = make_user((org, Role.OWNER))
    with pytest.raises(LastOwner):
        member_update_role(actor=owner, organization_id=org.id, user_id=owner.id, role=Role.ADMIN)
    with pytest.raises(LastOwner):
        member_remove(actor=owner, organization_id=org.id, user_id=owner.id)
    second = make_user((org, Role.OWNER))
    member_update_role(actor=second, organization_id=org.id, user_id=owner.id, role=Role.ADMIN)
    assert Membership.objects.get(user=owner, organization=org).role == Role.ADMIN


def test_admins_cannot_touch_owners_or_grant_ownership(
    make_user: Callable[..., User], org: Organization
) -> None:
    owner = make_user((org, Role.OWNER))
    admin = make_user((org, Role.ADMIN))
    staff = make_user((org, Role.STAFF))
    with pytest.raises(NotAllowed):
        member_update_role(actor=admin, organization_id=org.id, user_id=staff.id, role=Role.OWNER)
    with pytest.raises(NotAllowed):
        member_remove(actor=admin, organization_id=org.id, user_id=owner.id)
    with pytest.raises(NotAllowed):
        invitation_create(actor=staff, organization_id=org.id, email="new@example.org", role=Role.VIEWER)
    updated = member_update_role(actor=admin, organization_id=org.id, user_id=staff.id, role=Role.MANAGER)
    assert updated.role == Role.MANAGER


def test_non_members_see_the_organization_as_unknown(
    make_user: Callable[..., User], org: Organization
) -> None:
    make_user((org, Role.OWNER))
    outsider = make_user()
    with pytest.raises(OrganizationNotFound):
        invitation_create(actor=outsider, organization_id=org.id, email="x@example.org", role=Role.VIEWER)


def test_removing_a_member_ends_their_sessions_there(
    make_user: Callable[..., User], make_org: Callable[..., Organization]
) -> None:
    here, elsewhere = make_org(), make_org()
    owner = make_user((here, Role.OWNER))
    member = make_user((here, Role.STAFF), (elsewhere, Role.STAFF))
    here_session = session_start(
        user=member, membership=Membership.objects.get(user=member, organization=here), amr=["pwd"]
    ).session
    other_session = session_start(
        user=member, membership=Membership.objects.get(user=member, organization=elsewhere), amr=["pwd"]
    ).session
    member_remove(actor=owner, organization_id=here.id, user_id=member.id)
    assert Session.objects.get(id=here_session.id).is_revoked
    assert not Session.objects.get(id=other_session.id).is_revoked
