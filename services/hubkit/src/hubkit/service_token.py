"""Client-credentials access tokens for calling another hub service, cached until near expiry."""

from __future__ import annotations

import threading
import time

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
            body = response.json()
            token = str(body["access_token"])
            self._tokens[organization_id] = (token, time.time() + float(body.get("expires_in", 300)))
            return token

    def forget(self, *, organization_id: str | None = None) -> None:
        """Drop a cached token (e.g. after the callee answered 401)."""
        with self._lock:
            self._tokens.pop(organization_id, None)
