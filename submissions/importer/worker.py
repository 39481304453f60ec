"""What the importer's worker processes do: read, hash, parse and normalise one chunk of files.

A worker gets paths (and what the ledger holds for each, if anything: the bytes' hash, the size and
the settled modification time) and returns, per file, "unchanged" (size and time as the ledger has
them: not even read; or the same bytes: not parsed), a problem (path and reason), or a parsed record
ready for the database: PostgreSQL gets rows already formatted for
``COPY ... FROM STDIN`` (text format) so the main process only streams bytes; SQLite gets
Python values for ``bulk_create``.

Files are read through the one legacy parser (``submissions.legacy``); this module adds only
what storing them needs: the bytes' hash and the rows. What ``jsonb`` refuses although Python's
JSON parser accepts it (``NaN``, ``\\u0000``, unpaired surrogates) is left to PostgreSQL: the
backend drops the row its ``COPY`` names and reports the file (see ``backends``), so the common
case pays nothing for those rare files.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import multiprocessing
import os
import time
from collections import Counter
from dataclasses import dataclass, field, fields
from operator import attrgetter
from pathlib import Path
from typing import Any, NamedTuple

from submissions.importer.canonical import content_hash, job_digest
from submissions.importer.direct import stage_in_worker, write_in_worker
from submissions.importer.outcomes import KEPT_OUTCOMES, FileKind, ImportOutcome, Outcome
from submissions.importer.refs import FileRef, file_refs
from submissions.legacy.files import parse_json_bytes, read_regular_file
from submissions.legacy.normalize import normalize_job, normalize_submission
from submissions.legacy.records import LegacyFormatError

SITE_NAME_MAX = 200
MODULES = ("hvac_mep", "civil", "cleaning")
# A modification time the ledger keeps for the quick check must be older than this when the file is
# read: a change made later gets a later time, even on file systems whose clock ticks coarsely (the
# "racy clean" problem git solves the same way). A younger file is hashed again on the next run.
SETTLED_NS = 2_000_000_000


@dataclass(frozen=True)
class WorkerConfig:
    root: str
    size_cap: int
    copy_format: bool  # PostgreSQL: COPY text rows; otherwise Python values
    database: dict[str, Any] | None = None  # psycopg connection parameters: workers may write batches


class Write(NamedTuple):
    """Asks a worker to write what it parsed itself (``direct``) rather than return it: job files
    into the run's staging table, a batch of new submissions into the tables."""

    upsert_jobs: bool  # (submissions) some staged job file is already in the ledger


@dataclass(slots=True)
class ParsedSubmission:
    path: str
    file_hash: str
    size: int
    submission_id: str
    module: str
    shape: str
    site_name: str
    visit_date: dt.date | None
    created_at: dt.datetime | None
    file_mtime: dt.datetime
    ip: str
    changed: bool  # the ledger holds another hash for this path
    warnings: list[str]
    mtime_ns: int | None = None  # settled modification time, for the ledger (``settled_mtime``)
    copy_row: bytes = b""
    copy_files: bytes = b""
    document: dict[str, Any] | None = None
    refs: list[FileRef] = field(default_factory=list)

    def __reduce__(self) -> tuple[type[ParsedSubmission], tuple[Any, ...]]:
        return ParsedSubmission, _submission_values(self)


@dataclass(slots=True)
class ParsedJob:
    path: str
    file_hash: str
    size: int
    job_id: str
    submission_id: str | None
    module: str | None
    status: str
    progress: int
    excel_url: str
    pdf_url: str
    error_message: str
    created_at: dt.datetime | None
    completed_at: dt.datetime | None
    file_mtime: dt.datetime
    changed: bool
    mtime_ns: int | None = None
    copy_row: bytes = b""

    def __reduce__(self) -> tuple[type[ParsedJob], tuple[Any, ...]]:
        return ParsedJob, _job_values(self)


# What a worker does not write itself (batches to merge, everything on SQLite) crosses to the importer
# by the thousand: pickled as the class and a tuple of its values. (The pickling that dataclasses give
# slotted classes looks the fields up for every object, and unpickling sets them one by one.)
_submission_values = attrgetter(*(item.name for item in fields(ParsedSubmission)))
_job_values = attrgetter(*(item.name for item in fields(ParsedJob)))


