"""The shared demo identities load exactly, and loading again changes nothing."""

import json
from io import StringIO
from pathlib import Path
from typing import Any

import pyotp
import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Membership, Organization, User
from apps.clients.models import ServiceClient
from apps.clients.services import client_authenticate
from apps.demo.services import demo_identities_load

pytestmark = pytest.mark.django_db

DEMO = json.loads(Path(settings.DEMO_IDENTITIES_FILE).read_text())


def test_the_default_file_is_the_repositorys_demo_identities() -> None:
    assert Path(settings.DEMO_IDENTITIES_FILE).resolve().parts[-3:] == (
        "infrastructure",
        "demo",
        "identities.json",
    )


def test_seed_is_idempotent_and_uses_the_given_ids() -> None:
    for _ in range(2):
        call_command("seed_demo", stdout=StringIO())
    assert {str(o.id) for o in Organization.objects.all()} == {o["id"] for o in DEMO["organizations"]}
    assert {str(u.id) for u in User.objects.all()} == {u["id"] for u in DEMO["users"]}
    assert Membership.objects.count() == sum(len(u["memberships"]) for u in DEMO["users"])
    assert ServiceClient.objects.count() == len(DEMO["clients"])
    both = User.objects.get(email="both@hub.test")
    assert sorted(both.memberships.values_list("organization__slug", "role")) == [
        ("acme", "staff"),
        ("globex", "manager"),
    ]


def test_demo_logins_clients_and_mfa_work(api: Client) -> None:
    demo_identities_load(path=Path(settings.DEMO_IDENTITIES_FILE))
    response = api.post(
        "/api/v1/auth/login",
        {"email": "owner@acme.test", "password": DEMO["password"]},
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["roles"] == ["owner"]
    for raw in DEMO["clients"]:
        assert client_authenticate(client_id=raw["client_id"], secret=raw["secret"]).scopes == sorted(
            raw["scopes"]
        )

    mfa_user = next(u for u in DEMO["users"] if u.get("mfa_secret"))
    challenge = api.post(
        "/api/v1/auth/login",
        {"email": mfa_user["email"], "password": DEMO["password"]},
        content_type="application/json",
    ).json()
    assert challenge["mfa_required"] is True
    totp = pyotp.TOTP(mfa_user["mfa_secret"])
    code = totp.generate_otp(totp.timecode(timezone.now()))
    verified = api.post(
        "/api/v1/auth/mfa/verify",
        {"mfa_token": challenge["mfa_token"], "code": code},
        content_type="application/json",
    )
    assert verified.status_code == 200


def test_seed_refuses_when_demo_data_is_not_allowed(settings: Any) -> None:
    settings.DEMO_DATA_ALLOWED = False
    with pytest.raises(CommandError, match="production"):
        call_command("seed_demo", stdout=StringIO())
