"""Messages' recipient, recipient name, subject, body and error become encrypted columns.

The columns become text (an envelope is longer than the old limits, which the edge schemas
keep), then the values stored in clear before are sealed with the current key.
"""

import hubkit.encryption.fields
from django.db import migrations
from hubkit.encryption.migration_ops import encrypt_existing

FIELDS = ["recipient", "recipient_name", "subject", "body", "error"]


class Migration(migrations.Migration):
    dependencies = [
        ("messaging", "0001_initial"),
    ]

    operations = [
        *(
            migrations.AlterField(
                model_name="message",
                name=name,
                field=hubkit.encryption.fields.EncryptedTextField(blank=True, default=""),
            )
            for name in FIELDS
        ),
        migrations.RunPython(encrypt_existing("messaging", "message", FIELDS), migrations.RunPython.noop),
    ]
