"""Shared fixtures: users with memberships, logged-in tokens, service clients, API clients."""

import base64
import itertools
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from apps.accounts.models import Organization, Role, User
from apps.accounts.services import membership_ensure, organization_create, user_create
from apps.clients.models import ServiceClient
from apps.clients.services import client_ensure

PASSWORD = "correct horse battery staple"
_addresses = itertools.count(1)


def bearer(token: str) -> dict[str, Any]:
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def basic(client_id: str, secret: str) -> dict[str, Any]:
    raw = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return {"HTTP_AUTHORIZATION": f"Basic {raw}"}


@pytest.fixture
def api() -> Client:
    """A client with its own address, so per-address login throttling never leaks between tests."""
    n = next(_addresses)
    return Client(REMOTE_ADDR=f"10.{uuid.uuid4().int % 250}.{n // 250 % 250}.{n % 250 + 1}")


@pytest.fixture
def make_org(db: None) -> Callable[..., Organization]:
    def make(name: str | None = None, **kwargs: Any) -> Organization:
        name = name or f"Org {uuid.uuid4().hex[:8]}"
        return organization_create(creator=None, name=name, slug=f"org-{uuid.uuid4().hex[:12]}", **kwargs)

    return make


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        *memberships: tuple[Organization, Role], email: str | None = None, password: str = PASSWORD
    ) -> User:
        user = user_create(
            email=email or f"u-{uuid.uuid4().hex[:12]}@example.org", name="Test User", password=password
        )
        for organization, role in memberships:
            membership_ensure(user=user, organization=organization, role=role)
        return user

    return make


@pytest.fixture
def org(make_org: Callable[..., Organization]) -> Organization:
    return make_org("Acme")


@pytest.fixture
def login(api: Client) -> Callable[..., dict[str, Any]]:
    """Logs in through the API; returns the JSON body (asserting 200)."""

    def do(user: User, password: str = PASSWORD, **extra: Any) -> dict[str, Any]:
        response = api.post(
            "/api/v1/auth/login",
            {"email": user.email, "password": password, **extra},
            content_type="application/json",
        )
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body

    return do


@pytest.fixture
def introspector(db: None) -> tuple[ServiceClient, dict[str, Any]]:
    """The backend's client: may introspect; with its Basic auth header."""
    secret = "introspector-secret-" + uuid.uuid4().hex
    client = client_ensure(
        client_id="test-backend", name="Test backend", secret=secret, scopes=["introspect"]
    )
    return client, basic("test-backend", secret)


@pytest.fixture
def introspect(
    api: Client, introspector: tuple[ServiceClient, dict[str, Any]]
) -> Callable[[str], dict[str, Any]]:
    def do(token: str) -> dict[str, Any]:
        response = api.post("/oauth/introspect", {"token": token}, **introspector[1])
        assert response.status_code == 200, response.content
        body: dict[str, Any] = response.json()
        return body

    return do
