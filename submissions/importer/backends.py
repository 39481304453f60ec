"""Where a batch of parsed legacy files goes: PostgreSQL (COPY + set-based SQL) or any database (ORM).

Both backends implement the same rules, one transaction per batch:

- a submission whose ``submission_id`` is new is inserted (``imported``); one the database
  already holds with the same ``form_data`` is ``present``; with different ``form_data`` it is a
  ``conflict``, or is overwritten with ``--update`` (``updated``: the document and the columns
  derived from it; module and status are left as they are);
- its columns derive from the normalised record, except ``module`` (the newest job's
  ``meta.module`` first), ``status`` (from that job: done → completed, failed → failed,
  started/running → processing, no job → pending) and ``created_at`` (the document's own
  timestamp, else the job's, else the file's mtime);
- its ``uploaded_files`` rows are inserted with it (natural key: submission + URL, kept by the
  importer);
- a job is linked through ``meta.submission_id`` in the batch of its submission, or at the end
  when its submission was already in the database; a job whose submission is nowhere is an
  ``orphan``; an existing job with different fields is a ``conflict`` (or ``updated``);
- every file the database now agrees with gets a ledger row (path, bytes' hash) in the same
  transaction, so a killed run resumes at its last committed batch.

``PostgresBackend`` streams each batch through ``COPY`` into session temporary tables and writes
with a handful of ``INSERT … SELECT … ON CONFLICT`` / ``UPDATE … FROM`` statements, so the cost
per file is a few microseconds of SQL, not a round trip. ``OrmBackend`` does the same with
``bulk_create`` and a few queries per batch (SQLite; and read-only for ``--dry-run``).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any, NamedTuple, Protocol

import psycopg
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from jobs.models import Job
from submissions.importer.canonical import content_hash
from submissions.importer.direct import (
    JOB_COLUMNS,
    JOB_TO_SUBMISSION_STATUS,
    LEDGER_UPSERT,
    STAGED_JOBS,
    STAGED_JOBS_TABLE,
    copy_new,
    failed_outcome,
    refused_submission,
    session_setup,
    stage_jobs,
)
from submissions.importer.models import ImportLedgerEntry
from submissions.importer.outcomes import KEPT_OUTCOMES, FileKind, ImportOutcome, Outcome
from submissions.importer.worker import ParsedJob, ParsedSubmission
from submissions.models import Submission, UploadedFile

LOCK_KEY = 0x494E4A41  # "INJA": one import_json at a time per database


class LedgerEntry(NamedTuple):
    """What the ledger holds for a path."""

    file_hash: str  # of the bytes imported
    module: str
    size: int
    mtime_ns: int | None  # settled modification time, for the quick check


class LedgerRow(NamedTuple):
    """A ledger row to write (``ImportLedgerEntry``'s fields)."""

    path: str
    kind: FileKind
    record_id: str
    module: str
    file_hash: str
    size: int
    mtime_ns: int | None
    outcome: ImportOutcome


class ImportBusyError(RuntimeError):
    pass


class Backend(Protocol):
    staged_changed_jobs: bool

    @property
    def workers_write(self) -> bool: ...

    def open(self) -> None: ...

    def close(self) -> None: ...

    def ledger_lookup(self, paths: list[str]) -> dict[str, LedgerEntry]: ...

    def refresh_fingerprints(self, fingerprints: list[tuple[str, int]]) -> None: ...

    def stage_jobs(self, jobs: list[ParsedJob]) -> list[Outcome]: ...

    def jobs_staged(self) -> None: ...

    def write_batch(self, submissions: list[ParsedSubmission]) -> list[Outcome]: ...

    def finish_jobs(self) -> list[Outcome]: ...


# --- PostgreSQL -------------------------------------------------------------------------------

_TEMP_TABLES = f"""
CREATE TEMP TABLE IF NOT EXISTS _imp_sub (
    path text, file_hash text, size bigint, submission_id text, module text, site_name text,
    visit_date date, doc_created_at timestamptz, file_mtime timestamptz, ip text, changed boolean,
    mtime_ns bigint, form_data jsonb, outcome text, db_id integer, created_at timestamptz
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _imp_files (
    submission_id text, position integer, url text, public_id text, file_type text,
    original_filename text, file_size integer
) ON COMMIT DELETE ROWS;
CREATE TEMP TABLE IF NOT EXISTS _imp_bjobs (LIKE {STAGED_JOBS}, outcome text) ON COMMIT DELETE ROWS;
"""

_SUB_COLUMNS = (
    "path, file_hash, size, submission_id, module, site_name, visit_date, doc_created_at, file_mtime, ip, "
    "changed, mtime_ns, form_data"
)
_FILE_COLUMNS = "submission_id, position, url, public_id, file_type, original_filename, file_size"

# The batch's jobs leave the run-long staging table for the batch's own (small) one; a rollback
# puts them back. Every later statement of the batch then joins small tables only.
_TAKE_BATCH_JOBS = f"""
WITH taken AS (DELETE FROM {STAGED_JOBS} WHERE submission_id = ANY(%s) RETURNING {JOB_COLUMNS})
INSERT INTO _imp_bjobs ({JOB_COLUMNS}) SELECT {JOB_COLUMNS} FROM taken
"""
_TAKE_ALL_JOBS = f"""
WITH taken AS (DELETE FROM {STAGED_JOBS} RETURNING {JOB_COLUMNS})
INSERT INTO _imp_bjobs ({JOB_COLUMNS}) SELECT {JOB_COLUMNS} FROM taken
"""

_STATUS_CASE = "CASE b.status " + " ".join(
    f"WHEN '{job}' THEN '{submission}'" for job, submission in JOB_TO_SUBMISSION_STATUS.items()
)

_INSERT_SUBMISSIONS = f"""
WITH best_job AS (
    SELECT DISTINCT ON (j.submission_id) j.submission_id, j.module, j.status, j.created_at
    FROM _imp_bjobs j
    ORDER BY j.submission_id, j.created_at DESC NULLS LAST, j.job_id DESC
), inserted AS (
    INSERT INTO submissions (submission_id, module, status, site_name, visit_date, form_data, created_at,
                             updated_at, submitted_by_ip)
    SELECT s.submission_id, COALESCE(b.module, s.module), {_STATUS_CASE} ELSE 'pending' END, s.site_name,
           s.visit_date, s.form_data, COALESCE(s.doc_created_at, b.created_at, s.file_mtime), now(), s.ip
    FROM _imp_sub s LEFT JOIN best_job b ON b.submission_id = s.submission_id
    ORDER BY s.submission_id
    ON CONFLICT (submission_id) DO NOTHING
    RETURNING id, submission_id, module, created_at
)
UPDATE _imp_sub s SET outcome = 'imported', db_id = i.id, module = i.module, created_at = i.created_at
FROM inserted i WHERE s.submission_id = i.submission_id
"""

_CLASSIFY_SUBMISSIONS = """
UPDATE _imp_sub s
SET outcome = CASE WHEN t.form_data = s.form_data THEN 'present' ELSE 'conflict' END, db_id = t.id,
    module = t.module, created_at = t.created_at
FROM submissions t
WHERE t.submission_id = ANY(%s) AND t.submission_id = s.submission_id AND s.outcome IS NULL
"""

_UPDATE_SUBMISSIONS = """
WITH changed AS (
    UPDATE submissions t
    SET form_data = s.form_data, site_name = s.site_name, visit_date = s.visit_date,
        created_at = COALESCE(s.doc_created_at, t.created_at), submitted_by_ip = s.ip, updated_at = now()
    FROM _imp_sub s WHERE s.outcome = 'conflict' AND t.id = s.db_id
    RETURNING t.id, t.created_at
)
UPDATE _imp_sub s SET outcome = 'updated', created_at = c.created_at FROM changed c WHERE s.db_id = c.id
"""

_DELETE_STALE_FILES = """
DELETE FROM uploaded_files f USING _imp_sub s
WHERE s.outcome = 'updated' AND f.submission_id = s.db_id AND f.file_type IN ('photo', 'signature')
  AND NOT EXISTS (SELECT 1 FROM _imp_files n WHERE n.submission_id = s.submission_id AND n.url = f.cloudinary_url)
"""

# A file row's natural key is (submission, URL). New submissions' rows cannot collide (nobody else
# sees the submission before this commits, and the worker removed duplicate URLs); an updated
# submission keeps the rows it already has. The key is the importer's rule, not a constraint:
# Injaaz itself may attach one URL twice.
_KEEP_EXISTING_FILES = """
  AND NOT EXISTS (SELECT 1 FROM uploaded_files u WHERE u.submission_id = s.db_id AND u.cloudinary_url = f.url)
"""
_INSERT_FILES = """
INSERT INTO uploaded_files (submission_id, cloudinary_url, cloudinary_public_id, file_type, original_filename,
                            file_size, uploaded_at)
SELECT s.db_id, f.url, f.public_id, f.file_type, f.original_filename, f.file_size, s.created_at
FROM _imp_files f JOIN _imp_sub s ON s.submission_id = f.submission_id
WHERE s.outcome = '{outcome}' {keep_existing}
ORDER BY s.db_id, f.position
"""

# {parents}: where a job finds its submission's row id, as (submission_id, id): the batch's
# submissions, or (for jobs left at the end) the submissions table.
_BATCH_PARENTS = "(SELECT submission_id, db_id AS id FROM _imp_sub)"
_ALL_PARENTS = "submissions"

_INSERT_JOBS = """
WITH inserted AS (
    INSERT INTO jobs (job_id, submission_id, status, progress, excel_url, pdf_url, error_message, created_at,
                      completed_at)
    SELECT b.job_id, p.id, b.status, b.progress, b.excel_url, b.pdf_url, b.error_message,
           COALESCE(b.created_at, b.file_mtime), b.completed_at
    FROM _imp_bjobs b JOIN {parents} p ON p.submission_id = b.submission_id
    ORDER BY b.job_id
    ON CONFLICT (job_id) DO NOTHING
    RETURNING job_id
)
UPDATE _imp_bjobs b SET outcome = 'imported' FROM inserted WHERE b.job_id = inserted.job_id
"""

_CLASSIFY_JOBS = """
UPDATE _imp_bjobs b
SET outcome = CASE WHEN x.status = b.status AND x.progress = b.progress AND x.excel_url = b.excel_url
                        AND x.pdf_url = b.pdf_url AND x.error_message = b.error_message AND x.submission_id = p.id
                   THEN 'present' ELSE 'conflict' END
FROM jobs x, {parents} p
WHERE x.job_id = b.job_id AND p.submission_id = b.submission_id AND b.outcome IS NULL
"""

_UPDATE_JOBS = """
WITH changed AS (
    UPDATE jobs x
    SET submission_id = p.id, status = b.status, progress = b.progress, excel_url = b.excel_url,
        pdf_url = b.pdf_url, error_message = b.error_message, completed_at = b.completed_at
    FROM _imp_bjobs b, {parents} p
    WHERE b.outcome = 'conflict' AND x.job_id = b.job_id AND p.submission_id = b.submission_id
    RETURNING x.job_id
)
UPDATE _imp_bjobs b SET outcome = 'updated' FROM changed WHERE b.job_id = changed.job_id
"""

_LEDGER = (
    """
INSERT INTO legacy_import_ledger (path, kind, record_id, module, content_hash, size, mtime_ns, outcome, imported_at)
SELECT path, 'submission', submission_id, module, file_hash, size, mtime_ns, outcome, now()
FROM _imp_sub WHERE outcome IN ('imported', 'present', 'updated')
UNION ALL
SELECT path, 'job', job_id, COALESCE(module, ''), file_hash, size, mtime_ns, outcome, now()
FROM _imp_bjobs WHERE outcome IN ('imported', 'present', 'updated')
"""
    + LEDGER_UPSERT
)

_SUBMISSION_OUTCOMES = "SELECT path, submission_id, outcome, module, changed FROM _imp_sub"
_JOB_OUTCOMES = (
    "SELECT path, job_id, COALESCE(outcome, 'orphan'), COALESCE(module, ''), changed, COALESCE(submission_id, '') "
    "FROM _imp_bjobs ORDER BY job_id"
)


class PostgresBackend:
    """Set-based writes through ``COPY`` and session temporary tables (see the module docstring)."""

    def __init__(self, *, update: bool) -> None:
        self.update = update
        self.staged_changed_jobs = False  # some staged job file is in the ledger with another hash

    def open(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_try_advisory_lock(%s)", [LOCK_KEY])
            row = cursor.fetchone()
            if not row or not row[0]:
                raise ImportBusyError("another import_json is running against this database")
            cursor.execute(STAGED_JOBS_TABLE)
            cursor.execute(_TEMP_TABLES)
            session_setup(cursor.cursor)

    def close(self) -> None:
        if connection.connection is None:
            return
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS _imp_sub, _imp_files, _imp_bjobs, {STAGED_JOBS}")
            cursor.execute("RESET synchronous_commit")
            cursor.execute("RESET default_toast_compression")
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])

    @property
    def workers_write(self) -> bool:
        """Worker processes may write new batches on their own connections: not inside a caller's
        transaction (theirs would not see this one's staged jobs, and this one could not roll theirs back)."""
        return not connection.in_atomic_block

    def ledger_lookup(self, paths: list[str]) -> dict[str, LedgerEntry]:
        if not paths:
            return {}
        # Chunks are contiguous runs of the sorted scan: one index range scan, then keep the chunk's own
        # paths (a collation that orders differently only makes a file look unknown: it is parsed again).
        wanted = set(paths)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT path, content_hash, module, size, mtime_ns FROM legacy_import_ledger "
                "WHERE path >= %s AND path <= %s",
                [min(paths), max(paths)],
            )
            return {path: LedgerEntry(*entry) for path, *entry in cursor.fetchall() if path in wanted}

    def refresh_fingerprints(self, fingerprints: list[tuple[str, int]]) -> None:
        """Record the settled mtimes of files re-read and found unchanged (a cache: its own commit)."""
        if not fingerprints:
            return
        paths, mtimes = zip(*fingerprints, strict=True)
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "UPDATE legacy_import_ledger l SET mtime_ns = f.mtime_ns "
                "FROM unnest(%s::text[], %s::bigint[]) AS f(path, mtime_ns) WHERE l.path = f.path",
                [list(paths), list(mtimes)],
            )

    def stage_jobs(self, jobs: list[ParsedJob]) -> list[Outcome]:
        """Stage job rows; a row ``COPY`` refuses (e.g. a NUL byte) is dropped and returned as failed."""
        self.staged_changed_jobs = self.staged_changed_jobs or any(job.changed for job in jobs)
        with connection.cursor() as cursor:
            return stage_jobs(cursor.cursor, jobs, transaction.atomic)

    def jobs_staged(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {STAGED_JOBS}")

    def write_batch(self, submissions: list[ParsedSubmission]) -> list[Outcome]:
        """One transaction; a row ``COPY`` refuses is dropped, reported failed, and the batch retried."""
        failed: list[Outcome] = []
        while submissions:
            try:
                return failed + self._write_batch(submissions)
            except psycopg.DataError as error:
                index = refused_submission(submissions, error)
                if index is None:
                    raise
                failed.append(failed_outcome(submissions.pop(index), error))
        return failed

    def _write_batch(self, submissions: list[ParsedSubmission]) -> list[Outcome]:
        submissions.sort(key=lambda item: item.submission_id)  # row ids follow the ids' order, both paths
        ids = [item.submission_id for item in submissions]
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                if not any(item.changed for item in submissions):
                    # None of the batch's files is in the ledger: if none of its ids is in the database
                    # either, row ids come back from the sequence and the batch is copied straight in.
                    written = copy_new(cursor.cursor, submissions, upsert_jobs=self.staged_changed_jobs)
                    if written is not None:
                        return written
                return self._merge(cursor, submissions, ids)
        except (psycopg.errors.UniqueViolation, IntegrityError) as error:
            if not isinstance(error, psycopg.errors.UniqueViolation) and not isinstance(
                error.__cause__, psycopg.errors.UniqueViolation
            ):
                raise
            # A submission (or job) with one of these ids was saved (dual write) since the check: merge instead.
            with transaction.atomic(), connection.cursor() as cursor:
                return self._merge(cursor, submissions, ids)

    def _merge(self, cursor: Any, submissions: list[ParsedSubmission], ids: list[str]) -> list[Outcome]:
        # Emptied on commit anyway; explicit for a caller that runs the import inside its own
        # transaction (tests), where no batch ever commits.
        cursor.execute("TRUNCATE _imp_sub, _imp_files, _imp_bjobs")
        cursor.execute(_TAKE_BATCH_JOBS, [ids])
        self._stage_and_merge(cursor, submissions, ids)
        return self._finish_batch(cursor)

    def _stage_and_merge(self, cursor: Any, submissions: list[ParsedSubmission], ids: list[str]) -> None:
        """Some submissions exist: stage the batch and merge it (present, conflict, --update)."""
        raw = cursor.cursor
        with raw.copy(f"COPY _imp_sub ({_SUB_COLUMNS}) FROM STDIN") as copy:
            for item in submissions:
                copy.write(item.copy_row)
        file_rows = b"".join(item.copy_files for item in submissions)
        if file_rows:
            with raw.copy(f"COPY _imp_files ({_FILE_COLUMNS}) FROM STDIN") as copy:
                copy.write(file_rows)
        cursor.execute(_INSERT_SUBMISSIONS)
        if cursor.rowcount < len(submissions):
            cursor.execute(_CLASSIFY_SUBMISSIONS, [ids])
            if self.update:
                cursor.execute(_UPDATE_SUBMISSIONS)
                cursor.execute(_DELETE_STALE_FILES)
        if file_rows:
            cursor.execute(_INSERT_FILES.format(outcome=ImportOutcome.IMPORTED, keep_existing=""))
            if self.update:
                cursor.execute(_INSERT_FILES.format(outcome=ImportOutcome.UPDATED, keep_existing=_KEEP_EXISTING_FILES))

    def _finish_batch(self, cursor: Any) -> list[Outcome]:
        self._link_jobs(cursor, _BATCH_PARENTS)
        cursor.execute(_LEDGER)
        cursor.execute(_SUBMISSION_OUTCOMES)
        outcomes = [_outcome(FileKind.SUBMISSION, *row) for row in cursor.fetchall()]
        cursor.execute(_JOB_OUTCOMES)
        outcomes += [_outcome(FileKind.JOB, *row) for row in cursor.fetchall()]
        return outcomes

    def _link_jobs(self, cursor: Any, parents: str) -> None:
        cursor.execute("SELECT count(*) FROM _imp_bjobs")
        row = cursor.fetchone()
        waiting = row[0] if row else 0
        if not waiting:
            return
        cursor.execute(_INSERT_JOBS.format(parents=parents))
        if cursor.rowcount < waiting:
            cursor.execute(_CLASSIFY_JOBS.format(parents=parents))
            if self.update:
                cursor.execute(_UPDATE_JOBS.format(parents=parents))

    def finish_jobs(self) -> list[Outcome]:
        """Jobs whose submission was not in this run's files: linked if it is in the database, else orphans."""
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("TRUNCATE _imp_bjobs")
            cursor.execute(_TAKE_ALL_JOBS)
            self._link_jobs(cursor, _ALL_PARENTS)
            cursor.execute(_LEDGER)
            cursor.execute(_JOB_OUTCOMES)
            return [_outcome(FileKind.JOB, *row) for row in cursor.fetchall()]


def _outcome(
    kind: FileKind, path: str, record_id: str, outcome: str, module: str, changed: bool, *detail: str
) -> Outcome:
    return Outcome(kind, path, record_id, ImportOutcome(outcome), module, changed, *detail)


# --- Any database (the ORM) -------------------------------------------------------------------


class OrmBackend:
    """The same rules with ``bulk_create`` and a few queries per batch.

    Job records wait in memory until their submission's batch (SQLite trees are small); with
    ``dry_run`` nothing is written and the outcomes say what a real run would do.
    """

    def __init__(self, *, update: bool, dry_run: bool = False) -> None:
        self.update = update
        self.dry_run = dry_run
        self.jobs: dict[str, ParsedJob] = {}  # job_id -> job not linked yet
        self.jobs_by_submission: dict[str, list[str]] = {}
        self.dry_new: set[str] = set()  # dry run: submissions a real run would have inserted
        self.staged_changed_jobs = False
        self.workers_write = False  # workers return Python values, written here

    def open(self) -> None:
        pass

    def close(self) -> None:
        pass

    def ledger_lookup(self, paths: list[str]) -> dict[str, LedgerEntry]:
        found: dict[str, LedgerEntry] = {}
        for start in range(0, len(paths), 500):
            rows = ImportLedgerEntry.objects.filter(path__in=paths[start : start + 500]).values_list(
                "path", "content_hash", "module", "size", "mtime_ns"
            )
            found.update(
                {
                    path: LedgerEntry(file_hash, module, size, mtime_ns)
                    for path, file_hash, module, size, mtime_ns in rows
                }
            )
        return found

    def refresh_fingerprints(self, fingerprints: list[tuple[str, int]]) -> None:
        if self.dry_run or not fingerprints:
            return
        mtimes = dict(fingerprints)
        rows = list(ImportLedgerEntry.objects.filter(path__in=list(mtimes)).only("pk", "path"))
        for row in rows:
            row.mtime_ns = mtimes[row.path]
        ImportLedgerEntry.objects.bulk_update(rows, ["mtime_ns"], batch_size=500)

    def stage_jobs(self, jobs: list[ParsedJob]) -> list[Outcome]:
        for job in jobs:
            self.jobs[job.job_id] = job
            if job.submission_id:
                self.jobs_by_submission.setdefault(job.submission_id, []).append(job.job_id)
        return []

    def jobs_staged(self) -> None:
        pass

    def _best_job(self, submission_id: str) -> ParsedJob | None:
        candidates = [self.jobs[job_id] for job_id in self.jobs_by_submission.get(submission_id, [])]
        if not candidates:
            return None
        floor = dt.datetime.min.replace(tzinfo=dt.UTC)
        return max(candidates, key=lambda job: (job.created_at is not None, job.created_at or floor, job.job_id))

    def write_batch(self, submissions: list[ParsedSubmission]) -> list[Outcome]:
        if not submissions:
            return []
        failed: list[Outcome] = []
        storable: list[ParsedSubmission] = []
        for item in submissions:
            try:
                json.dumps(item.document, allow_nan=False)
            except ValueError as error:  # NaN/Infinity: Python's JSON, not JSON; databases refuse it
                reason = f"the database refused it: not valid JSON ({error})"
                failed.append(
                    Outcome(
                        FileKind.SUBMISSION,
                        item.path,
                        item.submission_id,
                        ImportOutcome.FAILED,
                        item.module,
                        item.changed,
                        reason,
                    )
                )
            else:
                storable.append(item)
        if not storable:
            return failed
        with transaction.atomic():
            outcomes = self._write_batch(storable)
            if self.dry_run:
                transaction.set_rollback(True)
        return failed + outcomes

    def _write_batch(self, parsed: list[ParsedSubmission]) -> list[Outcome]:
        ids = [item.submission_id for item in parsed]
        existing = {row.submission_id: row for row in Submission.objects.filter(submission_id__in=ids)}
        now = timezone.now()
        outcomes: list[Outcome] = []
        new_rows: list[tuple[ParsedSubmission, Submission]] = []
        updated_rows: list[tuple[ParsedSubmission, Submission]] = []
        for item in sorted(parsed, key=lambda entry: entry.submission_id):
            row = existing.get(item.submission_id)
            if row is None:
                job = self._best_job(item.submission_id)
                row = Submission(
                    submission_id=item.submission_id,
                    module=(job.module if job and job.module else item.module),
                    status=JOB_TO_SUBMISSION_STATUS.get(job.status, "pending") if job else "pending",
                    site_name=item.site_name,
                    visit_date=item.visit_date,
                    form_data=item.document,
                    created_at=item.created_at or (job.created_at if job else None) or item.file_mtime,
                    updated_at=now,
                    submitted_by_ip=item.ip,
                )
                new_rows.append((item, row))
                outcome = ImportOutcome.IMPORTED
            elif content_hash(row.form_data) == content_hash(item.document):
                outcome = ImportOutcome.PRESENT
            elif self.update:
                row.form_data = item.document
                row.site_name = item.site_name
                row.visit_date = item.visit_date
                row.created_at = item.created_at or row.created_at
                row.submitted_by_ip = item.ip
                row.updated_at = now
                updated_rows.append((item, row))
                outcome = ImportOutcome.UPDATED
            else:
                outcome = ImportOutcome.CONFLICT
            outcomes.append(
                Outcome(FileKind.SUBMISSION, item.path, item.submission_id, outcome, row.module, item.changed)
            )
        if self.dry_run:
            self.dry_new.update(item.submission_id for item, _ in new_rows)
            return outcomes + self._link_jobs(set(ids))
        Submission.objects.bulk_create([row for _, row in new_rows])
        if updated_rows:
            Submission.objects.bulk_update(
                [row for _, row in updated_rows],
                ["form_data", "site_name", "visit_date", "created_at", "submitted_by_ip", "updated_at"],
            )
        saved = {row.submission_id: row for row in Submission.objects.filter(submission_id__in=ids)}
        updated_ids = {item.submission_id for item, _ in updated_rows}
        files: list[UploadedFile] = []
        for item, _ in new_rows + updated_rows:
            row = saved[item.submission_id]
            kept: set[str] = set()
            if item.submission_id in updated_ids:
                UploadedFile.objects.filter(submission=row, file_type__in=["photo", "signature"]).exclude(
                    cloudinary_url__in=[ref.url for ref in item.refs]
                ).delete()
                kept = set(UploadedFile.objects.filter(submission=row).values_list("cloudinary_url", flat=True))
            files += [
                UploadedFile(
                    submission=row,
                    cloudinary_url=ref.url,
                    cloudinary_public_id=ref.public_id,
                    file_type=ref.file_type,
                    original_filename=ref.original_filename,
                    file_size=ref.file_size,
                    uploaded_at=row.created_at,
                )
                for ref in item.refs
                if ref.url not in kept
            ]
        UploadedFile.objects.bulk_create(files)
        by_path = {item.path: item for item in parsed}
        self._ledger(
            [
                LedgerRow(
                    o.path,
                    FileKind.SUBMISSION,
                    o.record_id,
                    o.module,
                    by_path[o.path].file_hash,
                    by_path[o.path].size,
                    by_path[o.path].mtime_ns,
                    o.outcome,
                )
                for o in outcomes
                if o.outcome in KEPT_OUTCOMES
            ]
        )
        return outcomes + self._link_jobs(set(ids))

    def _link_jobs(self, submission_ids: set[str] | None) -> list[Outcome]:
        if submission_ids is None:
            candidates = [job for job in self.jobs.values() if job.submission_id]
        else:
            candidates = [self.jobs[j] for sid in sorted(submission_ids) for j in self.jobs_by_submission.get(sid, [])]
            candidates = [job for job in candidates if job.job_id in self.jobs]
        if not candidates:
            return []
        sids = {job.submission_id for job in candidates if job.submission_id}
        parents = dict(Submission.objects.filter(submission_id__in=sids).values_list("submission_id", "id"))
        parents.update({sid: 0 for sid in sids & self.dry_new if sid not in parents})  # dry run: would exist
        existing = {job.job_id: job for job in Job.objects.filter(job_id__in=[c.job_id for c in candidates])}
        outcomes: list[Outcome] = []
        new_jobs: list[Job] = []
        ledger: list[LedgerRow] = []
        for job in sorted(candidates, key=lambda entry: entry.job_id):
            parent = parents.get(job.submission_id or "")
            if parent is None:
                continue
            row = existing.get(job.job_id)
            fields: dict[str, Any] = {
                "status": job.status,
                "progress": job.progress,
                "excel_url": job.excel_url,
                "pdf_url": job.pdf_url,
                "error_message": job.error_message,
            }
            if row is None:
                new_jobs.append(
                    Job(
                        job_id=job.job_id,
                        submission_id=parent,
                        created_at=job.created_at or job.file_mtime,
                        completed_at=job.completed_at,
                        **fields,
                    )
                )
                outcome = ImportOutcome.IMPORTED
            elif all(getattr(row, name) == value for name, value in fields.items()) and row.submission_id == parent:
                outcome = ImportOutcome.PRESENT
            elif self.update:
                if not self.dry_run:
                    Job.objects.filter(pk=row.pk).update(submission_id=parent, completed_at=job.completed_at, **fields)
                outcome = ImportOutcome.UPDATED
            else:
                outcome = ImportOutcome.CONFLICT
            del self.jobs[job.job_id]
            outcomes.append(Outcome(FileKind.JOB, job.path, job.job_id, outcome, job.module or "", job.changed))
            if outcome in KEPT_OUTCOMES:
                ledger.append(
                    LedgerRow(
                        job.path,
                        FileKind.JOB,
                        job.job_id,
                        job.module or "",
                        job.file_hash,
                        job.size,
                        job.mtime_ns,
                        outcome,
                    )
                )
        if not self.dry_run:
            Job.objects.bulk_create(new_jobs)
            self._ledger(ledger)
        return outcomes

    def _ledger(self, rows: list[LedgerRow]) -> None:
        if self.dry_run or not rows:
            return
        now = timezone.now()
        ImportLedgerEntry.objects.bulk_create(
            [
                ImportLedgerEntry(
                    path=row.path,
                    kind=row.kind,
                    record_id=row.record_id,
                    module=row.module,
                    content_hash=row.file_hash,
                    size=row.size,
                    mtime_ns=row.mtime_ns,
                    outcome=row.outcome,
                    imported_at=now,
                )
                for row in rows
            ],
            update_conflicts=True,
            unique_fields=["path"],
            update_fields=["kind", "record_id", "module", "content_hash", "size", "mtime_ns", "outcome", "imported_at"],
        )

    def finish_jobs(self) -> list[Outcome]:
        with transaction.atomic():
            outcomes = self._link_jobs(None)
            if self.dry_run:
                transaction.set_rollback(True)
        for job in sorted(self.jobs.values(), key=lambda entry: entry.job_id):
            outcomes.append(
                Outcome(
                    FileKind.JOB,
                    job.path,
                    job.job_id,
                    ImportOutcome.ORPHAN,
                    job.module or "",
                    job.changed,
                    job.submission_id or "",
                )
            )
        self.jobs.clear()
        return outcomes
