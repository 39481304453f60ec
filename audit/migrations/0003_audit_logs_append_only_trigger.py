"""PostgreSQL refuses UPDATE and DELETE on ``audit_logs``, whoever sends them.

TRUNCATE is left alone on purpose: it is a separate privilege that the application's role
should not hold in production (``REVOKE TRUNCATE ON audit_logs FROM <role>``), and the test
harness resets tables with it between transactional tests. See docs/AUDIT.md.
"""

from typing import Any

from django.db import migrations

CREATE = """
CREATE OR REPLACE FUNCTION audit_logs_refuse_change() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_logs is append-only: % refused', TG_OP
        USING HINT = 'Audit rows are only ever inserted (audit.services.audit_record).';
END;
$$;
CREATE TRIGGER audit_logs_append_only
    BEFORE UPDATE OR DELETE ON audit_logs
    FOR EACH ROW EXECUTE FUNCTION audit_logs_refuse_change();
"""

DROP = """
DROP TRIGGER IF EXISTS audit_logs_append_only ON audit_logs;
DROP FUNCTION IF EXISTS audit_logs_refuse_change();
"""


def create_trigger(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE, params=None)


def drop_trigger(apps: Any, schema_editor: Any) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP, params=None)


class Migration(migrations.Migration):
    dependencies = [("audit", "0002_audit_hash_chain")]

    operations = [migrations.RunPython(create_trigger, drop_trigger, elidable=False)]
