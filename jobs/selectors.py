"""Reads of report jobs shared by the status endpoint, the legacy status routes, pages and admin.

The status routes are polled while reports build, so they read ``job_status_get``: the few
columns they answer with, the job's and its submission's, in one query (``form_data`` is never
read or decoded), and an ``etag`` that changes whenever the answer can.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple, Protocol
from urllib.parse import unquote, urlsplit

from django.http import HttpRequest
from django.urls import reverse

from jobs.models import Job
from jobs.store import job_store
from submissions.models import Submission
from submissions.router import jobs_in_files

KINDS = ("excel", "pdf")
REPORTS_PREFIX = "reports"
REPORT_EXTENSIONS = {"excel": "xlsx", "pdf": "pdf"}


def report_storage_name(job_id: str, token: str, kind: str) -> str:
    """Where a report lives in storage: generated from ids and a random token, no user text."""
    return f"{REPORTS_PREFIX}/{job_id}/{token}.{REPORT_EXTENSIONS[kind]}"


def report_download_path(job_id: str, filename: str) -> str:
    return reverse("jobs:download", kwargs={"job_id": job_id, "filename": filename})


def job_submission(job: Job) -> Submission | None:
    """The job's submission, or ``None`` for a job file whose submission cannot be found."""
    try:
        return job.submission
    except Submission.DoesNotExist:
        return None


class ReportLinks(Protocol):
    """What the report links are made from (a ``Job`` or a ``JobStatusRow``)."""

    @property
    def job_id(self) -> str: ...

    @property
    def excel_url(self) -> str: ...

    @property
    def pdf_url(self) -> str: ...


class JobStatusRow(NamedTuple):
    """A job as the status routes answer it, with the owner and module of its submission."""

    job_id: str
    status: str
    progress: int
    attempts: int
    excel_url: str
    pdf_url: str
    error_message: str
    created_at: dt.datetime | None
    started_at: dt.datetime | None
    completed_at: dt.datetime | None
    submission_id: str | None  # the public ``sub_...`` id; None when the submission is gone
    owner_id: int | None
    module: str
    submission_pk: int | None  # None for a submission that lives only in a legacy file

    def submission(self) -> Submission | None:
        """The job's submission as far as the permission rule needs it (owner, module, ids),
        without reading the row, and so without its ``form_data``."""
        if self.submission_id is None:
            return None
        return Submission(
            pk=self.submission_pk, submission_id=self.submission_id, user_id=self.owner_id, module=self.module
        )

    @property
    def etag(self) -> str:
        """Changes whenever the status answer can: every write to a job changes its status,
        its progress or (a retry or re-queue back to ``started``, 0) its attempts."""
        return f'"{self.job_id}.{self.status}.{self.progress}.{self.attempts}"'


STATUS_COLUMNS = (
    "job_id",
    "status",
    "progress",
    "attempts",
    "excel_url",
    "pdf_url",
    "error_message",
    "created_at",
    "started_at",
    "completed_at",
    "submission__submission_id",
    "submission__user_id",
    "submission__module",
    "submission_id",
)


def job_get(*, job_id: str) -> Job | None:
    return job_store().get(job_id)


def job_status_get(*, job_id: str) -> JobStatusRow | None:
    """The job ``job_id`` for the status routes: one query of the columns they need."""
    if jobs_in_files():
        job = job_store().get(job_id)
        return job_status_row(job) if job is not None else None
    values = Job.objects.filter(job_id=job_id).values_list(*STATUS_COLUMNS).first()
    return JobStatusRow(*values) if values is not None else None


def job_status_row(job: Job) -> JobStatusRow:
    """A loaded ``Job`` as a status row (its submission read from the job)."""
    submission = job_submission(job)
    return JobStatusRow(
        job_id=job.job_id,
        status=job.status,
        progress=job.progress,
        attempts=job.attempts,
        excel_url=job.excel_url,
        pdf_url=job.pdf_url,
        error_message=job.error_message,
        created_at=job.created_at,
        started_at=job.started_at,
        completed_at=job.completed_at,
        submission_id=submission.submission_id if submission is not None else None,
        owner_id=submission.user_id if submission is not None else None,
        module=submission.module if submission is not None else "",
        submission_pk=submission.pk if submission is not None else None,
    )


def job_latest_for_submission(*, submission_id: str) -> Job | None:
    jobs = job_store().for_submission(submission_id)
    return jobs[0] if jobs else None


def _stored_url(job: ReportLinks, kind: str) -> str:
    return job.excel_url if kind == "excel" else job.pdf_url


def job_report_filename(job: ReportLinks, kind: str) -> str | None:
    """The last path segment of the job's ``kind`` report URL (ours or the legacy app's)."""
    stored = _stored_url(job, kind)
    if not stored:
        return None
    name = unquote(urlsplit(stored).path.rstrip("/").rsplit("/", 1)[-1])
    return name or None


def job_download_url(job: ReportLinks, kind: str, *, request: HttpRequest | None = None) -> str | None:
    """The authorised download link for a job's report (``None`` until there is one).

    Jobs Injaaz ran store that link already; jobs imported from the old app store the old
    ``<base_url>/generated/<name>`` URL, which is mapped to the same download view (it serves
    the file from the legacy folder while it is still there).
    """
    filename = job_report_filename(job, kind)
    if filename is None:
        return None
    path = report_download_path(job.job_id, filename)
    return request.build_absolute_uri(path) if request is not None else path


def job_submission_id(job: Job) -> str | None:
    submission = job_submission(job)
    return submission.submission_id if submission is not None else None


def _iso(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def job_status_document(row: JobStatusRow, *, request: HttpRequest | None = None) -> dict[str, Any]:
    """The JSON the status endpoint answers with."""
    return {
        "job_id": row.job_id,
        "submission_id": row.submission_id,
        "status": row.status,
        "progress": row.progress,
        "excel_url": job_download_url(row, "excel", request=request),
        "pdf_url": job_download_url(row, "pdf", request=request),
        "error_message": row.error_message or None,
        "created_at": _iso(row.created_at),
        "started_at": _iso(row.started_at),
        "completed_at": _iso(row.completed_at),
    }


def job_status_payload(job: Job, *, request: HttpRequest | None = None) -> dict[str, Any]:
    """``job_status_document`` of a loaded ``Job`` (the submission page's first paint)."""
    return job_status_document(job_status_row(job), request=request)
