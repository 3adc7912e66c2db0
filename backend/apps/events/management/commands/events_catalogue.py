"""Writes the event catalogue (hubkit's event_types.json and docs/events.md) from the registry."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.events.catalogue import catalogue_files


class Command(BaseCommand):
    help = (
        "Generate services/hubkit/src/hubkit/event_types.json and docs/events.md from apps/events/types.py."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--check", action="store_true", help="Only report files that are out of date.")

    def handle(self, *args: Any, **options: Any) -> None:
        stale = [path for path, text in catalogue_files().items() if _read(path) != text]
        if options["check"]:
            if stale:
                raise CommandError(f"out of date (run manage.py events_catalogue): {[str(p) for p in stale]}")
            self.stdout.write("event catalogue up to date")
            return
        for path, text in catalogue_files().items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
            self.stdout.write(f"wrote {path}")


def _read(path: Any) -> str | None:
    return path.read_text(encoding="utf-8") if path.exists() else None
