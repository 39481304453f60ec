"""Injaaz's own reads and writes of the legacy ``generated/`` tree (``INJAAZ_LEGACY_DIR``).

The phase router (``submissions.router``) and the legacy job store (``jobs.store``) use this
module; nothing else writes the tree. Parsing is the one legacy parser's job
(``submissions.legacy.files`` / ``normalize``); this module adds:

- **The one document shape per module.** A submission file's content IS the submission's
  ``form_data`` (docs/LEGACY_STORE.md lists the shapes), indented by 2 as the old app wrote it.
  ``document_with_id`` makes sure the document carries its id under the key the old app used.
- **Transactional file writes.** ``write_on_commit`` stages the file (a hidden temporary file in
  the same folder, written and fsynced through ``atomic_write_bytes``) inside the database
  transaction and publishes it with ``os.replace`` when the transaction commits. A failed write
  raises inside the transaction, so it rolls back; a rolled-back or failed commit never publishes,
  and ``storage_atomic`` removes the staged file. Readers therefore never see a file for a
  record the database does not have, nor a half-written one.
- **Reports with path and reason.** ``LegacyFileError`` names the file and says what is wrong
  (empty, truncated, not UTF-8, not an object, id not matching the name, unknown shape).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar, overload

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connections, transaction

from submissions.legacy.files import TEMP_SUFFIX, LegacyTree, atomic_write_bytes, dump_document, read_json_file
from submissions.legacy.normalize import normalize_job, normalize_submission
from submissions.legacy.records import LegacyFormatError, NormalizedJob, NormalizedSubmission
from submissions.modules.registry import declaration_or_none

logger = logging.getLogger(__name__)

SUBMISSION_INDENT = 2
STAGED_SUFFIX = ".staged"


class LegacyWriteError(OSError):
    """A legacy file could not be written (folder unwritable or immutable, disk full, I/O error).

    Raised inside the business action's transaction, so nothing is written anywhere; callers
    answer "saving failed, try again" (HTTP 503) and keep what the user sent. ``path``: the file.
    """

    def __init__(self, path: Path, error: OSError) -> None:
        super().__init__(error.errno, f"the legacy store could not write {path.name}: {error.strerror or error}")
        self.path = path


class LegacyFileError(LegacyFormatError):
    """A legacy file that cannot be used, with its path and the reason."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


def legacy_dir() -> Path:
    """The legacy tree's folder (``INJAAZ_LEGACY_DIR``): the one place that reads the setting.

    Read on every call, not cached: tests and phase switches change it at run time.
    """
    return Path(settings.INJAAZ_LEGACY_DIR)


def legacy_tree() -> LegacyTree:
    """The tree at ``legacy_dir()``."""
    return LegacyTree(legacy_dir())


def is_record_file(path: Path, prefix: str) -> bool:
    """``sub_*.json`` / ``job_*.json``: not a hidden temporary or staged file."""
    return path.name.startswith(prefix) and path.name.endswith(".json")


# --- Submission documents ---------------------------------------------------------------------


def document_with_id(*, module: str, document: dict[str, Any], submission_id: str) -> dict[str, Any]:
    """The document with its id under the module's key; refuses a document naming another id."""
    declared = declaration_or_none(module)  # its document shape says where the id goes
    if declared is None:
        raise ValueError(f"unknown module {module!r}")
    key = declared.document.id_key
    for existing_key in ("id", "submission_id"):
        existing = document.get(existing_key)
        if existing is not None and existing != submission_id:
            raise ValueError(
                f"the document's {existing_key!r} is {existing!r}, not the submission's id {submission_id!r}"
            )
    if document.get(key) == submission_id:
        return document
    return {key: submission_id, **document}


@dataclass(frozen=True)
class SubmissionFile:
    path: Path
    document: dict[str, Any]
    record: NormalizedSubmission


def submission_file_read(submission_id: str) -> SubmissionFile | None:
    """The submission's file, parsed and normalised; ``None`` when there is no file.

    Raises ``LegacyFileError`` for a file that exists but cannot be used.
    """
    path = legacy_tree().submission_path(submission_id)
    if not path.exists():
        return None
    return submission_file_load(path)


def submission_file_load(path: Path) -> SubmissionFile:
    try:
        document = read_json_file(path)
        record = normalize_submission(document, stem=path.stem)
    except LegacyFormatError as error:
        raise LegacyFileError(path, str(error)) from error
    return SubmissionFile(path=path, document=document, record=record)


@dataclass(frozen=True)
class FileProblem:
    path: Path
    reason: str


def submission_files_check() -> tuple[int, list[FileProblem]]:
    """Read every ``sub_*.json``: (how many are good, each bad one with its path and reason)."""
    good = 0
    problems: list[FileProblem] = []
    for path in legacy_tree().submission_files():
        if not is_record_file(path, "sub_"):
            continue
        try:
            submission_file_load(path)
        except LegacyFileError as error:
            problems.append(FileProblem(path=error.path, reason=error.reason))
        else:
            good += 1
    return good, problems


