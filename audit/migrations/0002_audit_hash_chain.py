"""Adds the hash chain (``prev_hash``, ``row_hash``) and chains the rows already there, in id order."""

from typing import Any

from django.db import migrations, models

# A pure function of a row's values (no models): the one definition of the chain's format.
from audit.chain import GENESIS_HASH, digest_of


def chain_existing_rows(apps: Any, schema_editor: Any) -> None:
    AuditLog = apps.get_model("audit", "AuditLog")
    prev_hash = GENESIS_HASH
    for row in AuditLog.objects.using(schema_editor.connection.alias).order_by("id").iterator(chunk_size=2000):
        row.prev_hash = prev_hash
        row.row_hash = digest_of(row, prev_hash=prev_hash)
        row.save(update_fields=["prev_hash", "row_hash"])
        prev_hash = row.row_hash


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="auditlog",
            name="prev_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.AddField(
            model_name="auditlog",
            name="row_hash",
            field=models.CharField(blank=True, db_default="", default="", max_length=64),
        ),
        migrations.RunPython(chain_existing_rows, migrations.RunPython.noop, elidable=False),
    ]
