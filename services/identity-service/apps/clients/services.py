"""Service clients: creating them, authenticating them, and the client_credentials grant."""

import hashlib
import hmac
import uuid

from apps.accounts.models import Organization
from apps.clients.exceptions import InvalidClient, InvalidRequest, InvalidScope
from apps.clients.models import ServiceClient
from apps.tokens.services import IssuedAccessToken, access_token_issue

_DUMMY_HASH = "sha256$" + "0" * 64


def client_secret_hash(secret: str) -> str:
    # Client secrets are long and random, so a fast digest resists guessing as well as a slow KDF
    # would, and keeps client authentication cheap on the hot introspection path.
    return "sha256$" + hashlib.sha256(secret.encode()).hexdigest()


def client_ensure(
    *,
    client_id: str,
    name: str,
    secret: str,
    scopes: list[str],
    all_organizations: bool = False,
    organization: Organization | None = None,
) -> ServiceClient:
    """Creates or updates the client to exactly these values (idempotent)."""
    client, _ = ServiceClient.objects.update_or_create(
        client_id=client_id,
        defaults={
            "name": name,
            "secret_hash": client_secret_hash(secret),
            "scopes": sorted(set(scopes)),
            "all_organizations": all_organizations,
            "organization": organization,
            "is_active": True,
        },
    )
    return client


def client_authenticate(*, client_id: str, secret: str) -> ServiceClient:
    client = ServiceClient.objects.filter(client_id=client_id, is_active=True).first()
    expected = client.secret_hash if client is not None else _DUMMY_HASH
    if not hmac.compare_digest(client_secret_hash(secret), expected) or client is None:
        raise InvalidClient("Client authentication failed.")
    return client


def _granted_scope(*, client: ServiceClient, requested: str | None) -> str:
    allowed = set(client.scopes)
    if requested is None or not requested.strip():
        return " ".join(sorted(allowed))
    wanted = set(requested.split())
    if not wanted <= allowed:
        raise InvalidScope(f"Not granted to this client: {' '.join(sorted(wanted - allowed))}.")
    return " ".join(sorted(wanted))


def _granted_organization(*, client: ServiceClient, requested: str | None) -> uuid.UUID | None:
    if client.organization_id is not None:
        if requested and requested != str(client.organization_id):
            raise InvalidRequest("This client is bound to another organization.")
        return client.organization_id
    if not requested:
        return None
    if not client.all_organizations:
        raise InvalidRequest("This client may not ask for an organization.")
    try:
        organization_id = uuid.UUID(requested)
    except ValueError as exc:
        raise InvalidRequest("organization_id must be a UUID.") from exc
    if not Organization.objects.filter(id=organization_id).exists():
        raise InvalidRequest("Unknown organization.")
    return organization_id


def client_token_issue(
    *, client: ServiceClient, scope: str | None, organization_id: str | None
) -> IssuedAccessToken:
    """The client_credentials grant: a service token with no roles, org only when asked or bound."""
    return access_token_issue(
        subject=client.client_id,
        client_id=client.client_id,
        scope=_granted_scope(client=client, requested=scope),
        organization_id=_granted_organization(client=client, requested=organization_id),
    )
