"""Loads the demo identities every part of the hub shares; safe to run again."""

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from apps.demo.services import demo_identities_load


class Command(BaseCommand):
    help = (
        "Load the demo organizations, users, memberships and service clients (idempotent) from "
        "DEMO_IDENTITIES_FILE (default: infrastructure/demo/identities.json of the repository)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--file", type=Path, help="another identities file")

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEMO_DATA_ALLOWED:
            raise CommandError("demo data holds development secrets; refused in production")
        path: Path = options["file"] or Path(settings.DEMO_IDENTITIES_FILE)
        if not path.is_file():
            raise CommandError(f"no demo identities at {path}")
        summary = demo_identities_load(path=path)
        self.stdout.write(
            f"demo identities: {summary.organizations} organizations, {summary.users} users, "
            f"{summary.memberships} memberships, {summary.clients} clients"
        )
