from django.apps import AppConfig


class SchedulingConfig(AppConfig):
    name = "apps.scheduling"
    label = "scheduling"
    verbose_name = "Bookings, availability, holds and reminders"

    def ready(self) -> None:
        from apps.scheduling import gdpr  # noqa: F401, PLC0415 - registers the bookings export and erasure
