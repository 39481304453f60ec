"""``manage.py archive_json [PATH] --output DIR``: archive the legacy tree once the database holds it all."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from audit.services import Action, audit_record
from submissions.importer.archive import ArchiveError, archive_tree
from submissions.legacy.store import legacy_dir
from submissions.management.base import LegacyTreeCommand


class Command(LegacyTreeCommand):
    help = (
        "Write a dated tar.gz of the legacy tree, read it back to check every file and hash, then remove the "
        "archived files. Refuses while verify_migration finds records missing from the database (--force "
        "overrides)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="the legacy tree (default: INJAAZ_LEGACY_DIR)")
        parser.add_argument("--output", type=Path, required=True, help="folder for the archive")
        parser.add_argument("--keep", action="store_true", help="keep the files after archiving them")
        parser.add_argument("--force", action="store_true", help="archive even if the database lacks records")
        parser.add_argument("--dry-run", action="store_true", help="check and count, write and remove nothing")
        parser.add_argument("--workers", type=int, default=2, help="parser processes for the verification")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["path"] or legacy_dir())
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory")
        output = Path(options["output"])
        if output.resolve().is_relative_to(root.resolve()):
            raise CommandError("--output must be outside the tree being archived")
        check = self.verify_tree(root, options["workers"])
        missing = check.missing_from_database
        if missing:
            message = (
                f"verify_migration finds {missing} records of the tree missing from the database or different "
                "there (run verify_migration for the list)"
            )
            if not options["force"]:
                raise CommandError(f"refusing to archive: {message}; --force archives anyway")
            self.stderr.write(self.style.WARNING(f"WARNING: --force: archiving although {message}."))
        try:
            summary = archive_tree(root, output, keep=options["keep"], dry_run=options["dry_run"])
        except ArchiveError as error:
            raise CommandError(f"archive failed, nothing was removed: {error}") from error
        summary.forced = bool(missing) and options["force"]
        size = f"{summary.bytes / 1e6:.1f} MB"
        for name, reason in summary.not_archived:
            self.stdout.write(f"Not archived (left in place): {name}: {reason}")
        if summary.dry_run:
            self.stdout.write(f"Dry run: would archive {summary.files} files ({size}) to {summary.archive}")
            return
        with transaction.atomic():
            audit_record(
                action=Action.ARCHIVE_JSON,
                resource_type="legacy_tree",
                details=vars(summary) | {"missing_from_database": missing},
            )
        self.stdout.write(f"Archived {summary.files} files ({size}) to {summary.archive}; verified {summary.verified}")
        for name in summary.kept_changed:
            self.stdout.write(f"Kept {name}: it changed after it was archived")
        if summary.kept:
            self.stdout.write("Files kept (--keep).")
        else:
            self.stdout.write(f"Removed {summary.removed} archived files from {root}.")
