"""Demo mirrors of the demo organizations and users (same ids as identity-service's seed)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any, TextIO

from django.conf import settings

from apps.identity.models import Organization, User


def demo_identities() -> dict[str, Any]:
    default = Path(settings.REPO_ROOT) / "infrastructure" / "demo" / "identities.json"
    path = Path(os.environ.get("DEMO_IDENTITIES_FILE", default))
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def load(stdout: TextIO) -> None:
    data = demo_identities()
    for org in data["organizations"]:
        Organization.objects.update_or_create(
            id=org["id"], defaults={"name": org["name"], "timezone": org["timezone"]}
        )
    for user in data["users"]:
        User.objects.update_or_create(
            subject=user["id"],
            defaults={"id": user["id"], "email": user["email"], "name": user["name"]},
        )
    stdout.write(f"identity: {len(data['organizations'])} organizations, {len(data['users'])} users")
