"""Typed client for POSTing signed events to a subscriber; maps every failure to an outcome."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx
from django.conf import settings

from hubkit.request_id import HEADER as REQUEST_ID_HEADER
from hubkit.webhooks import sign_headers

# Retry on network errors, timeouts, 5xx, 408, 409 and 429; any other 4xx is final.
_RETRYABLE_4XX = {408, 409, 429}

_http = httpx.Client(follow_redirects=False)


@dataclass(frozen=True)
class SendResult:
    status_code: int | None
    error: str
    duration_ms: float
    retry_after_seconds: float | None

    @property
    def delivered(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @property
    def retryable(self) -> bool:
        if self.status_code is None:
            return True
        return self.status_code >= 500 or self.status_code in _RETRYABLE_4XX


def encode_body(envelope: dict[str, object]) -> bytes:
    """The exact bytes that are signed and sent."""
    return json.dumps(envelope, separators=(",", ":"), sort_keys=True).encode()


def send_event(
    *, url: str, event_id: str, body: bytes, secrets: tuple[str, ...], correlation_id: str
) -> SendResult:
    headers = sign_headers(msg_id=event_id, body=body, secrets=secrets)
    headers["Content-Type"] = "application/json"
    if correlation_id:
        headers[REQUEST_ID_HEADER] = correlation_id
    timeout = settings.EVENT_DELIVERY_TIMEOUT_SECONDS
    started = time.perf_counter()
    try:
        response = _http.post(url, content=body, headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return SendResult(None, f"{type(exc).__name__}: {exc}"[:500], elapsed, None)
    elapsed = (time.perf_counter() - started) * 1000
    error = "" if 200 <= response.status_code < 300 else response.text[:500]
    return SendResult(response.status_code, error, elapsed, _retry_after(response))


def _retry_after(response: httpx.Response) -> float | None:
    if response.status_code not in {429, 503}:
        return None
    value = response.headers.get("Retry-After")
    if not value:
        return None
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        moment = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, float((moment - datetime.now(tz=UTC)).total_seconds()))
