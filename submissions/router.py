"""The phase router: the one place that knows where submissions live (database, legacy files, both).

Everything else asks it to save or load a submission. Only this module (and ``jobs.store``)
reads ``INJAAZ_STORAGE_PHASE`` / ``INJAAZ_JOB_STORE``, and only at call time, so a phase change
(or a step back) is a configuration change and nothing else. docs/LEGACY_STORE.md has the table.

=================  ===================  =====================================================
phase              writes               reads
=================  ===================  =====================================================
json               file                 file
dual               database + file      file (database for records with no file)
dual_read_db       database + file      database, then file for records not yet migrated
db_read_fallback   database             database, then file for records not yet migrated
db                 database             database
=================  ===================  =====================================================

- ``submission_save(submission)``: called by services inside their transaction (best inside
  ``storage_atomic``), after ``full_clean()``. The file is staged in the transaction and put in
  place when it commits (``submissions.legacy.store``): row and file are written together or not
  at all. In ``json`` phase there is no row; the audit row still records the action.
- ``submission_get(submission_id)``: the submission from wherever the phase reads; an unsaved
  ``Submission`` built from the file when the database has no row. In ``dual`` the document comes
  from the file and the row (when there is one) supplies identity, owner and status.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import logging
from dataclasses import dataclass

from django.conf import settings
from django.db import connection

from submissions.ids import SUBMISSION_ID_RE
from submissions.legacy.shadow import shadow_compare
from submissions.legacy.store import (
    LegacyFileError,
    SubmissionFile,
    document_with_id,
    legacy_tree,
    storage_atomic,
    submission_file_read,
    submission_file_write,
)
from submissions.models import Submission

__all__ = [
    "PHASES",
    "PhasePlan",
    "current_phase",
    "jobs_in_files",
    "phase_plan",
    "storage_atomic",
    "submission_from_file",
    "submission_get",
    "submission_save",
]

logger = logging.getLogger(__name__)

DATABASE = "database"
FILES = "files"


@dataclass(frozen=True)
class PhasePlan:
    """What a phase writes, and where it reads: ``reads[0]`` first, then ``reads[1]`` as the fallback."""

    name: str
    writes_database: bool
    writes_files: bool
    reads: tuple[str, ...]

    @property
    def reads_both(self) -> bool:
        return len(self.reads) == 2


PHASES: dict[str, PhasePlan] = {
    plan.name: plan
    for plan in (
        PhasePlan("json", writes_database=False, writes_files=True, reads=(FILES,)),
        PhasePlan("dual", writes_database=True, writes_files=True, reads=(FILES, DATABASE)),
        PhasePlan("dual_read_db", writes_database=True, writes_files=True, reads=(DATABASE, FILES)),
        PhasePlan("db_read_fallback", writes_database=True, writes_files=False, reads=(DATABASE, FILES)),
        PhasePlan("db", writes_database=True, writes_files=False, reads=(DATABASE,)),
    )
}


def current_phase() -> str:
    return str(settings.INJAAZ_STORAGE_PHASE)


def phase_plan(phase: str | None = None) -> PhasePlan:
    name = phase or current_phase()
    try:
        return PHASES[name]
    except KeyError:
        raise ValueError(f"unknown storage phase {name!r}; one of {', '.join(PHASES)}") from None


def jobs_in_files() -> bool:
    """Job state in legacy job files: the hybrid option (``INJAAZ_JOB_STORE=json``), or ``json`` phase."""
    return settings.INJAAZ_JOB_STORE == "json" or current_phase() == "json"


def _shadow_enabled() -> bool:
    return bool(settings.INJAAZ_SHADOW_COMPARE)


# --- Writes -----------------------------------------------------------------------------------


def submission_save(submission: Submission) -> None:
    """Write the submission where the current phase writes it (row and/or ``sub_<id>.json``)."""
    plan = phase_plan()
    if not plan.writes_files:
        submission.save()
        return
    if not isinstance(submission.form_data, dict):
        raise ValueError("form_data must be a JSON object: it is the legacy file's content")
    # form_data IS the file: the id goes into both, under the module's key.
    submission.form_data = document_with_id(
        module=submission.module, document=submission.form_data, submission_id=submission.submission_id
    )
    # Inside the caller's transaction its block owns both writes; called on its own (autocommit),
    # this gets a block of its own, so a failed file write cannot leave a committed row behind.
    with contextlib.nullcontext() if connection.in_atomic_block else storage_atomic():
        if plan.writes_database:
            submission.save()
        submission_file_write(submission_id=submission.submission_id, document=submission.form_data)


# --- Reads ------------------------------------------------------------------------------------


def submission_from_file(file: SubmissionFile) -> Submission:
    """An unsaved ``Submission`` standing for a legacy file (what the importer would make of it)."""
    record = file.record
    try:
        modified = dt.datetime.fromtimestamp(file.path.stat().st_mtime, tz=dt.UTC)
    except OSError:
        modified = None
    created_at = record.created_at or modified or dt.datetime.now(dt.UTC)
    return Submission(
        submission_id=record.submission_id,
        module=record.module,
        site_name=record.site_name[:200],
        visit_date=record.visit_date,
        created_at=created_at,
        updated_at=modified or created_at,
        form_data=file.document,
        submitted_by_ip=record.submitted_by_ip,
    )


def _row(submission_id: str) -> Submission | None:
    return Submission.objects.select_related("user").filter(submission_id=submission_id).first()


def _file(submission_id: str) -> tuple[SubmissionFile | None, LegacyFileError | None]:
    try:
        return submission_file_read(submission_id), None
    except LegacyFileError as error:
        return None, error


def submission_get(submission_id: str) -> Submission | None:
    """The submission from where the current phase reads it, with the fallback of its phase.

    A legacy file that exists but cannot be used is logged with its path and reason; when the
    other store has the record it is served from there, otherwise ``LegacyFileError`` is raised
    (a broken file is not "not found").
    """
    if not SUBMISSION_ID_RE.match(submission_id or ""):
        return None  # also keeps arbitrary strings out of file paths
    plan = phase_plan()
    if plan.reads == (DATABASE,):
        return _row(submission_id)

    row = _row(submission_id) if DATABASE in plan.reads else None
    needs_file = plan.reads[0] == FILES or row is None or _shadow_enabled()
    file, problem = _file(submission_id) if needs_file else (None, None)
    if problem is not None:
        logger.error("legacy store: %s (phase %s)", problem, plan.name)
        if row is None:
            raise problem

    if plan.reads_both and _shadow_enabled() and problem is None:
        shadow_compare(
            submission_id=submission_id,
            phase=plan.name,
            row=row,
            file=file,
            file_path=legacy_tree().submission_path(submission_id),
        )

    if plan.reads[0] == FILES and file is not None:
        if row is None:
            return submission_from_file(file)
        # The document comes from the file; the row supplies identity, owner and status.
        row.form_data = file.document
        return row
    if row is not None:
        return row
    return submission_from_file(file) if file is not None else None
