"""The caller's address as the throttles see it: REMOTE_ADDR, or a trusted proxy's header."""

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def _valid(value: str) -> str | None:
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        return None


def client_address(request: HttpRequest) -> str | None:
    """Without `CLIENT_IP_HEADER`, REMOTE_ADDR. With it (e.g. `X-Forwarded-For`), the hop the
    outermost of `TRUSTED_PROXY_COUNT` proxies appended: the right-most address nobody but the
    client could have chosen. Entries further left are the client's own words and are ignored."""
    remote = request.META.get("REMOTE_ADDR")
    header = settings.CLIENT_IP_HEADER
    if not header:
        return remote
    raw = request.headers.get(header, "")
    hops = [hop for hop in (part.strip() for part in raw.split(",")) if hop]
    if not hops:
        return remote
    trusted = max(1, settings.TRUSTED_PROXY_COUNT)
    chosen = hops[-trusted] if len(hops) >= trusted else hops[0]
    return _valid(chosen) or remote
