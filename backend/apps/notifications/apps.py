from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"
    verbose_name = "In-app notifications and delivery preferences"

    def ready(self) -> None:
        from apps.notifications import gdpr  # noqa: F401, PLC0415 - registers the notifications erasure step
