from django.db import migrations


class Migration(migrations.Migration):
    """An organization's newest change entry (not a read) of one model, in one index probe.

    The analytics data version asks it for each model its figures depend on; a partial index of
    change entries (reads, the ACCESS entries, are the bulk of a busy trail and left out). Built
    CONCURRENTLY, outside a transaction: the audit table is large and written all the time.
    """

    atomic = False
    dependencies = [("audit", "0001_logentry_organization_index")]
    operations = [
        migrations.RunSQL(
            "CREATE INDEX CONCURRENTLY IF NOT EXISTS audit_logentry_org_type_ts_idx ON auditlog_logentry "
            "(((additional_data ->> 'organization_id')), content_type_id, timestamp DESC) WHERE action <> 3",
            reverse_sql="DROP INDEX CONCURRENTLY IF EXISTS audit_logentry_org_type_ts_idx",
        ),
    ]
