"""The direct path: a batch of new submissions written straight into the tables with ``COPY``.

Nearly every batch of a first import holds only submissions the database does not have yet. Such a
batch needs no staging and no merge: its row ids come from the sequence, one statement moves its
jobs from the run's staging table into ``jobs`` and the ledger, and three ``COPY``s write the
submissions, their file rows and their ledger rows. The importer's worker processes run this
themselves, each on its own connection, right after parsing the batch (so the rows never travel
back to the importer and two batches are written at once); the importer runs it in its own
connection when it parses in-process or inside a caller's transaction. A batch that cannot take
this path (an id is already there, a file changed since it was imported) goes back to the
importer, which merges it (``backends.PostgresBackend``). Job files take the same route into the
run's staging table (``stage_jobs``).

This module needs psycopg only, not Django: worker processes do not set Django up.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, Any, NamedTuple

import psycopg

from submissions.importer.outcomes import FileKind, ImportOutcome, Outcome

if TYPE_CHECKING:
    from submissions.importer.worker import ParsedJob, ParsedSubmission

JOB_TO_SUBMISSION_STATUS = {"done": "completed", "failed": "failed", "started": "processing", "running": "processing"}

# The run's job rows, staged before any submission is read (a submission's module, status and
# fallback time come from its newest job). A plain unlogged table, not a temporary one, so that every
# connection of the run sees it; only one import runs at a time (advisory lock), which owns it.
STAGED_JOBS = "legacy_import_staged_jobs"
JOB_COLUMNS = (
    "path, file_hash, size, job_id, submission_id, module, status, progress, excel_url, pdf_url, "
    "error_message, created_at, completed_at, file_mtime, changed, mtime_ns"
)
# Created afresh by each run: one left by a killed run of an older version may lack a column.
STAGED_JOBS_TABLE = f"""
DROP TABLE IF EXISTS {STAGED_JOBS};
CREATE UNLOGGED TABLE {STAGED_JOBS} (
    path text, file_hash text, size bigint, job_id text, submission_id text, module text, status text,
    progress integer, excel_url text, pdf_url text, error_message text, created_at timestamptz,
    completed_at timestamptz, file_mtime timestamptz, changed boolean, mtime_ns bigint
);
CREATE INDEX {STAGED_JOBS}_submission ON {STAGED_JOBS} (submission_id);
"""

LEDGER_COLUMNS = "path, kind, record_id, module, content_hash, size, mtime_ns, outcome, imported_at"
LEDGER_UPSERT = """
ON CONFLICT (path) DO UPDATE SET kind = EXCLUDED.kind, record_id = EXCLUDED.record_id, module = EXCLUDED.module,
    content_hash = EXCLUDED.content_hash, size = EXCLUDED.size, mtime_ns = EXCLUDED.mtime_ns,
    outcome = EXCLUDED.outcome, imported_at = EXCLUDED.imported_at
"""
_SUBMISSION_COLUMNS = (
    "id, submission_id, module, status, site_name, visit_date, created_at, updated_at, submitted_by_ip, form_data"
)
_FILE_COLUMNS = (
    "submission_id, cloudinary_url, cloudinary_public_id, file_type, original_filename, file_size, uploaded_at"
)

# Whether any id of the batch exists, and if none, row ids for all of them.
_RESERVE_IDS = """
SELECT CASE WHEN EXISTS (SELECT 1 FROM submissions WHERE submission_id = ANY(%s)) THEN NULL
       ELSE ARRAY(SELECT nextval(pg_get_serial_sequence('submissions', 'id')) FROM generate_series(1, %s)) END
"""
# The batch's jobs, from the staging table into ``jobs`` (their submissions' row ids are the ones
# just reserved; the foreign key is checked at commit, after the COPY) and into the ledger; a job id
# the table already holds is a unique violation: the batch is merged instead. Returns each job, and
# whether it is its submission's newest.
_MOVE_JOBS = f"""
WITH taken AS (
    DELETE FROM {STAGED_JOBS} WHERE submission_id = ANY(%(ids)s) RETURNING {JOB_COLUMNS}
), parents AS (
    SELECT * FROM unnest(%(ids)s::text[], %(rows)s::integer[]) AS p(submission_id, id)
), moved AS (
    INSERT INTO jobs (job_id, submission_id, status, progress, excel_url, pdf_url, error_message, created_at,
                      completed_at)
    SELECT t.job_id, p.id, t.status, t.progress, t.excel_url, t.pdf_url, t.error_message,
           COALESCE(t.created_at, t.file_mtime), t.completed_at
    FROM taken t JOIN parents p ON p.submission_id = t.submission_id
    ORDER BY t.job_id
), ledgered AS (
    INSERT INTO legacy_import_ledger ({LEDGER_COLUMNS})
    SELECT path, 'job', job_id, COALESCE(module, ''), file_hash, size, mtime_ns, 'imported', now() FROM taken
    {{upsert}}
)
SELECT submission_id, path, job_id, module, status, created_at::text, changed,
       row_number() OVER (PARTITION BY submission_id ORDER BY created_at DESC NULLS LAST, job_id DESC) = 1
