"""Report job endpoints: JSON status per job, and the authorised download of its reports."""

from __future__ import annotations

import re
from typing import Any, BinaryIO

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.files.storage import Storage, default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.urls import NoReverseMatch
from django.utils.cache import get_conditional_response
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from audit.services import Action, audit_record
from injaaz.csrf import answers_json
from jobs.selectors import (
    KINDS,
    REPORT_EXTENSIONS,
    job_get,
    job_report_filename,
    job_status_document,
    job_status_get,
    job_submission,
    report_storage_name,
)
from submissions.legacy.files import NotARegularFileError, open_regular_file
from submissions.legacy.store import legacy_dir
from submissions.models import Submission
from submissions.selectors import can_view_submission

OWN_REPORT_RE = re.compile(r"^[0-9a-f]{32}\.(xlsx|pdf)$")
CONTENT_TYPES = {
    "excel": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


def _forbidden_json(status: int, message: str) -> JsonResponse:
    return JsonResponse({"error": message}, status=status)


def not_modified(request: HttpRequest, etag: str) -> HttpResponse | None:
    """A ``304`` (with ``etag``) when the request's ``If-None-Match`` names it, else ``None``.

    Asked before the answer is built: a poll whose job has not moved costs its one query.
    """
    response = get_conditional_response(request, etag=etag)
    if response is not None:
        response["ETag"] = etag
    return response


@answers_json
@never_cache
@require_GET
def job_status(request: HttpRequest, job_id: str) -> HttpResponse:
    """``{job_id, submission_id, status, progress, excel_url, pdf_url, error_message, timestamps}``;
    the submission page polls it, sending the ``ETag`` back (``304`` while nothing changed)."""
    if not request.user.is_authenticated:
        return _forbidden_json(401, "Log in to see this job.")
    job = job_status_get(job_id=job_id)
    submission = job.submission() if job is not None else None
    if job is None or submission is None or not can_view_submission(request.user, submission):
        # Someone else's job answers as a missing one does: the answer tells no one which ids exist.
        return _forbidden_json(404, "Job not found.")
    unchanged = not_modified(request, job.etag)
    if unchanged is not None:
        return unchanged
    response = JsonResponse(job_status_document(job, request=request))
    response["ETag"] = job.etag
    return response


def _signed_url(storage: Storage, name: str, download_name: str) -> str | None:
    """A short-lived signed URL where the storage has them (S3 with query-string auth)."""
    # Imported when a report is served, not with the URLconf: the S3 backend (boto3) takes ~0.6 s to load.
    from storages.backends.s3 import S3Storage

    if isinstance(storage, S3Storage) and storage.querystring_auth:
        return str(
            storage.url(
                name,
                parameters={"ResponseContentDisposition": f'attachment; filename="{download_name}"'},
                expire=settings.INJAAZ_DOWNLOAD_URL_SECONDS,
            )
        )
    return None


def _legacy_report(filename: str) -> BinaryIO | None:
    """A report the old app wrote into ``generated/``, opened, if the folder still holds it.

    ``filename`` is what the job's imported URL names (an encoded slash makes it a path); it is
    served only from inside the folder, and a name no file can have (a NUL byte), a link that
    loops or anything but a regular file (a named pipe would block the request) is simply missing.
    """
    folder = legacy_dir().resolve()
    try:
        candidate = (folder / filename).resolve()  # RuntimeError: a symbolic link loop (Python < 3.13)
        if not candidate.is_relative_to(folder):
            return None
        return open_regular_file(candidate)
    except (OSError, ValueError, RuntimeError, NotARegularFileError):
        return None


def _audit_download(submission: Submission, job_id: str, kind: str, filename: str, how: str) -> None:
    audit_record(
        action=Action.DOWNLOAD_FILE,
        resource=submission,
        details={
            "job_id": job_id,
            "submission_id": submission.submission_id,
            "file": kind,
            "name": filename,
            "served": how,
        },
    )


@never_cache
@require_GET
def job_download(request: HttpRequest, job_id: str, filename: str) -> Any:
    """Serve one of a job's reports to someone who may see its submission; audited.

    Streams from storage (the filesystem) or redirects to a short-lived signed URL (S3).
    Anyone else gets the 404 a missing job gets, and nothing else.
    """
    if not request.user.is_authenticated:
        try:
            return redirect_to_login(request.get_full_path())
        except NoReverseMatch:
            return HttpResponse("Log in to download reports.", status=403, content_type="text/plain")
    job = job_get(job_id=job_id)
    submission = job_submission(job) if job is not None else None
    if job is None or submission is None or not can_view_submission(request.user, submission):
        raise Http404("No such job.")  # someone else's job answers as a missing one does
    kind = next((kind for kind in KINDS if job_report_filename(job, kind) == filename), None)
    if kind is None:
        raise Http404("This job has no such report.")
    download_name = f"{submission.module}_{submission.submission_id}.{REPORT_EXTENSIONS[kind]}"

    if OWN_REPORT_RE.match(filename):
        storage = default_storage
        name = report_storage_name(job.job_id, filename.rsplit(".", 1)[0], kind)
        if not storage.exists(name):
            raise Http404("The report file is missing; regenerate the reports.")
        signed = _signed_url(storage, name, download_name)
        if signed is not None:
            _audit_download(submission, job.job_id, kind, filename, "signed_url")
            return HttpResponseRedirect(signed)
        handle = storage.open(name, "rb")
        _audit_download(submission, job.job_id, kind, filename, "stream")
        return FileResponse(handle, as_attachment=True, filename=download_name, content_type=CONTENT_TYPES[kind])

    legacy = _legacy_report(filename)
    if legacy is None:
        raise Http404("This report was made by the old app and is no longer stored; regenerate the reports.")
    _audit_download(submission, job.job_id, kind, filename, "legacy_file")
    return FileResponse(legacy, as_attachment=True, filename=download_name, content_type=CONTENT_TYPES[kind])
