"""Remove photos uploaded for forms that were never submitted (rows and stored files)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from submissions.models import FileType, UploadedFile
from submissions.router import phase_plan
from submissions.uploads import stored_files_discard

AGE_RE = re.compile(r"^(\d+)([dh])$")


def age(value: str) -> dt.timedelta:
    match = AGE_RE.match(value)
    if not match:
        raise ValueError("use a number of days or hours, e.g. 7d or 12h")
    number, unit = int(match.group(1)), match.group(2)
    return dt.timedelta(days=number) if unit == "d" else dt.timedelta(hours=number)


class Command(BaseCommand):
    help = (
        "Delete photos that were uploaded for a form but never claimed by a submission (the form "
        "was abandoned or the photo removed from it), older than --older-than: their rows and their "
        "files in storage. Refuses to run in json phase, where submissions have no rows and every "
        "photo stays unclaimed."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--older-than", type=age, default=age("7d"), help="age, e.g. 7d (default) or 12h")
        parser.add_argument("--dry-run", action="store_true", help="list what would be removed, remove nothing")

    def handle(self, *args: Any, older_than: dt.timedelta, dry_run: bool, **options: Any) -> None:
        if not phase_plan().writes_database:
            raise CommandError(
                "In json phase submissions have no rows, so no photo is ever claimed: nothing is purged."
            )
        cutoff = timezone.now() - older_than
        waiting = UploadedFile.objects.filter(
            submission__isnull=True, file_type=FileType.PHOTO, uploaded_at__lt=cutoff
        ).order_by("id")
        rows = list(waiting.values_list("id", "storage_name", "file_size"))
        for _, name, _ in rows:
            self.stdout.write(f"{'would remove' if dry_run else 'remove'} {name}")
        if not dry_run:
            UploadedFile.objects.filter(pk__in=[row[0] for row in rows], submission__isnull=True).delete()
            stored_files_discard(name for _, name, _ in rows if name)
        size = sum(row[2] or 0 for row in rows)
        verb = "would remove" if dry_run else "removed"
        self.stdout.write(
            self.style.SUCCESS(f"{verb} {len(rows)} unclaimed photos ({size / 1e6:.1f} MB) older than {older_than}")
        )
