from django.apps import AppConfig


class TransactionsConfig(AppConfig):
    name = "apps.transactions"
    label = "transactions"
    verbose_name = "Invoices, payments, refunds and the ledger"

    def ready(self) -> None:
        from apps.transactions import gdpr  # noqa: F401, PLC0415 - registers the money export
