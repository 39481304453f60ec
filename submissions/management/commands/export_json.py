"""``manage.py export_json [--since DATE] [--output PATH]``: database records back in the legacy layout."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser
from django.db import transaction

from audit.services import Action, audit_record
from submissions.importer.export import export_tree
from submissions.legacy.store import legacy_dir
from submissions.management.base import LegacyTreeCommand


def parse_since(value: str) -> dt.datetime:
    """``YYYY-MM-DD`` (midnight UTC) or an ISO-8601 time (naive means UTC)."""
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError as error:
        raise CommandError(f"--since {value!r} is not a date (YYYY-MM-DD) or an ISO-8601 time") from error
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


class Command(LegacyTreeCommand):
    help = (
        "Write database submissions and jobs back as legacy JSON files (submissions/<id>.json, jobs/<id>.json), "
        "so a rollback to the old app loses nothing. Files already holding the same content are left alone."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--since", help="only records created or changed since this date (YYYY-MM-DD or ISO time)")
        parser.add_argument("--output", type=Path, help="the tree to write (default: INJAAZ_LEGACY_DIR)")
        parser.add_argument("--dry-run", action="store_true", help="count what would be written, write nothing")

    def handle(self, *args: Any, **options: Any) -> None:
        output = Path(options["output"] or legacy_dir())
        if output.exists() and not output.is_dir():
            raise CommandError(f"{output} is not a directory")
        since = parse_since(options["since"]) if options["since"] else None
        summary = export_tree(output, since=since, dry_run=options["dry_run"])
        if not options["dry_run"]:
            with transaction.atomic():
                audit_record(action=Action.EXPORT_JSON, resource_type="legacy_tree", details=vars(summary))
        self.stdout.write(summary.line())
