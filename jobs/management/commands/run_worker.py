"""``manage.py run_worker``: the task worker (django_tasks_db's ``db_worker``) plus the job reaper.

Every worker also reaps stale report jobs every ``--reap-interval`` seconds (and once at start),
so a job a dead worker left ``running`` is recovered even when no new work arrives. Several
workers reaping at once is harmless: a job re-queued twice runs once (the later attempt number
wins and the other task does nothing).
"""

from __future__ import annotations

import datetime as dt
import logging
import threading
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand

from jobs.services import jobs_reap

logger = logging.getLogger("jobs.worker")


def _reap_once() -> None:
    try:
        result = jobs_reap(stale_after=dt.timedelta(seconds=settings.INJAAZ_JOB_STALE_SECONDS))
        if result.total:
            logger.warning("Reaped stale jobs: re-queued %s, failed %s", result.requeued, result.failed)
    except Exception:
        logger.exception("Reaping stale jobs failed; will try again")
    finally:
        close_old_connections()


def _reap_forever(interval: float, stop: threading.Event) -> None:
    try:
        while not stop.wait(interval):
            _reap_once()
    finally:
        connection.close()


class Command(DatabaseWorkerCommand):
    help = (
        "Run a background worker for report jobs (db_worker) that also re-queues or fails stale jobs "
        "every --reap-interval seconds. Does not auto-reload."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--reap-interval",
            type=float,
            default=None,
            metavar="SECONDS",
            help="Seconds between reaper runs (default: INJAAZ_JOB_REAP_INTERVAL; 0 disables it).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reap_interval: float | None = options.pop("reap_interval", None)
        options["reload"] = False
        interval = settings.INJAAZ_JOB_REAP_INTERVAL if reap_interval is None else reap_interval
        stop = threading.Event()
        if interval > 0:
            _reap_once()
            if not options.get("batch"):
                threading.Thread(target=_reap_forever, args=(interval, stop), name="job-reaper", daemon=True).start()
        try:
            super().handle(*args, **options)
        finally:
            stop.set()
