from django.db import migrations


class Migration(migrations.Migration):
    """GET /audit reads one organization's entries newest first: index the tenant key auditlog stores."""

    initial = True
    dependencies = [("auditlog", "0017_add_actor_email")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX audit_logentry_org_ts_idx ON auditlog_logentry "
            "(((additional_data ->> 'organization_id')), timestamp DESC, id DESC)",
            reverse_sql="DROP INDEX IF EXISTS audit_logentry_org_ts_idx",
        ),
    ]
