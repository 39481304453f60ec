"""Entries of a legacy tree that are not files (issue 14 items 1 and 2).

A symbolic link loop, a named pipe, a socket: ``import_json``, ``verify_migration`` and
``archive_json`` report each with its name and reason and carry on with the rest; nothing opens a
tree entry in a way that could block (nor do the job store, the reports or the legacy download).
A watchdog opens the pipes for writing if a run hangs on one, so that a regression fails the test
instead of hanging it.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import tarfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from audit.models import AuditLog
from jobs.models import JobStatus
from jobs.store import LegacyJobStore
from submissions.legacy.files import read_json_file
from submissions.legacy.records import LegacyFormatError
from submissions.models import Submission
from tests.import_helpers import import_tree, run, sample_tree
from tests.jobs_support import imported_done_job
from tests.legacy_store_helpers import legacy_dir

__all__ = ["legacy_dir"]

LOOP = "symbolic link loop (too many levels of symbolic links)"
PIPE = "not a regular file (a named pipe)"
SOCKET = "not a regular file (a socket)"
# Entry (path in the tree) -> the reason every command gives for it.
ODD_ENTRIES = {
    "jobs/job_aaaaaaaaaaa1.json": PIPE,
    "submissions/sub_aaaaaaaaaaa7.json": LOOP,
    "submissions/sub_aaaaaaaaaaa8.json": LOOP,
    "submissions/sub_aaaaaaaaaaa9.json": PIPE,
    "submissions/sub_aaaaaaaaaab0.json": SOCKET,
}


def add_odd_entries(root: Path, stack: contextlib.ExitStack) -> list[Path]:
    """The entries of ``ODD_ENTRIES`` (the socket stays bound until ``stack`` closes); returns the pipes."""
    submissions = root / "submissions"
    # The reproduction: two links naming each other.
    os.symlink("sub_aaaaaaaaaaa8.json", submissions / "sub_aaaaaaaaaaa7.json")
    os.symlink("sub_aaaaaaaaaaa7.json", submissions / "sub_aaaaaaaaaaa8.json")
    pipes = [submissions / "sub_aaaaaaaaaaa9.json", root / "jobs" / "job_aaaaaaaaaaa1.json"]
    for pipe in pipes:
        os.mkfifo(pipe)
    server = stack.enter_context(socket.socket(socket.AF_UNIX, socket.SOCK_STREAM))
    previous = Path.cwd()
    os.chdir(submissions)  # a socket path must be short: bind the bare name
    try:
        server.bind("sub_aaaaaaaaaab0.json")
    finally:
        os.chdir(previous)
    return pipes


@contextlib.contextmanager
def pipe_watchdog(pipes: list[Path], *, after: float = 20.0) -> Iterator[list[bool]]:
    """After ``after`` seconds, keep opening each pipe for writing (which releases a reader blocked on
    it) until the block ends; yields a one-item list that says whether it had to."""
    fired = [False]
    done = threading.Event()

    def watch() -> None:
        if done.wait(after):
            return
        fired[0] = True
        while not done.wait(0.2):
            for pipe in pipes:
                try:
                    os.close(os.open(pipe, os.O_WRONLY | os.O_NONBLOCK))
                except OSError as error:
                    if error.errno not in (errno.ENXIO, errno.ENOENT):
                        raise

    thread = threading.Thread(target=watch, name="pipe-watchdog", daemon=True)
    thread.start()
    try:
        yield fired
    finally:
        done.set()
        thread.join()


@pytest.fixture
def odd_tree(tmp_path: Path) -> Iterator[tuple[Path, list[Path]]]:
    root = sample_tree(tmp_path)
    with contextlib.ExitStack() as stack:
        yield root, add_odd_entries(root, stack)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("workers", [0, 2])
def test_import_reports_links_loops_pipes_and_sockets_and_imports_the_rest(
    odd_tree: tuple[Path, list[Path]], tmp_path: Path, workers: int
) -> None:
    root, pipes = odd_tree
    report = tmp_path / "report.jsonl"
    with pipe_watchdog(pipes) as fired:
        out, err, status = import_tree(root, workers=workers, report=str(report))
    assert not fired[0], "the import blocked on a named pipe"
    assert out[:2] == [
        "Submissions: 17 total, 13 imported, 0 already present, 0 conflicts, 4 failed",
        "Jobs: 14 total, 13 imported, 0 already present, 0 conflicts, 1 failed, 0 orphans",
    ]
    assert status == 1 and err.endswith(f"5 files were not imported (see {report})")
    problems = [json.loads(line) for line in report.read_text().splitlines()]
    assert {Path(problem["path"]).relative_to(root).as_posix(): problem["reason"] for problem in problems} == (
        ODD_ENTRIES
    )
    assert {problem["kind"] for problem in problems} == {"failed"}
    assert Submission.objects.count() == 13
    details = AuditLog.objects.get(action="import_json").details or {}
    assert (details["submissions"]["failed"], details["jobs"]["failed"]) == (4, 1)


@pytest.mark.django_db(transaction=True)
def test_verify_lists_the_odd_entries_and_compares_the_rest(odd_tree: tuple[Path, list[Path]]) -> None:
    root, pipes = odd_tree
    with pipe_watchdog(pipes) as fired:
        import_tree(root)
        out, _, status = run("verify_migration", str(root), workers=2)
        json_out, _, json_status = run("verify_migration", str(root), workers=0, json=True)
    assert not fired[0], "verify blocked on a named pipe"
    assert out[:3] == [
        "Tree: 13 submissions, 13 jobs (5 unreadable files, 0 orphan jobs not compared)",
        "Database: 13 submissions, 13 jobs",
        "Counts by module and status: match",
    ]
    # Unreadable entries are listed and, as any unreadable file, do not fail the verification.
    assert [line for line in out if line.startswith("Unreadable: ")] == [
        f"Unreadable: {path}: {reason}" for path, reason in sorted(ODD_ENTRIES.items())
    ]
    assert status == 0 and out[-1] == "Verified: the tree and the database hold the same records."
    result = json.loads("\n".join(json_out))
    assert json_status == 0 and {entry["path"]: entry["reason"] for entry in result["unreadable"]} == ODD_ENTRIES


@pytest.mark.django_db(transaction=True)
def test_archive_leaves_the_odd_entries_in_place_and_says_why(
    odd_tree: tuple[Path, list[Path]], tmp_path: Path
) -> None:
    root, pipes = odd_tree
    archives = tmp_path / "archives"
    with pipe_watchdog(pipes) as fired:
        import_tree(root)
        files = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if p.is_file() and not p.is_symlink())
        out, _, status = run("archive_json", str(root), output=str(archives), workers=0)
    assert not fired[0], "archive blocked on a named pipe"
    [archive] = list(archives.iterdir())
    assert status == 0
    assert out == [
        *(f"Not archived (left in place): {path}: {reason}" for path, reason in sorted(ODD_ENTRIES.items())),
        f"Archived {len(files)} files (0.0 MB) to {archive}; verified {len(files)}",
        f"Removed {len(files)} archived files from {root}.",
    ]
    with tarfile.open(archive) as tar:
        assert sorted(tar.getnames()) == files
    left = sorted(p.relative_to(root).as_posix() for p in root.rglob("*") if not p.is_dir() or p.is_symlink())
    assert left == sorted(ODD_ENTRIES)
    details = AuditLog.objects.get(action="archive_json").details or {}
    assert [tuple(entry) for entry in details["not_archived"]] == sorted(ODD_ENTRIES.items())


def test_reading_a_legacy_file_never_blocks_and_says_why_it_cannot(tmp_path: Path) -> None:
    loop = tmp_path / "loop.json"
    os.symlink(loop.name, loop)
    pipe = tmp_path / "pipe.json"
    os.mkfifo(pipe)
    with pipe_watchdog([pipe], after=10) as fired:
        with pytest.raises(LegacyFormatError, match=r"^not a regular file \(a named pipe\)$"):
            read_json_file(pipe)
        with pytest.raises(LegacyFormatError, match=r"^symbolic link loop \(too many levels of symbolic links\)$"):
            read_json_file(loop)
    assert not fired[0]


@pytest.mark.django_db
def test_the_reaper_lists_unfinished_job_files_past_a_pipe_and_a_loop(legacy_dir: Path) -> None:
    jobs = legacy_dir / "jobs"
    jobs.mkdir()
    os.mkfifo(jobs / "job_aaaaaaaaaaa1.json")
    os.symlink("job_aaaaaaaaaaa2.json", jobs / "job_aaaaaaaaaaa2.json")
    (jobs / "job_aaaaaaaaaaa3.json").write_text(
        json.dumps({"job_id": "job_aaaaaaaaaaa3", "state": "started", "progress": 0, "created_at": 1735689600.0})
    )
    with pipe_watchdog([jobs / "job_aaaaaaaaaaa1.json"], after=10) as fired:
        found = LegacyJobStore().unfinished(created_before=timezone.now())
    assert not fired[0], "listing job files blocked on a named pipe"
    assert [(job.job_id, job.status) for job in found] == [("job_aaaaaaaaaaa3", JobStatus.STARTED)]


@pytest.mark.django_db
def test_a_legacy_report_that_is_a_loop_or_a_pipe_is_missing_not_an_error(inspector: Any, legacy_dir: Path) -> None:
    job = imported_done_job(
        inspector,
        "sub_0000000d0007",
        excel_url="http://127.0.0.1:5000/generated/HVAC_MEP_Site_20251201_101010.xlsx",
        pdf_url="http://127.0.0.1:5000/generated/HVAC_MEP_Site_20251201_101011.pdf",
    )
    legacy = legacy_dir
    os.symlink("HVAC_MEP_Site_20251201_101010.xlsx", legacy / "HVAC_MEP_Site_20251201_101010.xlsx")
    os.mkfifo(legacy / "HVAC_MEP_Site_20251201_101011.pdf")
    client = Client()
    client.force_login(inspector)
    with pipe_watchdog([legacy / "HVAC_MEP_Site_20251201_101011.pdf"], after=10) as fired:
        loop = client.get(f"/jobs/{job.job_id}/files/HVAC_MEP_Site_20251201_101010.xlsx")
        pipe = client.get(f"/jobs/{job.job_id}/files/HVAC_MEP_Site_20251201_101011.pdf")
    assert not fired[0], "the download blocked on a named pipe"
    assert (loop.status_code, pipe.status_code) == (404, 404)
