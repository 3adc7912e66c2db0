"""Logging in (password, then TOTP when enabled), switching organization, logging out, MFA setup."""

import hashlib
import hmac
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
from apps.authn.exceptions import (
    InvalidCredentials,
    InvalidMfaCode,
    InvalidMfaToken,
    MfaAlreadyEnabled,
    MfaNotSetUp,
)
from apps.authn.lockout import lockout_check, lockout_record_failure, lockout_reset
from apps.authn.models import MfaChallenge
from apps.signing.encryption import decrypt, encrypt
from apps.tokens.services import TokenPair, session_revoke, session_start
from apps.tokens.verification import Principal

MFA_TOKEN_PREFIX = "hubmfa_"  # noqa: S105 - a recognisable prefix, not a secret
TOTP_WINDOW = 1  # accept the previous and next 30 s step too (clock drift)


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
    *, email: str, password: str, organization_id: uuid.UUID | None, ip: str | None
) -> TokenPair | MfaRequired:
    """Password login. Unknown email and wrong password fail alike, in about the same time."""
    email = email.strip().lower()
    lockout_check(email=email, ip=ip)
    user = user_get_by_email(email=email)
    if user is None:
        check_password(password, _dummy_password_hash())  # spend the time a real check would
        valid = False
    else:
        valid = user.check_password(password) and user.is_active
    if user is None or not valid:
        lockout_record_failure(email=email, ip=ip)
        raise InvalidCredentials("The email or password is wrong.")
    lockout_reset(email=email)
    membership = _membership_for_login(user=user, organization_id=organization_id)
    if user.mfa_enabled:
        return _mfa_challenge_create(
            user=user, organization_id=membership.organization_id if membership else None
        )
    return session_start(user=user, membership=membership, amr=["pwd"])


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


def mfa_verify(*, mfa_token: str, code: str) -> TokenPair:
    """Second login step: a correct, unused TOTP code turns the challenge into a session."""
    outcome = _mfa_verify(token_hash=_hash(mfa_token), code=code)
    if isinstance(outcome, TokenPair):
        return outcome
    raise outcome  # outside the transaction: the counted attempt is kept


@transaction.atomic
def _mfa_verify(*, token_hash: str, code: str) -> TokenPair | InvalidMfaToken | InvalidMfaCode:
    now = timezone.now()
    challenge = MfaChallenge.objects.select_for_update().filter(token_hash=token_hash).first()
    if challenge is None or challenge.used_at is not None or challenge.expires_at <= now:
        return InvalidMfaToken("The MFA token is invalid, expired or already used.")
    user = User.objects.select_for_update().get(id=challenge.user_id)
    if not user.is_active or not _totp_accept(user=user, code=code):
        challenge.attempts += 1
        if challenge.attempts >= settings.MFA_MAX_ATTEMPTS:
            challenge.used_at = now  # burnt: start again with the password
        challenge.save(update_fields=["attempts", "used_at"])
        return InvalidMfaCode("The code is wrong or was already used.")
    challenge.used_at = now
    challenge.save(update_fields=["used_at"])
    membership = None
    if challenge.organization_id is not None:
        membership = membership_get(user_id=user.id, organization_id=challenge.organization_id)
        if membership is None:
            return InvalidMfaToken("The membership no longer exists.")
    return session_start(user=user, membership=membership, amr=["pwd", "otp"])


@transaction.atomic
def mfa_setup(*, user: User) -> MfaSetup:
    """A new TOTP secret for the user's authenticator app; MFA is on only after mfa_enable."""
    user = User.objects.select_for_update().get(id=user.id)
    if user.mfa_enabled:
        raise MfaAlreadyEnabled("Disable MFA before setting it up again.")
    secret = pyotp.random_base32()
    user.mfa_secret_encrypted = encrypt(secret.encode())
    user.mfa_last_counter = None
    user.save(update_fields=["mfa_secret_encrypted", "mfa_last_counter", "updated_at"])
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=settings.MFA_ISSUER_NAME)
    return MfaSetup(secret=secret, otpauth_uri=uri)


def mfa_enable(*, user: User, code: str) -> User:
    """Turns MFA on once the user proves their app produces the right codes."""
    outcome = _mfa_enable(user_id=user.id, code=code)
    if isinstance(outcome, User):
        return outcome
    raise outcome


@transaction.atomic
def _mfa_enable(*, user_id: uuid.UUID, code: str) -> User | MfaAlreadyEnabled | MfaNotSetUp | InvalidMfaCode:
    user = User.objects.select_for_update().get(id=user_id)
    if user.mfa_enabled:
        return MfaAlreadyEnabled("MFA is already enabled.")
    if not user.mfa_secret_encrypted:
        return MfaNotSetUp("Call /auth/mfa/setup first.")
    if not _totp_accept(user=user, code=code):
        return InvalidMfaCode("The code is wrong or was already used.")
    user.mfa_enabled = True
    user.save(update_fields=["mfa_enabled", "updated_at"])
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
    pair = session_start(user=principal.user, membership=membership, amr=list(principal.session.amr))
    session_revoke(session_id=principal.session.id, reason="switched")
    return pair


def logout(*, principal: Principal) -> None:
    session_revoke(session_id=principal.session.id, reason="logout")
