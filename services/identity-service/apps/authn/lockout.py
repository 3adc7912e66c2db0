"""Failed-login and failed-MFA throttling, kept in Redis so every worker shares it.

Password failures are counted per (client address, account): past `LOGIN_MAX_FAILURES` each
further failure delays the next try from that address for that account, doubling up to
`LOGIN_LOCKOUT_SECONDS`. Someone failing from one address therefore cannot lock the real user
out from another. Two ceilings stay as backstops: per account across every address
(`LOGIN_ACCOUNT_MAX_FAILURES` an hour, slow distributed guessing) and per address across
accounts (`LOGIN_IP_MAX_FAILURES`, spraying). A login carrying a known device of the account
(`device` below) is keyed by that device instead of its address and skips both ceilings.

TOTP failures are counted per user, whatever the challenge: past `MFA_USER_MAX_FAILURES` in
`MFA_FAILURE_WINDOW_SECONDS`, verification is locked for that user, each lock twice the last.
"""

import contextlib
import hashlib
import math
import time
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

from apps.authn.exceptions import TooManyAttempts

# How long a lock's strike is remembered for the doubling of the next lock.
STRIKES_TTL_SECONDS = 24 * 3600


def _key(kind: str, part: str, value: str) -> str:
    # Hashed: neither emails nor addresses end up in Redis in clear.
    return f"login-{kind}:{part}:{hashlib.sha256(value.encode()).hexdigest()}"


def _too_many(locked_until: float, now: float, what: str) -> TooManyAttempts:
    retry_after = max(1, math.ceil(locked_until - now))
    return TooManyAttempts(
        f"Too many failed {what}. Try again in {retry_after} seconds.",
        headers={"Retry-After": str(retry_after)},
        extra={"retry_after": retry_after},
    )


def _locked_until(key: str, now: float) -> float | None:
    until = cache.get(key)
    return float(until) if until is not None and until > now else None


def _count(key: str, *, window: int, sliding: bool = False) -> int:
    """Atomically adds one to a counter living `window` seconds from its first (or, sliding, last) hit."""
    cache.add(key, 0, timeout=window)
    try:
        count = int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window)
        return 1
    if sliding:
        cache.touch(key, timeout=window)
    return count


def _delay(failures: int) -> int:
    """The wait after the `failures`-th failure of a pair: none before the limit, then doubling."""
    extra = failures - settings.LOGIN_MAX_FAILURES
    if extra < 0:
        return 0
    return max(
        1, int(min(settings.LOGIN_DELAY_SECONDS * 2 ** min(extra, 32), settings.LOGIN_LOCKOUT_SECONDS))
    )


@dataclass(frozen=True)
class Ceiling:
    """One backstop counter this attempt holds a unit of (account or address, across pairs)."""

    part: str
    value: str
    limit: int
    window: int
    count: int

    @property
    def counter(self) -> str:
        return _key("fail", self.part, self.value)

    @property
    def lock(self) -> str:
        return _key("lock", self.part, self.value)


@dataclass(frozen=True)
class LoginAttempt:
    """One password check in flight, already counted against its (address or device, account) pair
    and against the ceilings it is subject to (none for a known device)."""

    email: str
    ip: str | None
    device: str | None
    pair: str
    failures: int
    claimed: bool
    ceilings: tuple[Ceiling, ...] = ()


def _pair(*, email: str, ip: str | None, device: str | None) -> str:
    if device is not None:
        return _key("pair", "device", f"{device}|{email}")
    return _key("pair", "ip", f"{ip or '-'}|{email}")


def _give_back(key: str) -> None:
    with contextlib.suppress(ValueError):  # expired meanwhile: nothing left to give back
        cache.decr(key)


