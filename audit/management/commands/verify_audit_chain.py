"""``manage.py verify_audit_chain``: recompute the audit log's hash chain and report the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from audit.selectors import audit_chain_check


class Command(BaseCommand):
    help = (
        "Recompute every audit row's hash in id order and report the first broken link (exit 1). "
        "Record the printed head hash somewhere else; pass it later with --expect-head to prove "
        "the log still contains it (a truncated and restarted log is otherwise a valid chain)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--expect-head",
            action="append",
            default=[],
            metavar="HASH",
            help="A row_hash recorded earlier that must still be in the chain (repeatable).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        expected = frozenset(value.strip().lower() for value in options["expect_head"])
        report = audit_chain_check(expect_hashes=expected)
        if report.broken is not None:
            raise CommandError(
                f"Audit chain broken at row {report.broken.row_id}: {report.broken.reason}. "
                f"{report.rows - 1} rows before it verified."
            )
        missing = sorted(expected - report.seen_hashes)
        if missing:
            raise CommandError(
                f"Audit chain intact over {report.rows} rows, but {len(missing)} expected head(s) are not in it: "
                + ", ".join(missing)
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit chain intact: {report.rows} rows, head row {report.head_id}, hash {report.head_hash or '-'}."
            )
        )
