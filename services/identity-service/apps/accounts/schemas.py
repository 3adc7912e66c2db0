"""Edge schemas of users, organizations and members."""

import uuid
from datetime import datetime
from typing import Annotated

from ninja import Field, Schema
from pydantic import StringConstraints, field_validator

from apps.accounts.models import Role
from hubkit.fields import Text

# Deliberately loose: the hub's demo domains (.test) are reserved names strict validators refuse.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"
Email = Annotated[Text, StringConstraints(max_length=254, pattern=EMAIL_PATTERN)]
Name = Annotated[Text, StringConstraints(min_length=1, max_length=200)]


class OrganizationOut(Schema):
    """An organization."""

    id: uuid.UUID
    name: str
    slug: str
    timezone: str


class UserOut(Schema):
    """A user, as others may see them."""

    id: uuid.UUID
    email: str
    name: str
    phone: str | None = Field(
        description="Where the user takes text messages, in E.164 (e.g. +4930123456); null when none."
    )
    mfa_enabled: bool

    @field_validator("phone", mode="before")
    @classmethod
    def _blank_as_null(cls, value: object) -> object:
        return value or None


class MembershipOut(Schema):
    """One of the caller's memberships: the organization and the role held there."""

    organization: OrganizationOut
    role: Role


class MeOut(UserOut):
    """The signed-in user, the organization their token is for, and every membership."""

    organization_id: uuid.UUID | None
    roles: list[Role]
    amr: list[str]
    memberships: list[MembershipOut]


class ProfilePatch(Schema):
    """The caller's own profile fields to change; left-out fields keep their value."""

    name: Name | None = Field(default=None, description="The name others see.")
    phone: Annotated[Text, StringConstraints(max_length=40)] | None = Field(
        default=None,
        description=(
            "A mobile number in international form (+<country code>…), stored in E.164; "
            '"" or null removes it. Text messages go there when the user enables SMS.'
        ),
    )


class OrganizationIn(Schema):
    """A new organization."""

    name: Name
    slug: Annotated[Text, StringConstraints(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")] | None = None
    timezone: Annotated[Text, StringConstraints(max_length=64)] = "UTC"


class MemberOut(Schema):
    """A member of an organization."""

    user: UserOut
    role: Role
    joined_at: datetime = Field(alias="created_at")


class MemberPatch(Schema):
    """A member's new role."""

    role: Role


class MemberFilter(Schema):
    """Narrows the member list."""

    role: Role | None = Field(default=None, description="Only members holding exactly this role.")
