"""Typed HTTP client for identity-service: discovery, JWKS and introspection, nothing else."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from django.conf import settings

from apps.identity.exceptions import IdentityProtocolError, IdentityUnavailable
from hubkit.request_id import HEADER as REQUEST_ID_HEADER
from hubkit.request_id import get_request_id


@dataclass(frozen=True)
class Discovery:
    issuer: str
    jwks_uri: str
    introspection_endpoint: str


class IdentityClient:
    def __init__(self, *, base_url: str, timeout: float, client_id: str, client_secret: str) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self._client_secret = client_secret
        self._http = httpx.Client(timeout=httpx.Timeout(timeout, connect=min(timeout, 2.0)))

    @classmethod
    def from_settings(cls) -> IdentityClient:
        return cls(
            base_url=settings.IDENTITY_SERVICE_URL,
            timeout=settings.IDENTITY_HTTP_TIMEOUT_SECONDS,
            client_id=settings.IDENTITY_CLIENT_ID,
            client_secret=settings.IDENTITY_CLIENT_SECRET,
        )

    def _headers(self) -> dict[str, str]:
        request_id = get_request_id()
        return {REQUEST_ID_HEADER: request_id} if request_id else {}

    def _json(self, response: httpx.Response) -> dict[str, Any]:
        if response.status_code >= 500:
            raise IdentityUnavailable(f"identity-service answered {response.status_code}")
        if response.status_code != 200:
            raise IdentityProtocolError(f"identity-service answered {response.status_code}")
        try:
            body = response.json()
        except ValueError as exc:
            raise IdentityProtocolError("identity-service answered invalid JSON") from exc
        if not isinstance(body, dict):
            raise IdentityProtocolError("identity-service answered a non-object")
        return body

    def _get(self, url: str) -> dict[str, Any]:
        try:
            return self._json(self._http.get(url, headers=self._headers()))
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"identity-service unreachable: {type(exc).__name__}") from exc

    def discovery(self) -> Discovery:
        body = self._get(self.base_url + "/.well-known/openid-configuration")
        try:
            return Discovery(
                issuer=str(body["issuer"]),
                jwks_uri=str(body["jwks_uri"]),
                introspection_endpoint=str(body["introspection_endpoint"]),
            )
        except KeyError as exc:
            raise IdentityProtocolError(f"discovery document lacks {exc}") from exc

    def jwks(self, jwks_uri: str) -> dict[str, Any]:
        body = self._get(jwks_uri)
        if not isinstance(body.get("keys"), list):
            raise IdentityProtocolError("JWKS document has no key list")
        return body

    def introspect(self, introspection_endpoint: str, token: str) -> dict[str, Any]:
        try:
            response = self._http.post(
                introspection_endpoint,
                data={"token": token, "token_type_hint": "access_token"},
                auth=(self.client_id, self._client_secret),
                headers=self._headers(),
            )
        except httpx.HTTPError as exc:
            raise IdentityUnavailable(f"identity-service unreachable: {type(exc).__name__}") from exc
        body = self._json(response)
        if not isinstance(body.get("active"), bool):
            raise IdentityProtocolError("introspection answer lacks `active`")
        return body
