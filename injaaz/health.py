"""Is Injaaz healthy? The database answers, and how long the oldest queued report job has waited.

One read shared by ``GET /health`` (load balancers, uptime checks: 503 only when the database does
not answer, since a web node can do nothing about a slow queue) and ``manage.py check_health``
(timers and scripts: it also fails when the oldest queued job has waited too long, which means no
worker is taking jobs).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import DatabaseError, connection
from django.utils import timezone


@dataclass(frozen=True)
class HealthReport:
    database_error: str  # "" when the database answered
    queued_jobs: int | None  # None: unknown (database down, or a task backend keeping no rows here)
    oldest_queued_seconds: float | None  # None: nothing queued, or unknown
    detail: str = ""  # the database's own words, for the log (not for the probe's answer)

    @property
    def database_ok(self) -> bool:
        return not self.database_error

    def as_dict(self) -> dict[str, object]:
        return {
            "status": "ok" if self.database_ok else "unhealthy",
            "database": "ok" if self.database_ok else f"error: {self.database_error}",
            "queued_jobs": self.queued_jobs,
            "oldest_queued_job_seconds": None
            if self.oldest_queued_seconds is None
            else round(self.oldest_queued_seconds, 1),
        }


def _uses_database_queue() -> bool:
    from django_tasks import task_backends
    from django_tasks_db.backend import DatabaseBackend

    return isinstance(task_backends["default"], DatabaseBackend)


def health_check() -> HealthReport:
    """Ask the database one question: how many report tasks wait to run, and since when."""
    try:
        if not _uses_database_queue():
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
            return HealthReport(database_error="", queued_jobs=None, oldest_queued_seconds=None)
        from django.db.models import Count, Min
        from django_tasks_db.models import DBTaskResult

        # ready(): queued and due now; a retry waiting out its back-off is not late.
        waiting = DBTaskResult.objects.ready().aggregate(count=Count("id"), oldest=Min("enqueued_at"))
    except DatabaseError as error:
        return HealthReport(
            database_error=type(error).__name__, queued_jobs=None, oldest_queued_seconds=None, detail=str(error)
        )
    oldest: dt.datetime | None = waiting["oldest"]
    age = None if oldest is None else max(0.0, (timezone.now() - oldest).total_seconds())
    return HealthReport(database_error="", queued_jobs=waiting["count"], oldest_queued_seconds=age)
