"""The importer: scan sorted → parse in worker processes → batches → backend → ledger.

``run_import(options, on_problem=..., on_progress=...)`` imports a legacy tree and returns an
``ImportSummary``. Problems (path, reason) are streamed to ``on_problem`` rather than kept, and
at most ``workers + 1`` chunks are in flight, so memory does not grow with the tree (beyond the
sorted list of file names).

Order of work:
1. ``jobs/`` is read first and staged (PostgreSQL: a session temporary table), because a
   submission's module, status and fallback timestamp come from its job.
2. ``submissions/`` in batches, one transaction each: submissions, their file rows, their jobs
   and the ledger rows for all of them.
3. Jobs left over are linked to submissions already in the database; the rest are orphans.
A file whose bytes the ledger already holds is counted "already present" without being parsed; one
whose size and settled modification time still match the ledger's is not even read (the quick check,
as rsync's; ``rehash`` reads every file).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import NamedTuple

from django.db import connection

from submissions.importer.backends import Backend, OrmBackend, PostgresBackend
from submissions.importer.outcomes import KEPT_OUTCOMES, FileKind, ImportOutcome, Outcome
from submissions.importer.pool import Chunk, ChunkPool
from submissions.importer.worker import ChunkResult, Known, ParsedJob, ParsedSubmission, WorkerConfig, Write
from submissions.legacy.files import file_type_problem, os_error_problem

DEFAULT_BATCH_SIZE = 1000
DEFAULT_SIZE_CAP = 5 * 1024 * 1024

ProblemSink = Callable[[str, str, str], None]  # (relative path, reason, kind of problem)
ProgressSink = Callable[[int, int], None]  # (files done, files total)


@dataclass
class ImportOptions:
    root: Path
    batch_size: int = DEFAULT_BATCH_SIZE
    workers: int = 2
    update: bool = False
    dry_run: bool = False
    size_cap: int = DEFAULT_SIZE_CAP
    backend: str = "auto"  # auto / postgres / orm
    rehash: bool = False  # read and hash every file, even those the quick check would skip


@dataclass
class Counts:
    total: int = 0
    imported: int = 0
    present: int = 0
    updated: int = 0
    conflicts: int = 0
    failed: int = 0
    orphans: int = 0

    def add(self, outcome: ImportOutcome, count: int = 1) -> None:
        match outcome:
            case ImportOutcome.IMPORTED:
                self.imported += count
            case ImportOutcome.PRESENT:
                self.present += count
            case ImportOutcome.UPDATED:
                self.updated += count
            case ImportOutcome.CONFLICT:
                self.conflicts += count
            case ImportOutcome.ORPHAN:
                self.orphans += count
            case ImportOutcome.FAILED:
                self.failed += count


@dataclass
class ImportSummary:
    root: str
    dry_run: bool
    submissions: Counts = field(default_factory=Counts)
    jobs: Counts = field(default_factory=Counts)
    by_module: Counter[str] = field(default_factory=Counter)
    warnings: int = 0

    @property
    def ok(self) -> bool:
        """Every file is in the database: nothing failed and no conflict is left."""
        return not (self.submissions.failed or self.jobs.failed or self.submissions.conflicts or self.jobs.conflicts)

    def as_dict(self) -> dict[str, object]:
        return {
            "root": self.root,
            "dry_run": self.dry_run,
            "submissions": vars(self.submissions) | {},
            "jobs": vars(self.jobs) | {},
            "by_module": dict(sorted(self.by_module.items())),
            "warnings": self.warnings,
        }


def scan_folder(root: Path, folder: str) -> tuple[list[str], list[tuple[str, str]]]:
    """Sorted relative paths of the JSON files of one folder, and the entries that are not.

    Reported, not read (nor opened): sub-folders, files not ending in ``.json``, links pointing
    outside the tree, links that loop or lead nowhere, and anything else that is not a regular file
    (named pipes, sockets, devices). Skipped silently: hidden files, which are Injaaz's own
    in-flight staged and temporary files (``submissions.legacy.files``/``store``: they start with ``.``).
    """
    base = root / folder
    if not base.is_dir():
        return [], []
    real_root = os.path.realpath(root)
    good: list[str] = []
    problems: list[tuple[str, str]] = []
    with os.scandir(base) as entries:
        for entry in entries:
            name = entry.name
            relpath = f"{folder}/{name}"
            if name.startswith("."):
                continue  # Injaaz's own staged and temporary files (atomic writes); the old app wrote none
            if entry.is_symlink():
                target = os.path.realpath(entry.path)
                if os.path.commonpath([real_root, target]) != real_root:
                    problems.append((relpath, f"link points outside the tree (to {target})"))
                    continue
            try:
                # A plain regular file is known from the directory listing (no stat call per file);
                # anything else is looked at, links followed.
                regular = entry.is_file(follow_symlinks=False)
                problem = None if regular else file_type_problem(entry.stat().st_mode)
            except OSError as error:  # a link that loops or leads nowhere
                problems.append((relpath, os_error_problem(error)))
                continue
            if problem is not None:
                problems.append((relpath, problem))
            elif not name.endswith(".json"):
                problems.append((relpath, "not a JSON file (stray file in the tree)"))
            else:
                good.append(relpath)
    good.sort()
    problems.sort()
    return good, problems


class KnownPath(NamedTuple):
    """What the importer keeps of a ledger entry while its file's chunk is in flight."""

    module: str
    mtime_ns: int | None


