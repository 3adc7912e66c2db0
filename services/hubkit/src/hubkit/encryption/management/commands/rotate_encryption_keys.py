"""manage.py rotate_encryption_keys: re-seal every encrypted value with the current key (see rotation.py)."""

from __future__ import annotations

from functools import partial
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from hubkit.encryption.keys import keyring
from hubkit.encryption.rotation import DEFAULT_BATCH, encrypted_models, rotate_model, rows_on_other_keys


class Command(BaseCommand):
    help = "Re-encrypt every encrypted column with the first key of FIELD_ENCRYPTION_KEYS, in batches."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH, help="Rows per transaction.")
        parser.add_argument("--no-progress", action="store_true", help="No progress bar (logs, CI).")

    def handle(self, *args: Any, batch_size: int, no_progress: bool, **options: Any) -> None:
        current = keyring().current
        columns = (
            TextColumn("{task.description:<34}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
        )
        with Progress(*columns, disable=no_progress, transient=False) as progress:
            for model, fields in encrypted_models():
                task = progress.add_task(model._meta.label, total=model._base_manager.count())
                result = rotate_model(
                    model, fields, batch_size=batch_size, on_batch=partial(progress.advance, task)
                )
                left = rows_on_other_keys(model, fields)
                self.stdout.write(
                    f"{result.model}: {result.rows} rows, {result.rewritten} re-encrypted with {current},"
                    f" {left} left on other keys"
                )
