"""Indexes the staff admin needs at a million submissions (PostgreSQL; nothing on SQLite).

- ``pg_trgm`` and a trigram GIN index on ``UPPER(site_name)``: Django's ``icontains`` is
  ``UPPER(col) LIKE UPPER('%term%')``, so only an index on the same expression serves it.
- ``(created_at DESC, id DESC)``: the admin's default order (newest first, id as tie-break)
  read straight from one index, and deep pages answered by an index-only scan.

(``TrigramExtension`` is not used: its reverse queries ``pg_extension`` on SQLite too.)
Built CONCURRENTLY (so the migration is not atomic) to leave a live table writable. They are
not in ``Submission.Meta.indexes`` (an expression with an operator class); the database has
them, Django's migration state does not need them.
"""

from typing import Any

from django.db import migrations

INDEXES = {
    "idx_submissions_site_name_trgm": "ON submissions USING gin (UPPER(site_name) gin_trgm_ops)",
    "idx_submissions_created_id": "ON submissions (created_at DESC, id DESC)",
}


def create_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    # pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it.
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm", params=None)
    for name, definition in INDEXES.items():
        schema_editor.execute(f"CREATE INDEX CONCURRENTLY IF NOT EXISTS {name} {definition}", params=None)


def drop_indexes(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    for name in INDEXES:
        schema_editor.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}", params=None)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [("submissions", "0002_uploaded_files_on_delete_cascade")]

    # Unapplying drops the indexes and leaves the extension (other objects may use it).
    operations = [migrations.RunPython(create_indexes, drop_indexes, elidable=False)]
