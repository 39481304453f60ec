"""A natural key for ``uploaded_files``: one row per (submission, file URL).

The importer inserts file rows with ``ON CONFLICT DO NOTHING`` on this key, so importing a
tree twice (or resuming a killed run) never duplicates them. On PostgreSQL the key indexes
``md5(cloudinary_url)`` (URLs are unbounded text); SQLite indexes the URL itself. Rows
without a submission (photos waiting for their form) never conflict (NULLs are distinct).
"""

from typing import Any

from django.db import migrations

INDEX = "uq_uploaded_files_submission_url"


def create_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE UNIQUE INDEX {INDEX} ON uploaded_files (submission_id, md5(cloudinary_url))")
    else:
        schema_editor.execute(f"CREATE UNIQUE INDEX {INDEX} ON uploaded_files (submission_id, cloudinary_url)")


def drop_index(apps: Any, schema_editor: Any) -> None:
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("submissions", "0004_legacy_import_ledger")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
