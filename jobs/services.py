"""Report jobs: create, run, retry, reap, regenerate. Every job read and write goes through
``jobs.store.job_store()``, so the legacy job-file store works unchanged.

Lifecycle: ``started`` (progress 0, queued) → ``running`` (10, 30, 60, 90) → ``done`` (100, with
``excel_url`` and ``pdf_url``) or ``failed`` (a readable ``error_message``).

``attempts`` counts how many times the job has been put on the queue (first run, retries after
transient storage errors, re-queues by the reaper); each queued task carries its attempt number,
so a task superseded by a later attempt does nothing, and ``INJAAZ_REPORT_MAX_ATTEMPTS`` bounds
the loop a crashing or unlucky job could otherwise run forever.

Every change of a job's state is a compare-and-set on what its writer saw (``JobStore.update_if``):
the worker claims, advances and finishes only the attempt it runs, and of two reapers that saw the
same abandoned attempt only one re-queues it. While a worker runs a job it records a heartbeat
(``heartbeat_at``, every ``INJAAZ_JOB_HEARTBEAT_SECONDS`` and at each progress step); the reaper
takes a running job back only once the heartbeats have stopped, however slow the job is.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
import secrets
import threading
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connections, transaction
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from audit.services import Action, audit_record
from jobs.errors import TransientStorageError, WorkerStopping, is_transient
from jobs.models import Job, JobStatus
from jobs.queue import (
    GENERATE_REPORTS_TASK,
    job_enqueue,
    job_enqueue_on_commit,
    job_enqueue_with_transaction,
    retry_delay_seconds,
)
from jobs.reports.files import ReportFiles
from jobs.selectors import job_submission, report_download_path, report_storage_name
from jobs.store import job_store
from review.selectors import report_approvals
from submissions.ids import new_job_id
from submissions.legacy.records import LegacyFormatError
from submissions.models import Submission, SubmissionStatus
from submissions.modules.registry import declaration_or_none
from submissions.router import storage_atomic, submission_get, submission_save
from submissions.selectors import submission_record

logger = logging.getLogger(__name__)

MAX_ERROR_LENGTH = 1000

# Progress steps while running (the legacy app used 0/10/30/60/100).
PROGRESS_CLAIMED = 10
PROGRESS_CONTENT = 30
PROGRESS_EXCEL = 60
PROGRESS_PDF = 90

# A running job's worker is gone once this many heartbeats in a row have not come.
HEARTBEATS_MISSED = 3


# --- Creating -------------------------------------------------------------------


def report_job_id_for(*, module: str, form_data: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """The id of the report job a new submission gets, and its document.

    The id is generated here, before the document is saved: the Cleaning ``/submit`` shape
    records its job id inside the document (FORMAT.md §1.3), so a Cleaning document gets it
    written into (a copy of) it. A ``job_id`` the client put in the document is replaced: job ids
    are Injaaz's to give (a client's could name another submission's job, or repeat).
    Other shapes never carried one and are returned unchanged.
    """
    job_id = new_job_id()
    declared = declaration_or_none(module)
    if declared is None or not declared.document.job_key or declared.header(form_data) is not form_data:
        return job_id, form_data  # no job key, or an older shape that wraps its fields
    return job_id, {**form_data, declared.document.job_key: job_id}


def job_create(*, submission: Submission, job_id: str | None = None) -> Job:
    """Create ``submission``'s report job (``started``, progress 0) and queue it with the transaction.

    Call it inside the transaction that writes the submission: a worker only sees the task once
    that transaction commits, so it never looks for a submission that does not exist (the
    database backend's task row is part of the transaction; other backends are told on commit,
    ``jobs.queue.job_enqueue_with_transaction``).
    """
    now = timezone.now()
    job = Job(submission=submission, status=JobStatus.STARTED, progress=0, attempts=1, queued_at=now, created_at=now)
    if job_id is not None:
        job.job_id = job_id
    job_store().create(job)
    job_enqueue_with_transaction(job_id=job.job_id, attempt=1)
    return job


@transaction.atomic
def reports_regenerate(*, submission: Submission, actor: Any) -> Job:
    """Generate ``submission``'s reports again, as a new job (staff action; audited)."""
    job = job_create(submission=submission)
    audit_record(
        actor=actor,
        action=Action.GENERATE_REPORT,
        resource=submission,
        details={"event": "regenerate", "job_id": job.job_id, "submission_id": submission.submission_id},
    )
    return job


