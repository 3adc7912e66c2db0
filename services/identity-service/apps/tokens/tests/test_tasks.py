"""The purge of revoked access-token ids: what it drops, and that the worker runs it on its schedule."""

import os
import subprocess
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.utils import timezone
from procrastinate.contrib.django import app

from apps.tokens.models import RevokedAccessToken
from apps.tokens.services import revoked_tokens_purge
from apps.tokens.tasks import PURGE_TASK, QUEUE
from hubkit.testing import venv_python, wait_until

SERVICE = Path(__file__).resolve().parents[3]


def revoked(*, expires_in: float) -> RevokedAccessToken:
    return RevokedAccessToken.objects.create(
        jti=uuid.uuid4().hex, expires_at=timezone.now() + timedelta(seconds=expires_in)
    )


@pytest.mark.django_db
def test_the_purge_drops_only_ids_whose_tokens_expired_beyond_the_leeway() -> None:
    leeway = settings.TOKEN_LEEWAY_SECONDS
    gone = revoked(expires_in=-leeway - 60)
    within_leeway = revoked(expires_in=-leeway + 10)  # a verifier with skew may still accept it
    live = revoked(expires_in=600)
    assert revoked_tokens_purge() == 1
    assert set(RevokedAccessToken.objects.values_list("id", flat=True)) == {within_leeway.id, live.id}
    assert not RevokedAccessToken.objects.filter(id=gone.id).exists()


def test_the_purge_is_a_periodic_job_on_a_queue_the_worker_serves() -> None:
    periodic = {task.task.name: task for task in app.periodic_registry.periodic_tasks.values()}
    assert periodic[PURGE_TASK].cron == settings.TOKEN_PURGE_CRON
    queues = settings.PROCRASTINATE_WORKER_DEFAULTS["queues"]
    assert isinstance(queues, list)
    assert QUEUE in queues


@pytest.mark.django_db(transaction=True)
def test_the_worker_purges_on_schedule(tmp_path: Path) -> None:
    leeway = settings.TOKEN_LEEWAY_SECONDS
    expired = [revoked(expires_in=-leeway - 60) for _ in range(3)]
    live = revoked(expires_in=600)
    database = settings.DATABASES["default"]
    env: dict[str, Any] = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": f"postgres://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}",
        "TOKEN_PURGE_CRON": "* * * * * *",  # every second
        "LOG_LEVEL": "WARNING",
    }
    log = (tmp_path / "worker.log").open("wb")
    worker = subprocess.Popen(  # noqa: S603 - fixed argv
        [venv_python(SERVICE), "manage.py", "procrastinate", "worker"],
        cwd=SERVICE,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        wait_until(lambda: not RevokedAccessToken.objects.filter(id__in=[r.id for r in expired]).exists())
    finally:
        worker.terminate()
        try:
            worker.wait(timeout=15)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()
    assert RevokedAccessToken.objects.filter(id=live.id).exists()
