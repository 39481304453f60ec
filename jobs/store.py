"""Where report-job state lives: the ``jobs`` table, or legacy job files (the plan's hybrid option).

Job services (``jobs.services``) read and write jobs only through ``job_store()``; only this
module and ``submissions.router`` read ``INJAAZ_STORAGE_PHASE`` / ``INJAAZ_JOB_STORE``.
Jobs are ``jobs.models.Job`` instances either way (unsaved ones when they come from files).
``submission_id`` arguments are the public ``sub_...`` ids.

- ``DatabaseJobStore``: the ``jobs`` table (the default, ``INJAAZ_JOB_STORE=db``).
- ``LegacyJobStore``: ``generated/jobs/job_<id>.json`` in the old job format, for the hybrid
  option (``INJAAZ_JOB_STORE=json``) and for ``json`` phase (no database row to point at).
  docs/LEGACY_STORE.md describes the file; ``cleanup_jobs`` enforces the 7-day retention
  (``expired_job_files`` lists the candidates).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import logging
import posixpath
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit

from jobs.models import Job, JobStatus
from submissions.legacy.files import DEFAULT_MAX_BYTES, dump_document, read_regular_file
from submissions.legacy.normalize import parse_timestamp
from submissions.legacy.records import LegacyFormatError, NormalizedJob
from submissions.legacy.store import (
    JOB_OWNER_KEY,
    JobFile,
    LegacyFileError,
    job_file_load,
    job_file_owner,
    job_files,
    legacy_tree,
    write_on_commit,
)
from submissions.models import Submission
from submissions.modules.types import JobResults
from submissions.router import jobs_in_files, submission_get

logger = logging.getLogger(__name__)


class JobStore(Protocol):
    def create(self, job: Job) -> None: ...

    def update(self, job: Job, **changes: Any) -> None: ...

    def update_if(self, job: Job, *, expected: Mapping[str, Any], **changes: Any) -> bool:
        """Compare-and-set: apply ``changes`` only if the stored job still holds the ``expected``
        values (``None`` matches an empty field); True when it did. Of two callers that saw the same
        values, one wins. (Legacy files: exclusive when the write is published at once, i.e.
        outside a transaction, as the worker and the reaper call it.)"""
        ...

    def get(self, job_id: str) -> Job | None: ...

    def for_submission(self, submission_id: str) -> list[Job]: ...

    def unfinished(self, *, created_before: dt.datetime) -> list[Job]:
        """Jobs still ``started`` or ``running`` that were created before ``created_before``
        (the reaper's candidates; it decides which are stale from their timestamps)."""
        ...


class DatabaseJobStore:
    def create(self, job: Job) -> None:
        # Field checks only: the table's unique and check constraints are the database's to
        # enforce (checking them here would cost a query each, on every submit).
        job.full_clean(
            exclude=["submission"] if job.submission_id else None, validate_unique=False, validate_constraints=False
        )
        job.save(force_insert=True)

    def update(self, job: Job, **changes: Any) -> None:
        for name, value in changes.items():
            setattr(job, name, value)
        job.save(update_fields=list(changes))

    def update_if(self, job: Job, *, expected: Mapping[str, Any], **changes: Any) -> bool:
        # One conditional UPDATE: a concurrent one waits for the row and re-checks the condition.
        if not Job.objects.filter(pk=job.pk, **expected).update(**changes):
            return False
        for name, value in changes.items():
            setattr(job, name, value)
        return True

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


# --- Legacy job files -------------------------------------------------------------------------

# Job fields the file carries (``jobs.models.Job`` names).
FILE_FIELDS = (
    "status",
    "progress",
    "excel_url",
    "pdf_url",
    "error_message",
    "created_at",
    "started_at",
    "completed_at",
    "attempts",
    "queued_at",
    "heartbeat_at",
)


def _epoch(value: dt.datetime | None) -> float | None:
    return value.timestamp() if value is not None else None


def job_results(
    *, status: str, excel_url: str, pdf_url: str, error_message: str, style: JobResults = JobResults.URLS
) -> Any:
    """A job's ``results``: ``[]`` until there is something to say, the reports once they exist,
    the error when the job failed. Injaaz's files use HVAC's shape (``JobResults.URLS``:
    ``{"excel_url", "pdf_url"}`` / ``{"error"}``); the old status routes answer each module's
    (``DocumentShape.job_results``: Civil's ``[{"filename", "url"}]``, Cleaning's ``{"excel", "pdf"}``)."""
    if status == JobStatus.FAILED:
        error = error_message or "failed"
        return [{"error": error}] if style == JobResults.FILES else {"error": error}
    if not (status == JobStatus.DONE or excel_url or pdf_url):
        return []
    if style == JobResults.FILES:
        return [{"filename": posixpath.basename(urlsplit(url).path), "url": url} for url in (excel_url, pdf_url) if url]
    if style == JobResults.KEYS:
        return {"excel": excel_url, "pdf": pdf_url}
    return {"excel_url": excel_url, "pdf_url": pdf_url}


def job_document(
    *,
    job_id: str,
    values: dict[str, Any],
    meta: dict[str, Any],
    owner_id: int | None = None,
    style: JobResults = JobResults.URLS,
) -> dict[str, Any]:
    """A job in the old format (FORMAT.md §2), epoch-float times: the job files, and the old
    status routes' answers (``style``: the module's results shape).

    Injaaz adds ``started_at`` (epoch float) when the job has started running, and ``owner_id``
    (the submitter's user id) when it knows one; the old app ignores unknown keys.
    """
    document: dict[str, Any] = {
        "job_id": job_id,
        "state": values["status"],
        "progress": int(values["progress"]),
        "results": job_results(
            status=values["status"],
            excel_url=values["excel_url"] or "",
            pdf_url=values["pdf_url"] or "",
            error_message=values["error_message"] or "",
            style=style,
        ),
        "meta": meta,
        "created_at": _epoch(values["created_at"]),
    }
    if values.get("started_at") is not None:
        document["started_at"] = _epoch(values["started_at"])
    if values.get("completed_at") is not None:
        document["completed_at"] = _epoch(values["completed_at"])
    # The report worker's bookkeeping (jobs.services): attempts queued, and when last queued.
    if values.get("attempts"):
        document["attempts"] = int(values["attempts"])
    if values.get("queued_at") is not None:
        document["queued_at"] = _epoch(values["queued_at"])
    if values.get("heartbeat_at") is not None:
        document["heartbeat_at"] = _epoch(values["heartbeat_at"])
    if owner_id is not None:
        document[JOB_OWNER_KEY] = owner_id
    return document


def _owner_of(submission: Submission) -> int | None:
    return submission.user_id if isinstance(submission.user_id, int) else None


def _recorded_owner(documents: list[dict[str, Any]]) -> int | None:
    return next(filter(None, (job_file_owner(document) for document in documents)), None)


def _attach_submission(job: Job, submission: Submission | None, document: dict[str, Any]) -> None:
    """Point the job at its submission. One read from a legacy file alone (``json`` phase) names
    no user: it gets the owner the job file records, so ``can_view_submission`` lets the
    submitter follow the job and download its reports."""
    if submission is None:
        return
    if submission.pk is None and submission.user_id is None:
        submission.user_id = job_file_owner(document)
    job.submission = submission


def _values_from_file(document: dict[str, Any], record: NormalizedJob) -> dict[str, Any]:
    return {
        "status": record.status,
        "progress": record.progress,
        "excel_url": record.excel_url,
        "pdf_url": record.pdf_url,
        "error_message": record.error_message,
        "created_at": record.created_at,
        "started_at": parse_timestamp(document.get("started_at")),
        "completed_at": record.completed_at,
        "attempts": _attempts(document.get("attempts")),
        "queued_at": parse_timestamp(document.get("queued_at")),
        "heartbeat_at": parse_timestamp(document.get("heartbeat_at")),
    }


def _attempts(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 32768 else 0


def _meta_for(submission: Submission, created_at: dt.datetime) -> dict[str, Any]:
    return {
        "submission_id": submission.submission_id,
        "module": submission.module,
        "created_at": created_at.astimezone(dt.UTC).replace(tzinfo=None).isoformat(),
    }


@contextlib.contextmanager
def _jobs_lock() -> Iterator[None]:
    """Serialises read-modify-write of job files across processes (readers need no lock)."""
    folder = legacy_tree().jobs_dir
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


class LegacyJobStore:
    """Job state in ``<INJAAZ_LEGACY_DIR>/jobs/job_<id>.json``.

    Writes are staged and put in place when the surrounding transaction commits (at once outside
    one), like submission files: a rolled-back submission leaves no job file behind.
    """

    def create(self, job: Job) -> None:
        job.full_clean(exclude=["submission"])
        submission = job.submission  # may be unsaved: a submission that lives in a file
        values = {name: getattr(job, name) for name in FILE_FIELDS}
        owner_id = _owner_of(submission)
        if owner_id is None and submission.pk is None:
            # Staff regenerating a file-only submission's reports: the new job keeps its submitter.
            owner_id = _recorded_owner([document for _, document in self._files_of(submission.submission_id)])
        document = job_document(
            job_id=job.job_id, values=values, meta=_meta_for(submission, job.created_at), owner_id=owner_id
        )
        with _jobs_lock():
            path = legacy_tree().job_path(job.job_id)
            if path.exists():
                raise ValueError(f"job {job.job_id} already exists ({path})")
            write_on_commit(path, dump_document(document, indent=None))

    def update(self, job: Job, **changes: Any) -> None:
        self._rewrite(job, None, changes)

    def update_if(self, job: Job, *, expected: Mapping[str, Any], **changes: Any) -> bool:
        return self._rewrite(job, expected, changes)

    def _rewrite(self, job: Job, expected: Mapping[str, Any] | None, changes: dict[str, Any]) -> bool:
        unknown = (set(changes) | set(expected or ())) - set(FILE_FIELDS)
        if unknown:
            raise ValueError(f"a job file does not keep {', '.join(sorted(unknown))}")
        with _jobs_lock():
            path = legacy_tree().job_path(job.job_id)
            try:
                loaded = job_file_load(path)
            except LegacyFileError as error:
                # Not in place yet (its creation commits with this transaction) or unreadable:
                # the job in hand is then the whole truth.
                log = logger.warning if path.exists() else logger.info
                log("legacy job store: rewriting %s from the job in hand (%s)", path, error.reason)
                values = {name: getattr(job, name) for name in FILE_FIELDS}
                meta = _meta_for(job.submission, job.created_at)
                owner_id = _owner_of(job.submission)
            else:
                values = _values_from_file(loaded.document, loaded.record)
                meta = loaded.document["meta"] if isinstance(loaded.document.get("meta"), dict) else {}
                owner_id = job_file_owner(loaded.document)
            if expected is not None and any(values[name] != value for name, value in expected.items()):
                return False
            values.update(changes)
            rewritten = job_document(job_id=job.job_id, values=values, meta=meta, owner_id=owner_id)
            write_on_commit(path, dump_document(rewritten, indent=None))
        for name, value in changes.items():
            setattr(job, name, value)
        return True

    def get(self, job_id: str) -> Job | None:
        try:
            loaded = job_file_load(legacy_tree().job_path(job_id))
        except LegacyFileError as error:
            if not error.path.exists():
                return None
            raise
        job = self._job(loaded)
        if loaded.record.submission_id:
            _attach_submission(job, _submission_or_none(loaded.record.submission_id), loaded.document)
        return job

    def for_submission(self, submission_id: str) -> list[Job]:
        found = self._files_of(submission_id)
        if found:
            submission = _submission_or_none(submission_id)
            # The submitter is whoever its job files record (a regenerated job inherits it).
            owner = {JOB_OWNER_KEY: _recorded_owner([document for _, document in found])}
            for job, _ in found:
                _attach_submission(job, submission, owner)
        return sorted((job for job, _ in found), key=lambda job: job.created_at, reverse=True)

    def _files_of(self, submission_id: str) -> list[tuple[Job, dict[str, Any]]]:
        """The jobs of ``submission_id`` with their files' documents (no submission attached yet)."""
        needle = submission_id.encode()
        found = []
        for path in job_files():
            try:
                raw, _ = read_regular_file(path, max_bytes=DEFAULT_MAX_BYTES)
                if needle not in raw:
                    continue  # cheap: most job files are about other submissions
                loaded = job_file_load(path)
            except (LegacyFormatError, LegacyFileError) as error:
                logger.warning("legacy job store: %s skipped while listing jobs of %s: %s", path, submission_id, error)
                continue
            if loaded.record.submission_id == submission_id:
                found.append((self._job(loaded), loaded.document))
        return found

    def unfinished(self, *, created_before: dt.datetime) -> list[Job]:
        found = []
        for path in job_files():
            try:
                loaded = job_file_load(path)
            except LegacyFileError as error:
                logger.warning("legacy job store: %s skipped while looking for unfinished jobs: %s", path, error)
                continue
            if loaded.record.status not in (JobStatus.STARTED, JobStatus.RUNNING):
                continue
            job = self._job(loaded)
            if job.created_at >= created_before:
                continue
            if loaded.record.submission_id:
                _attach_submission(job, _submission_or_none(loaded.record.submission_id), loaded.document)
            found.append(job)
        return sorted(found, key=lambda job: job.created_at)

    @staticmethod
    def _job(loaded: JobFile) -> Job:
        values = _values_from_file(loaded.document, loaded.record)
        if values["created_at"] is None:
            values["created_at"] = dt.datetime.fromtimestamp(loaded.path.stat().st_mtime, tz=dt.UTC)
        return Job(job_id=loaded.record.job_id, **values)


def _submission_or_none(submission_id: str) -> Submission | None:
    try:
        return submission_get(submission_id)
    except LegacyFileError as error:
        logger.error("legacy job store: the job's submission cannot be read: %s", error)
        return None


def expired_job_files(*, older_than: dt.timedelta, now: dt.datetime | None = None) -> list[Path]:
    """Finished (done or failed) job files whose completion (else creation) is older than ``older_than``.

    Unreadable job files are logged with their reason and not listed.
    """
    cutoff = (now or dt.datetime.now(dt.UTC)) - older_than
    expired = []
    for path in job_files():
        try:
            record = job_file_load(path).record
        except LegacyFileError as error:
            logger.warning("legacy job store: %s", error)
            continue
        finished_at = record.completed_at or record.created_at
        if record.status in (JobStatus.DONE, JobStatus.FAILED) and finished_at is not None and finished_at < cutoff:
            expired.append(path)
    return expired


def job_store() -> JobStore:
    """The store for the current configuration, decided at call time (never cached)."""
    return LegacyJobStore() if jobs_in_files() else DatabaseJobStore()
