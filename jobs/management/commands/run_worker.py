"""``manage.py run_worker``: the task worker (django_tasks_db's ``db_worker``) plus the job reaper.

It stops cleanly on SIGTERM (what systemd sends) or SIGINT: an idle worker exits at once; a
worker in the middle of a job lets it finish for up to ``--stop-grace`` seconds
(``INJAAZ_WORKER_STOP_SECONDS``), then interrupts it and gives the job back to the queue
(``jobs.services.job_give_back``), so no job is left ``running`` by a stopped worker. A second
signal interrupts at once. Only SIGKILL leaves a job behind, and the reaper recovers that one.

Every worker also reaps stale report jobs every ``--reap-interval`` seconds (and once at start),
so a job a dead worker left ``running`` is recovered even when no new work arrives. While it runs
a job, the worker records a heartbeat (``INJAAZ_JOB_HEARTBEAT_SECONDS``); a job whose worker
still beats is never reaped, however slow. Several workers reaping at once is harmless: each
re-queue is a compare-and-set on the attempt the reaper saw, so one reaper wins and one task is
queued.
"""

from __future__ import annotations

import datetime as dt
import logging
import signal
import sys
import threading
from argparse import ArgumentParser
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import CommandError
from django.db import close_old_connections, connection
from django_tasks_db.management.commands.db_worker import Command as DatabaseWorkerCommand
from django_tasks_db.management.commands.db_worker import Worker

from jobs.errors import WorkerStopping
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


class StoppingWorker(Worker):
    """``db_worker``'s worker, whose stop signal interrupts a job that outlasts the grace period."""

    def __init__(self, *, stop_grace: float, **options: Any) -> None:
        super().__init__(**options)
        self.stop_grace = stop_grace
        self.interrupting = False

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        if not self.running_task:
            logger.warning("Received %s: stopping (no job in progress).", signal.strsignal(signum))
            self.running = False
            sys.exit(0)
        if self.running and self.stop_grace > 0:
            logger.warning(
                "Received %s: stopping after the job in progress (giving it back in %.0f s if unfinished).",
                signal.strsignal(signum),
                self.stop_grace,
            )
            self.running = False
            signal.signal(signal.SIGALRM, self._interrupt)
            signal.setitimer(signal.ITIMER_REAL, self.stop_grace)
            return
        self.running = False
        self._interrupt(signum, frame)

    def _interrupt(self, signum: int, frame: FrameType | None) -> None:
        if self.interrupting or not self.running_task:
            return  # already unwinding the job, or it ended between the signal and now
        self.interrupting = True
        signal.setitimer(signal.ITIMER_REAL, 0)
        logger.warning("Interrupting the job in progress (%s): it goes back to the queue.", signal.strsignal(signum))
        raise WorkerStopping(signal.strsignal(signum))

    def run_task(self, db_task_result: Any) -> None:
        try:
            super().run_task(db_task_result)
        finally:
            # The job ended before the grace period did: the alarm has nothing left to interrupt.
            signal.setitimer(signal.ITIMER_REAL, 0)


class Command(DatabaseWorkerCommand):
    help = (
        "Run a background worker for report jobs (db_worker) that also re-queues or fails stale jobs "
        "every --reap-interval seconds. Does not auto-reload. On SIGTERM it finishes the job in progress "
        "or, after --stop-grace seconds, gives it back to the queue."
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
        parser.add_argument(
            "--stop-grace",
            type=float,
            default=None,
            metavar="SECONDS",
            help="On SIGTERM, how long the job in progress may run on before it is interrupted and given "
            "back to the queue (default: INJAAZ_WORKER_STOP_SECONDS; 0: at once).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        reap_interval: float | None = options["reap_interval"]
        stop_grace: float | None = options["stop_grace"]
        interval = settings.INJAAZ_JOB_REAP_INTERVAL if reap_interval is None else reap_interval
        self.configure_logging(options["verbosity"])
        # db_worker's handle() without its auto-reloader (a reload would kill a job mid-way), and
        # with the worker that gives its job back when told to stop.
        queue_names = options["queue_name"].split(",")
        excluded_queue_names = options["exclude_queues"].split(",") if options["exclude_queues"] else []
        if excluded_queue_names and "*" not in queue_names:
            raise CommandError("--exclude-queues can only be used with --queue-name=*")
        worker = StoppingWorker(
            stop_grace=settings.INJAAZ_WORKER_STOP_SECONDS if stop_grace is None else stop_grace,
            queue_names=queue_names,
            interval=options["interval"],
            batch=options["batch"],
            backend_name=options["backend_name"],
            startup_delay=options["startup_delay"],
            max_tasks=options["max_tasks"],
            worker_id=options["worker_id"],
            excluded_queue_names=excluded_queue_names,
        )
        stop = threading.Event()
        if interval > 0:
            _reap_once()
            if not options["batch"]:
                threading.Thread(target=_reap_forever, args=(interval, stop), name="job-reaper", daemon=True).start()
        try:
            worker.configure_signals()
            worker.run()
        finally:
            stop.set()