# --- Running ---------------------------------------------------------------------------------


def _save_report(name: str, data: bytes) -> None:
    storage = default_storage
    try:
        if storage.exists(name):
            storage.delete(name)
        saved = storage.save(name, ContentFile(data))
    except Exception as error:
        if is_transient(error):
            raise TransientStorageError(f"could not store {name}: {error}") from error
        raise
    if saved != name:
        raise RuntimeError(f"the storage saved the report as {saved!r} instead of {name!r}")


@dataclass
class _Run:
    job: Job
    attempt: int
    submission: Submission
    progress: Callable[[int], None]


class JobSupersededError(RuntimeError):
    """This attempt no longer owns its job (the reaper re-queued or failed it): its work is dropped."""


def _owned(attempt: int) -> dict[str, Any]:
    """What the job holds while attempt ``attempt`` runs it: every write of the worker checks it."""
    return {"status": JobStatus.RUNNING, "attempts": attempt}


@contextlib.contextmanager
def _heartbeat(job: Job, attempt: int) -> Iterator[None]:
    """Record ``heartbeat_at`` every ``INJAAZ_JOB_HEARTBEAT_SECONDS`` while the block runs.

    A thread, so that a long step (WeasyPrint laying out a big PDF) still beats. It stops at the
    end of the block or once the attempt no longer owns the job; a beat that fails is logged and
    the next one tried (the reaper waits for ``HEARTBEATS_MISSED`` in a row).
    """
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(settings.INJAAZ_JOB_HEARTBEAT_SECONDS):
                try:
                    if not job_store().update_if(job, expected=_owned(attempt), heartbeat_at=timezone.now()):
                        return  # superseded: the worker finds out at its next step
                except Exception:
                    logger.exception("Report job %s: heartbeat not recorded", job.job_id)
        finally:
            connections.close_all()  # this thread's own connections

    thread = threading.Thread(target=beat, name=f"heartbeat-{job.job_id}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()


def report_job_run(*, job_id: str, attempt: int = 1) -> None:
    """The worker's work for one job: generate both reports, store them, record the outcome.

    A worker told to stop mid-job (``WorkerStopping``) gives the job back to the queue.
    """
    try:
        _report_job_run(job_id=job_id, attempt=attempt)
    except WorkerStopping:
        job_give_back(job_id=job_id, attempt=attempt)
        raise


def job_give_back(*, job_id: str, attempt: int) -> bool:
    """Put a job its worker is abandoning (stopping) back on the queue, as the same attempt.

    Whatever the stop interrupted has been rolled back or left unfinished: the job is ``started``
    again and a task for the same attempt is queued, so a restart does not use up the job's
    attempts. Nothing happens (``False``) when the job is finished or a later attempt owns it
    (the reaper re-queued it). If this fails too, the job is left for the reaper.
    """
    store = job_store()
    try:
        job = store.get(job_id)
        if job is None or job.status not in (JobStatus.STARTED, JobStatus.RUNNING) or job.attempts != attempt:
            return False
        given_back = store.update_if(
            job,
            expected={"status": job.status, "attempts": attempt},  # not if the reaper took it meanwhile
            status=JobStatus.STARTED,
            progress=0,
            queued_at=timezone.now(),
            heartbeat_at=None,
            completed_at=None,
        )
        if not given_back:
            return False
        job_enqueue(job_id=job_id, attempt=attempt)
    except Exception:
        logger.exception(
            "Report job %s attempt %s could not be given back; the reaper will re-queue it", job_id, attempt
        )
        return False
    logger.warning("Report job %s attempt %s given back to the queue: its worker is stopping", job_id, attempt)
    return True


def _report_job_run(*, job_id: str, attempt: int) -> None:
    store = job_store()
    job = store.get(job_id)
    if job is None:
        logger.warning("Report job %s does not exist; nothing to do", job_id)
        return
    if job.status in (JobStatus.DONE, JobStatus.FAILED):
        logger.info("Report job %s is already %s; nothing to do", job_id, job.status)
        return
    if job.attempts > attempt:
        logger.info("Report job %s attempt %s was superseded by attempt %s", job_id, attempt, job.attempts)
        return
    seen = {"status": job.status, "attempts": job.attempts}  # every write below is conditional on it
    try:
        submission = submission_get(job.submission.submission_id)
    except Submission.DoesNotExist:
        submission = None  # a job file whose submission nobody has any more
    except LegacyFormatError as error:  # its legacy file exists but cannot be read
        message = f"The submission could not be read: {error}"[:MAX_ERROR_LENGTH]
        _fail(job, attempt, message, submission=None, expected=seen)
        return
    if submission is None:
        _fail(job, attempt, "The submission of this job no longer exists.", submission=None, expected=seen)
        return

    now = timezone.now()
    claimed = store.update_if(
        job,
        expected=seen,
        status=JobStatus.RUNNING,
        progress=PROGRESS_CLAIMED,
        attempts=max(job.attempts, attempt),
        started_at=now,
        heartbeat_at=now,
        completed_at=None,
        error_message="",
    )
    if not claimed:
        logger.info("Report job %s attempt %s: the job changed before it was claimed; nothing to do", job_id, attempt)
        return
    _submission_status(submission, SubmissionStatus.PROCESSING)

    def progress(value: int) -> None:
        if not store.update_if(job, expected=_owned(attempt), progress=value, heartbeat_at=timezone.now()):
            raise JobSupersededError(f"attempt {attempt} of job {job_id} was superseded")

    try:
        with _heartbeat(job, attempt):
            excel_path, pdf_path = _generate(_Run(job, attempt, submission, progress))
    except JobSupersededError:
        logger.warning("Report job %s attempt %s was superseded while it ran; its work is dropped", job_id, attempt)
        return
    except Exception as error:  # noqa: BLE001 - every failure is recorded on the job, then retried or failed
        _handle_failure(job, attempt, error, submission)
        return

    with storage_atomic():
        finished = store.update_if(
            job,
            expected=_owned(attempt),
            status=JobStatus.DONE,
            progress=100,
            excel_url=excel_path,
            pdf_url=pdf_path,
            error_message="",
            completed_at=timezone.now(),
        )
        if not finished:
            logger.warning("Report job %s attempt %s finished after it was superseded; result dropped", job_id, attempt)
            return
        _submission_status(submission, SubmissionStatus.COMPLETED)
        audit_record(
            action=Action.GENERATE_REPORT,
            resource=submission,
            details={"event": "done", "job_id": job_id, "submission_id": submission.submission_id, "attempt": attempt},
        )


def _generate(run: _Run) -> tuple[str, str]:
    # The report libraries (openpyxl, WeasyPrint) load where reports are built, in the worker:
    # every process imports this module through the admin, the tree commands included.
    from jobs.reports.excel import build_workbook
    from jobs.reports.pdf import build_pdf
    from jobs.reports.render import report_content

    job_id = run.job.job_id
    record = submission_record(run.submission)
    files = ReportFiles.for_document(run.submission.form_data)
    content = report_content(record, files.open, job_id=job_id, generated_at=timezone.now())
    run.progress(PROGRESS_CONTENT)
    token = secrets.token_hex(16)
    excel_name = report_storage_name(job_id, token, "excel")
    _save_report(excel_name, build_workbook(content, photo_link=files.download_link))
    run.progress(PROGRESS_EXCEL)
    pdf_name = report_storage_name(job_id, token, "pdf")
    _save_report(pdf_name, build_pdf(content, approvals=_approvals(run.submission), open_file=_stored_bytes))
    run.progress(PROGRESS_PDF)
    return (
        report_download_path(job_id, excel_name.rsplit("/", 1)[1]),
        report_download_path(job_id, pdf_name.rsplit("/", 1)[1]),
    )


def _approvals(submission: Submission) -> Any:
    """The review's approval page for the PDF (``None`` outside review, or with no row)."""
    if submission.pk is None:
        return None
    return report_approvals(submission)


def _stored_bytes(name: str) -> bytes | None:
    """A signature of a review decision, from storage (``None`` when it cannot be read)."""
    try:
        with default_storage.open(name, "rb") as handle:
            data: bytes = handle.read()
            return data
    except Exception:  # noqa: BLE001 - the page then says the image is not available
        logger.warning("review signature %s could not be read for a report", name)
        return None


def failure_message(error: BaseException, *, attempts: int) -> str:
    """What a failed job tells its reader."""
    if isinstance(error, LegacyFormatError):
        message = f"The submission's data could not be read: {error}"
    elif is_transient(error):
        message = f"Storage was unavailable ({attempts} attempt{'s' if attempts != 1 else ''}): {error}"
    else:
        message = f"Report generation failed: {type(error).__name__}: {error}"
    return message[:MAX_ERROR_LENGTH]


def _handle_failure(job: Job, attempt: int, error: Exception, submission: Submission) -> None:
    maximum = settings.INJAAZ_REPORT_MAX_ATTEMPTS
    if is_transient(error) and attempt < maximum:
        delay = retry_delay_seconds(attempt)
        requeued = job_store().update_if(
            job,
            expected=_owned(attempt),
            status=JobStatus.STARTED,
            progress=0,
            attempts=attempt + 1,
            queued_at=timezone.now(),
            heartbeat_at=None,
        )
        if not requeued:
            logger.warning("Report job %s attempt %s failed after it was superseded; left alone", job.job_id, attempt)
            return
        logger.warning(
            "Report job %s attempt %s of %s met a transient error (%s); retrying in %.0f s",
            job.job_id,
            attempt,
            maximum,
            error,
            delay,
        )
        job_enqueue_on_commit(job_id=job.job_id, attempt=attempt + 1, delay_seconds=delay)
        return
    if is_transient(error):
        logger.warning("Report job %s failed after %s attempts: %s", job.job_id, attempt, error)
    else:
        logger.exception("Report job %s failed", job.job_id, exc_info=error)
    if not _fail(
        job, attempt, failure_message(error, attempts=attempt), submission=submission, expected=_owned(attempt)
    ):
        logger.warning("Report job %s attempt %s failed after it was superseded; left alone", job.job_id, attempt)


def _fail(job: Job, attempt: int, message: str, *, submission: Submission | None, expected: Mapping[str, Any]) -> bool:
    """Mark the job failed if it still holds ``expected`` (with the submission's status and the
    audit row, in one transaction); False when someone else changed it first."""
    with storage_atomic():
        failed = job_store().update_if(
            job, expected=expected, status=JobStatus.FAILED, error_message=message, completed_at=timezone.now()
        )
        if not failed:
            return False
        if submission is not None:
            _submission_status(submission, SubmissionStatus.FAILED)
        audit_record(
            action=Action.GENERATE_REPORT,
            resource=submission,
            resource_type="" if submission is not None else "job",
            details={"event": "failed", "job_id": job.job_id, "attempt": attempt, "error": message},
        )
    return True


def _submission_status(submission: Submission, status: str) -> None:
    """Mirror the job's outcome on the submission (pending → processing → completed/failed).

    Bookkeeping only: if the submission cannot be saved (say, an old document the router refuses
    to rewrite), the job's own outcome still stands, so the error is logged, not raised.
    """
    if submission.status == status:
        return
    previous, submission.status = submission.status, status
    try:
        with storage_atomic():
            submission_save(submission)
    except Exception:
        submission.status = previous
        logger.exception("Submission %s: status %s not recorded", submission.submission_id, status)


# --- Reaping ---------------------------------------------------------------------------------


class WorkerLostError(RuntimeError):
    """What a task row a dead worker left ``RUNNING`` is marked failed with when its job is reaped."""


@dataclass
class ReapResult:
    requeued: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    tasks_failed: int = 0  # task rows of reaped jobs left RUNNING by a dead worker, now FAILED

    @property
    def total(self) -> int:
        return len(self.requeued) + len(self.failed)


def _abandoned(job: Job, *, now: dt.datetime, stale_after: dt.timedelta) -> bool:
    """Nobody is working on the job: a running job's worker has stopped beating (for ``stale_after``
    and at least ``HEARTBEATS_MISSED`` heartbeats, however slow the job), a started job has waited
    in the queue for ``stale_after``."""
    if job.status == JobStatus.RUNNING:
        last_sign = job.heartbeat_at or job.started_at or job.queued_at or job.created_at
        heartbeats = dt.timedelta(seconds=HEARTBEATS_MISSED * settings.INJAAZ_JOB_HEARTBEAT_SECONDS)
        return now - last_sign > max(stale_after, heartbeats)
    return now - (job.queued_at or job.started_at or job.created_at) > stale_after


def _abandoned_tasks_fail(job: Job, message: str) -> int:
    """Mark the job's task rows that a dead worker left ``RUNNING`` as failed (django_tasks_db's
    table; other backends keep no such rows), so the task list says what happened to them."""
    rows = list(DBTaskResult.objects.running().filter(task_path=GENERATE_REPORTS_TASK, args_kwargs__args__0=job.job_id))
    for row in rows:
        row.set_failed(WorkerLostError(message))
    return len(rows)


def jobs_reap(*, stale_after: dt.timedelta | None = None, dry_run: bool = False) -> ReapResult:
    """Re-queue or fail jobs nobody is working on.

    A job ``running`` whose worker has sent no heartbeat for ``stale_after``
    (``INJAAZ_JOB_STALE_SECONDS``, and never less than ``HEARTBEATS_MISSED`` heartbeats) was left by
    a worker that died; a job ``started`` and untouched that long was lost before a worker took it
    (or was never queued: the old app's jobs stayed ``started`` forever). A slow job whose worker
    still beats is left alone. Either is queued again while it has attempts left, and failed with a
    message saying why otherwise. The task rows its dead worker left ``RUNNING`` are marked failed
    (``WorkerLostError``).

    Each re-queue or failure is a compare-and-set on the state the reaper read (status, attempt,
    heartbeat): when several reapers run at once (every ``run_worker`` has one), or the worker beats
    meanwhile, exactly one writer wins and only the winner queues a task.
    """
    if stale_after is None:
        stale_after = dt.timedelta(seconds=settings.INJAAZ_JOB_STALE_SECONDS)
    now = timezone.now()
    maximum = settings.INJAAZ_REPORT_MAX_ATTEMPTS
    result = ReapResult()
    store = job_store()
    for job in store.unfinished(created_before=now - stale_after):
        if not _abandoned(job, now=now, stale_after=stale_after):
            continue
        seen = {"status": job.status, "attempts": job.attempts, "heartbeat_at": job.heartbeat_at}
        lost_attempt = job.attempts
        if lost_attempt < maximum:
            if not dry_run:
                requeued = store.update_if(
                    job,
                    expected=seen,
                    status=JobStatus.STARTED,
                    progress=0,
                    attempts=lost_attempt + 1,
                    queued_at=now,
                    heartbeat_at=None,
                )
                if not requeued:
                    continue  # another reaper took it, or its worker beat meanwhile
                result.tasks_failed += _abandoned_tasks_fail(
                    job, f"The worker stopped while running attempt {lost_attempt}; the job was queued again."
                )
                job_enqueue_on_commit(job_id=job.job_id, attempt=lost_attempt + 1)
            result.requeued.append(job.job_id)
            continue
        if dry_run:
            result.failed.append(job.job_id)
            continue
        minutes = max(1, round(stale_after.total_seconds() / 60))
        if job.status == JobStatus.RUNNING:
            message = (
                f"The worker stopped while generating the reports ({job.attempts} attempts, none finished "
                f"within {minutes} min). Regenerate the reports to try again."
            )
        else:
            message = (
                f"No worker picked this job up ({job.attempts} attempts, {minutes} min each). "
                "Check that a worker is running, then regenerate the reports."
            )
        if not _fail(job, lost_attempt, message, submission=job_submission(job), expected=seen):
            continue
        result.failed.append(job.job_id)
        result.tasks_failed += _abandoned_tasks_fail(job, message)
    return result
