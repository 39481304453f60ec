"""A run killed at any moment (SIGKILL) and started again ends with exactly the database of an uninterrupted run.

The importer runs as a real subprocess (``manage.py import_json`` with its worker processes),
killed while it works, then run again to the end; its database is compared, by natural keys,
with the database an uninterrupted run wrote. Surrogate ids and write times (``updated_at``,
the ledger's ``imported_at``) are left out: a rolled-back batch consumes sequence values.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from jobs.models import Job
from submissions.models import ImportLedgerEntry, Submission, UploadedFile
from tests.import_helpers import database_url, snapshot
from tests.legacy_corpus import add_bad_files, make_corpus

ROOT = Path(__file__).resolve().parent.parent


def command(tree: Path, url: str) -> tuple[list[str], dict[str, str]]:
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="injaaz.settings_test")
    args = [sys.executable, str(ROOT / "manage.py"), "import_json", str(tree), "--batch-size", "20", "--no-progress"]
    args += ["--max-file-size", str(64 * 1024)]
    return args, env


def run_to_end(tree: Path, url: str) -> subprocess.CompletedProcess[str]:
    args, env = command(tree, url)
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


def run_and_kill(tree: Path, url: str, ready: Callable[[], bool]) -> int:
    """Start the importer, SIGKILL it as soon as ``ready()`` holds; the number of polls it took."""
    args, env = command(tree, url)
    process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    polls = 0
    try:
        while process.poll() is None and not ready():
            polls += 1
            time.sleep(0.002)
        assert process.poll() is None, "the import finished before it could be killed: make the tree bigger"
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(timeout=60)
    assert process.returncode == -signal.SIGKILL
    return polls


@pytest.fixture
def tree(tmp_path: Path) -> Path:
    made = make_corpus(tmp_path / "generated", 900, seed=21)
    add_bad_files(made.root)
    return made.root


def wipe() -> None:
    UploadedFile.objects.all().delete()
    Job.objects.all().delete()
    Submission.objects.all().delete()
    ImportLedgerEntry.objects.all().delete()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_sigkill_and_resume_on_postgresql(tree: Path) -> None:
    url = database_url()
    finished = run_to_end(tree, url)
    assert finished.returncode == 1, finished.stderr  # the bad files
    expected = snapshot()
    assert len(expected["submissions"]) == 900
    wipe()

    # Killed once early (while jobs are staged or in the first batches), once half-way through.
    run_and_kill(tree, url, lambda: Submission.objects.exists())
    assert 0 < Submission.objects.count() < 900
    run_and_kill(tree, url, lambda: Submission.objects.count() >= 450)
    partial = Submission.objects.count()
    assert 450 <= partial < 900
    # What was committed is whole: every imported submission has its ledger row.
    assert ImportLedgerEntry.objects.filter(kind="submission").count() == partial

    resumed = run_to_end(tree, url)
    assert resumed.returncode == 1, resumed.stderr
    assert "Submissions: 909 total," in resumed.stdout
    assert snapshot() == expected

    again = run_to_end(tree, url)
    assert "Submissions: 909 total, 0 imported, 900 already present, 0 conflicts, 9 failed" in again.stdout
    assert snapshot() == expected


def worker_pids(pid: int) -> list[int]:
    """The importer's worker processes (its spawned children, not multiprocessing's resource tracker)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as handle:
            children = [int(child) for child in handle.read().split()]
    except OSError:
        return []
    workers = []
    for child in children:
        try:
            with open(f"/proc/{child}/cmdline", "rb") as handle:
                cmdline = handle.read()
        except OSError:
            continue
        if b"spawn_main" in cmdline and b"resource_tracker" not in cmdline:
            workers.append(child)
    return workers


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_on_its_own_stops_the_run_which_resumes(tree: Path) -> None:
    url = database_url()
    finished = run_to_end(tree, url)
    expected = snapshot()
    wipe()

    args, env = command(tree, url)
    process = subprocess.Popen(args, env=env, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        while process.poll() is None and Submission.objects.count() < 200:
            time.sleep(0.002)
        assert process.poll() is None, "the import finished before a worker could be killed: make the tree bigger"
        os.kill(worker_pids(process.pid)[0], signal.SIGKILL)
        _, stderr = process.communicate(timeout=120)  # it stops: no waiting forever for a lost chunk
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 2, stderr
    assert "a worker process ended abruptly (killed, or out of memory)" in stderr
    assert "Run the same command again to resume." in stderr
    partial = Submission.objects.count()
    assert ImportLedgerEntry.objects.filter(kind="submission").count() == partial < 900

    resumed = run_to_end(tree, url)
    assert resumed.returncode == finished.returncode == 1, resumed.stderr  # 1: the bad files
    assert snapshot() == expected


# --- SQLite: two database files, compared with plain SQL ----------------------------------------

SQLITE_TABLES = {
    "submissions": "SELECT submission_id, module, status, site_name, visit_date, form_data, created_at, "
    "submitted_by_ip FROM submissions ORDER BY submission_id",
    "uploaded_files": "SELECT s.submission_id, f.cloudinary_url, f.cloudinary_public_id, f.file_type, "
    "f.original_filename, f.file_size, f.uploaded_at FROM uploaded_files f JOIN submissions s ON s.id = f.submission_id "
    "ORDER BY s.submission_id, f.id",
    "jobs": "SELECT j.job_id, s.submission_id, j.status, j.progress, j.excel_url, j.pdf_url, j.error_message, "
    "j.created_at, j.completed_at FROM jobs j JOIN submissions s ON s.id = j.submission_id ORDER BY j.job_id",
    "ledger": "SELECT path, kind, record_id, module, content_hash, size, outcome FROM legacy_import_ledger ORDER BY path",
}


def sqlite_snapshot(path: Path) -> dict[str, list[Any]]:
    with sqlite3.connect(path) as connection:
        return {name: connection.execute(query).fetchall() for name, query in SQLITE_TABLES.items()}


def sqlite_count(path: Path) -> int:
    try:
        with sqlite3.connect(path, timeout=0.05) as connection:
            return connection.execute("SELECT count(*) FROM submissions").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


def migrated_sqlite(path: Path) -> str:
    url = f"sqlite:///{path}"
    env = dict(os.environ, DATABASE_URL=url, DJANGO_SETTINGS_MODULE="injaaz.settings_test")
    done = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), "migrate", "--noinput", "-v0"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return url


def test_sigkill_and_resume_on_sqlite(tree: Path, tmp_path: Path) -> None:
    uninterrupted, interrupted = tmp_path / "a.sqlite3", tmp_path / "b.sqlite3"
    url_a, url_b = migrated_sqlite(uninterrupted), migrated_sqlite(interrupted)
    assert run_to_end(tree, url_a).returncode == 1
    run_and_kill(tree, url_b, lambda: sqlite_count(interrupted) >= 300)
    assert 300 <= sqlite_count(interrupted) < 900
    assert run_to_end(tree, url_b).returncode == 1
    expected = sqlite_snapshot(uninterrupted)
    assert len(expected["submissions"]) == 900
    assert sqlite_snapshot(interrupted) == expected