@dataclass(slots=True)
class ChunkResult:
    parsed: list[Any] = field(default_factory=list)  # ParsedSubmission / ParsedJob, for the importer to write
    unchanged: list[str] = field(default_factory=list)  # paths
    problems: list[tuple[str, str]] = field(default_factory=list)  # (path, reason)
    warnings: list[tuple[str, str]] = field(default_factory=list)  # (path, warning) of files parsed
    # What the worker wrote itself (``Write``): outcomes with something to report, and a count of the
    # rest by (kind, outcome, module), so that a hundred thousand "imported" do not cross one by one.
    written: list[Outcome] = field(default_factory=list)
    tally: Counter[tuple[FileKind, ImportOutcome, str]] = field(default_factory=Counter)
    staged_changed: bool = False  # the worker staged a job file the ledger holds with another hash
    # Files read and found unchanged, with their settled modification time: (path, mtime_ns). The
    # importer records the times that differ from the ledger's (a file touched, or copied without its
    # times), so the next run's quick check skips those files.
    fingerprints: list[tuple[str, int]] = field(default_factory=list)


class Unchanged(NamedTuple):
    """A file whose bytes are the ones the ledger says were imported."""

    mtime_ns: int | None


_config: WorkerConfig | None = None


def init_worker(config: WorkerConfig) -> None:
    """Pool initializer; also asks Linux to kill the worker if the importer dies (SIGKILL)."""
    global _config
    _config = config
    try:
        import ctypes
        import signal

        libc = ctypes.CDLL("libc.so.6", use_errno=True)
        libc.prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except OSError:
        pass
    # The signal is only sent for a parent that dies from now on: one already gone leaves no one
    # to hand this worker a chunk or read its result.
    parent = multiprocessing.parent_process()
    if parent is not None and os.getppid() != parent.pid:
        os._exit(1)


# --- COPY text format -------------------------------------------------------------------------

_NULL = "\\N"


def _escape(value: str) -> str:
    if "\\" in value:
        value = value.replace("\\", "\\\\")
    if "\t" in value or "\n" in value or "\r" in value:
        value = value.replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return value


# --- Reading ----------------------------------------------------------------------------------


def _read(root: Path, relpath: str, size_cap: int) -> tuple[bytes, os.stat_result]:
    return read_regular_file(f"{root}/{relpath}", max_bytes=size_cap)


def unmodified(root: Path, relpath: str, size: int, mtime_ns: int) -> bool:
    """The quick check: the file still has the size and the settled modification time the ledger holds."""
    try:
        stat = os.stat(f"{root}/{relpath}")
    except OSError:
        return False  # read it: that reports why it cannot be
    return stat.st_mtime_ns == mtime_ns and stat.st_size == size


def settled_mtime(stat: os.stat_result) -> int | None:
    """The file's modification time in ns if it is at least ``SETTLED_NS`` old, else ``None``."""
    mtime_ns = stat.st_mtime_ns
    return mtime_ns if time.time_ns() - mtime_ns >= SETTLED_NS else None


def _escape_document(raw: bytes) -> bytes:
    """The file's bytes as one ``COPY`` text field (BOM dropped): escaped as bytes, never decoded again.

    The bytes are valid UTF-8 (the parser decoded them), and no byte of a multi-byte UTF-8 sequence
    is ASCII, so replacing the ASCII bytes is the same as escaping the text and encoding it.
    """
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    if b"\\" in raw:
        raw = raw.replace(b"\\", b"\\\\")
    if b"\n" in raw or b"\t" in raw or b"\r" in raw:
        raw = raw.replace(b"\t", b"\\t").replace(b"\n", b"\\n").replace(b"\r", b"\\r")
    return raw


def _read_if_changed(
    root: Path, relpath: str, known_hash: str | None, config: WorkerConfig
) -> tuple[bytes, dt.datetime, int | None, str, dict[str, Any], str] | Unchanged:
    """(bytes, mtime, settled mtime in ns, hash, document, stem) of a file, or ``Unchanged`` when its
    hash is the imported one."""
    raw, stat = _read(root, relpath, config.size_cap)
    file_hash = hashlib.sha256(raw).hexdigest()
    if known_hash == file_hash:
        return Unchanged(settled_mtime(stat))
    mtime = dt.datetime.fromtimestamp(stat.st_mtime, tz=dt.UTC)
    stem = relpath.rsplit("/", 1)[-1].removesuffix(".json")
    return raw, mtime, settled_mtime(stat), file_hash, parse_json_bytes(raw), stem


