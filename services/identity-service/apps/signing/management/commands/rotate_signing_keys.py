"""Rotates the token signing keys; run it on a schedule (e.g. weekly) and after a suspected leak."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from apps.signing.services import signing_key_rotate


class Command(BaseCommand):
    help = (
        "Rotate signing keys: next -> active, active -> retiring (published for the access-token "
        "lifetime + leeway), a fresh next key; retiring keys past that deadline become retired "
        "(unpublished). --retire-now retires every retiring key immediately, so tokens they signed "
        "stop verifying at once. --retire-only skips the rotation and only retires."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--retire-now",
            action="store_true",
            help="retire every retiring key now, including the one this run demotes",
        )
        parser.add_argument(
            "--retire-only", action="store_true", help="do not rotate; only retire keys that are due"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        result = signing_key_rotate(retire_now=options["retire_now"], rotate=not options["retire_only"])
        if result.activated is not None:
            self.stdout.write(f"active:   {result.activated.kid}")
        if result.retiring is not None:
            self.stdout.write(
                f"retiring: {result.retiring.kid} (published until {result.retiring.retire_after})"
            )
        if result.created is not None:
            self.stdout.write(f"next:     {result.created.kid}")
        for key in result.retired:
            self.stdout.write(f"retired:  {key.kid}")
