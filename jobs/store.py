"""Where report-job state lives: the ``jobs`` table, or legacy job files (the plan's hybrid option).

Job services (``jobs.services``) read and write jobs only through ``job_store()``; only this
module and ``submissions.router`` read ``INJAAZ_STORAGE_PHASE`` / ``INJAAZ_JOB_STORE``.
Jobs are ``jobs.models.Job`` instances either way (unsaved ones when they come from files).
``submission_id`` arguments are the public ``sub_...`` ids.

Today: the database implementation; the legacy-file implementation is added by the
legacy-store work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Protocol

from jobs.models import Job, JobStatus


class JobStore(Protocol):
    def create(self, job: Job) -> None: ...

    def update(self, job: Job, **changes: Any) -> None: ...

    def get(self, job_id: str) -> Job | None: ...

    def for_submission(self, submission_id: str) -> list[Job]: ...

    def unfinished(self, *, created_before: dt.datetime) -> list[Job]:
        """Jobs still ``started`` or ``running`` that were created before ``created_before``
        (the reaper's candidates; it decides which are stale from their timestamps)."""
        ...


class DatabaseJobStore:
    def create(self, job: Job) -> None:
        job.full_clean(exclude=["submission"] if job.submission_id else None)
        job.save()

    def update(self, job: Job, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(job, name, value)
        job.save(update_fields=list(changes))

    def get(self, job_id: str) -> Job | None:
        return Job.objects.select_related("submission").filter(job_id=job_id).first()

    def for_submission(self, submission_id: str) -> list[Job]:
        return list(
            Job.objects.select_related("submission")
            .filter(submission__submission_id=submission_id)
            .order_by("-created_at", "-id")
        )

    def unfinished(self, *, created_before: dt.datetime) -> list[Job]:
        return list(
            Job.objects.select_related("submission")
            .filter(status__in=[JobStatus.STARTED, JobStatus.RUNNING], created_at__lt=created_before)
            .order_by("created_at", "id")
        )


def job_store() -> JobStore:
    return DatabaseJobStore()