def parse_submission(
    root: Path, relpath: str, known_hash: str | None, config: WorkerConfig
) -> ParsedSubmission | Unchanged:
    """``Unchanged`` when the file's bytes are the ones imported; raises ``LegacyFormatError``."""
    changed = _read_if_changed(root, relpath, known_hash, config)
    if isinstance(changed, Unchanged):
        return changed
    raw, mtime, mtime_ns, file_hash, document, stem = changed
    record = normalize_submission(document, stem=stem, content=False)  # the rows need no fields or items
    warnings = list(record.warnings)
    site_name = record.site_name
    if len(site_name) > SITE_NAME_MAX:
        warnings.append(f"site name is {len(site_name)} characters; the column keeps the first {SITE_NAME_MAX}")
        site_name = site_name[:SITE_NAME_MAX]
    refs = file_refs(record, uploads_dir=root / "uploads")
    parsed = ParsedSubmission(
        path=relpath,
        file_hash=file_hash,
        size=len(raw),
        submission_id=record.submission_id,
        module=record.module,
        shape=record.shape,
        site_name=site_name,
        visit_date=record.visit_date,
        created_at=record.created_at,
        file_mtime=mtime,
        ip=record.submitted_by_ip,
        changed=known_hash is not None,
        warnings=warnings,
        mtime_ns=mtime_ns,
    )
    if config.copy_format:
        parsed.copy_row = (
            "\t".join(
                (
                    _escape(relpath),
                    file_hash,
                    str(len(raw)),
                    record.submission_id,
                    record.module,
                    _escape(site_name),
                    record.visit_date.isoformat() if record.visit_date else _NULL,
                    record.created_at.isoformat() if record.created_at else _NULL,
                    mtime.isoformat(),
                    _escape(record.submitted_by_ip),
                    "f" if known_hash is None else "t",
                    _NULL if mtime_ns is None else str(mtime_ns),
                    "",
                )
            ).encode("utf-8", "surrogatepass")
            + _escape_document(raw)
            + b"\n"
        )
        sid = record.submission_id
        parsed.copy_files = "".join(
            f"{sid}\t{ref.position}\t{_escape(ref.url)}\t{_escape(ref.public_id)}\t{ref.file_type}\t"
            f"{_escape(ref.original_filename)}\t{_NULL if ref.file_size is None else ref.file_size}\n"
            for ref in refs
        ).encode("utf-8", "surrogatepass")
    else:
        parsed.document = document
        parsed.refs = refs
    return parsed


def parse_job(root: Path, relpath: str, known_hash: str | None, config: WorkerConfig) -> ParsedJob | Unchanged:
    changed = _read_if_changed(root, relpath, known_hash, config)
    if isinstance(changed, Unchanged):
        return changed
    raw, mtime, mtime_ns, file_hash, document, stem = changed
    job = normalize_job(document, stem=stem)
    parsed = ParsedJob(
        path=relpath,
        file_hash=file_hash,
        size=len(raw),
        job_id=job.job_id,
        submission_id=job.submission_id,
        module=job.module if job.module in MODULES else None,
        status=job.status,
        progress=job.progress,
        excel_url=job.excel_url,
        pdf_url=job.pdf_url,
        error_message=job.error_message,
        created_at=job.created_at,
        completed_at=job.completed_at,
        file_mtime=mtime,
        changed=known_hash is not None,
        mtime_ns=mtime_ns,
    )
    if config.copy_format:
        parsed.copy_row = (
            "\t".join(
                (
                    _escape(relpath),
                    file_hash,
                    str(len(raw)),
                    job.job_id,
                    _NULL if parsed.submission_id is None else _escape(parsed.submission_id),
                    _NULL if parsed.module is None else parsed.module,
                    job.status,
                    str(job.progress),
                    _escape(job.excel_url),
                    _escape(job.pdf_url),
                    _escape(job.error_message),
                    job.created_at.isoformat() if job.created_at else _NULL,
                    job.completed_at.isoformat() if job.completed_at else _NULL,
                    mtime.isoformat(),
                    "f" if known_hash is None else "t",
                    _NULL if mtime_ns is None else str(mtime_ns),
                )
            ).encode("utf-8", "surrogatepass")
            + b"\n"
        )
    return parsed


class Known(NamedTuple):
    """What the ledger holds of a file."""

    file_hash: str  # of its bytes
    size: int
    mtime_ns: int | None  # settled modification time; None: no quick check, read it


