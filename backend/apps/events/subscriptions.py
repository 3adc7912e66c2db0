"""Which event types go where: subscriptions come from settings (EVENT_SUBSCRIPTIONS)."""

from __future__ import annotations

from dataclasses import dataclass
from fnmatch import fnmatchcase

from django.conf import settings


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
