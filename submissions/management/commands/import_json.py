"""``manage.py import_json [PATH]``: import the legacy ``generated/`` tree (see ``submissions.importer``)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, TextIO

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from audit.services import Action, audit_record
from submissions.importer.backends import ImportBusyError
from submissions.importer.pipeline import DEFAULT_BATCH_SIZE, DEFAULT_SIZE_CAP, ImportOptions, ImportSummary, run_import
from submissions.importer.pool import WorkerDiedError
from submissions.importer.progress import Progress
from submissions.importer.uploads import CopySummary, copy_uploads
from submissions.legacy.store import legacy_dir
from submissions.management.base import LegacyTreeCommand


def format_summary(summary: ImportSummary, *, update: bool) -> list[str]:
    """The summary lines ``import_json`` prints (tests compare them exactly)."""
    subs, jobs = summary.submissions, summary.jobs
    updated = lambda counts: f", {counts.updated} updated" if update else ""  # noqa: E731
    lines = [
        f"Submissions: {subs.total} total, {subs.imported} imported, {subs.present} already present"
        f"{updated(subs)}, {subs.conflicts} conflicts, {subs.failed} failed",
        f"Jobs: {jobs.total} total, {jobs.imported} imported, {jobs.present} already present"
        f"{updated(jobs)}, {jobs.conflicts} conflicts, {jobs.failed} failed, {jobs.orphans} orphans",
        "By module: "
        + (", ".join(f"{module} {count}" for module, count in sorted(summary.by_module.items())) or "none"),
    ]
    if summary.warnings:
        lines.append(f"Warnings: {summary.warnings} (odd but readable values; see --report)")
    return lines


class Command(LegacyTreeCommand):
    help = (
        "Import the legacy JSON tree (submissions/, jobs/, uploads/) into the database. Idempotent and "
        "resumable: files already imported are skipped by their hash; a file whose content differs from "
        "the database is a conflict unless --update. Exit status 0 when every file is in the database, "
        "1 when some failed or conflicted (all others are imported)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="the legacy tree (default: INJAAZ_LEGACY_DIR)")
        parser.add_argument("--dry-run", action="store_true", help="parse and validate everything, write nothing")
        parser.add_argument("--update", action="store_true", help="overwrite records whose file content changed")
        parser.add_argument("--report", type=Path, metavar="FILE", help="write one JSON line per problem file")
        parser.add_argument(
            "--rehash",
            action="store_true",
            help=(
                "read and hash every file; by default a file whose size and modification time match the "
                "ledger's is counted already present without being read"
            ),
        )
        parser.add_argument(
            "--copy-uploads",
            action="store_true",
            help="copy local uploads and data-URL signatures into the configured storage and point their rows there",
        )
        parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE, help="files per transaction")
        parser.add_argument("--workers", type=int, default=2, help="parser processes (0: parse in this process)")
        parser.add_argument(
            "--max-file-size", type=int, default=DEFAULT_SIZE_CAP, metavar="BYTES", help="larger files are refused"
        )
        parser.add_argument("--no-progress", action="store_true", help="no progress output")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["path"] or legacy_dir())
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory")
        if options["batch_size"] < 1 or options["workers"] < 0:
            raise CommandError("--batch-size must be at least 1 and --workers at least 0")
        import_options = ImportOptions(
            root=root,
            batch_size=options["batch_size"],
            workers=options["workers"],
            update=options["update"],
            dry_run=options["dry_run"],
            size_cap=options["max_file_size"],
            rehash=options["rehash"],
        )
        report_path = Path(options["report"]) if options["report"] else None
        report: TextIO | None = report_path.open("w", encoding="utf-8") if report_path else None
        problems = {"failed": 0}

        def on_problem(path: str, reason: str, kind: str) -> None:
            if kind == "failed":
                problems["failed"] += 1
            if report is not None:
                report.write(json.dumps({"path": str(root / path), "reason": reason, "kind": kind}) + "\n")

        progress = Progress(self.stderr, "import_json", enabled=not options["no_progress"])
        try:
            summary = run_import(import_options, on_problem=on_problem, on_progress=progress)
            copied: CopySummary | None = None
            if options["copy_uploads"] and not options["dry_run"]:
                copied = copy_uploads(root, on_problem=on_problem)
        except ImportBusyError as error:
            raise CommandError(str(error)) from error
        except WorkerDiedError as error:
            raise CommandError(
                f"{error}: the import stopped; every batch committed before stays, with its ledger rows. "
                "Run the same command again to resume.",
                returncode=2,
            ) from error
        finally:
            if report is not None:
                report.close()

        if summary.dry_run:
            self.stdout.write("Dry run: nothing was written; the counts say what an import would do.")
        for line in format_summary(summary, update=options["update"]):
            self.stdout.write(line)
        if copied is not None:
            self.stdout.write(copied.line())
        details = summary.as_dict() | ({"uploads": vars(copied)} if copied else {})
        if not summary.dry_run:
            with transaction.atomic():
                audit_record(action=Action.IMPORT_JSON, resource_type="legacy_tree", details=details)
        not_imported = (
            summary.submissions.failed + summary.jobs.failed + summary.submissions.conflicts + summary.jobs.conflicts
        )
        if not_imported:
            hint = f" (see {report_path})" if report_path else " (use --report FILE for the list)"
            raise CommandError(f"{not_imported} files were not imported{hint}", returncode=1)
        self.stdout.write(self.style.SUCCESS("Every file is in the database."))
