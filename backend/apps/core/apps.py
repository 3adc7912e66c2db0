from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Core business entities"

    def ready(self) -> None:
        from apps.core import gdpr  # noqa: F401, PLC0415 - registers the core export sections once apps load