# --- Job documents ----------------------------------------------------------------------------


@dataclass(frozen=True)
class JobFile:
    path: Path
    document: dict[str, Any]
    record: NormalizedJob


def job_file_read(job_id: str) -> JobFile | None:
    """The job's file, parsed and normalised; ``None`` when there is no file.

    Raises ``LegacyFileError`` for a file that exists but cannot be used.
    """
    path = legacy_tree().job_path(job_id)
    if not path.exists():
        return None
    return job_file_load(path)


def job_file_load(path: Path) -> JobFile:
    try:
        document = read_json_file(path)
        record = normalize_job(document, stem=path.stem)
    except LegacyFormatError as error:
        raise LegacyFileError(path, str(error)) from error
    return JobFile(path=path, document=document, record=record)


# In ``json`` phase a submission lives only in its legacy file, which names no Injaaz user: Injaaz's
# job files record the submitter's user id under this key (the old app ignores unknown keys), so
# the submitter can follow the job and download its reports as staff can (``jobs.store``).
JOB_OWNER_KEY = "owner_id"


def job_file_owner(document: dict[str, Any]) -> int | None:
    """The submitter's user id a job file records (``None`` for the old app's files and bad values)."""
    value = document.get(JOB_OWNER_KEY)
    return value if isinstance(value, int) and not isinstance(value, bool) and value > 0 else None


def job_files() -> Iterator[Path]:
    for path in legacy_tree().job_files():
        if is_record_file(path, "job_"):
            yield path


# --- Staged writes, published on commit -------------------------------------------------------


def _fsync_directory(folder: Path) -> None:
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


@dataclass
class StagedWrite:
    """A file written under a hidden name, waiting for its transaction to commit."""

    final: Path
    staged: Path
    published: bool = False
    discarded: bool = False

    def publish(self) -> None:
        """Move the staged file into place. Never raises: the row is already committed."""
        if self.published or self.discarded:
            return
        try:
            os.replace(self.staged, self.final)
            _fsync_directory(self.final.parent)
        except OSError:
            logger.exception(
                "legacy store: committed, but %s could not be put in place; the staged copy %s is kept "
                "for reconciliation (rename it, or let export_json rewrite the file)",
                self.final,
                self.staged,
            )
            return
        self.published = True

    def discard(self) -> None:
        if self.published or self.discarded:
            return
        self.discarded = True
        try:
            self.staged.unlink(missing_ok=True)
        except OSError:
            logger.exception("legacy store: could not remove the staged file %s (sweep_staged will)", self.staged)


def stage_bytes(final: Path, data: bytes) -> StagedWrite:
    """Write ``data`` durably next to ``final`` under a hidden name (not ``*.json``)."""
    staged = final.with_name(f".{final.name}.{secrets.token_hex(4)}{STAGED_SUFFIX}")  # see staged_for
    atomic_write_bytes(staged, data)
    return StagedWrite(final=final, staged=staged)


@dataclass
class _Unit:
    """One ``storage_atomic`` block: its staged writes and whether its transaction committed."""

    owns_commit: bool
    writes: list[StagedWrite] = field(default_factory=list)
    committed: bool = False

    def mark_committed(self) -> None:
        self.committed = True


_local = threading.local()


def _units() -> list[_Unit]:
    units: list[_Unit] | None = getattr(_local, "units", None)
    if units is None:
        units = _local.units = []
    return units


def write_on_commit(path: Path, data: bytes, *, using: str = DEFAULT_DB_ALIAS) -> StagedWrite:
    """Stage ``data`` for ``path`` now; put it in place when the current transaction commits.

    Call it inside the business action's transaction: a failure to write raises there (and so
    rolls the transaction back). Outside any transaction the file is put in place at once.
    """
    try:
        write = stage_bytes(path, data)
    except OSError as error:
        logger.error("legacy store: writing %s failed, so the transaction rolls back: %r", path, error)
        raise LegacyWriteError(path, error) from error
    units = _units()
    if units:
        units[-1].writes.append(write)
    transaction.on_commit(write.publish, using=using)
    return write


F = TypeVar("F", bound=Callable[..., Any])


