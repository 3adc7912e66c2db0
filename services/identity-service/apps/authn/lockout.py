"""Failed-login throttling per email and per client IP, kept in Redis so every worker shares it."""

import hashlib
import math
import time

from django.conf import settings
from django.core.cache import cache

from apps.authn.exceptions import TooManyAttempts


def _key(kind: str, part: str, value: str) -> str:
    # Hashed: neither emails nor addresses end up in Redis in clear.
    return f"login-{kind}:{part}:{hashlib.sha256(value.encode()).hexdigest()}"


def _limits(*, email: str, ip: str | None) -> list[tuple[str, str, int]]:
    limits = [("email", email, settings.LOGIN_MAX_FAILURES)]
    if ip:
        limits.append(("ip", ip, settings.LOGIN_IP_MAX_FAILURES))
    return limits


def lockout_check(*, email: str, ip: str | None) -> None:
    """Raises TooManyAttempts (with Retry-After) while the email or the address is locked out."""
    now = time.time()
    for part, value, _ in _limits(email=email, ip=ip):
        locked_until = cache.get(_key("lock", part, value))
        if locked_until is not None and locked_until > now:
            retry_after = max(1, math.ceil(locked_until - now))
            raise TooManyAttempts(
                f"Too many failed logins. Try again in {retry_after} seconds.",
                headers={"Retry-After": str(retry_after)},
                extra={"retry_after": retry_after},
            )


def lockout_record_failure(*, email: str, ip: str | None) -> None:
    """Counts a failure in the window; reaching the limit locks for LOGIN_LOCKOUT_SECONDS."""
    window = settings.LOGIN_LOCKOUT_SECONDS
    for part, value, limit in _limits(email=email, ip=ip):
        counter = _key("fail", part, value)
        cache.add(counter, 0, timeout=window)  # the window starts at the first failure
        try:
            failures = cache.incr(counter)
        except ValueError:  # expired between add and incr
            cache.set(counter, 1, timeout=window)
            failures = 1
        if failures >= limit:
            cache.set(_key("lock", part, value), time.time() + window, timeout=window)
            cache.delete(counter)


def lockout_reset(*, email: str) -> None:
    """A successful login forgives the email's failures (not the address's: one account must not
    reset the counter for an attacker spraying others)."""
    cache.delete(_key("fail", "email", email))
