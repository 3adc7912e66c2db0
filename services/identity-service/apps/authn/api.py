"""/auth: login, MFA, refresh, organization switch, logout."""

from django.http import HttpRequest
from ninja import Router, Status

from apps.accounts.schemas import UserOut
from apps.authn.schemas import (
    LoginIn,
    MfaEnableIn,
    MfaRequiredOut,
    MfaSetupIn,
    MfaSetupOut,
    MfaVerifyIn,
    RefreshIn,
    SwitchOrganizationIn,
    TokenOut,
)
from apps.authn.services import (
    MfaRequired,
    login,
    logout,
    mfa_enable,
    mfa_setup,
    mfa_verify,
    organization_switch,
)
from apps.tokens.auth import principal_of
from apps.tokens.services import TokenPair, refresh_rotate
from hubkit.access import Caller, note_caller
from hubkit.client_address import client_address
from hubkit.openapi import problem_responses

router = Router(tags=["auth"])


def _signed_in(request: HttpRequest, pair: TokenPair) -> TokenPair:
    """Name the user these tokens were issued to in the access line (the endpoints take no bearer)."""
    organization_id = pair.organization.id if pair.organization is not None else None
    note_caller(request, Caller.user(pair.user.id, organization_id))
    return pair


@router.post(
    "/login",
    auth=None,
    response={200: TokenOut | MfaRequiredOut, **problem_responses(401, 404, 429)},
    operation_id="log_in",
    summary="Log in with email and password",
)
def log_in(request: HttpRequest, payload: LoginIn) -> TokenOut | MfaRequiredOut:
    result = login(
        email=payload.email,
        password=payload.password,
        organization_id=payload.organization_id,
        ip=client_address(request),
        device_token=payload.device_token,
    )
    if isinstance(result, MfaRequired):
        return MfaRequiredOut.from_challenge(result)  # nobody signed in yet: no caller
    _signed_in(request, result.pair)
    return TokenOut.from_sign_in(result)


@router.post(
    "/mfa/verify",
    auth=None,
    response={200: TokenOut, **problem_responses(401, 429)},
    operation_id="verify_mfa",
    summary="Complete an MFA login with a TOTP code",
)
def verify_mfa(request: HttpRequest, payload: MfaVerifyIn) -> TokenOut:
    result = mfa_verify(mfa_token=payload.mfa_token, code=payload.code)
    _signed_in(request, result.pair)
    return TokenOut.from_sign_in(result)


@router.post(
    "/mfa/setup",
    response={200: MfaSetupOut, **problem_responses(403, 409, 429)},
    operation_id="set_up_mfa",
    summary="Start TOTP setup: a new secret (needs the password or a recent login)",
)
def set_up_mfa(request: HttpRequest, payload: MfaSetupIn) -> MfaSetupOut:
    setup = mfa_setup(principal=principal_of(request), password=payload.password, ip=client_address(request))
    return MfaSetupOut(secret=setup.secret, otpauth_uri=setup.otpauth_uri)


@router.post(
    "/mfa/enable",
    response={200: UserOut, **problem_responses(401, 403, 409, 429)},
    operation_id="enable_mfa",
    summary="Turn MFA on with a first TOTP code (needs the password or a recent login)",
)
def enable_mfa(request: HttpRequest, payload: MfaEnableIn) -> UserOut:
    user = mfa_enable(
        principal=principal_of(request),
        code=payload.code,
        password=payload.password,
        ip=client_address(request),
    )
    return UserOut.from_orm(user)


@router.post(
    "/refresh",
    auth=None,
    response={200: TokenOut, **problem_responses(401)},
    operation_id="refresh_tokens",
    summary="Rotate a refresh token for a new pair",
)
def refresh(request: HttpRequest, payload: RefreshIn) -> TokenOut:
    return TokenOut.from_pair(_signed_in(request, refresh_rotate(refresh_token=payload.refresh_token)))


@router.post(
    "/switch-organization",
    response={200: TokenOut, **problem_responses(404)},
    operation_id="switch_organization",
    summary="Tokens for another of the caller's organizations",
)
def switch_organization(request: HttpRequest, payload: SwitchOrganizationIn) -> TokenOut:
    pair = organization_switch(principal=principal_of(request), organization_id=payload.organization_id)
    return TokenOut.from_pair(pair)


@router.post("/logout", response={204: None}, operation_id="log_out", summary="End the session")
def log_out(request: HttpRequest) -> Status[None]:
    logout(principal=principal_of(request))
    return Status(204, None)