class _StorageAtomic(contextlib.ContextDecorator):
    """``transaction.atomic`` that also owns the legacy files staged inside it."""

    def __init__(self, using: str = DEFAULT_DB_ALIAS) -> None:
        self.using = using
        self._atomic: Any = None
        self._unit: _Unit | None = None

    def _recreate_cm(self) -> _StorageAtomic:
        # A fresh block per call when used as a decorator (calls may nest or run in threads).
        return _StorageAtomic(self.using)

    def __enter__(self) -> None:
        owns_commit = not connections[self.using].in_atomic_block
        self._atomic = transaction.atomic(using=self.using)
        self._atomic.__enter__()
        unit = _Unit(owns_commit=owns_commit)
        self._unit = unit
        _units().append(unit)
        if owns_commit:
            # Registered first, so it runs first after COMMIT: tells __exit__ whether the
            # commit happened even if a later on_commit callback raises.
            transaction.on_commit(unit.mark_committed, using=self.using)

    def __exit__(self, exc_type: Any, exc: Any, traceback: Any) -> bool:
        unit = self._unit
        assert unit is not None
        try:
            return bool(self._atomic.__exit__(exc_type, exc, traceback))
        except BaseException:
            exc_type = exc_type or BaseException  # the commit itself failed
            raise
        finally:
            _units().pop()
            self._settle(unit, failed=exc_type is not None)

    def _settle(self, unit: _Unit, *, failed: bool) -> None:
        if unit.owns_commit:
            for write in unit.writes:
                if unit.committed:
                    write.publish()  # no-op unless an earlier on_commit callback raised
                else:
                    write.discard()
        elif failed:
            # The savepoint rolled back: Django dropped its on_commit callbacks.
            for write in unit.writes:
                write.discard()
        else:
            parents = _units()
            if parents:
                parents[-1].writes.extend(unit.writes)


@overload
def storage_atomic(func: F) -> F: ...


@overload
def storage_atomic(func: None = None, *, using: str = DEFAULT_DB_ALIAS) -> _StorageAtomic: ...


def storage_atomic(func: Any = None, *, using: str = DEFAULT_DB_ALIAS) -> Any:
    """Use instead of ``transaction.atomic`` around a business action that writes submissions.

    Database rows and legacy files are then written together or not at all: a file staged inside
    the block is put in place on commit and removed if the block rolls back or the commit fails.
    (Under a plain ``transaction.atomic`` the guarantee holds too, but a staged file left by a
    failed commit stays hidden until ``sweep_staged`` removes it.)
    """
    if callable(func):

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with _StorageAtomic(using):
                return func(*args, **kwargs)

        return wrapper
    return _StorageAtomic(using)


@dataclass
class Sweep:
    removed: list[Path] = field(default_factory=list)
    # Staged files of a record the database holds: the commit may have happened and the rename not
    # (a crash, a read-only file system), so the file may be the only copy of what was committed.
    kept: list[Path] = field(default_factory=list)


def staged_for(name: str) -> str:
    """The final file name a staged file's name stands for (``stage_bytes``): ``.<final>.<token>.staged``."""
    return name[1:].removesuffix(STAGED_SUFFIX).rsplit(".", 1)[0]


def sweep_staged(
    *, older_than: dt.timedelta = dt.timedelta(hours=1), dry_run: bool = False, tree: LegacyTree | None = None
) -> Sweep:
    """Remove staged and temporary files older than ``older_than`` that a crash or a failed commit left.

    These are the hidden ``.*.tmp`` files of the atomic writer, which are never the only copy of
    anything, and the ``.*.staged`` files of ``write_on_commit`` whose record the database does not
    hold (its commit failed). A staged file whose record the database holds is kept and listed. It
    may hold a committed version that was never put in place, or an older one that a later write
    replaced; ``export_json`` writes the record's file from the database either way
    (docs/LEGACY_STORE.md). A file being written is seconds old. ``cleanup_jobs`` runs this on the tree it cleans.
    """
    from jobs.models import Job
    from submissions.models import Submission

    cutoff = dt.datetime.now(dt.UTC).timestamp() - older_than.total_seconds()
    tree = tree or legacy_tree()
    sweep = Sweep()
    for folder, model, key in ((tree.submissions_dir, Submission, "submission_id"), (tree.jobs_dir, Job, "job_id")):
        if not folder.is_dir():
            continue
        staged: dict[str, list[Path]] = {}  # record id -> its staged files (a failed commit each)
        for entry in os.scandir(folder):
            name = entry.name
            if not (
                name.startswith(".")
                and name.endswith((STAGED_SUFFIX, TEMP_SUFFIX))
                and entry.is_file(follow_symlinks=False)
                and entry.stat(follow_symlinks=False).st_mtime < cutoff
            ):
                continue
            if name.endswith(STAGED_SUFFIX):
                staged.setdefault(staged_for(name).removesuffix(".json"), []).append(Path(entry.path))
            else:
                sweep.removed.append(Path(entry.path))
        held = set(model._default_manager.filter(**{f"{key}__in": list(staged)}).values_list(key, flat=True))
        for record_id, paths in staged.items():
            (sweep.kept if record_id in held else sweep.removed).extend(paths)
    if not dry_run:
        for path in sweep.removed:
            path.unlink(missing_ok=True)
    sweep.removed.sort()
    sweep.kept.sort()
    return sweep


def submission_file_write(*, submission_id: str, document: dict[str, Any]) -> StagedWrite:
    """Stage the submission's document; it is put in place when the transaction commits."""
    path = legacy_tree().submission_path(submission_id)
    return write_on_commit(path, dump_document(document, indent=SUBMISSION_INDENT))
