from datetime import UTC, datetime, timedelta, timezone

import pytest
from django.contrib.auth.models import User
from django.db import connection

from hubkit.postgresql.base import UtcTimestamptzLoader

pytestmark = pytest.mark.django_db


def test_timestamps_come_back_aware_in_utc_through_psycopgs_c_loader() -> None:
    joined = datetime(2026, 3, 29, 1, 30, 0, 123456, tzinfo=timezone(timedelta(hours=2)))
    User.objects.create(username="ada", date_joined=joined)

    read = User.objects.get(username="ada").date_joined

    assert read == joined
    assert read.tzinfo is UTC
    with connection.cursor() as cursor:
        cursor.execute("SELECT now()")
        loader = cursor.cursor.adapters.get_loader(1184, 0)  # timestamptz, text format
    assert loader is UtcTimestamptzLoader
    assert type(UtcTimestamptzLoader(1184, None)).__module__.startswith("psycopg_")
