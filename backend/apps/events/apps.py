from django.apps import AppConfig


class EventsConfig(AppConfig):
    name = "apps.events"
    label = "events"
    verbose_name = "Events (transactional outbox)"

    def ready(self) -> None:
        from apps.events.metrics import OutboxCollector  # noqa: PLC0415 - models are loaded only now
        from hubkit.metrics import register_scrape_collector  # noqa: PLC0415

        register_scrape_collector(OutboxCollector())
