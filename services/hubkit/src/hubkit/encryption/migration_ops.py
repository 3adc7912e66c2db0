"""What a data migration runs once a column has become encrypted: seal the values stored before."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.apps.registry import Apps
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

BATCH = 1000


def encrypt_existing(
    app_label: str, model_name: str, fields: list[str]
) -> Callable[[Apps, BaseDatabaseSchemaEditor], None]:
    """A RunPython step: reads each row (plaintext reads as it is) and writes it back sealed."""

    def run(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
        model: Any = apps.get_model(app_label, model_name)
        manager = model._base_manager.using(schema_editor.connection.alias)
        last = None
        while True:
            page = manager.order_by("pk").only("pk", *fields)
            rows = list((page.filter(pk__gt=last) if last is not None else page)[:BATCH])
            if not rows:
                return
            manager.bulk_update(rows, fields)
            last = rows[-1].pk

    return run
