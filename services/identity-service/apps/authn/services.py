"""Logging in (password, then TOTP when enabled), switching organization, logging out, MFA setup."""

import hashlib
import hmac
import logging
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta
from functools import cache

import pyotp
from django.conf import settings
from django.contrib.auth.hashers import check_password, make_password
from django.db import transaction
from django.utils import timezone

from apps.accounts.exceptions import OrganizationNotFound
from apps.accounts.models import Membership, User
from apps.accounts.selectors import membership_get, membership_list_for_user, user_get_by_email
from apps.authn.devices import device_token_issue, device_token_verify
from apps.authn.exceptions import (
    InvalidCredentials,
    InvalidMfaCode,
    InvalidMfaToken,
    MfaAlreadyEnabled,
    MfaNotSetUp,
    ReauthenticationRequired,
    TooManyAttempts,
)
from apps.authn.lockout import (
    login_attempt_begin,
    login_attempt_failed,
    login_attempt_succeeded,
    mfa_lockout_check,
    mfa_lockout_record_failure,
    mfa_lockout_reset,
)
from apps.authn.models import MfaChallenge, SecurityNotice
from apps.outbox.services import outbox_add
from apps.signing.encryption import decrypt, encrypt
from apps.tokens.services import TokenPair, session_revoke, session_start
from apps.tokens.verification import Principal

MFA_TOKEN_PREFIX = "hubmfa_"  # noqa: S105 - a recognisable prefix, not a secret
TOTP_WINDOW = 1  # accept the previous and next 30 s step too (clock drift)
SECURITY_NOTICE_REQUESTED = "security.notice_requested"
# The organization of an account-level event of a user who belongs to none (the envelope needs one).
ACCOUNT_LEVEL_ORGANIZATION = uuid.UUID(int=0)

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class SignedIn:
    """A completed login: the tokens, and a device token to send back at the next login."""

    pair: TokenPair
    device_token: str


@dataclass(frozen=True)
class MfaRequired:
    mfa_token: str
    expires_in: int


@dataclass(frozen=True)
class MfaSetup:
    secret: str
    otpauth_uri: str


@cache
def _dummy_password_hash() -> str:
    return make_password(secrets.token_urlsafe(16))


def _membership_for_login(*, user: User, organization_id: uuid.UUID | None) -> Membership | None:
    if organization_id is None:
        return membership_list_for_user(user=user).first()
    membership = membership_get(user_id=user.id, organization_id=organization_id)
    if membership is None:
        raise OrganizationNotFound("You are not a member of this organization.")
    return membership


def login(
    *,
    email: str,
    password: str,
    organization_id: uuid.UUID | None,
    ip: str | None,
    device_token: str | None = None,
) -> SignedIn | MfaRequired:
    """Password login. Unknown email and wrong password fail alike, in about the same time."""
    email = email.strip().lower()
    user = user_get_by_email(email=email)
    device = device_token_verify(token=device_token, user_id=user.id) if user is not None else None
    attempt = login_attempt_begin(email=email, ip=ip, device=device)
    if user is None:
        check_password(password, _dummy_password_hash())  # spend the time a real check would
        valid = False
    else:
        valid = user.check_password(password) and user.is_active
    if user is None or not valid:
        login_attempt_failed(attempt)
        raise InvalidCredentials("The email or password is wrong.")
    login_attempt_succeeded(attempt)
    membership = _membership_for_login(user=user, organization_id=organization_id)
    if user.mfa_enabled:
        return _mfa_challenge_create(
            user=user, organization_id=membership.organization_id if membership else None
        )
    pair = session_start(user=user, membership=membership, amr=["pwd"])
    return SignedIn(pair=pair, device_token=device_token_issue(user_id=user.id))


