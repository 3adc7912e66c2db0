"""Seals the values stored in clear before 0004 and computes the contacts' blind indexes."""

from typing import Any

from django.apps.registry import Apps
from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor

from apps.core.phones import email_lookup_form
from apps.encryption.keys import blind_index
from apps.encryption.migration_ops import BATCH, encrypt_existing


def seal_contacts(apps: Apps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    contact: Any = apps.get_model("core", "Contact")
    manager = contact._base_manager.using(schema_editor.connection.alias)
    fields = ["email", "phone", "notes", "email_index", "phone_index"]
    last = None
    while True:
        page = manager.order_by("pk").only("pk", *fields)
        rows = list((page.filter(pk__gt=last) if last is not None else page)[:BATCH])
        if not rows:
            return
        for row in rows:
            row.email_index = blind_index(email_lookup_form(row.email))
            row.phone_index = blind_index(row.phone)
        manager.bulk_update(rows, fields)
        last = rows[-1].pk


class Migration(migrations.Migration):
    dependencies = [("core", "0004_encrypted_fields")]

    operations = [
        migrations.RunPython(seal_contacts, migrations.RunPython.noop),
        migrations.RunPython(encrypt_existing("core", "timeoff", ["reason"]), migrations.RunPython.noop),
        migrations.RunPython(
            encrypt_existing("core", "workinghoursoverride", ["reason"]), migrations.RunPython.noop
        ),
    ]
