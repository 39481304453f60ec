"""``manage.py cleanup_jobs --older-than 7d [--dry-run]``: remove finished jobs past retention."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction
from django.utils import timezone

from audit.services import Action, audit_record
from submissions.importer.cleanup import cleanup_jobs, parse_duration
from submissions.legacy.store import legacy_dir
from submissions.management.base import LegacyTreeCommand


class Command(LegacyTreeCommand):
    help = (
        "Remove finished (done or failed) jobs whose completion (else creation) is older than --older-than: "
        "rows of the jobs table and legacy job files (INJAAZ_LEGACY_DIR/jobs, the plan's hybrid option). "
        "Also removes staged and temporary files that a crash left in the tree over an hour ago."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", default="7d", help="retention, e.g. 7d, 12h, 2w (default 7d)")
        parser.add_argument("--path", type=Path, help="legacy tree whose jobs/ to clean (default: INJAAZ_LEGACY_DIR)")
        parser.add_argument("--no-files", action="store_true", help="only the jobs table")
        parser.add_argument("--dry-run", action="store_true", help="count what would be removed, remove nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            older_than = parse_duration(options["older_than"])
        except ValueError as error:
            raise CommandError(str(error)) from error
        tree = None if options["no_files"] else Path(options["path"] or legacy_dir())
        with transaction.atomic():
            summary = cleanup_jobs(older_than=older_than, tree=tree, dry_run=options["dry_run"], now=timezone.now())
            if not options["dry_run"]:
                audit_record(
                    action=Action.CLEANUP_JOBS,
                    resource_type="job",
                    details=vars(summary) | {"older_than": options["older_than"], "tree": str(tree) if tree else None},
                )
        for path, reason in summary.unreadable:
            self.stderr.write(f"Skipped {path}: {reason}")
        verb = "Would remove" if summary.dry_run else "Removed"
        self.stdout.write(
            f"{verb} finished jobs older than {options['older_than']} (before {summary.cutoff}): "
            f"{summary.database} from the database, {summary.files} job files"
        )
        if summary.abandoned:
            self.stdout.write(f"{verb} {summary.abandoned} staged or temporary files left by a crash over an hour ago")
        for path in summary.kept_staged:
            self.stderr.write(
                f"Kept {path}: staged over an hour ago for a record the database holds, and never put in place; "
                "export_json writes that record's file from the database, after which this one can go"
            )
