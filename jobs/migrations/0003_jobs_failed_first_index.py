"""The jobs admin lists failures first, newest first: an index on exactly that order (PostgreSQL).

The expression must match the ``ORDER BY`` that ``jobs.admin.FAILED_FIRST`` compiles to. Built
CONCURRENTLY, so this migration is not atomic; it is not in ``Job.Meta.indexes`` (Django's
migration state does not need it).
"""

from typing import Any

from django.db import migrations

NAME = "idx_jobs_failed_first"
DEFINITION = "ON jobs ((CASE WHEN status = 'failed' THEN 0 ELSE 1 END), created_at DESC, id DESC)"


def create_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {NAME} {DEFINITION}", params=None)


def drop_index(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {NAME}", params=None)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("jobs", "0002_jobs_on_delete_cascade")]

    operations = [migrations.RunPython(create_index, drop_index, elidable=False)]
