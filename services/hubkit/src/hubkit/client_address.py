"""The caller's address: REMOTE_ADDR, or the hop a trusted proxy put in its header.

What identity-service's login throttles count and what the backend's audit log records. A service
behind a proxy (nginx in docker-compose.local.yml) sets `CLIENT_IP_HEADER` (e.g. `X-Forwarded-For`)
and `TRUSTED_PROXY_COUNT` in its settings, read from the environment of the same names; without
them every request seems to come from the proxy.
"""

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
    header = str(getattr(settings, "CLIENT_IP_HEADER", ""))
    if not header:
        return remote
    raw = request.headers.get(header, "")
    hops = [hop for hop in (part.strip() for part in raw.split(",")) if hop]
    if not hops:
        return remote
    trusted = max(1, int(getattr(settings, "TRUSTED_PROXY_COUNT", 1)))
    chosen = hops[-trusted] if len(hops) >= trusted else hops[0]
    return _valid(chosen) or remote
