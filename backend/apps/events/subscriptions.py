"""Which event types go where: subscriptions come from settings (EVENT_SUBSCRIPTIONS).

Settings build that list with `event_subscriptions()` (this module loads no model, so settings
can import it): every environment has the same subscriptions and differs by URLs and secrets.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from typing import Any

from django.conf import settings

COMMUNICATION_SERVICE = "communication-service"
WORKFLOW_SERVICE = "workflow-intelligence-service"
RECEIVER_PATH = "/api/v1/events"


def event_subscriptions(
    *,
    communication_url: str,
    communication_secrets: Sequence[str],
    workflow_url: str,
    workflow_secrets: Sequence[str],
) -> list[dict[str, Any]]:
    """EVENT_SUBSCRIPTIONS: each receiver's base URL and signing secrets, bound to it by name."""
    return [
        {
            "name": COMMUNICATION_SERVICE,
            "url": communication_url.rstrip("/") + RECEIVER_PATH,
            # Notifications and bookings are what it sends messages for; contact.* too, so contact
            # changes reach every sibling (the service keeps what it needs, acknowledges the rest).
            "types": ["notification.requested", "booking.*", "contact.*"],
            "secrets": list(communication_secrets),
        },
        {
            "name": WORKFLOW_SERVICE,
            "url": workflow_url.rstrip("/") + RECEIVER_PATH,
            "types": ["*"],  # organization rules may act on any event
            "secrets": list(workflow_secrets),
        },
    ]


@dataclass(frozen=True)
class Subscription:
    name: str
    url: str
    types: tuple[str, ...]
    secrets: tuple[str, ...]  # several during a rotation: every delivery is signed with each

    def wants(self, event_type: str) -> bool:
        return any(fnmatchcase(event_type, pattern) for pattern in self.types)


def subscriptions() -> list[Subscription]:
    return [
        Subscription(
            name=str(raw["name"]),
            url=str(raw["url"]),
            types=tuple(raw["types"]),
            secrets=tuple(s for s in raw["secrets"] if s),
        )
        for raw in settings.EVENT_SUBSCRIPTIONS
    ]


def subscription_named(name: str) -> Subscription | None:
    return next((s for s in subscriptions() if s.name == name), None)


def subscriptions_for(event_type: str) -> list[Subscription]:
    return [s for s in subscriptions() if s.wants(event_type)]