FROM taken
"""

_COPY_CONTEXT = re.compile(r"COPY (\w+), line (\d+)")


class RejectedLine(NamedTuple):
    """The row a failed ``COPY`` names."""

    table: str
    line: int  # 1-based


class NewestJob(NamedTuple):
    """A submission's newest job, as far as the submission's row needs it."""

    module: str | None
    status: str
    created_at: str | None  # ISO text, as PostgreSQL returns it


class StagedSubmissionRow(NamedTuple):
    """The worker's staging row of a submission (``worker.parse_submission``), as ``COPY`` text fields."""

    path: bytes
    file_hash: bytes
    size: bytes
    submission_id: bytes
    module: bytes
    site_name: bytes
    visit_date: bytes
    created_at: bytes
    file_mtime: bytes
    ip: bytes
    changed: bytes
    mtime_ns: bytes
    form_data: bytes  # with the row's closing newline


def rejected_line(error: psycopg.Error) -> RejectedLine | None:
    """The table and line of the row a failed ``COPY`` names, if it names one."""
    match = _COPY_CONTEXT.search(error.diag.context or "")
    return RejectedLine(match.group(1), int(match.group(2))) if match else None


def refusal(error: psycopg.Error) -> str:
    detail = f" ({error.diag.message_detail})" if error.diag.message_detail else ""
    return f"the database refused it: {error.diag.message_primary or error}{detail}"


def refused_submission(submissions: list[ParsedSubmission], error: psycopg.Error) -> int | None:
    """The index of the submission behind the row a failed ``COPY`` names (rows are copied in list order)."""
    where = rejected_line(error)
    if where is None:
        return None
    table, line = where
    if table in ("_imp_sub", "submissions"):
        return line - 1 if line <= len(submissions) else None
    if table in ("_imp_files", "uploaded_files"):
        seen = 0
        for index, item in enumerate(submissions):
            seen += item.copy_files.count(b"\n")
            if line <= seen:
                return index
    return None


def failed_outcome(item: ParsedSubmission, error: psycopg.Error) -> Outcome:
    return Outcome(
        FileKind.SUBMISSION,
        item.path,
        item.submission_id,
        ImportOutcome.FAILED,
        item.module,
        item.changed,
        refusal(error),
    )


def copy_new(
    cursor: psycopg.Cursor[Any], submissions: list[ParsedSubmission], *, upsert_jobs: bool
) -> list[Outcome] | None:
    """Write a batch none of whose ids exists, in the caller's transaction; ``None`` if one exists.

    ``submissions`` must be sorted by id (row ids follow the ids' order) and none ``changed``.
    ``upsert_jobs``: some staged job file is already in the ledger (with another hash), so its
    ledger row is replaced rather than inserted.
    """
    ids = [item.submission_id for item in submissions]
    cursor.execute(_RESERVE_IDS, [ids, len(ids)])
    reserved = cursor.fetchone()
    if reserved is None or reserved[0] is None:
        return None
    row_ids = sorted(reserved[0])
    cursor.execute(_MOVE_JOBS.format(upsert=LEDGER_UPSERT if upsert_jobs else ""), {"ids": ids, "rows": row_ids})
    best: dict[str, NewestJob] = {}
    job_outcomes: list[Outcome] = []
    for submission_id, path, job_id, module, status, created, changed, newest in cursor.fetchall():
        if newest:
            best[submission_id] = NewestJob(module, status, created)
        job_outcomes.append(Outcome(FileKind.JOB, path, job_id, ImportOutcome.IMPORTED, module or "", changed))
    now = dt.datetime.now(dt.UTC).isoformat().encode()
    rows: list[bytes] = []
    files: list[bytes] = []
    ledger: list[bytes] = []
    outcomes: list[Outcome] = []
    for row_id, item in zip(row_ids, submissions, strict=True):
        staged = StagedSubmissionRow._make(item.copy_row.split(b"\t", 12))
        job = best.get(item.submission_id)
        module_text = job.module if job and job.module else item.module
        module = module_text.encode()
        status = JOB_TO_SUBMISSION_STATUS.get(job.status, "pending").encode() if job else b"pending"
        created = staged.created_at
        if created == b"\\N":
            created = job.created_at.encode() if job and job.created_at else staged.file_mtime
        number = str(row_id).encode()
        rows.append(
            b"\t".join(
                (
                    number,
                    staged.submission_id,
                    module,
                    status,
                    staged.site_name,
                    staged.visit_date,
                    created,
                    now,
                    staged.ip,
                    staged.form_data,
                )
            )
        )
        if item.copy_files:
            head = number + b"\t"
            tail = b"\t" + created + b"\n"
            for line in item.copy_files.splitlines():
                files.append(head + line.split(b"\t", 2)[2] + tail)  # url, public id, type, name, size
        ledger.append(
            b"\t".join(
                (
                    staged.path,
                    b"submission",
                    staged.submission_id,
                    module,
                    staged.file_hash,
                    staged.size,
                    staged.mtime_ns,
                    b"imported",
                    now,
                )
            )
            + b"\n"
        )
        outcomes.append(
            Outcome(FileKind.SUBMISSION, item.path, item.submission_id, ImportOutcome.IMPORTED, module_text, False)
        )
    with cursor.copy(f"COPY submissions ({_SUBMISSION_COLUMNS}) FROM STDIN") as copy:
        copy.write(b"".join(rows))
    del rows
    if files:
        with cursor.copy(f"COPY uploaded_files ({_FILE_COLUMNS}) FROM STDIN") as copy:
            copy.write(b"".join(files))
    with cursor.copy(f"COPY legacy_import_ledger ({LEDGER_COLUMNS}) FROM STDIN") as copy:
        copy.write(b"".join(ledger))
    job_outcomes.sort(key=lambda outcome: outcome.record_id)
    return outcomes + job_outcomes


