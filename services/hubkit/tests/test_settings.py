import pytest
from django.core.exceptions import ImproperlyConfigured

from hubkit.settings import assert_production_ready, database_config


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