def login_attempt_begin(*, email: str, ip: str | None, device: str | None) -> LoginAttempt:
    """Counts the attempt before the password is checked, or raises TooManyAttempts.

    Check and count are one atomic step per counter (INCR answers this attempt's number; a refused
    attempt gives its unit back), never a read followed by a write, so parallel requests cannot
    outrun a limit. Per pair: attempts numbered below `LOGIN_MAX_FAILURES` run freely; from that
    number on, the attempt's own failure would start a delay, so it claims that delay (an atomic
    add of the pair's lock) before running, and any attempt arriving meanwhile is refused: in
    parallel exactly as many passwords are checked as one after another. Per ceiling: the counter
    holds failures plus attempts in flight (a right password gives its unit back), and an attempt
    that would take it past the limit is refused.
    """
    now = time.time()
    bounds: list[tuple[str, str, int, int]] = []
    if device is None:
        bounds.append(
            ("account", email, settings.LOGIN_ACCOUNT_MAX_FAILURES, settings.LOGIN_ACCOUNT_WINDOW_SECONDS)
        )
        if ip:
            bounds.append(("ip", ip, settings.LOGIN_IP_MAX_FAILURES, settings.LOGIN_LOCKOUT_SECONDS))
        for part, value, _, _ in bounds:
            until = _locked_until(_key("lock", part, value), now)
            if until is not None:
                raise _too_many(until, now, "logins")
    pair = _pair(email=email, ip=ip, device=device)
    until = _locked_until(f"{pair}:lock", now)
    if until is not None:
        raise _too_many(until, now, "logins")
    failures = _count(f"{pair}:fail", window=settings.LOGIN_FAILURE_WINDOW_SECONDS, sliding=True)
    claimed = False
    if failures >= settings.LOGIN_MAX_FAILURES:
        delay = _delay(failures)
        if not cache.add(f"{pair}:lock", now + delay, timeout=delay):
            _give_back(f"{pair}:fail")  # this one never ran
            raise _too_many(_locked_until(f"{pair}:lock", now) or now + 1, now, "logins")
        claimed = True
    held: list[Ceiling] = []
    for part, value, limit, window in bounds:
        ceiling = Ceiling(
            part=part,
            value=value,
            limit=limit,
            window=window,
            count=_count(_key("fail", part, value), window=window),
        )
        if ceiling.count > limit:
            for key in [ceiling.counter, *(c.counter for c in held), f"{pair}:fail"]:
                _give_back(key)
            if claimed:
                cache.delete(f"{pair}:lock")
            raise _too_many(_locked_until(ceiling.lock, now) or now + 1, now, "logins")
        held.append(ceiling)
    return LoginAttempt(
        email=email,
        ip=ip,
        device=device,
        pair=pair,
        failures=failures,
        claimed=claimed,
        ceilings=tuple(held),
    )


def login_attempt_failed(attempt: LoginAttempt) -> None:
    """The password was wrong: the pair waits before its next try (counted from now), and a ceiling
    this failure filled locks for its window. The counted units stay: they were failures."""
    now = time.time()
    delay = _delay(attempt.failures)
    if delay:
        cache.set(f"{attempt.pair}:lock", now + delay, timeout=delay)
    for ceiling in attempt.ceilings:
        if ceiling.count >= ceiling.limit:
            cache.set(ceiling.lock, now + ceiling.window, timeout=ceiling.window)


def login_attempt_succeeded(attempt: LoginAttempt) -> None:
    """The right password forgives its own pair only, and gives back the ceiling units it held:
    neither the account's other failures nor the address's count (one account must not reset the
    counter of an address spraying others) are forgiven."""
    cache.delete_many([f"{attempt.pair}:fail", f"{attempt.pair}:lock"])
    for ceiling in attempt.ceilings:
        _give_back(ceiling.counter)


def _mfa_key(kind: str, user_id: uuid.UUID) -> str:
    return f"mfa-{kind}:{user_id}"


def mfa_lockout_check(*, user_id: uuid.UUID) -> None:
    """Raises TooManyAttempts (with Retry-After) while the user's code verification is locked."""
    now = time.time()
    until = _locked_until(_mfa_key("lock", user_id), now)
    if until is not None:
        raise _too_many(until, now, "codes")


def mfa_lockout_record_failure(*, user_id: uuid.UUID) -> None:
    """Counts a wrong code for the user; reaching the limit locks, each lock twice the previous."""
    failures = _count(_mfa_key("fail", user_id), window=settings.MFA_FAILURE_WINDOW_SECONDS)
    if failures < settings.MFA_USER_MAX_FAILURES:
        return
    strikes = _count(_mfa_key("strikes", user_id), window=STRIKES_TTL_SECONDS, sliding=True)
    duration = int(
        min(settings.MFA_LOCKOUT_SECONDS * 2 ** min(strikes - 1, 32), settings.MFA_LOCKOUT_MAX_SECONDS)
    )
    cache.set(_mfa_key("lock", user_id), time.time() + duration, timeout=duration)
    cache.delete(_mfa_key("fail", user_id))


def mfa_lockout_reset(*, user_id: uuid.UUID) -> None:
    """A right code forgives the user's failures and strikes."""
    cache.delete_many([_mfa_key("fail", user_id), _mfa_key("strikes", user_id)])