def _reauthenticate(*, principal: Principal, password: str | None, ip: str | None) -> None:
    """Proof that the caller is the account's owner now, not just the bearer of a live token:
    the password (throttled like a login), or without one a login at most
    REAUTHENTICATION_MAX_AGE_SECONDS old (the token's `auth_time`)."""
    user = principal.user
    if password is None:
        auth_time = principal.claims.get("auth_time")
        age = timezone.now().timestamp() - auth_time if isinstance(auth_time, int) else None
        if age is None or age > settings.REAUTHENTICATION_MAX_AGE_SECONDS:
            raise ReauthenticationRequired("Confirm with your password: the login is not recent.")
        return
    attempt = login_attempt_begin(email=user.email, ip=ip, device=None)
    if not user.check_password(password):
        login_attempt_failed(attempt)
        raise ReauthenticationRequired("The password is wrong.")
    login_attempt_succeeded(attempt)


def _security_notice(
    *, user: User, kind: SecurityNotice.Kind, ip: str | None, principal: Principal
) -> SecurityNotice:
    """Recorded, logged, and mailed to the user: its event joins this transaction's outbox.

    The event belongs to the organization of the session that made the change; a user without
    any organization gets `ACCOUNT_LEVEL_ORGANIZATION` (the nil UUID), which no one's messages show.
    """
    notice = SecurityNotice.objects.create(user=user, kind=kind, ip=ip, session_id=principal.session.id)
    outbox_add(
        type=SECURITY_NOTICE_REQUESTED,
        organization_id=principal.organization_id or ACCOUNT_LEVEL_ORGANIZATION,
        subject_type="user",
        subject_id=user.id,
        data={
            "notice_id": notice.id,
            "kind": kind.value,
            "recipient": {"name": user.name, "email": user.email},
            "created_at": notice.created_at,
        },
        actor=("user", str(user.id)),
    )
    logger.warning(
        "security notice %s for user %s",
        kind.value,
        user.id,
        extra={"security_notice": kind.value, "user_id": str(user.id), "client_ip": ip},
    )
    return notice


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _mfa_challenge_create(*, user: User, organization_id: uuid.UUID | None) -> MfaRequired:
    token = MFA_TOKEN_PREFIX + secrets.token_urlsafe(32)
    ttl = settings.MFA_TOKEN_TTL_SECONDS
    MfaChallenge.objects.create(
        token_hash=_hash(token),
        user=user,
        organization_id=organization_id,
        expires_at=timezone.now() + timedelta(seconds=ttl),
    )
    return MfaRequired(mfa_token=token, expires_in=ttl)


def _totp(user: User) -> pyotp.TOTP:
    return pyotp.TOTP(decrypt(user.mfa_secret_encrypted).decode())


def _totp_accept(*, user: User, code: str) -> bool:
    """Checks a code within the window and burns its time step, so a code works once. Caller locks `user`."""
    if not user.mfa_secret_encrypted:
        return False
    totp = _totp(user)
    current = totp.timecode(timezone.now())
    for counter in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if hmac.compare_digest(totp.generate_otp(counter), code.strip()):
            if user.mfa_last_counter is not None and counter <= user.mfa_last_counter:
                return False  # replay of a code (or an older one) already used
            user.mfa_last_counter = counter
            user.save(update_fields=["mfa_last_counter", "updated_at"])
            return True
    return False


def mfa_verify(*, mfa_token: str, code: str) -> SignedIn:
    """Second login step: a correct, unused TOTP code turns the challenge into a session."""
    outcome = _mfa_verify(token_hash=_hash(mfa_token), code=code)
    if isinstance(outcome, TokenPair):
        return SignedIn(pair=outcome, device_token=device_token_issue(user_id=outcome.user.id))
    raise outcome  # outside the transaction: the counted attempt is kept


@transaction.atomic
def _mfa_verify(
    *, token_hash: str, code: str
) -> TokenPair | InvalidMfaToken | InvalidMfaCode | TooManyAttempts:
    now = timezone.now()
    challenge = MfaChallenge.objects.select_for_update().filter(token_hash=token_hash).first()
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        return InvalidMfaToken("The MFA token is invalid, expired or already used.")
    # The user's row lock serialises every code check of the user, so the per-user count below
    # cannot be outrun by parallel requests on several challenges.
    user = User.objects.select_for_update().get(id=challenge.user_id)
    try:
        mfa_lockout_check(user_id=user.id)
    except TooManyAttempts as exc:
        return exc  # even a right code waits: the lock is what stops guessing across challenges
    if not user.is_active or not _totp_accept(user=user, code=code):
        mfa_lockout_record_failure(user_id=user.id)
        challenge.attempts += 1
        if challenge.attempts >= settings.MFA_MAX_ATTEMPTS:
            challenge.used_at = now  # burnt: start again with the password
        challenge.save(update_fields=["attempts", "used_at"])
        return InvalidMfaCode("The code is wrong or was already used.")
    mfa_lockout_reset(user_id=user.id)
    challenge.used_at = now
    challenge.save(update_fields=["used_at"])
    membership = None
    if challenge.organization_id is not None:
        membership = membership_get(user_id=user.id, organization_id=challenge.organization_id)
        if membership is None:
            return InvalidMfaToken("The membership no longer exists.")
    return session_start(user=user, membership=membership, amr=["pwd", "otp"])


