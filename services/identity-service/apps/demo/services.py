"""Loads the hub's shared demo identities (organizations, users, memberships, clients); idempotent."""

import json
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db import transaction

from apps.accounts.models import Organization, Role, User
from apps.accounts.services import membership_ensure
from apps.authn.services import mfa_secret_set
from apps.clients.services import client_ensure
from apps.signing.encryption import DecryptionFailed, decrypt
from apps.signing.services import signing_key_active


@dataclass(frozen=True)
class DemoSummary:
    organizations: int
    users: int
    memberships: int
    clients: int


def _organization_upsert(raw: dict[str, Any]) -> Organization:
    organization, _ = Organization.objects.update_or_create(
        id=uuid.UUID(raw["id"]),
        defaults={"name": raw["name"], "slug": raw["slug"], "timezone": raw.get("timezone", "UTC")},
    )
    return organization


def _user_upsert(raw: dict[str, Any], *, password: str) -> User:
    user, created = User.objects.update_or_create(
        id=uuid.UUID(raw["id"]), defaults={"email": raw["email"].strip().lower(), "name": raw["name"]}
    )
    # Hashing is slow on purpose: only when the stored hash does not match already.
    if created or not user.check_password(password):
        user.set_password(password)
        user.save(update_fields=["password", "updated_at"])
    secret = raw.get("mfa_secret")
    if secret and not (user.mfa_enabled and _stored_secret(user) == secret):
        mfa_secret_set(user=user, secret=secret)
    return user


def _stored_secret(user: User) -> str | None:
    try:
        return decrypt(user.mfa_secret_encrypted).decode() if user.mfa_secret_encrypted else None
    except DecryptionFailed:
        return None


@transaction.atomic
def demo_identities_load(*, path: Path) -> DemoSummary:
    data = json.loads(path.read_text())
    password = data["password"]
    by_slug = {raw["slug"]: _organization_upsert(raw) for raw in data["organizations"]}
    memberships = 0
    for raw in data["users"]:
        user = _user_upsert(raw, password=raw.get("password", password))
        for membership in raw.get("memberships", []):
            membership_ensure(
                user=user, organization=by_slug[membership["organization"]], role=Role(membership["role"])
            )
            memberships += 1
    for raw in data["clients"]:
        client_ensure(
            client_id=raw["client_id"],
            name=raw.get("name", raw["client_id"]),
            secret=raw["secret"],
            scopes=list(raw.get("scopes", [])),
            all_organizations=bool(raw.get("all_organizations", False)),
            organization=by_slug[raw["organization"]] if raw.get("organization") else None,
        )
    signing_key_active()
    return DemoSummary(
        organizations=len(by_slug),
        users=len(data["users"]),
        memberships=memberships,
        clients=len(data["clients"]),
    )
