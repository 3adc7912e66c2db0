"""Contacts' email, phone and notes and the time-off and override reasons become encrypted columns.

The email uniqueness and the name/email/phone search read the clear columns, so they go first;
0005 seals the stored values and fills the blind indexes, 0006 puts the rule and search back.
Three migrations, three transactions: PostgreSQL refuses to alter a table with row changes
still pending in the same transaction.
"""

from django.db import migrations, models

import apps.encryption.fields


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0003_capacity_and_hours_overrides"),
        ("identity", "0001_initial"),
    ]

    operations = [
        migrations.RemoveConstraint(model_name="contact", name="core_contact_active_email_uniq"),
        migrations.RemoveIndex(model_name="contact", name="core_contact_search_trgm"),
        migrations.RemoveField(model_name="contact", name="search_text"),
        migrations.AddField(
            model_name="contact",
            name="email_index",
            field=models.CharField(blank=True, default="", db_default="", editable=False, max_length=64),
        ),
        migrations.AddField(
            model_name="contact",
            name="phone_index",
            field=models.CharField(blank=True, default="", db_default="", editable=False, max_length=64),
        ),
        migrations.AlterField(
            model_name="contact", name="email", field=apps.encryption.fields.EncryptedTextField(blank=True)
        ),
        migrations.AlterField(
            model_name="contact", name="notes", field=apps.encryption.fields.EncryptedTextField(blank=True)
        ),
        migrations.AlterField(
            model_name="contact", name="phone", field=apps.encryption.fields.EncryptedTextField(blank=True)
        ),
        migrations.AlterField(
            model_name="timeoff", name="reason", field=apps.encryption.fields.EncryptedTextField(blank=True)
        ),
        migrations.AlterField(
            model_name="workinghoursoverride",
            name="reason",
            field=apps.encryption.fields.EncryptedTextField(blank=True),
        ),
    ]
