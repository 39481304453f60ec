"""The audit log is append-only on PostgreSQL and tamper-evident everywhere (hash chain)."""

from __future__ import annotations

import datetime as dt
import importlib
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, connections, transaction

from audit import chain
from audit.models import AuditLog
from audit.selectors import audit_chain_check
from audit.services import audit_record
from submissions.services import submission_create


def verify(*args: str) -> str:
    out = StringIO()
    call_command("verify_audit_chain", *args, stdout=out)
    return out.getvalue()


@contextmanager
def behind_the_apps_back() -> Iterator[Any]:
    """A cursor that may UPDATE/DELETE audit rows: what someone with the table owner's rights could do."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Deferred foreign-key checks must fire before the table can be altered.
            cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            cursor.execute("ALTER TABLE audit_logs DISABLE TRIGGER audit_logs_append_only")
        yield cursor
        if connection.vendor == "postgresql":
            cursor.execute("ALTER TABLE audit_logs ENABLE TRIGGER audit_logs_append_only")
            cursor.execute("SET CONSTRAINTS ALL DEFERRED")


@pytest.mark.django_db
class TestChain:
    def test_each_row_carries_the_previous_rows_hash(self, inspector: Any) -> None:
        first = audit_record(actor=inspector, action="login", details={"n": 1})
        second = audit_record(actor=inspector, action="logout")
        assert first.prev_hash == chain.GENESIS_HASH
        assert len(first.row_hash) == 64 and second.prev_hash == first.row_hash
        assert second.row_hash == chain.digest_of(AuditLog.objects.get(pk=second.pk), prev_hash=first.row_hash)

    def test_verify_reports_an_intact_chain_with_its_head(self, inspector: Any) -> None:
        submission = submission_create(actor=inspector, module="civil", form_data={"id": "x"})
        last = audit_record(actor=inspector, action="download_file", resource=submission)
        assert verify() == f"Audit chain intact: 2 rows, head row {last.pk}, hash {last.row_hash}.\n"
        assert verify("--expect-head", last.row_hash).startswith("Audit chain intact: 2 rows")

    def test_details_survive_the_database_round_trip(self, inspector: Any) -> None:
        # Values JSONB hands back in another form (1e100 as an integer, -0.0 as 0, dates as text).
        audit_record(
            actor=inspector,
            action="submit_form",
            details={"big": 1e100, "zero": -0.0, "when": dt.date(2024, 5, 1), "price": Decimal("1.50"), "ar": "موقع"},
        )
        assert audit_chain_check().broken is None

    def test_an_altered_row_is_the_first_broken_link(self, inspector: Any) -> None:
        rows = [audit_record(actor=inspector, action="login", details={"i": i}) for i in range(4)]
        with behind_the_apps_back() as cursor:
            cursor.execute("UPDATE audit_logs SET ip_address = '10.6.6.6' WHERE id = %s", [rows[2].pk])
        with pytest.raises(CommandError) as error:
            verify()
        assert str(error.value) == (
            f"Audit chain broken at row {rows[2].pk}: row_hash does not match the row's contents: "
            "the row was altered. 2 rows before it verified."
        )

    def test_a_removed_row_breaks_the_next_link(self, inspector: Any) -> None:
        rows = [audit_record(actor=inspector, action="login", details={"i": i}) for i in range(3)]
        with behind_the_apps_back() as cursor:
            cursor.execute("DELETE FROM audit_logs WHERE id = %s", [rows[1].pk])
        report = audit_chain_check()
        assert report.broken is not None and report.broken.row_id == rows[2].pk
        assert report.broken.reason.startswith(f"prev_hash does not match row {rows[0].pk}")

    def test_a_rewritten_details_document_is_caught(self, inspector: Any) -> None:
        row = audit_record(actor=inspector, action="download_file", details={"file": "a.pdf"})
        with behind_the_apps_back() as cursor:
            cursor.execute("UPDATE audit_logs SET details = %s WHERE id = %s", ['{"file": "b.pdf"}', row.pk])
        report = audit_chain_check()
        assert report.broken is not None and report.broken.row_id == row.pk

    def test_an_expected_head_missing_from_the_log_is_reported(self, inspector: Any) -> None:
        audit_record(actor=inspector, action="login")
        with pytest.raises(CommandError, match="1 expected head"):
            verify("--expect-head", "ab" * 32)

    def test_the_migration_chains_rows_written_before_it(self, inspector: Any) -> None:
        with behind_the_apps_back() as cursor:
            for action in ("login", "logout"):
                cursor.execute(
                    "INSERT INTO audit_logs (user_id, action, details, created_at) VALUES (%s, %s, %s, %s)",
                    [inspector.pk, action, '{"old": true}', dt.datetime(2024, 1, 1, tzinfo=dt.UTC)],
                )
            assert audit_chain_check().broken is not None
            migration = importlib.import_module("audit.migrations.0002_audit_hash_chain")
            migration.chain_existing_rows(django_apps, connection.schema_editor())
        assert audit_chain_check().broken is None


@pytest.mark.postgres
@pytest.mark.django_db
class TestAppendOnlyTrigger:
    """Raw SQL, as any client of the database could send it."""

    def row(self, inspector: Any) -> AuditLog:
        return audit_record(actor=inspector, action="login")

    @pytest.mark.parametrize(
        ("statement", "operation"),
        [
            ("UPDATE audit_logs SET action = 'nothing' WHERE id = %s", "UPDATE"),
            ("UPDATE audit_logs SET row_hash = '' WHERE id = %s", "UPDATE"),
            ("DELETE FROM audit_logs WHERE id = %s", "DELETE"),
        ],
    )
    def test_raw_update_and_delete_are_refused(self, inspector: Any, statement: str, operation: str) -> None:
        row = self.row(inspector)
        refused = pytest.raises(DatabaseError, match=f"audit_logs is append-only: {operation} refused")
        with refused, transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(statement, [row.pk])
        assert AuditLog.objects.get(pk=row.pk).action == "login"

    def test_the_orm_is_refused_too(self, inspector: Any) -> None:
        row = self.row(inspector)
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditLog.objects.filter(pk=row.pk).update(action="x")
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            AuditLog.objects.filter(pk=row.pk).delete()
        assert AuditLog.objects.filter(pk=row.pk).exists()

    def test_inserts_are_allowed(self, inspector: Any) -> None:
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO audit_logs (action) VALUES ('raw_insert')")
        assert AuditLog.objects.filter(action="raw_insert").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_keep_one_chain(make_user: Any) -> None:
    """Writers in parallel transactions each chain to the row committed before theirs."""
    actor = make_user("inspector")
    errors: list[BaseException] = []

    def writer(number: int) -> None:
        try:
            for step in range(6):
                with transaction.atomic():
                    audit_record(actor=actor, action="login", details={"writer": number, "step": step})
                    time.sleep(0.002)  # hold the transaction open to invite interleaving
        except BaseException as error:  # noqa: BLE001 - reported by the assertion below
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=writer, args=(number,)) for number in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    report = audit_chain_check()
    assert report.rows == 36 and report.broken is None
