"""Client-credentials access tokens for calling another hub service, cached until near expiry.

`ServiceTokenClient.auth(organization_id=...)` is an `httpx.Auth`: it sends the cached token
and, when the callee answers 401 (the token expired early, or was revoked), drops that token and
retries the request once with a fresh one. A second 401 is the callee's answer to the caller.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Generator

import httpx

from hubkit.identity import IdentityUnavailable

_REFRESH_MARGIN_SECONDS = 60


class ServiceTokenClient:
    """Fetches and caches tokens from identity-service's `/oauth/token` (one per organization)."""

    def __init__(
        self, *, token_url: str, client_id: str, client_secret: str, scope: str = "", timeout: float = 3.0
    ) -> None:
        self.token_url = token_url
        self.client_id = client_id
        self._secret = client_secret
        self.scope = scope
        self._http = httpx.Client(timeout=timeout)
        self._lock = threading.Lock()
        self._tokens: dict[str | None, tuple[str, float]] = {}

    def token(self, *, organization_id: str | None = None) -> str:
        """A token for the organization (None: for none); IdentityUnavailable if none can be had."""
        with self._lock:
            cached = self._tokens.get(organization_id)
            if cached and cached[1] - _REFRESH_MARGIN_SECONDS > time.time():
                return cached[0]
            data = {"grant_type": "client_credentials"}
            if self.scope:
                data["scope"] = self.scope
            if organization_id:
                data["organization_id"] = organization_id
            try:
                response = self._http.post(self.token_url, data=data, auth=(self.client_id, self._secret))
            except httpx.HTTPError as exc:
                raise IdentityUnavailable(f"token endpoint unreachable: {type(exc).__name__}") from exc
            if response.status_code != 200:
                raise IdentityUnavailable(f"token endpoint answered {response.status_code}")
            try:
                body = response.json()
                token = str(body["access_token"])
                expires_in = float(body.get("expires_in", 300))
            except (ValueError, KeyError, TypeError, AttributeError) as exc:
                raise IdentityUnavailable("token endpoint answered an unexpected body") from exc
            self._tokens[organization_id] = (token, time.time() + expires_in)
            return token

    def forget(self, *, organization_id: str | None = None, token: str | None = None) -> None:
        """Drop the cached token (only if it is still `token`, when given: a concurrent caller
        may already have fetched a fresh one)."""
        with self._lock:
            cached = self._tokens.get(organization_id)
            if cached is not None and (token is None or cached[0] == token):
                del self._tokens[organization_id]

    def auth(self, *, organization_id: str | None = None) -> ServiceTokenAuth:
        """Bearer auth for one call with this client's token for the organization."""
        return ServiceTokenAuth(self, organization_id=organization_id)


class ServiceTokenAuth(httpx.Auth):
    """Bearer service token; on 401 one retry with a fresh token (see the module docstring).

    The token client's IdentityUnavailable propagates out of the request call unchanged.
    """

    def __init__(self, tokens: ServiceTokenClient, *, organization_id: str | None) -> None:
        self._tokens = tokens
        self._organization_id = organization_id
        self.attempts = 0  # requests handed to the transport so far (1, or 2 after a retry)

    def auth_flow(self, request: httpx.Request) -> Generator[httpx.Request, httpx.Response, None]:
        organization_id = self._organization_id
        token = self._tokens.token(organization_id=organization_id)
        request.headers["Authorization"] = f"Bearer {token}"
        self.attempts += 1
        response = yield request
        if response.status_code != 401:
            return
        self._tokens.forget(organization_id=organization_id, token=token)
        request.headers["Authorization"] = f"Bearer {self._tokens.token(organization_id=organization_id)}"
        self.attempts += 1
        yield request
