"""Adds ``audit_logs.request_id``: the web request that wrote the row (outside the hash chain)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("audit", "0003_audit_logs_append_only_trigger")]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="request_id",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
    ]
