"""``manage.py verify_migration [PATH] [--json]``: compare the legacy tree with the database."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from audit.services import Action, audit_record
from submissions.importer.verify import format_verification
from submissions.legacy.store import legacy_dir
from submissions.management.base import LegacyTreeCommand


class Command(LegacyTreeCommand):
    help = (
        "Compare the legacy JSON tree with the database: counts by module and status, ids present on one "
        "side only, records whose canonical content hash differs. Exit status 0 only when they match."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", nargs="?", type=Path, help="the legacy tree (default: INJAAZ_LEGACY_DIR)")
        parser.add_argument("--json", action="store_true", help="print the full result as JSON")
        parser.add_argument("--workers", type=int, default=2, help="parser processes (0: parse in this process)")

    def handle(self, *args: Any, **options: Any) -> None:
        root = Path(options["path"] or legacy_dir())
        if not root.is_dir():
            raise CommandError(f"{root} is not a directory")
        result = self.verify_tree(root, options["workers"])
        summary = result.as_dict()
        with transaction.atomic():
            audit_record(
                action=Action.VERIFY_MIGRATION,
                resource_type="legacy_tree",
                details={
                    key: summary[key]
                    for key in ("tree", "ok", "tree_submissions", "tree_jobs", "database_submissions", "database_jobs")
                }
                | {
                    "only_in_tree": {kind: len(ids) for kind, ids in result.only_in_tree.items()},
                    "only_in_database": {kind: len(ids) for kind, ids in result.only_in_database.items()},
                    "content_differs": {kind: len(ids) for kind, ids in result.content_differs.items()},
                    "unreadable": len(result.unreadable),
                    "orphan_jobs": len(result.orphan_jobs),
                },
            )
        if options["json"]:
            self.stdout.write(json.dumps(summary, indent=2, sort_keys=True))
        else:
            for line in format_verification(result):
                self.stdout.write(line)
        if not result.ok:
            raise CommandError("the tree and the database differ", returncode=1)
        if not options["json"]:
            self.stdout.write(self.style.SUCCESS("Verified: the tree and the database hold the same records."))
