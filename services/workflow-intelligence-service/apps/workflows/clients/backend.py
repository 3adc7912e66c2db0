"""The backend's REST API as this service uses it: creating notifications with a service token.

Failures are split into what a later retry may fix (BackendUnavailable: unreachable, timeout,
5xx, 429, 409 in progress, identity down) and what it will not (BackendRejected: any other 4xx,
or a 2xx whose body breaks the contract).
"""

from __future__ import annotations

import logging
import threading
from dataclasses import dataclass, field
from typing import Any

import httpx
from django.conf import settings

from hubkit.identity import IdentityUnavailable, identity_config
from hubkit.request_id import HEADER as REQUEST_ID_HEADER
from hubkit.service_token import ServiceTokenAuth, ServiceTokenClient

logger = logging.getLogger(__name__)

NOTIFICATIONS_PATH = "/api/v1/notifications"
_TRANSIENT_STATUSES = {408, 409, 425, 429}


class BackendError(Exception):
    def __init__(self, message: str, *, attempts: int, status: int | None = None) -> None:
        super().__init__(message)
        self.attempts = attempts
        self.status = status


class BackendUnavailable(BackendError):
    """Transient: the same call may succeed later."""


class BackendRejected(BackendError):
    """Permanent: the backend refused this request, or answered outside its contract."""


@dataclass(frozen=True)
class NotificationRequest:
    organization_id: str
    category: str
    severity: str
    title: str
    body: str
    dedupe_key: str
    data: dict[str, Any] = field(default_factory=dict)
    role: str | None = None
    recipient_ids: list[str] | None = None
    action_url: str | None = None

    def payload(self) -> dict[str, Any]:
        body: dict[str, Any] = {
            "category": self.category,
            "severity": self.severity,
            "title": self.title,
            "body": self.body,
            "data": self.data,
            "action_url": self.action_url,
            "dedupe_key": self.dedupe_key,
        }
        if self.recipient_ids is not None:
            body["recipient_ids"] = self.recipient_ids
        else:
            body["role"] = self.role
        return body


@dataclass(frozen=True)
class NotificationResult:
    created: bool  # False: the dedupe key was already used (a 200, or a replayed 201): nothing new
    notification_ids: list[str]
    attempts: int


class BackendClient:
    def __init__(self, *, base_url: str, tokens: ServiceTokenClient, timeout: httpx.Timeout) -> None:
        self.base_url = base_url.rstrip("/")
        self.tokens = tokens
        self._http = httpx.Client(timeout=timeout)

    def notify(self, request: NotificationRequest, *, request_id: str | None = None) -> NotificationResult:
        """Create the notification (idempotent by `dedupe_key`); one retry with a fresh token on 401."""
        auth = self.tokens.auth(organization_id=request.organization_id)
        response = self._post(request, request_id=request_id, auth=auth)
        if response.status_code == 401:
            logger.warning("backend refused the service token (attempt %d)", auth.attempts)
            # A fresh token refused too: identity and backend disagree on keys or clients.
            # Retrying the delivery later is the only way it can still succeed.
            raise BackendUnavailable(
                "backend refused a fresh service token", attempts=auth.attempts, status=401
            )
        return self._result(response, attempts=auth.attempts)

    def _post(
        self, request: NotificationRequest, *, request_id: str | None, auth: ServiceTokenAuth
    ) -> httpx.Response:
        """POST with the service token (the auth retries a 401 once with a fresh one)."""
        headers = {"Idempotency-Key": request.dedupe_key}
        if request_id:
            headers[REQUEST_ID_HEADER] = request_id
        try:
            return self._http.post(
                self.base_url + NOTIFICATIONS_PATH, json=request.payload(), headers=headers, auth=auth
            )
        except IdentityUnavailable as exc:
            raise BackendUnavailable(f"no service token: {exc.message}", attempts=auth.attempts) from exc
        except httpx.TimeoutException as exc:
            raise BackendUnavailable("backend timed out", attempts=auth.attempts) from exc
        except httpx.HTTPError as exc:
            raise BackendUnavailable(
                f"backend unreachable: {type(exc).__name__}", attempts=auth.attempts
            ) from exc

    def _result(self, response: httpx.Response, *, attempts: int) -> NotificationResult:
        status = response.status_code
        if status >= 500 or status in _TRANSIENT_STATUSES:
            raise BackendUnavailable(f"backend answered {status}", attempts=attempts, status=status)
        if status not in (200, 201):
            raise BackendRejected(
                f"backend answered {status}: {_problem_summary(response)}", attempts=attempts, status=status
            )
        try:
            body = response.json()
        except ValueError as exc:
            raise BackendRejected(
                f"backend answered {status} with invalid JSON", attempts=attempts, status=status
            ) from exc
        items = body.get("items", []) if isinstance(body, dict) else None
        if not isinstance(items, list) or not all(isinstance(i, dict) and "id" in i for i in items):
            raise BackendRejected(
                f"backend answered {status} without a list of notifications", attempts=attempts, status=status
            )
        # The Idempotency-Key is the dedupe key: a repeat is usually the first 201, replayed.
        replayed = response.headers.get("Idempotent-Replayed", "").lower() == "true"
        return NotificationResult(
            created=status == 201 and not replayed,
            notification_ids=[str(i["id"]) for i in items],
            attempts=attempts,
        )


def _problem_summary(response: httpx.Response) -> str:
    """`code: detail` of a problem+json answer, else the start of the body (bounded for storage)."""
    try:
        body = response.json()
    except ValueError:
        return response.text[:200] or "(empty body)"
    if isinstance(body, dict) and ("code" in body or "detail" in body):
        return f"{body.get('code', '')}: {body.get('detail', '')}"[:500]
    return str(body)[:200]


_client: BackendClient | None = None
_client_lock = threading.Lock()


def get_backend_client() -> BackendClient:
    """The process-wide client (one token cache and one connection pool per process)."""
    global _client  # noqa: PLW0603 - a per-process singleton by design
    if _client is None:
        with _client_lock:
            if _client is None:
                identity = identity_config()
                _client = BackendClient(
                    base_url=settings.BACKEND_URL,
                    tokens=ServiceTokenClient(
                        token_url=identity.token_endpoint,
                        client_id=identity.client_id,
                        client_secret=identity.client_secret,
                        scope=settings.WORKFLOW_TOKEN_SCOPE,
                        timeout=identity.http_timeout_seconds,
                    ),
                    timeout=httpx.Timeout(
                        settings.BACKEND_TIMEOUT_SECONDS, connect=settings.BACKEND_CONNECT_TIMEOUT_SECONDS
                    ),
                )
    return _client


def reset_backend_client() -> None:
    """Forget the process-wide client (settings changed, e.g. in tests)."""
    global _client  # noqa: PLW0603
    _client = None
