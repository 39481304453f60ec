"""What the commands that move the legacy tree share: ``import_json``, ``verify_migration``,
``archive_json``, ``export_json`` and ``cleanup_jobs``."""

from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from submissions.importer.pool import WorkerDiedError
from submissions.importer.verify import Verification, verify


class LegacyTreeCommand(BaseCommand):
    """A data command run by ops, often several times in a row (a re-run, verify after import).

    It skips Django's system checks. They import every URL module, and through the report views
    also WeasyPrint and openpyxl. That is about 0.8 s of start-up, and a re-run of ``import_json``
    on an imported tree takes only a few seconds in all. ``manage.py check``, ``migrate`` and the
    server still run the checks.
    """

    requires_system_checks: list[str] = []

    def verify_tree(self, root: Path, workers: int) -> Verification:
        """``verify`` for a command: a worker that dies stops it with a clear error (nothing is changed)."""
        try:
            return verify(root, workers=max(0, workers))
        except WorkerDiedError as error:
            raise CommandError(f"{error}: nothing was changed; run the command again") from error
