import os
import re

import pytest
from django.core.exceptions import ImproperlyConfigured
from environs import Env

from hubkit.settings import (
    IdentityConfig,
    assert_production_ready,
    database_config,
    identity_settings,
    secure_redirect_exempt,
)


def test_database_config_parses_url_and_enables_pool() -> None:
    config = database_config("postgres://u:p%40ss@db.internal:6543/hub?sslmode=require", pool_max=4)
    assert config["NAME"] == "hub"
    assert config["USER"] == "u"
    assert config["PASSWORD"] == "p@ss"
    assert config["HOST"] == "db.internal"
    assert config["PORT"] == "6543"
    assert config["CONN_MAX_AGE"] == 0
    assert config["OPTIONS"]["pool"]["max_size"] == 4
    assert config["OPTIONS"]["sslmode"] == "require"


def test_database_config_rejects_other_schemes() -> None:
    with pytest.raises(ImproperlyConfigured):
        database_config("mysql://x@y/z")


@pytest.mark.parametrize(
    ("debug", "secret", "message"),
    [
        (True, "a" * 40, "DEBUG"),
        (False, "", "not set"),
        (False, "dev-insecure-" + "a" * 40, "development secret"),
        (False, "short", "shorter"),
    ],
)
def test_production_guard_refuses(debug: bool, secret: str, message: str) -> None:
    with pytest.raises(ImproperlyConfigured, match=message):
        assert_production_ready(debug=debug, secrets={"SECRET_KEY": secret})


def test_production_guard_accepts_real_secrets() -> None:
    assert_production_ready(debug=False, secrets={"SECRET_KEY": "k" * 50})


@pytest.fixture
def clean_identity_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith("IDENTITY_"):
            monkeypatch.delenv(name)


@pytest.mark.usefixtures("clean_identity_environment")
def test_identity_settings_default_everything_a_service_does_not_set() -> None:
    config = IdentityConfig.from_setting(identity_settings(Env()))
    assert config == IdentityConfig(issuer=None, token_url=None)
    assert config.expected_issuer == "http://127.0.0.1:8001"
    assert config.token_endpoint == "http://127.0.0.1:8001/oauth/token"
    assert config.client_id == ""


@pytest.mark.usefixtures("clean_identity_environment")
def test_identity_settings_take_the_service_defaults_then_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("IDENTITY_SERVICE_URL", "https://identity.example/")
    monkeypatch.setenv("IDENTITY_JWKS_TTL_SECONDS", "120")
    monkeypatch.setenv("IDENTITY_ALGORITHMS", "EdDSA,ES256")
    setting = identity_settings(Env(), client_id="hub-backend", client_secret="s" * 40, leeway_seconds=5)
    config = IdentityConfig.from_setting(setting)
    assert config.service_url == "https://identity.example"
    assert config.expected_issuer == "https://identity.example"
    assert config.jwks_ttl_seconds == 120.0
    assert config.algorithms == ("EdDSA", "ES256")
    assert (config.client_id, config.client_secret, config.leeway_seconds) == ("hub-backend", "s" * 40, 5)
    monkeypatch.setenv("IDENTITY_CLIENT_ID", "renamed")
    assert identity_settings(Env(), client_id="hub-backend")["CLIENT_ID"] == "renamed"


def test_issuer_and_token_url_follow_the_service_url_unless_set() -> None:
    config = IdentityConfig.from_setting({"SERVICE_URL": "http://127.0.0.1:9"})
    assert (config.expected_issuer, config.token_endpoint) == (
        "http://127.0.0.1:9",
        "http://127.0.0.1:9/oauth/token",
    )
    pinned = IdentityConfig.from_setting(
        {"SERVICE_URL": "http://a", "ISSUER": "https://b", "TOKEN_URL": "https://c/token"}
    )
    assert (pinned.expected_issuer, pinned.token_endpoint) == ("https://b", "https://c/token")


def test_unknown_identity_keys_are_refused() -> None:
    with pytest.raises(ImproperlyConfigured, match="JWKS_TTL"):
        IdentityConfig.from_setting({"JWKS_TTL": 1})
    with pytest.raises(ImproperlyConfigured, match="clientid"):
        identity_settings(Env(), clientid="x")


def test_the_client_secret_is_not_in_the_repr() -> None:
    assert "hunter2" not in repr(IdentityConfig(client_secret="hunter2"))


def test_the_event_receiver_is_exempt_from_the_https_redirect_only_where_events_arrive() -> None:
    def exempt(path: str, *, receives_events: bool) -> bool:
        patterns = secure_redirect_exempt(receives_events=receives_events)
        return any(re.search(pattern, path) for pattern in patterns)

    for receives in (True, False):
        assert exempt("api/health/ready", receives_events=receives)
        assert exempt("metrics", receives_events=receives)
        assert not exempt("api/v1/events/x", receives_events=receives)
        assert not exempt("api/v1/messages", receives_events=receives)
    assert exempt("api/v1/events", receives_events=True)
    assert not exempt("api/v1/events", receives_events=False)
