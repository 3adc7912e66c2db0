"""The unique-email rule on the email's blind index, the phone lookup index, a names-only search."""

import django.contrib.postgres.indexes
import django.db.models.functions.text
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("core", "0005_encrypt_existing")]

    operations = [
        migrations.AddField(
            model_name="contact",
            name="search_text",
            field=models.GeneratedField(
                db_persist=True,
                expression=django.db.models.functions.text.Lower(
                    django.db.models.functions.text.Concat(
                        "first_name", models.Value(" "), "last_name", output_field=models.TextField()
                    )
                ),
                output_field=models.TextField(),
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=django.contrib.postgres.indexes.GinIndex(
                django.contrib.postgres.indexes.OpClass("search_text", name="gin_trgm_ops"),
                name="core_contact_search_trgm",
            ),
        ),
        migrations.AddIndex(
            model_name="contact",
            index=models.Index(fields=["organization", "phone_index"], name="core_contact_phone_idx"),
        ),
        migrations.AddConstraint(
            model_name="contact",
            constraint=models.UniqueConstraint(
                models.F("organization"),
                models.F("email_index"),
                condition=models.Q(("archived_at__isnull", True), models.Q(("email_index", ""), _negated=True)),
                name="core_contact_active_email_uniq",
            ),
        ),
    ]
