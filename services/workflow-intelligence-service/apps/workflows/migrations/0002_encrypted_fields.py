"""Received events' envelopes and runs' details become encrypted columns.

The envelope's jsonb column becomes text (an encrypted document cannot be queried anyway), then
the values stored in clear before are sealed with the current key.
"""

import hubkit.encryption.fields
from django.db import migrations
from hubkit.encryption.migration_ops import encrypt_existing


class Migration(migrations.Migration):
    dependencies = [
        ("workflows", "0001_initial"),
    ]

    operations = [
        migrations.AlterField(
            model_name="receivedevent",
            name="envelope",
            field=hubkit.encryption.fields.EncryptedJSONField(),
        ),
        migrations.AlterField(
            model_name="run",
            name="detail",
            field=hubkit.encryption.fields.EncryptedTextField(blank=True),
        ),
        migrations.RunPython(
            encrypt_existing("workflows", "receivedevent", ["envelope"]), migrations.RunPython.noop
        ),
        migrations.RunPython(encrypt_existing("workflows", "run", ["detail"]), migrations.RunPython.noop),
    ]
