"""``verify_migration``: does the database hold exactly the records the legacy tree holds?

Both sides are reduced to the same digests:
- a submission: its id, module and status (derived as the importer derives them: the newest
  job's ``meta.module`` and state), and the canonical content hash of its document
  (``canonical.content_hash``: the file on one side, ``form_data`` on the other);
- a job: its id, its submission's id, and a hash of the fields the ``jobs`` table keeps (state,
  progress, report URLs, error) as the one legacy parser reads them.

The comparison reports counts by module and status, ids present on one side only, and records
whose hashes differ. Files that cannot be read, and jobs whose submission is nowhere (orphans),
are listed but cannot match anything: they do not fail the verification.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from jobs.models import Job
from submissions.importer.backends import JOB_TO_SUBMISSION_STATUS
from submissions.importer.canonical import content_hash, job_digest
from submissions.importer.outcomes import FileKind
from submissions.importer.pipeline import DEFAULT_BATCH_SIZE, DEFAULT_SIZE_CAP, scan_folder
from submissions.importer.pool import Chunk, ChunkPool
from submissions.importer.worker import JobDigest, SubmissionDigest, WorkerConfig, digest_chunk
from submissions.models import Submission


class SubmissionSide(NamedTuple):
    """A submission as one side holds it."""

    module: str
    status: str
    content_hash: str


class JobSide(NamedTuple):
    """A job as one side holds it."""

    submission_id: str
    fields_hash: str


class NewestJob(NamedTuple):
    """The tree's newest job of a submission (tuples compare field by field: newest is greatest)."""

    created_at: str
    job_id: str
    module: str
    status: str


@dataclass
class SideDigest:
    submissions: dict[str, SubmissionSide] = field(default_factory=dict)  # by submission id
    jobs: dict[str, JobSide] = field(default_factory=dict)  # by job id

    def counts(self) -> Counter[str]:
        return Counter(f"{side.module}/{side.status}" for side in self.submissions.values())


@dataclass
class Verification:
    tree: str
    tree_submissions: int = 0
    tree_jobs: int = 0
    database_submissions: int = 0
    database_jobs: int = 0
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # "module/status" -> {tree, database}
    only_in_tree: dict[str, list[str]] = field(default_factory=lambda: {"submissions": [], "jobs": []})
    only_in_database: dict[str, list[str]] = field(default_factory=lambda: {"submissions": [], "jobs": []})
    content_differs: dict[str, list[str]] = field(default_factory=lambda: {"submissions": [], "jobs": []})
    unreadable: list[tuple[str, str]] = field(default_factory=list)
    orphan_jobs: list[str] = field(default_factory=list)

    @property
    def counts_match(self) -> bool:
        return all(pair["tree"] == pair["database"] for pair in self.counts.values())

    @property
    def missing_from_database(self) -> int:
        """Tree records the database lacks or holds differently (what ``archive_json`` refuses on)."""
        return sum(len(ids) for ids in self.only_in_tree.values()) + sum(
            len(ids) for ids in self.content_differs.values()
        )

    @property
    def ok(self) -> bool:
        return self.counts_match and not self.missing_from_database and not any(self.only_in_database.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "tree": self.tree,
            "ok": self.ok,
            "tree_submissions": self.tree_submissions,
            "tree_jobs": self.tree_jobs,
            "database_submissions": self.database_submissions,
            "database_jobs": self.database_jobs,
            "counts": self.counts,
            "only_in_tree": self.only_in_tree,
            "only_in_database": self.only_in_database,
            "content_differs": self.content_differs,
            "unreadable": [{"path": path, "reason": reason} for path, reason in self.unreadable],
            "orphan_jobs": self.orphan_jobs,
        }


def tree_digest(
    root: Path, *, workers: int = 2, size_cap: int = DEFAULT_SIZE_CAP
) -> tuple[SideDigest, list[tuple[str, str]]]:
    """Digests of every readable record in the tree, and the files that could not be read."""
    digest = SideDigest()
    unreadable: list[tuple[str, str]] = []
    config = WorkerConfig(root=str(root), size_cap=size_cap, copy_format=False)
    newest_job: dict[str, NewestJob] = {}  # by submission id
    shapes: dict[str, SubmissionDigest] = {}  # by submission id
    with ChunkPool(config, workers) as pool:
        for kind, folder in ((FileKind.JOB, "jobs"), (FileKind.SUBMISSION, "submissions")):
            paths, problems = scan_folder(root, folder)
            unreadable += problems
            chunks: Iterator[Chunk] = (
                [(path, None) for path in paths[i : i + DEFAULT_BATCH_SIZE]]
                for i in range(0, len(paths), DEFAULT_BATCH_SIZE)
            )
            for _, result in pool.imap(kind, chunks, function=digest_chunk):
                unreadable += result.problems
                for item in result.parsed:
                    if isinstance(item, JobDigest):
                        digest.jobs[item.job_id] = JobSide(item.submission_id or "", item.fields_hash)
                        if item.submission_id:
                            candidate = NewestJob(item.created_at, item.job_id, item.module or "", item.status)
                            if item.submission_id not in newest_job or candidate > newest_job[item.submission_id]:
                                newest_job[item.submission_id] = candidate
                    elif isinstance(item, SubmissionDigest):
                        shapes[item.submission_id] = item
    for submission_id, shape in shapes.items():
        job = newest_job.get(submission_id)
        status = JOB_TO_SUBMISSION_STATUS.get(job.status, "pending") if job else "pending"
        module = job.module if job and job.module else shape.module
        digest.submissions[submission_id] = SubmissionSide(module, status, shape.content_hash)
    return digest, sorted(unreadable)


