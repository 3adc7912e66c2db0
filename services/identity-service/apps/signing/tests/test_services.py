"""Signing keys: created on first use, encrypted at rest, rotated without breaking live tokens."""

import base64
import json
from collections.abc import Callable
from datetime import timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone

from apps.accounts.models import Organization, Role, User
from apps.signing.encryption import decrypt, encrypt
from apps.signing.models import KeyState, SigningKey
from apps.signing.services import signing_key_active, signing_key_rotate

pytestmark = pytest.mark.django_db


def kid_of(token: str) -> str:
    header = token.split(".", maxsplit=1)[0]
    kid: str = json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["kid"]
    return kid


def published_kids(api: Client) -> list[str]:
    return [key["kid"] for key in api.get("/.well-known/jwks.json").json()["keys"]]


def test_a_fresh_database_gets_an_active_and_a_next_key() -> None:
    assert not SigningKey.objects.exists()
    active = signing_key_active()
    assert active.state == KeyState.ACTIVE
    assert SigningKey.objects.filter(state=KeyState.NEXT).count() == 1
    assert signing_key_active() == active


def test_private_keys_are_encrypted_at_rest(settings: Any) -> None:
    key = signing_key_active()
    raw = decrypt(key.private_key_encrypted)
    assert len(raw) == 32
    assert base64.urlsafe_b64encode(raw).decode() not in key.private_key_encrypted
    settings.FIELD_ENCRYPTION_KEYS = ["another-key-entirely-" + "x" * 20]
    with pytest.raises(Exception, match="decrypts"):
        decrypt(key.private_key_encrypted)


def test_encryption_keys_rotate_new_first_old_still_decrypts(settings: Any) -> None:
    old = encrypt(b"secret")
    settings.FIELD_ENCRYPTION_KEYS = ["new-key-" + "y" * 32, *settings.FIELD_ENCRYPTION_KEYS]
    assert decrypt(old) == b"secret"
    assert decrypt(encrypt(b"again")) == b"again"


def test_rotation_end_to_end(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    user = make_user((org, Role.STAFF))
    old_token = login(user)["access_token"]
    old_kid = kid_of(old_token)
    upcoming = SigningKey.objects.get(state=KeyState.NEXT).kid
    assert set(published_kids(api)) == {old_kid, upcoming}

    out = StringIO()
    call_command("rotate_signing_keys", stdout=out)
    assert f"retiring: {old_kid}" in out.getvalue()
    new_token = login(user)["access_token"]
    assert kid_of(new_token) == upcoming  # the pre-published key took over
    kids = published_kids(api)
    assert old_kid in kids  # still published while retiring
    assert len(kids) == 3
    assert introspect(old_token)["active"] is True
    assert api.get("/api/v1/users/me", HTTP_AUTHORIZATION=f"Bearer {old_token}").status_code == 200

    # Not yet due: a plain retirement pass keeps it.
    signing_key_rotate(rotate=False)
    assert old_kid in published_kids(api)
    # Once past its deadline (the old tokens have expired by then) it is retired and unpublished.
    SigningKey.objects.filter(kid=old_kid).update(retire_after=timezone.now() - timedelta(seconds=1))
    call_command("rotate_signing_keys", "--retire-only", stdout=StringIO())
    assert SigningKey.objects.get(kid=old_kid).state == KeyState.RETIRED
    assert old_kid not in published_kids(api)
    assert introspect(old_token) == {"active": False}
    assert introspect(new_token)["active"] is True


def test_retire_now_unpublishes_the_demoted_key_at_once(
    api: Client,
    make_user: Callable[..., User],
    org: Organization,
    login: Callable[..., dict[str, Any]],
    introspect: Callable[[str], dict[str, Any]],
) -> None:
    token = login(make_user((org, Role.STAFF)))["access_token"]
    call_command("rotate_signing_keys", "--retire-now", stdout=StringIO())
    assert kid_of(token) not in published_kids(api)
    assert introspect(token) == {"active": False}
    states = sorted(SigningKey.objects.values_list("state", flat=True))
    assert states == ["active", "next", "retired"]
