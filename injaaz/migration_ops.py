"""Migration operations Django lacks: database-level ON DELETE actions (PostgreSQL).

Django emulates ``on_delete=CASCADE`` in the ORM and creates the foreign key without an
ON DELETE clause. The plan's SQL says ``ON DELETE CASCADE``, so a ``DELETE`` written in SQL
must cascade too: these operations re-create the constraint with the clause, and put it
back as Django made it when unapplied. (An ``AlterField`` of the column in a later
migration re-creates the constraint without the clause: follow it with this operation again.)
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

_FIND_CONSTRAINT = """
SELECT con.conname
FROM pg_constraint con
JOIN pg_attribute att ON att.attrelid = con.conrelid AND att.attnum = ANY (con.conkey)
WHERE con.contype = 'f' AND con.conrelid = %s::regclass AND att.attname = %s
"""


def _set_on_delete(schema_editor: Any, table: str, column: str, target: str, action: str) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    quote = schema_editor.quote_name
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(_FIND_CONSTRAINT, [table, column])
        names = [row[0] for row in cursor.fetchall()]
    for name in names:
        schema_editor.execute(f"ALTER TABLE {quote(table)} DROP CONSTRAINT {quote(name)}")
    clause = f" ON DELETE {action}" if action else ""
    schema_editor.execute(
        f"ALTER TABLE {quote(table)} ADD CONSTRAINT {quote(f'fk_{table}_{column}')} "
        f"FOREIGN KEY ({quote(column)}) REFERENCES {quote(target)} (id){clause} "
        "DEFERRABLE INITIALLY DEFERRED"
    )


def DatabaseOnDelete(table: str, column: str, target: str, action: str = "CASCADE") -> migrations.RunPython:  # noqa: N802
    """A reversible operation giving ``table.column -> target(id)`` a database ON DELETE action."""

    def forwards(apps: Any, schema_editor: Any) -> None:
        _set_on_delete(schema_editor, table, column, target, action)

    def backwards(apps: Any, schema_editor: Any) -> None:
        _set_on_delete(schema_editor, table, column, target, "")

    return migrations.RunPython(forwards, backwards, elidable=False)
