"""Edge schemas of users, organizations and members."""

import uuid
from datetime import datetime

from ninja import Field, Schema

from apps.accounts.models import Role

# Deliberately loose: the hub's demo domains (.test) are reserved names strict validators refuse.
EMAIL_PATTERN = r"^[^@\s]+@[^@\s]+\.[^@\s]+$"


class OrganizationOut(Schema):
    id: uuid.UUID
    name: str
    slug: str
    timezone: str


class UserOut(Schema):
    id: uuid.UUID
    email: str
    name: str
    mfa_enabled: bool


class MembershipOut(Schema):
    organization: OrganizationOut
    role: Role


class MeOut(UserOut):
    organization_id: uuid.UUID | None
    roles: list[Role]
    amr: list[str]
    memberships: list[MembershipOut]


class OrganizationIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    slug: str | None = Field(default=None, pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    timezone: str = Field(default="UTC", max_length=64)


class MemberOut(Schema):
    user: UserOut
    role: Role
    joined_at: datetime = Field(alias="created_at")


class MemberIn(Schema):
    email: str = Field(max_length=254, pattern=EMAIL_PATTERN)
    role: Role
    name: str | None = Field(default=None, min_length=1, max_length=200)
    password: str | None = Field(default=None, max_length=1024)


class MemberPatch(Schema):
    role: Role


class MemberPage(Schema):
    items: list[MemberOut]
    next_cursor: str | None


class MemberFilter(Schema):
    role: Role | None = Field(default=None, description="Only members holding exactly this role.")
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)
