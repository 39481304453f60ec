"""Putting report jobs on the task queue.

The services queue work here; the tasks (``jobs.tasks``) call the services. So this module names
the report task by its import path, the way the task backend itself records and runs it, instead
of importing ``jobs.tasks`` (that import would close the loop tasks → services → queue → tasks).
"""

from __future__ import annotations

import datetime as dt
import logging
import random
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string
from django_tasks.base import Task

logger = logging.getLogger(__name__)

# ``generate_reports(job_id, attempt)`` in jobs/tasks.py; task rows record this path.
GENERATE_REPORTS_TASK = "jobs.tasks.generate_reports"


def generate_reports_task() -> Task[Any, None]:
    """The report task (``jobs.tasks.generate_reports``)."""
    task: Task[Any, None] = import_string(GENERATE_REPORTS_TASK)
    return task


def job_enqueue(*, job_id: str, attempt: int, delay_seconds: float = 0) -> None:
    """Queue attempt ``attempt`` of the job now, to run after ``delay_seconds`` where the backend can defer."""
    task = generate_reports_task()
    if delay_seconds > 0:
        if task.get_backend().supports_defer:
            task = task.using(run_after=timezone.now() + dt.timedelta(seconds=delay_seconds))
        else:
            logger.info("Task backend cannot defer; job %s retries without back-off", job_id)
    task.enqueue(job_id, attempt)


def job_enqueue_on_commit(*, job_id: str, attempt: int, delay_seconds: float = 0) -> None:
    """Queue the attempt once the surrounding transaction commits (at once outside one)."""
    # robust: a queue that refuses the task must not undo a committed submission; the job stays
    # "started" and the reaper queues it again once it is stale.
    transaction.on_commit(lambda: job_enqueue(job_id=job_id, attempt=attempt, delay_seconds=delay_seconds), robust=True)


def job_enqueue_with_transaction(*, job_id: str, attempt: int) -> None:
    """Queue the job's first attempt as part of the surrounding transaction.

    With the Tasks API's database backend the task row is inserted in the transaction itself:
    it commits with the submission and its job, or not at all, and a worker can only ever see it
    once they are committed (one short transaction instead of a second one after COMMIT). Any
    other backend is told on commit, as before (``job_enqueue_on_commit``).
    """
    task = generate_reports_task()
    if _queues_in_this_database(task.get_backend()):
        task.enqueue(job_id, attempt)
    else:
        job_enqueue_on_commit(job_id=job_id, attempt=attempt)


def _queues_in_this_database(backend: Any) -> bool:
    from django.db import router
    from django_tasks_db.backend import DatabaseBackend
    from django_tasks_db.models import DBTaskResult

    return (
        isinstance(backend, DatabaseBackend) and router.db_for_write(DBTaskResult) == transaction.get_connection().alias
    )


def retry_delay_seconds(attempt: int) -> float:
    """Exponential back-off with jitter before attempt ``attempt + 1``."""
    base = settings.INJAAZ_REPORT_RETRY_BASE_SECONDS
    if base <= 0:
        return 0.0
    delay = min(settings.INJAAZ_REPORT_RETRY_MAX_SECONDS, base * 2 ** (attempt - 1))
    return float(delay) * random.uniform(0.8, 1.2)  # noqa: S311 - jitter, not security
