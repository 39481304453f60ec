"""``export_json``: database records written back in the legacy layout (the way back after phase 4).

- ``submissions/<submission_id>.json`` holds ``form_data`` itself, written as the old app wrote
  it (``ensure_ascii``; one line for the Civil ``/submit`` shape, indent 2 otherwise), so the
  old app (and ``import_json``) reads it again;
- ``jobs/<job_id>.json`` is rebuilt in the old job-file shape from the ``jobs`` row: ``state``
  (a failed job is ``failed`` whatever its module), ``progress``, ``results`` in its module's
  shape (HVAC ``{excel_url, pdf_url}``, Civil ``[{filename, url}]``, Cleaning ``{excel, pdf}``,
  ``{"error": ...}`` on failure), ``meta`` (``submission_id``, ``module``), epoch-float times and
  Injaaz's ``owner_id`` (the submitter's user id, which the old app ignores).

Every file goes through the atomic writer; a file whose content is already canonically equal is
left alone, so exporting twice writes nothing the second time. ``import → export → verify``
finds the same records (``tests/test_import_roundtrip.py``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.db.models import Q

from jobs.models import Job
from submissions.importer.canonical import content_hash, job_digest
from submissions.legacy.files import LegacyTree, atomic_write_json, read_json_file
from submissions.legacy.normalize import normalize_job
from submissions.legacy.records import LegacyFormatError
from submissions.legacy.store import JOB_OWNER_KEY
from submissions.models import Submission


@dataclass
class ExportSummary:
    output: str
    since: str | None
    dry_run: bool
    submissions_written: int = 0
    submissions_unchanged: int = 0
    jobs_written: int = 0
    jobs_unchanged: int = 0

    def line(self) -> str:
        verb = "would write" if self.dry_run else "written"
        return (
            f"Exported to {self.output}: submissions {self.submissions_written} {verb}, "
            f"{self.submissions_unchanged} unchanged; jobs {self.jobs_written} {verb}, {self.jobs_unchanged} unchanged"
        )


def document_indent(document: dict[str, Any]) -> int | None:
    """The old app wrote Civil ``/submit`` documents on one line, every other shape with indent 2."""
    return None if isinstance(document.get("fields"), dict) and "files" in document else 2


def _epoch(value: dt.datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def _filename(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


def job_document(job: Job, *, submission_id: str, module: str) -> dict[str, Any]:
    """A ``jobs`` row as the old app's job file."""
    failed = job.status == "failed" or bool(job.error_message)
    results: Any
    if failed:
        error = job.error_message or "failed"
        results = [{"error": error}] if module == "civil" else {"error": error}
    elif job.status != "done":
        results = []
    elif module == "civil":
        results = [{"filename": _filename(url), "url": url} for url in (job.excel_url, job.pdf_url) if url]
    elif module == "cleaning":
        results = {"excel": job.excel_url, "pdf": job.pdf_url}
    else:
        results = {"excel_url": job.excel_url, "pdf_url": job.pdf_url}
    document: dict[str, Any] = {
        "job_id": job.job_id,
        "state": "failed" if failed else job.status,
        "progress": job.progress,
        "results": results,
        "meta": {"submission_id": submission_id, "module": module},
        "created_at": _epoch(job.created_at),
    }
    if job.completed_at is not None:
        document["completed_at"] = _epoch(job.completed_at)
    if job.submission.user_id is not None:
        # After a step back to ``json`` phase the submitter still follows their jobs.
        document[JOB_OWNER_KEY] = job.submission.user_id
    return document


def _same(path: Path, document: dict[str, Any]) -> bool:
    try:
        return content_hash(read_json_file(path)) == content_hash(document)
    except LegacyFormatError:
        return False


def _job_key(document: dict[str, Any]) -> tuple[str | None, str]:
    job = normalize_job(document)
    fields = job_digest(
        status=job.status,
        progress=job.progress,
        excel_url=job.excel_url,
        pdf_url=job.pdf_url,
        error_message=job.error_message,
    )
    return job.submission_id, fields


def _same_job(path: Path, document: dict[str, Any]) -> bool:
    """An existing job file that means the same (the old app's own file keeps its extra meta keys)."""
    try:
        return _job_key(read_json_file(path)) == _job_key(document)
    except LegacyFormatError:
        return False


def export_tree(output: Path, *, since: dt.datetime | None = None, dry_run: bool = False) -> ExportSummary:
    tree = LegacyTree(Path(output))
    summary = ExportSummary(output=str(output), since=since.isoformat() if since else None, dry_run=dry_run)
    submissions = Submission.objects.order_by("submission_id")
    jobs = Job.objects.select_related("submission").order_by("job_id")
    if since is not None:
        submissions = submissions.filter(Q(created_at__gte=since) | Q(updated_at__gte=since))
        jobs = jobs.filter(Q(created_at__gte=since) | Q(completed_at__gte=since) | Q(submission__updated_at__gte=since))
    for submission_id, form_data in submissions.values_list("submission_id", "form_data").iterator(chunk_size=2000):
        path = tree.submission_path(submission_id)
        if _same(path, form_data):
            summary.submissions_unchanged += 1
            continue
        summary.submissions_written += 1
        if not dry_run:
            atomic_write_json(path, form_data, indent=document_indent(form_data))
    for job in jobs.iterator(chunk_size=2000):
        document = job_document(job, submission_id=job.submission.submission_id, module=job.submission.module)
        path = tree.job_path(job.job_id)
        if _same_job(path, document):
            summary.jobs_unchanged += 1
            continue
        summary.jobs_written += 1
        if not dry_run:
            atomic_write_json(path, document, indent=None)
    return summary
