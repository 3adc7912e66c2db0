from uuid import UUID

from ninja import Schema


class OrganizationOut(Schema):
    id: UUID
    name: str
    timezone: str


class MeUserOut(Schema):
    id: UUID
    kind: str
    subject: str
    email: str
    name: str


class MeOut(Schema):
    user: MeUserOut
    organization: OrganizationOut | None
    roles: list[str]
    scopes: list[str]