def database_digest() -> SideDigest:
    digest = SideDigest()
    rows = Submission.objects.order_by("submission_id").values_list("submission_id", "module", "status", "form_data")
    for submission_id, module, status, form_data in rows.iterator(chunk_size=2000):
        digest.submissions[submission_id] = SubmissionSide(module, status, content_hash(form_data))
    jobs = Job.objects.order_by("job_id").values_list(
        "job_id", "submission__submission_id", "status", "progress", "excel_url", "pdf_url", "error_message"
    )
    for job_id, submission_id, status, progress, excel_url, pdf_url, error_message in jobs.iterator(chunk_size=5000):
        digest.jobs[job_id] = JobSide(
            submission_id,
            job_digest(
                status=status, progress=progress, excel_url=excel_url, pdf_url=pdf_url, error_message=error_message
            ),
        )
    return digest


def _sorted(ids: Iterable[str]) -> list[str]:
    return sorted(ids)


def verify(root: Path, *, workers: int = 2) -> Verification:
    tree, unreadable = tree_digest(root, workers=workers)
    database = database_digest()
    result = Verification(tree=str(root), unreadable=unreadable)
    result.tree_submissions = len(tree.submissions)
    result.database_submissions = len(database.submissions)
    orphans = {
        job_id
        for job_id, job in tree.jobs.items()
        if job.submission_id not in tree.submissions and job.submission_id not in database.submissions
    }
    result.orphan_jobs = _sorted(orphans)
    result.tree_jobs = len(tree.jobs) - len(orphans)
    result.database_jobs = len(database.jobs)
    tree_counts, database_counts = tree.counts(), database.counts()
    result.counts = {
        key: {"tree": tree_counts.get(key, 0), "database": database_counts.get(key, 0)}
        for key in sorted(set(tree_counts) | set(database_counts))
    }
    result.only_in_tree["submissions"] = _sorted(set(tree.submissions) - set(database.submissions))
    result.only_in_database["submissions"] = _sorted(set(database.submissions) - set(tree.submissions))
    result.content_differs["submissions"] = _sorted(
        submission_id
        for submission_id, side in tree.submissions.items()
        if submission_id in database.submissions
        and database.submissions[submission_id].content_hash != side.content_hash
    )
    tree_jobs = {job_id: value for job_id, value in tree.jobs.items() if job_id not in orphans}
    result.only_in_tree["jobs"] = _sorted(set(tree_jobs) - set(database.jobs))
    result.only_in_database["jobs"] = _sorted(set(database.jobs) - set(tree_jobs))
    result.content_differs["jobs"] = _sorted(
        job_id for job_id, value in tree_jobs.items() if job_id in database.jobs and database.jobs[job_id] != value
    )
    return result


def format_verification(result: Verification, *, limit: int = 20) -> list[str]:
    """The lines ``verify_migration`` prints."""
    lines = [
        f"Tree: {result.tree_submissions} submissions, {result.tree_jobs} jobs "
        f"({len(result.unreadable)} unreadable files, {len(result.orphan_jobs)} orphan jobs not compared)",
        f"Database: {result.database_submissions} submissions, {result.database_jobs} jobs",
    ]
    if result.counts_match:
        lines.append("Counts by module and status: match")
    else:
        lines.append("Counts by module and status differ:")
        lines += [
            f"  {key}: tree {pair['tree']}, database {pair['database']}"
            for key, pair in result.counts.items()
            if pair["tree"] != pair["database"]
        ]
    for title, groups in (
        ("Only in the tree", result.only_in_tree),
        ("Only in the database", result.only_in_database),
        ("Content differs", result.content_differs),
    ):
        for kind in ("submissions", "jobs"):
            ids = groups[kind]
            if ids:
                shown = ", ".join(ids[:limit]) + (f" ... and {len(ids) - limit} more" if len(ids) > limit else "")
                lines.append(f"{title} ({kind}): {len(ids)}: {shown}")
    for path, reason in result.unreadable[:limit]:
        lines.append(f"Unreadable: {path}: {reason}")
    return lines
