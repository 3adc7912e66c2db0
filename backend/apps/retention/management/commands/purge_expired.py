"""Runs the retention purge once (what the daily `retention.purge` job does), or counts it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from apps.identity.models import Organization
from apps.retention.selectors import retention_expired_counts
from apps.retention.services import BATCH_SIZE, retention_purge


class Command(BaseCommand):
    help = "Delete what every organization's retention settings let go (--dry-run: only count it)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--dry-run", action="store_true", help="Count the expired rows, delete nothing.")
        parser.add_argument("--batch-size", type=int, default=BATCH_SIZE, help="Rows per transaction.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1")
        now = timezone.now()
        verb = "would purge" if options["dry_run"] else "purged"
        for organization in Organization.objects.order_by("id").iterator():
            if options["dry_run"]:
                counts = retention_expired_counts(organization=organization, now=now)
            else:
                counts = retention_purge(
                    organization=organization, now=now, batch_size=options["batch_size"]
                ).counts
            summary = ", ".join(f"{name} {count}" for name, count in counts.items() if count) or "nothing"
            self.stdout.write(f"{organization.id} {verb}: {summary}")
