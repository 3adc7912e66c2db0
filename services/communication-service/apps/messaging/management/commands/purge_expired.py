"""Runs the retention purge to the end (what event receipts do a batch at a time), or counts it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.messaging.retention import retention_expired_counts, retention_purge


class Command(BaseCommand):
    help = "Delete messages and received events past their retention (--dry-run: only count them)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count the expired rows, delete nothing.")

    def handle(self, *args: Any, **options: Any) -> None:
        counts = retention_expired_counts() if options["dry_run"] else retention_purge()
        verb = "would purge" if options["dry_run"] else "purged"
        self.stdout.write(f"{verb}: " + ", ".join(f"{name} {count}" for name, count in counts.items()))
