"""``cleanup_jobs``: finished jobs past retention, in the ``jobs`` table and in legacy job files.

The plan's hybrid option keeps job state as JSON files "cleaned up after 7 days"; the old app
never removed anything (FORMAT.md §6). A job is finished when its state is done or failed (an
HVAC "done" with an error is failed); its age is its completion time, else its creation time.
Unfinished jobs are never removed, nor files the legacy parser cannot read (they are reported).
In the tree it also removes the hidden staged and temporary files that a crash or a failed commit
left behind more than an hour ago (``submissions.legacy.store.sweep_staged``).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from pathlib import Path

from django.db.models import Q
from django.db.models.functions import Coalesce

from jobs.models import Job
from submissions.importer.pipeline import scan_folder
from submissions.legacy.files import LegacyTree, read_json_file
from submissions.legacy.normalize import normalize_job
from submissions.legacy.records import LegacyFormatError
from submissions.legacy.store import sweep_staged

FINISHED = ("done", "failed")
ABANDONED_AFTER = dt.timedelta(hours=1)  # a staged or temporary file of a live write is seconds old
_DURATION = re.compile(r"^(\d+)\s*([smhdw])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


def parse_duration(value: str) -> dt.timedelta:
    """``7d``, ``12h``, ``30m``, ``2w``, ``90s``."""
    match = _DURATION.match(value.strip().lower())
    if not match:
        raise ValueError(f"{value!r} is not a duration like 7d, 12h, 30m or 2w")
    return dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})


@dataclass
class CleanupSummary:
    cutoff: str
    dry_run: bool
    database: int = 0
    files: int = 0
    abandoned: int = 0  # staged and temporary files a crash left in the tree
    kept_staged: list[str] = field(default_factory=list)  # staged files of records the database holds
    unreadable: list[tuple[str, str]] = field(default_factory=list)


def cleanup_jobs(*, older_than: dt.timedelta, tree: Path | None, dry_run: bool, now: dt.datetime) -> CleanupSummary:
    cutoff = now - older_than
    summary = CleanupSummary(cutoff=cutoff.isoformat(), dry_run=dry_run)
    expired = Job.objects.filter(status__in=FINISHED).alias(finished_at=Coalesce("completed_at", "created_at"))
    expired = expired.filter(Q(finished_at__lt=cutoff))
    if dry_run:
        summary.database = expired.count()
    else:
        summary.database = expired.delete()[1].get("jobs.Job", 0)
    if tree is not None:
        paths, _ = scan_folder(Path(tree), "jobs")
        for relpath in paths:
            path = Path(tree) / relpath
            try:
                job = normalize_job(read_json_file(path), stem=path.stem)
            except LegacyFormatError as error:
                summary.unreadable.append((relpath, str(error)))
                continue
            finished_at = job.completed_at or job.created_at
            if job.status in FINISHED and finished_at is not None and finished_at < cutoff:
                summary.files += 1
                if not dry_run:
                    path.unlink(missing_ok=True)
        sweep = sweep_staged(older_than=ABANDONED_AFTER, dry_run=dry_run, tree=LegacyTree(Path(tree)))
        summary.abandoned = len(sweep.removed)
        summary.kept_staged = [str(path.relative_to(tree)) for path in sweep.kept]
    return summary