def _chunks(
    backend: Backend, paths: list[str], size: int, known_paths: dict[str, KnownPath], *, rehash: bool
) -> Iterator[Chunk]:
    """Chunks of (path, what the ledger knows of it) for the workers; ``known_paths`` gets the
    ledger's module and mtime of each known path. ``rehash``: no mtimes, so no quick check."""
    for start in range(0, len(paths), size):
        chunk = paths[start : start + size]
        known = backend.ledger_lookup(chunk)
        entries: Chunk = []
        for path in chunk:
            entry = known.get(path)
            if entry is None:
                entries.append((path, None))
            else:
                known_paths[path] = KnownPath(entry.module, entry.mtime_ns)
                entries.append((path, Known(entry.file_hash, entry.size, None if rehash else entry.mtime_ns)))
        yield entries


def _connection_params() -> dict[str, object]:
    """How a worker process connects to the importer's database (plain values only: they are pickled)."""
    return {
        key: value
        for key, value in connection.get_connection_params().items()
        if isinstance(value, str | int | float) and not isinstance(value, bool)
    }


def _choose_backend(options: ImportOptions) -> tuple[Backend, bool]:
    use_postgres = options.backend == "postgres" or (options.backend == "auto" and connection.vendor == "postgresql")
    if options.dry_run or not use_postgres:
        return OrmBackend(update=options.update, dry_run=options.dry_run), False
    return PostgresBackend(update=options.update), True


def _conflict_reason(outcome: Outcome) -> str:
    noun = str(outcome.kind)
    if outcome.changed:
        return (
            f"conflict: the file changed since it was imported and differs from the database's {noun} "
            f"{outcome.record_id}; not overwritten (use --update)"
        )
    return (
        f"conflict: the database already holds a different {noun} {outcome.record_id}; not overwritten (use --update)"
    )


def run_import(
    options: ImportOptions,
    *,
    on_problem: ProblemSink | None = None,
    on_progress: ProgressSink | None = None,
) -> ImportSummary:
    root = Path(options.root)
    summary = ImportSummary(root=str(root), dry_run=options.dry_run)
    report = on_problem or (lambda path, reason, kind: None)
    progress = on_progress or (lambda done, total: None)

    backend, copy_format = _choose_backend(options)
    config = WorkerConfig(
        root=str(root),
        size_cap=options.size_cap,
        copy_format=copy_format,
        database=_connection_params() if copy_format else None,
    )
    # The worker processes start (and import what they need) while the tree is scanned.
    with ChunkPool(config, options.workers) as pool:
        return _run(options, pool, backend, summary, report, progress)


