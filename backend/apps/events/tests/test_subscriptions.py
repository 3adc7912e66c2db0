"""Subscriptions are built in one place; each receiver's URL and secrets are bound to it by name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from apps.events.subscriptions import COMMUNICATION_SERVICE, WORKFLOW_SERVICE, event_subscriptions

BACKEND = Path(__file__).resolve().parents[3]


def _by_name(subscriptions: list[dict[str, object]]) -> dict[object, tuple[object, object]]:
    return {s["name"]: (s["url"], s["secrets"]) for s in subscriptions}


def test_each_url_and_secret_list_goes_to_the_receiver_it_is_named_for() -> None:
    subscriptions = event_subscriptions(
        workflow_secrets=["w1", "w2"],
        communication_url="https://c.example/",
        workflow_url="https://w.example",
        communication_secrets=["c1"],
    )
    assert _by_name(subscriptions) == {
        COMMUNICATION_SERVICE: ("https://c.example/api/v1/events", ["c1"]),
        WORKFLOW_SERVICE: ("https://w.example/api/v1/events", ["w1", "w2"]),
    }


def test_production_binds_the_environments_values_by_name() -> None:
    env = {k: v for k, v in os.environ.items() if k not in {"SECRET_KEY", "DEBUG", "DJANGO_SETTINGS_MODULE"}}
    env |= {
        "DJANGO_SETTINGS_MODULE": "config.settings.production",
        "SECRET_KEY": "s" * 50,
        "ALLOWED_HOSTS": "hub.example.org",
        "IDENTITY_SERVICE_URL": "https://identity.example.org",
        "IDENTITY_CLIENT_SECRET": "c" * 40,
        "FIELD_ENCRYPTION_KEYS": "prod-1:" + "a2V5" * 10 + "a2U=",
        "BLIND_INDEX_KEY": "b" * 40,
        "COMMUNICATION_SERVICE_URL": "https://communication.example.org",
        "WORKFLOW_SERVICE_URL": "https://workflow.example.org/",
        "COMMUNICATION_WEBHOOK_SECRETS": "m" * 40,
        "WORKFLOW_WEBHOOK_SECRETS": "w" * 40 + "," + "v" * 40,
    }
    code = "from django.conf import settings; import json; print(json.dumps(settings.EVENT_SUBSCRIPTIONS))"
    result = subprocess.run(  # noqa: S603 - this interpreter, fixed arguments
        [sys.executable, "-c", code],
        cwd=BACKEND,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    assert _by_name(json.loads(result.stdout)) == {
        COMMUNICATION_SERVICE: ("https://communication.example.org/api/v1/events", ["m" * 40]),
        WORKFLOW_SERVICE: ("https://workflow.example.org/api/v1/events", ["w" * 40, "v" * 40]),
    }