def mfa_setup(*, principal: Principal, password: str | None, ip: str | None) -> MfaSetup:
    """A new TOTP secret for the user's authenticator app; MFA is on only after mfa_enable.

    Needs re-authentication: a stolen access token alone must not bind an attacker's authenticator.
    """
    _reauthenticate(principal=principal, password=password, ip=ip)
    return _mfa_setup(principal=principal, ip=ip)


@transaction.atomic
def _mfa_setup(*, principal: Principal, ip: str | None) -> MfaSetup:
    user = User.objects.select_for_update().get(id=principal.user.id)
    if user.mfa_enabled:
        raise MfaAlreadyEnabled("Disable MFA before setting it up again.")
    secret = pyotp.random_base32()
    user.mfa_secret_encrypted = encrypt(secret.encode())
    user.mfa_last_counter = None
    user.save(update_fields=["mfa_secret_encrypted", "mfa_last_counter", "updated_at"])
    _security_notice(user=user, kind=SecurityNotice.Kind.MFA_SETUP_STARTED, ip=ip, principal=principal)
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.MFA_ISSUER_NAME)
    return MfaSetup(secret=secret, otpauth_uri=uri)


def mfa_enable(*, principal: Principal, code: str, password: str | None, ip: str | None) -> User:
    """Turns MFA on once the user proves their app produces the right codes (and who they are)."""
    _reauthenticate(principal=principal, password=password, ip=ip)
    outcome = _mfa_enable(principal=principal, code=code, ip=ip)
    if isinstance(outcome, User):
        return outcome
    raise outcome


@transaction.atomic
def _mfa_enable(
    *, principal: Principal, code: str, ip: str | None
) -> User | MfaAlreadyEnabled | MfaNotSetUp | InvalidMfaCode:
    user = User.objects.select_for_update().get(id=principal.user.id)
    if user.mfa_enabled:
        return MfaAlreadyEnabled("MFA is already enabled.")
    if not user.mfa_secret_encrypted:
        return MfaNotSetUp("Call /auth/mfa/setup first.")
    if not _totp_accept(user=user, code=code):
        return InvalidMfaCode("The code is wrong or was already used.")
    user.mfa_enabled = True
    user.save(update_fields=["mfa_enabled", "updated_at"])
    _security_notice(user=user, kind=SecurityNotice.Kind.MFA_ENABLED, ip=ip, principal=principal)
    return user


def mfa_secret_set(*, user: User, secret: str) -> User:
    """Enables MFA with a known secret (demo data)."""
    user.mfa_secret_encrypted = encrypt(secret.encode())
    user.mfa_enabled = True
    user.save(update_fields=["mfa_secret_encrypted", "mfa_enabled", "updated_at"])
    return user


@transaction.atomic
def organization_switch(*, principal: Principal, organization_id: uuid.UUID) -> TokenPair:
    """Tokens for another of the user's organizations; the current session ends."""
    membership = membership_get(user_id=principal.user.id, organization_id=organization_id)
    if membership is None:
        raise OrganizationNotFound("You are not a member of this organization.")
    pair = session_start(
        user=principal.user,
        membership=membership,
        amr=list(principal.session.amr),
        authenticated_at=principal.session.authenticated_at,  # a switch is no new proof of identity
    )
    session_revoke(session_id=principal.session.id, reason="switched")
    return pair


def logout(*, principal: Principal) -> None:
    session_revoke(session_id=principal.session.id, reason="logout")
