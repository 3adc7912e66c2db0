"""Declarative per-endpoint requirements: role or scope, optional token introspection, idempotency.

Every endpoint carries exactly one `@requires(...)` directly under its route decorator (a test
enforces it). It runs after authentication, checks the rule, optionally asks the issuer about the
token (`introspect=True`), claims the `Idempotency-Key` where the endpoint takes one, and runs the
view with the principal as django-auditlog's actor (auditlog's middleware runs before bearer
auth, so it would record no actor).

Roles come from the access token, so a demoted member keeps the old role until the token expires
(up to its lifetime, 15 minutes). `introspect=True` closes that gap where it matters: the issuer
says whether the token was revoked and which role its holder has now, and the rule is checked
again against that role (403 for a demoted caller, 503 `identity_unavailable` when the issuer
cannot answer: it fails closed). Use it on irreversible, admin-level and money-moving endpoints
and on reads of the audit trail.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any, ParamSpec, TypeVar, cast

from auditlog.context import set_actor
from django.http import HttpRequest

from apps.identity.principal import Principal, Role, principal_of
from edge.idempotency import ARGUMENT, Idempotency, claim_idempotency_key, declare_idempotency_key
from hubkit.client_address import client_address
from hubkit.errors import PermissionDenied
from hubkit.identity import get_verifier

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

P = ParamSpec("P")
R = TypeVar("R")

REQUIREMENT_ATTR = "__hub_requirement__"


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
            parts.append("(token and current role checked with the issuer; 503 when it cannot answer)")
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

    `idempotency="optional"|"required"` declares and honours the `Idempotency-Key` header: same
    key and body replays the stored response, another body is 422, a key still in flight is 409.
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
                principal = _with_current_roles(principal)
                if not requirement.allows(principal):
                    raise PermissionDenied("Your current role does not allow this.")
                request.auth = principal  # type: ignore[attr-defined]
            if requirement.idempotency is not None:
                header = kwargs.pop(ARGUMENT, None)
                replay = claim_idempotency_key(request, principal, requirement.idempotency, header)
                if replay is not None:
                    return cast(R, replay)
            if request.method in SAFE_METHODS:
                return view(*args, **kwargs)
            # The audit log's actor for the writes below (auditlog connects a signal receiver per
            # use, a cost reads do not need: they change nothing the audit log records).
            with set_actor(principal.user, remote_addr=client_address(request)):
                return view(*args, **kwargs)

        setattr(wrapper, REQUIREMENT_ATTR, requirement)
        if requirement.idempotency is not None:
            declare_idempotency_key(wrapper, requirement.idempotency)
        doc = (view.__doc__ or "").strip()
        wrapper.__doc__ = f"{doc}\n\nRequires: {requirement.describe()}.".strip()
        return wrapper

    return decorate


def _with_current_roles(principal: Principal) -> Principal:
    """The principal with the roles the issuer reports now (TokenRevoked if the token is not active)."""
    current = get_verifier().introspect(principal.token, principal.claims)
    roles = frozenset(role for role in map(Role.parse, current) if role is not None)
    return replace(principal, roles=roles)


def requirement_of(view: Callable[..., Any]) -> Requirement | None:
    return getattr(view, REQUIREMENT_ATTR, None)
