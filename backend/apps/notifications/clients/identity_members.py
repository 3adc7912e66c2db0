"""identity-service's member lists, read with the backend's own service token (scope `members:read`).

The one place the backend asks identity-service who belongs to an organization. Tokens are
requested per organization (least privilege) and cached by `ServiceTokenClient`; every call has
explicit timeouts, its answer is validated, and every failure becomes `IdentityMembersUnavailable`.
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass

import httpx
from pydantic import BaseModel, ValidationError

from hubkit.identity import IdentityUnavailable, identity_config
from hubkit.request_id import get_request_id
from hubkit.service_token import ServiceTokenClient

SCOPE = "members:read"
PAGE_SIZE = 200
MAX_PAGES = 50


class IdentityMembersUnavailable(IdentityUnavailable):
    """identity-service could not tell who the members are (down, refused, or answered nonsense)."""


@dataclass(frozen=True)
class Member:
    user_id: uuid.UUID
    email: str
    name: str
    role: str
    phone: str | None = None  # E.164, as the user set it in identity-service


class _User(BaseModel):
    id: uuid.UUID
    email: str
    name: str
    phone: str | None = None


class _Membership(BaseModel):
    user: _User
    role: str


class _MemberPage(BaseModel):
    items: list[_Membership]
    next_cursor: str | None


_lock = threading.Lock()
_clients: dict[tuple[str, str, str], tuple[ServiceTokenClient, httpx.Client]] = {}


def _clients_for_settings() -> tuple[ServiceTokenClient, httpx.Client]:
    """One token cache and connection pool per process (and per identity URL and credentials)."""
    config = identity_config()
    key = (config.service_url, config.client_id, config.client_secret)
    with _lock:
        if key not in _clients:
            timeout = config.http_timeout_seconds
            tokens = ServiceTokenClient(
                token_url=config.token_endpoint,
                client_id=config.client_id,
                client_secret=config.client_secret,
                scope=SCOPE,
                timeout=timeout,
            )
            http = httpx.Client(
                base_url=config.service_url, timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0))
            )
            _clients[key] = (tokens, http)
        return _clients[key]


def _get_page(organization_id: uuid.UUID, params: dict[str, str | int]) -> _MemberPage:
    tokens, http = _clients_for_settings()
    org = str(organization_id)
    headers = {"X-Request-ID": request_id} if (request_id := get_request_id()) else {}
    try:
        # A 401 (token expired or revoked early) is retried once with a fresh token by the auth.
        response = http.get(
            f"/api/v1/organizations/{org}/members",
            params=params,
            headers=headers,
            auth=tokens.auth(organization_id=org),
        )
    except httpx.HTTPError as exc:
        raise IdentityMembersUnavailable(f"member list unreachable: {type(exc).__name__}") from exc
    if response.status_code == 401:
        raise IdentityMembersUnavailable("member list refused the service token")
    if response.status_code != 200:
        raise IdentityMembersUnavailable(f"member list answered {response.status_code}")
    try:
        return _MemberPage.model_validate_json(response.content)
    except ValidationError as exc:
        raise IdentityMembersUnavailable("member list answered an unexpected body") from exc


def organization_members(*, organization_id: uuid.UUID, role: str | None = None) -> list[Member]:
    """Every member of the organization (holding exactly `role`, if given), in join order."""
    members: list[Member] = []
    params: dict[str, str | int] = {"limit": PAGE_SIZE}
    if role is not None:
        params["role"] = role
    try:
        for _ in range(MAX_PAGES):
            page = _get_page(organization_id, params)
            members.extend(
                Member(
                    user_id=m.user.id, email=m.user.email, name=m.user.name, role=m.role, phone=m.user.phone
                )
                for m in page.items
            )
            if page.next_cursor is None:
                return members
            params["cursor"] = page.next_cursor
    except IdentityUnavailable as exc:
        if isinstance(exc, IdentityMembersUnavailable):
            raise
        raise IdentityMembersUnavailable(exc.message) from exc  # the token endpoint failed
    raise IdentityMembersUnavailable(f"more than {MAX_PAGES * PAGE_SIZE} members")
