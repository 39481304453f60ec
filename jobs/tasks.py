"""Background tasks (the Tasks API). Tasks take string ids and call services; nothing else here.
Services queue them through ``jobs.queue`` (which names ``generate_reports`` by its path).

The backend is the ``TASKS`` setting (django_tasks_db's ``DatabaseBackend`` by default, run by
``manage.py run_worker`` or ``manage.py db_worker``); any backend of the Tasks API can replace it.
"""

from __future__ import annotations

from django_tasks import task

from jobs.services import jobs_reap, report_job_run


@task()
def generate_reports(job_id: str, attempt: int = 1) -> None:
    """Generate the Excel and PDF reports of one job."""
    report_job_run(job_id=job_id, attempt=attempt)


@task()
def reap_jobs() -> dict[str, list[str]]:
    """Re-queue or fail stale jobs (for backends whose scheduler runs tasks periodically)."""
    result = jobs_reap()
    return {"requeued": result.requeued, "failed": result.failed}
