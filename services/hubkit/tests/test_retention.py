from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth.models import User
from django.core.cache import cache

from hubkit.retention import purge_due, purge_in_batches

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 6, 1, tzinfo=UTC)


def make_users(count: int, *, age_days: int, prefix: str) -> None:
    User.objects.bulk_create(
        User(username=f"{prefix}{n}", date_joined=NOW - timedelta(days=age_days)) for n in range(count)
    )


def test_expired_rows_go_in_batches_and_the_rest_stay() -> None:
    make_users(7, age_days=40, prefix="old")
    make_users(2, age_days=10, prefix="new")

    purged = purge_in_batches(
        table="auth_user", where="date_joined < %s", params=[NOW - timedelta(days=30)], batch_size=3
    )

    assert purged == 7
    assert sorted(User.objects.values_list("username", flat=True)) == ["new0", "new1"]


def test_max_batches_bounds_a_round() -> None:
    make_users(7, age_days=40, prefix="old")

    assert purge_in_batches(table="auth_user", where="true", params=[], batch_size=3, max_batches=2) == 6
    assert User.objects.count() == 1


def test_set_clause_overwrites_instead_of_deleting() -> None:
    make_users(4, age_days=40, prefix="old")

    changed = purge_in_batches(
        table="auth_user", where="first_name = ''", params=[], set_clause="first_name = 'gone'", batch_size=3
    )

    assert changed == 4
    assert set(User.objects.values_list("first_name", flat=True)) == {"gone"}


def test_a_batch_below_one_is_refused() -> None:
    with pytest.raises(ValueError, match="at least 1"):
        purge_in_batches(table="auth_user", where="true", params=[], batch_size=0)


def test_one_caller_per_interval() -> None:
    cache.delete("retention-purge:test")
    assert purge_due("test", interval_seconds=60) is True
    assert purge_due("test", interval_seconds=60) is False
    cache.delete("retention-purge:test")
    assert purge_due("test", interval_seconds=60) is True
