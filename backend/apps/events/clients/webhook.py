"""Typed client for POSTing signed events to a subscriber; maps every failure to an outcome."""

from __future__ import annotations

import functools
import json
import ssl
import time
from dataclasses import dataclass

import aiohttp
from django.conf import settings

from hubkit.request_id import HEADER as REQUEST_ID_HEADER
from hubkit.webhooks import retry_after_seconds, sign_headers

USER_AGENT = "hub-backend-events/1"

# Retry on network errors, timeouts, 5xx, 408, 409 and 429; any other 4xx is final.
_RETRYABLE_4XX = {408, 409, 429}


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


@functools.cache
def _tls_context() -> ssl.SSLContext:
    """Loading the CA bundle costs milliseconds: once per process, not once per session."""
    return ssl.create_default_context()


def event_session(*, max_connections: int) -> aiohttp.ClientSession:
    """The HTTP session of one drain batch: keep-alive connections shared by its concurrent sends."""
    connector = aiohttp.TCPConnector(limit=max_connections, ssl=_tls_context())
    return aiohttp.ClientSession(connector=connector, skip_auto_headers=("User-Agent",))


async def send_event(
    session: aiohttp.ClientSession,
    *,
    url: str,
    event_id: str,
    body: bytes,
    secrets: tuple[str, ...],
    correlation_id: str,
) -> SendResult:
    headers = sign_headers(msg_id=event_id, body=body, secrets=secrets)
    headers["Content-Type"] = "application/json"
    headers["User-Agent"] = USER_AGENT
    if correlation_id:
        headers[REQUEST_ID_HEADER] = correlation_id
    timeout = aiohttp.ClientTimeout(total=settings.EVENT_DELIVERY_TIMEOUT_SECONDS)
    started = time.perf_counter()
    try:
        async with session.post(
            url, data=body, headers=headers, timeout=timeout, allow_redirects=False
        ) as response:
            status = response.status
            text = (await response.read()).decode(errors="replace")
            retry_after = (
                retry_after_seconds(response.headers.get("Retry-After")) if status in {429, 503} else None
            )
    except (aiohttp.ClientError, TimeoutError) as exc:
        elapsed = (time.perf_counter() - started) * 1000
        return SendResult(None, f"{type(exc).__name__}: {exc}"[:500], elapsed, None)
    elapsed = (time.perf_counter() - started) * 1000
    error = "" if 200 <= status < 300 else text[:500]
    return SendResult(status, error, elapsed, retry_after)
