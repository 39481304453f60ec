"""``manage.py reap_jobs``: re-queue or fail report jobs that a dead worker left behind."""

from __future__ import annotations

import datetime as dt
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from jobs.services import jobs_reap


def _seconds(value: str) -> int:
    seconds = int(value)
    if seconds < 0:
        raise ValueError("must be zero or more")
    return seconds


class Command(BaseCommand):
    help = (
        "Re-queue report jobs left 'running' by a worker that died (its heartbeat stopped for --stale-after "
        "seconds, and at least three INJAAZ_JOB_HEARTBEAT_SECONDS) or 'started' and never picked up for "
        "--stale-after seconds, or fail them once they have used all their attempts. A job whose worker still "
        "beats is left alone however slow it is; with several reapers at once, one wins each job."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--stale-after",
            type=_seconds,
            default=None,
            metavar="SECONDS",
            help="How long a job may go untouched (default: INJAAZ_JOB_STALE_SECONDS); a running job also "
            "needs three missed heartbeats.",
        )
        parser.add_argument("--dry-run", action="store_true", help="Show what would be done; change nothing.")

    def handle(self, *args: Any, stale_after: int | None, dry_run: bool, **options: Any) -> None:
        seconds = settings.INJAAZ_JOB_STALE_SECONDS if stale_after is None else stale_after
        try:
            result = jobs_reap(stale_after=dt.timedelta(seconds=seconds), dry_run=dry_run)
        except Exception as error:
            raise CommandError(f"Reaping failed: {error}") from error
        verb_requeue, verb_fail = ("would re-queue", "would fail") if dry_run else ("re-queued", "failed")
        if options["verbosity"] >= 2 or dry_run:
            for job_id in result.requeued:
                self.stdout.write(f"{job_id}: {verb_requeue}")
            for job_id in result.failed:
                self.stdout.write(f"{job_id}: {verb_fail}")
        prefix = "Dry run: " if dry_run else ""
        summary = (
            f"{prefix}{result.total} stale job{'s' if result.total != 1 else ''} (untouched for {seconds} s): "
            f"{len(result.requeued)} {verb_requeue}, {len(result.failed)} {verb_fail}."
        )
        if result.tasks_failed:
            rows = f"{result.tasks_failed} task row{'s' if result.tasks_failed != 1 else ''}"
            summary += f" {rows} a dead worker left running marked failed."
        self.stdout.write(
            self.style.SUCCESS(summary) if result.total == 0 or not result.failed else self.style.WARNING(summary)
        )
