"""Reads of report jobs shared by the status endpoint, the legacy status routes, pages and admin."""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import unquote, urlsplit

from django.http import HttpRequest
from django.urls import reverse

from jobs.models import Job
from jobs.store import job_store
from submissions.models import Submission

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


def job_get(*, job_id: str) -> Job | None:
    return job_store().get(job_id)


def job_latest_for_submission(*, submission_id: str) -> Job | None:
    jobs = job_store().for_submission(submission_id)
    return jobs[0] if jobs else None


def _stored_url(job: Job, kind: str) -> str:
    return job.excel_url if kind == "excel" else job.pdf_url


def job_report_filename(job: Job, kind: str) -> str | None:
    """The last path segment of the job's ``kind`` report URL (ours or the legacy app's)."""
    stored = _stored_url(job, kind)
    if not stored:
        return None
    name = unquote(urlsplit(stored).path.rstrip("/").rsplit("/", 1)[-1])
    return name or None


def job_download_url(job: Job, kind: str, *, request: HttpRequest | None = None) -> str | None:
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


def job_status_payload(job: Job, *, request: HttpRequest | None = None) -> dict[str, Any]:
    """The JSON the status endpoint answers with."""
    return {
        "job_id": job.job_id,
        "submission_id": job_submission_id(job),
        "status": job.status,
        "progress": job.progress,
        "excel_url": job_download_url(job, "excel", request=request),
        "pdf_url": job_download_url(job, "pdf", request=request),
        "error_message": job.error_message or None,
        "created_at": _iso(job.created_at),
        "started_at": _iso(job.started_at),
        "completed_at": _iso(job.completed_at),
    }
