from uuid import UUID

from edge.schemas import Out


class OrganizationOut(Out):
    """The caller's organization (the token's `org_id`)."""

    id: UUID
    name: str
    timezone: str


class MeUserOut(Out):
    """The caller's mirror user: a person, or a service client."""

    id: UUID
    kind: str
    subject: str
    email: str
    name: str


class MeOut(Out):
    """The caller as the backend sees it."""

    user: MeUserOut
    organization: OrganizationOut | None
    roles: list[str]
    scopes: list[str]
