"""Schemathesis hooks for one fuzz run (loaded by its CLI through SCHEMATHESIS_HOOKS).

`FUZZ_PRINCIPAL` (JSON `{"identity_url", "email", "password", "access_token", "device_token"}`,
from a login the harness made before any fuzzing) names the demo user whose real access token
every request carries; without it no provider is registered and requests go out with no
credentials (or the fuzzed ones the schema's security parameters give).
"""

from __future__ import annotations

import json
import os
import time
from typing import Any

import httpx
import schemathesis

# Operations that end the caller's own session: each gets a token of a session of its own, so
# the rest of the run keeps a live one.
ENDS_OWN_SESSION = frozenset({"POST /api/v1/auth/logout", "POST /api/v1/auth/switch-organization"})
# Access tokens live 900 s; a long run logs in again well before that.
TOKEN_SECONDS = 600


class DemoUser:
    """A demo user's access token, from a real login at identity-service."""

    def __init__(self) -> None:
        principal: dict[str, str] = json.loads(os.environ["FUZZ_PRINCIPAL"])
        self.identity_url = principal["identity_url"]
        self.email = principal["email"]
        self.password = principal["password"]
        self.token = principal["access_token"]
        self.token_at = time.monotonic()
        # The fuzz fails logins from 127.0.0.1 on purpose; with the device token of an earlier
        # login, this device's logins are throttled apart from those failures.
        self.device_token = principal["device_token"]

    def _login(self) -> str:
        body: dict[str, Any] = {"email": self.email, "password": self.password}
        if self.device_token:
            body["device_token"] = self.device_token
        response = httpx.post(f"{self.identity_url}/api/v1/auth/login", json=body, timeout=30)
        response.raise_for_status()
        answer = response.json()
        self.device_token = answer.get("device_token") or self.device_token
        return str(answer["access_token"])

    def get(self, case: schemathesis.Case[Any], context: schemathesis.AuthContext) -> str:
        if context.operation.label in ENDS_OWN_SESSION:
            return self._login()
        if time.monotonic() - self.token_at > TOKEN_SECONDS:
            self.token, self.token_at = self._login(), time.monotonic()
        return self.token

    def set(self, case: schemathesis.Case[Any], data: str, context: schemathesis.AuthContext) -> None:
        case.headers["Authorization"] = f"Bearer {data}"


if os.environ.get("FUZZ_PRINCIPAL"):
    # The provider caches on its own; schemathesis' cache would also retry a 401 with a new token.
    schemathesis.auth(refresh_interval=None)(DemoUser)
