"""Declarative per-endpoint requirements: role or scope, and optional token introspection.

Every endpoint carries exactly one `@requires(...)` (a test enforces it). It runs after
authentication, checks the rule, optionally asks the issuer whether the token was revoked,
and runs the view with the principal as django-auditlog's actor and the request id as `cid`.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal, ParamSpec, TypeVar, cast

from auditlog.context import set_actor
from django.http import HttpRequest, HttpResponse

from apps.idempotency.exceptions import IdempotencyKeyRequired
from apps.idempotency.middleware import CLAIM_ATTRIBUTE
from apps.idempotency.services import idempotency_begin, request_fingerprint
from apps.identity.principal import Principal, Role, principal_of
from hubkit.errors import PermissionDenied
from hubkit.identity import get_verifier

P = ParamSpec("P")
R = TypeVar("R")

REQUIREMENT_ATTR = "__hub_requirement__"

Idempotency = Literal["optional", "required"] | None


@dataclass(frozen=True)
class Requirement:
    role: Role | None
    scope: str | None
    introspect: bool
    organization: bool
    idempotency: Idempotency = None

    def allows(self, principal: Principal) -> bool:
        if self.organization and principal.organization is None:
            return False
        if principal.is_service:
            if self.scope is not None:
                return self.scope in principal.scopes
            return self.role is None
        return self.role is None or principal.has_role(self.role)

    def describe(self) -> str:
        parts = []
        if self.role is not None:
            parts.append(f"role ≥ {self.role.name.lower()}")
        if self.scope is not None:
            parts.append(f"or a service token with scope `{self.scope}`")
        if self.introspect:
            parts.append("(token checked for revocation)")
        if self.idempotency:
            parts.append(f"; `Idempotency-Key` header {self.idempotency}")
        return " ".join(parts) or "any authenticated caller"


def requires(
    role: Role | None = None,
    *,
    scope: str | None = None,
    introspect: bool = False,
    organization: bool = True,
    idempotency: Idempotency = None,
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Gate an endpoint: users need `role` (or higher), services need `scope`.

    `idempotency="optional"|"required"` honours the `Idempotency-Key` header (CONTRACT): same key
    and body replays the stored response, another body is 422, a key still in flight is 409.
    """
    requirement = Requirement(
        role=role, scope=scope, introspect=introspect, organization=organization, idempotency=idempotency
    )

    def decorate(view: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(view)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            request = args[0]
            if not isinstance(request, HttpRequest):
                raise TypeError("the first argument of an endpoint is the request")
            principal = principal_of(request)
            if not requirement.allows(principal):
                raise PermissionDenied("Your role does not allow this.")
            if requirement.introspect:
                get_verifier().introspect(principal.token, principal.claims)
            if requirement.idempotency is not None:
                replay = _claim_idempotency_key(request, principal, requirement.idempotency)
                if replay is not None:
                    return cast(R, replay)
            with set_actor(principal.user, remote_addr=request.META.get("REMOTE_ADDR")):
                return view(*args, **kwargs)

        setattr(wrapper, REQUIREMENT_ATTR, requirement)
        doc = (view.__doc__ or "").strip()
        wrapper.__doc__ = f"{doc}\n\nRequires: {requirement.describe()}.".strip()
        return wrapper

    return decorate


def _claim_idempotency_key(request: HttpRequest, principal: Principal, mode: str) -> HttpResponse | None:
    """Claim the request's Idempotency-Key; the stored response when the key was used before."""
    key = request.headers.get("Idempotency-Key")
    if key is None:
        if mode == "required":
            raise IdempotencyKeyRequired("This request needs an Idempotency-Key header.")
        return None
    organization_id = principal.organization.id if principal.organization else uuid.UUID(int=0)
    outcome = idempotency_begin(
        organization_id=organization_id,
        caller=principal.user.subject,
        key=key,
        fingerprint=request_fingerprint(
            method=request.method or "POST", path=request.get_full_path(), body=request.body
        ),
    )
    if isinstance(outcome, HttpResponse):
        return outcome
    setattr(request, CLAIM_ATTRIBUTE, outcome.record_id)  # the middleware stores the response
    return None


def requirement_of(view: Callable[..., Any]) -> Requirement | None:
    return getattr(view, REQUIREMENT_ATTR, None)