def failed_job_outcome(job: ParsedJob, error: psycopg.Error) -> Outcome:
    return Outcome(
        FileKind.JOB, job.path, job.job_id, ImportOutcome.FAILED, job.module or "", job.changed, refusal(error)
    )


def stage_jobs(
    cursor: psycopg.Cursor[Any], jobs: list[ParsedJob], atomic: Callable[[], AbstractContextManager[Any]]
) -> list[Outcome]:
    """``COPY`` job rows into the run's staging table in one ``atomic()`` block; a row the database
    refuses (e.g. a NUL byte) is dropped, reported as failed, and the rest copied again."""
    failed: list[Outcome] = []
    while jobs:
        try:
            with atomic(), cursor.copy(f"COPY {STAGED_JOBS} ({JOB_COLUMNS}) FROM STDIN") as copy:
                copy.write(b"".join(job.copy_row for job in jobs))
            break
        except psycopg.DataError as error:
            where = rejected_line(error)
            if where is None or where.table != STAGED_JOBS or where.line > len(jobs):
                raise
            failed.append(failed_job_outcome(jobs.pop(where.line - 1), error))
    return failed


# --- In a worker process: its own connection -------------------------------------------------------

_connection: psycopg.Connection[Any] | None = None


def session_setup(cursor: psycopg.Cursor[Any]) -> None:
    """The import's session settings, on the importer's connection and on each worker's."""
    # Batches are resumable (data and ledger commit together), so a commit need not wait for the WAL
    # flush: a crash loses at most the last batches, which the next run redoes.
    cursor.execute("SET synchronous_commit TO off")
    # lz4 compresses form_data several times faster than the default pglz (PostgreSQL >= 14 built
    # with lz4; reads are unaffected).
    cursor.execute("SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY(enumvals)")
    if cursor.fetchone():
        cursor.execute("SET default_toast_compression TO lz4")


def _worker_connection(params: dict[str, Any]) -> psycopg.Connection[Any]:
    global _connection
    if _connection is None or _connection.closed:
        from multiprocessing import util

        _connection = psycopg.connect(**params, autocommit=True)
        with _connection.cursor() as cursor:
            cursor.execute("SET TIME ZONE 'UTC'")  # as Django's connections: times cross as text
            session_setup(cursor)
        util.Finalize(None, close_worker_connection, exitpriority=10)  # when the worker process exits
    return _connection


def close_worker_connection() -> None:
    global _connection
    if _connection is not None:
        _connection.close()
        _connection = None


def write_in_worker(
    params: dict[str, Any], submissions: list[ParsedSubmission], *, upsert_jobs: bool
) -> tuple[list[Outcome], list[ParsedSubmission]]:
    """Write a parsed batch on this worker's connection, one transaction.

    Returns the outcomes written (and rows the database refused, each reported as failed and
    dropped from the batch, which is then retried) and what is left for the importer to merge: the
    whole batch when some id already exists, or an id or job id appeared meanwhile (dual write).
    """
    connection = _worker_connection(params)
    submissions.sort(key=lambda item: item.submission_id)
    failed: list[Outcome] = []
    while submissions:
        try:
            with connection.transaction(), connection.cursor() as cursor:
                written = copy_new(cursor, submissions, upsert_jobs=upsert_jobs)
        except psycopg.errors.UniqueViolation:
            return failed, submissions
        except psycopg.DataError as error:
            index = refused_submission(submissions, error)
            if index is None:
                raise
            failed.append(failed_outcome(submissions.pop(index), error))
            continue
        if written is None:
            return failed, submissions
        return failed + written, []
    return failed, []


def stage_in_worker(params: dict[str, Any], jobs: list[ParsedJob]) -> list[Outcome]:
    """Stage a parsed chunk of job files on this worker's connection (the rows the database refused)."""
    connection = _worker_connection(params)
    with connection.cursor() as cursor:
        return stage_jobs(cursor, jobs, connection.transaction)
