"""/auth: login, MFA, refresh, organization switch, logout."""

from django.http import HttpRequest
from ninja import Router, Status

from apps.accounts.schemas import UserOut
from apps.authn.schemas import (
    LoginIn,
    MfaEnableIn,
    MfaRequiredOut,
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
from apps.tokens.services import refresh_rotate

router = Router(tags=["auth"])


@router.post("/login", auth=None, response=TokenOut | MfaRequiredOut)
def log_in(request: HttpRequest, payload: LoginIn) -> TokenOut | MfaRequiredOut:
    result = login(
        email=payload.email,
        password=payload.password,
        organization_id=payload.organization_id,
        ip=request.META.get("REMOTE_ADDR"),
    )
    if isinstance(result, MfaRequired):
        return MfaRequiredOut.from_challenge(result)
    return TokenOut.from_pair(result)


@router.post("/mfa/verify", auth=None, response=TokenOut)
def verify_mfa(request: HttpRequest, payload: MfaVerifyIn) -> TokenOut:
    return TokenOut.from_pair(mfa_verify(mfa_token=payload.mfa_token, code=payload.code))


@router.post("/mfa/setup", response=MfaSetupOut)
def set_up_mfa(request: HttpRequest) -> MfaSetupOut:
    setup = mfa_setup(user=principal_of(request).user)
    return MfaSetupOut(secret=setup.secret, otpauth_uri=setup.otpauth_uri)


@router.post("/mfa/enable", response=UserOut)
def enable_mfa(request: HttpRequest, payload: MfaEnableIn) -> UserOut:
    return UserOut.from_orm(mfa_enable(user=principal_of(request).user, code=payload.code))


@router.post("/refresh", auth=None, response=TokenOut)
def refresh(request: HttpRequest, payload: RefreshIn) -> TokenOut:
    return TokenOut.from_pair(refresh_rotate(refresh_token=payload.refresh_token))


@router.post("/switch-organization", response=TokenOut)
def switch_organization(request: HttpRequest, payload: SwitchOrganizationIn) -> TokenOut:
    pair = organization_switch(principal=principal_of(request), organization_id=payload.organization_id)
    return TokenOut.from_pair(pair)


@router.post("/logout", response={204: None})
def log_out(request: HttpRequest) -> Status[None]:
    logout(principal=principal_of(request))
    return Status(204, None)