def _run(
    options: ImportOptions,
    pool: ChunkPool,
    backend: Backend,
    summary: ImportSummary,
    report: ProblemSink,
    progress: ProgressSink,
) -> ImportSummary:
    root = Path(options.root)
    job_paths, job_problems = scan_folder(root, "jobs")
    sub_paths, sub_problems = scan_folder(root, "submissions")
    summary.jobs.total = len(job_paths) + len(job_problems)
    summary.submissions.total = len(sub_paths) + len(sub_problems)
    total = summary.jobs.total + summary.submissions.total
    done = 0
    for path, reason in job_problems:
        summary.jobs.failed += 1
        report(path, reason, "failed")
    for path, reason in sub_problems:
        summary.submissions.failed += 1
        report(path, reason, "failed")
    done += len(job_problems) + len(sub_problems)

    def record(outcome: Outcome) -> None:
        counts = summary.submissions if outcome.kind == FileKind.SUBMISSION else summary.jobs
        counts.add(outcome.outcome)
        if outcome.kind == FileKind.SUBMISSION and outcome.outcome in KEPT_OUTCOMES:
            summary.by_module[outcome.module] += 1
        if outcome.outcome == ImportOutcome.FAILED:
            report(outcome.path, outcome.detail, "failed")
        elif outcome.outcome == ImportOutcome.CONFLICT:
            report(outcome.path, _conflict_reason(outcome), "conflict")
        elif outcome.outcome == ImportOutcome.ORPHAN:
            report(
                outcome.path,
                f"orphan job: its submission {outcome.detail or '(none given)'} is not in the tree or the database",
                "orphan",
            )

    def absorb(kind: FileKind, chunk: Chunk, result: ChunkResult) -> list[ParsedJob | ParsedSubmission]:
        nonlocal done
        counts = summary.submissions if kind == FileKind.SUBMISSION else summary.jobs
        for path, reason in result.problems:
            counts.failed += 1
            report(path, reason, "failed")
        counts.present += len(result.unchanged)
        if kind == FileKind.SUBMISSION:
            summary.by_module.update(known_paths[path].module for path in result.unchanged)
        # Unchanged files the quick check could not skip: their new settled mtime, for the next run.
        backend.refresh_fingerprints(
            [(path, mtime_ns) for path, mtime_ns in result.fingerprints if known_paths[path].mtime_ns != mtime_ns]
        )
        for path, _ in chunk:
            known_paths.pop(path, None)
        summary.warnings += len(result.warnings)
        for path, warning in result.warnings:
            report(path, f"warning: {warning}", "warning")
        for (outcome_kind, outcome, module), count in result.tally.items():
            if outcome_kind == FileKind.SUBMISSION:
                summary.submissions.add(outcome, count)
                summary.by_module[module] += count
            else:
                summary.jobs.add(outcome, count)
        for written in result.written:
            record(written)
        done += len(chunk)
        return result.parsed

    known_paths: dict[str, KnownPath] = {}  # the files of the chunks in flight that the ledger knows
    backend.open()
    try:
        # Worker processes stage job files and write batches of new submissions themselves when they
        # can (``direct``); the rest come back here to be written or merged.
        writes = bool(pool.workers and backend.workers_write)
        job_chunks = _chunks(backend, job_paths, options.batch_size, known_paths, rehash=options.rehash)
        for chunk, result in pool.imap(FileKind.JOB, job_chunks, args=(Write(False) if writes else None,)):
            backend.staged_changed_jobs = backend.staged_changed_jobs or result.staged_changed
            staged = [item for item in absorb(FileKind.JOB, chunk, result) if isinstance(item, ParsedJob)]
            if staged:
                for outcome in backend.stage_jobs(staged):
                    record(outcome)
            progress(done, total)
        backend.jobs_staged()
        write = Write(backend.staged_changed_jobs) if writes else None
        sub_chunks = _chunks(backend, sub_paths, options.batch_size, known_paths, rehash=options.rehash)
        for chunk, result in pool.imap(FileKind.SUBMISSION, sub_chunks, args=(write,)):
            parsed = [item for item in absorb(FileKind.SUBMISSION, chunk, result) if isinstance(item, ParsedSubmission)]
            if parsed:
                for outcome in backend.write_batch(parsed):
                    record(outcome)
            progress(done, total)
        pool.close()
        for outcome in backend.finish_jobs():
            record(outcome)
    finally:
        backend.close()
    progress(total, total)
    return summary
