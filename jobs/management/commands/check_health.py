"""``manage.py check_health``: one line and an exit status, for timers, scripts and monitoring."""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from injaaz.health import health_check


class Command(BaseCommand):
    help = (
        "Check that the database answers and that no report job has waited in the queue longer than "
        "--max-queue-age seconds (no worker taking jobs). Prints one line; exits 1 when unhealthy."
    )
    # Checks load every app's views (WeasyPrint among them); a health probe needs none of that.
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--max-queue-age",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Longest acceptable wait of the oldest queued job (default: INJAAZ_JOB_STALE_SECONDS).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        # One line is the contract: the connection pool's own warnings (one per failed connection
        # attempt while the database is down) would add more.
        logging.getLogger("psycopg").setLevel(logging.ERROR)
        limit: float = options["max_queue_age"]
        if limit is None:
            limit = float(settings.INJAAZ_JOB_STALE_SECONDS)
        report = health_check()
        if not report.database_ok:
            raise CommandError(f"Unhealthy: the database does not answer ({report.database_error}).")
        if report.queued_jobs is None:
            queue = "queue not kept in this database"
        elif report.oldest_queued_seconds is None:
            queue = "no job queued"
        else:
            queue = f"{report.queued_jobs} job(s) queued, the oldest for {report.oldest_queued_seconds:.0f} s"
        if report.oldest_queued_seconds is not None and report.oldest_queued_seconds > limit:
            raise CommandError(f"Unhealthy: {queue}, over {limit:.0f} s: is a worker running?")
        self.stdout.write(f"Healthy: the database answers; {queue}.")
