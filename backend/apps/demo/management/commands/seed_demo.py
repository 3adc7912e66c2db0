"""Loads the demo data of every app that has some; safe to run again."""

from importlib import import_module
from typing import Any

from django.apps import apps
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Load demo data (idempotent). Each app may provide `demo.py` with `load(stdout)`."

    def handle(self, *args: Any, **options: Any) -> None:
        loaded = 0
        for config in apps.get_app_configs():
            if not config.name.startswith("apps."):
                continue
            try:
                module = import_module(f"{config.name}.demo")
            except ModuleNotFoundError as exc:
                if exc.name != f"{config.name}.demo":
                    raise
                continue
            module.load(self.stdout)
            loaded += 1
        self.stdout.write(f"demo data: {loaded} app(s) loaded")
