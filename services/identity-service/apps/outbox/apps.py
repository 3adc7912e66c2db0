from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "apps.outbox"
    label = "outbox"

    def ready(self) -> None:
        # The backlog in /metrics of the web processes and of the worker, read when scraped.
        from apps.outbox.selectors import outbox_backlog  # noqa: PLC0415 - models are loaded only now
        from hubkit.metrics import OutboxBacklogCollector, register_scrape_collector  # noqa: PLC0415

        register_scrape_collector(OutboxBacklogCollector(outbox_backlog))