def process_chunk(
    kind: FileKind,
    entries: list[tuple[str, Known | None]],
    config: WorkerConfig | None = None,
    write: Write | None = None,
) -> ChunkResult:
    """Parse one chunk of ``(relative path, what the ledger holds or None)``; never raises for a bad file.

    With ``write`` (and ``config.database``), the worker also writes, on its own connection: a chunk
    of job files into the run's staging table, and a chunk of submissions all new to the ledger
    into the tables (``direct``); what it could not write that way stays in ``parsed`` for the
    importer to merge.
    """
    config = config or _config
    assert config is not None, "init_worker was not called"
    root = Path(config.root)
    parse = parse_submission if kind == FileKind.SUBMISSION else parse_job
    result = ChunkResult()
    for relpath, known in entries:
        if known is not None and known.mtime_ns is not None and unmodified(root, relpath, known.size, known.mtime_ns):
            result.unchanged.append(relpath)
            continue
        try:
            parsed = parse(root, relpath, None if known is None else known.file_hash, config)
        except LegacyFormatError as error:
            result.problems.append((relpath, str(error)))
            continue
        except Exception as error:  # noqa: BLE001 - one odd file must not stop the run
            result.problems.append((relpath, f"unexpected error: {type(error).__name__}: {error}"))
            continue
        if isinstance(parsed, Unchanged):
            result.unchanged.append(relpath)
            if parsed.mtime_ns is not None:
                result.fingerprints.append((relpath, parsed.mtime_ns))
        else:
            result.parsed.append(parsed)
            if isinstance(parsed, ParsedSubmission):
                result.warnings.extend((relpath, warning) for warning in parsed.warnings)
    if write is None or config.database is None or not result.parsed:
        return result
    if kind == FileKind.JOB:
        result.staged_changed = any(item.changed for item in result.parsed)
        written, result.parsed = stage_in_worker(config.database, result.parsed), []
    elif not any(item.changed for item in result.parsed):
        written, result.parsed = write_in_worker(config.database, result.parsed, upsert_jobs=write.upsert_jobs)
    else:
        return result
    for outcome in written:
        if outcome.outcome in KEPT_OUTCOMES:  # counted only
            result.tally[(outcome.kind, outcome.outcome, outcome.module)] += 1
        else:
            result.written.append(outcome)
    return result


class SubmissionDigest(NamedTuple):
    """A submission file as ``verify_migration`` compares it."""

    submission_id: str
    module: str  # of its shape
    content_hash: str  # canonical (``canonical.content_hash``)


class JobDigest(NamedTuple):
    """A job file as ``verify_migration`` compares it."""

    job_id: str
    submission_id: str | None
    module: str | None
    status: str
    created_at: str  # ISO time, "" when the file has none
    fields_hash: str  # ``canonical.job_digest``


def digest_chunk(
    kind: FileKind, entries: list[tuple[str, Known | None]], config: WorkerConfig | None = None
) -> ChunkResult:
    """``verify_migration``'s per-file work: ids and content hashes (``ChunkResult.parsed`` holds
    ``SubmissionDigest`` or ``JobDigest``)."""
    config = config or _config
    assert config is not None, "init_worker was not called"
    root = Path(config.root)
    result = ChunkResult()
    for relpath, _ in entries:
        stem = relpath.rsplit("/", 1)[-1].removesuffix(".json")
        try:
            raw, _stat = _read(root, relpath, config.size_cap)
            document = parse_json_bytes(raw)
            if kind == FileKind.SUBMISSION:
                record = normalize_submission(document, stem=stem)
                result.parsed.append(SubmissionDigest(record.submission_id, record.module, content_hash(document)))
            else:
                job = normalize_job(document, stem=stem)
                created = job.created_at.isoformat() if job.created_at else ""
                fields = job_digest(
                    status=job.status,
                    progress=job.progress,
                    excel_url=job.excel_url,
                    pdf_url=job.pdf_url,
                    error_message=job.error_message,
                )
                module = job.module if job.module in MODULES else None
                result.parsed.append(JobDigest(job.job_id, job.submission_id, module, job.status, created, fields))
        except LegacyFormatError as error:
            result.problems.append((relpath, str(error)))
        except Exception as error:  # noqa: BLE001 - one odd file must not stop the run
            result.problems.append((relpath, f"unexpected error: {type(error).__name__}: {error}"))
    return result
